package emulator

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// UserSpec is one login the emulator accepts, as read from the users file.
type UserSpec struct {
	Account   string `json:"account" yaml:"account"`
	User      string `json:"user" yaml:"user"`
	Password  string `json:"password,omitempty" yaml:"password,omitempty"`
	PublicKey string `json:"public_key,omitempty" yaml:"public_key,omitempty"` // PEM (PKIX) RSA public key for key-pair auth
	// PATs are programmatic access tokens; OAuthTokens are accepted OAuth access tokens.
	PATs        []string `json:"pats,omitempty" yaml:"pats,omitempty"`
	OAuthTokens []string `json:"oauth_tokens,omitempty" yaml:"oauth_tokens,omitempty"`
	Role        string   `json:"role,omitempty" yaml:"role,omitempty"`
	Warehouse   string   `json:"warehouse,omitempty" yaml:"warehouse,omitempty"`
	Database    string   `json:"database,omitempty" yaml:"database,omitempty"`
	Schema      string   `json:"schema,omitempty" yaml:"schema,omitempty"`

	pub *rsa.PublicKey
}

// UsersFile is the document --users points at (YAML or JSON).
type UsersFile struct {
	Users []UserSpec `json:"users" yaml:"users"`
}

// DefaultUsers is the single login served when no users file is given.
func DefaultUsers() []UserSpec {
	return []UserSpec{{Account: "demo", User: "demo", Password: "demo"}}
}

// LoadUsers reads a users file; the format follows the extension (.json, else YAML).
func LoadUsers(path string) ([]UserSpec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read users file: %w", err)
	}
	var f UsersFile
	if strings.EqualFold(filepath.Ext(path), ".json") {
		err = json.Unmarshal(b, &f)
	} else {
		err = yaml.Unmarshal(b, &f)
	}
	if err != nil {
		return nil, fmt.Errorf("parse users file %s: %w", path, err)
	}
	if len(f.Users) == 0 {
		return nil, fmt.Errorf("users file %s lists no users", path)
	}
	return f.Users, nil
}

func (u *UserSpec) prepare() error {
	if u.Account == "" || u.User == "" {
		return fmt.Errorf("user entry needs account and user")
	}
	if u.Role == "" {
		u.Role = "ACCOUNTADMIN"
	}
	if u.Warehouse == "" {
		u.Warehouse = "COMPUTE_WH"
	}
	if u.PublicKey != "" {
		block, _ := pem.Decode([]byte(u.PublicKey))
		if block == nil {
			return fmt.Errorf("user %s: public_key is not PEM", u.User)
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return fmt.Errorf("user %s: parse public key: %w", u.User, err)
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("user %s: public key is not RSA", u.User)
		}
		u.pub = rk
	}
	return nil
}
