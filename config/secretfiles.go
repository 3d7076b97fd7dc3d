package config

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// maxSecretFile bounds a secret file read; a larger one is a misconfigured path.
const maxSecretFile = 64 << 10

// ExpandCredentialsDir replaces $CREDENTIALS_DIRECTORY and ${CREDENTIALS_DIRECTORY} in a path,
// so systemd credentials (LoadCredential=) can be named in a config file.
func ExpandCredentialsDir(path string, env map[string]string) (string, error) {
	if !strings.Contains(path, "$") {
		return path, nil
	}
	dir, ok := env["CREDENTIALS_DIRECTORY"]
	if !ok || dir == "" {
		return "", fmt.Errorf("path %q uses $CREDENTIALS_DIRECTORY, which is not set (is the service started with LoadCredential=?)", path)
	}
	out := strings.ReplaceAll(path, "${CREDENTIALS_DIRECTORY}", dir)
	out = strings.ReplaceAll(out, "$CREDENTIALS_DIRECTORY", dir)
	if strings.Contains(out, "$") {
		return "", fmt.Errorf("path %q: only $CREDENTIALS_DIRECTORY is expanded", path)
	}
	return out, nil
}

// resolveSecretFiles fills password, token and private_key_passphrase from their *_file keys.
// When both are set, the one from the higher layer wins (a file given by the operator beats
// the development layer's demo password).
func (l *Loaded) resolveSecretFiles(env map[string]string) error {
	sf := &l.Config.Snowflake
	pairs := []struct {
		secretKey, fileKey string
		secret             *Secret
		path               *string
	}{
		{"snowflake.password", "snowflake.password_file", &sf.Password, &sf.PasswordFile},
		{"snowflake.token", "snowflake.token_file", &sf.Token, &sf.TokenFile},
		{"snowflake.private_key_passphrase", "snowflake.private_key_passphrase_file", &sf.PrivateKeyPassphrase, &sf.PrivateKeyPassphraseFile},
	}
	for _, p := range pairs {
		if *p.path == "" {
			continue
		}
		fileSrc := l.Sources[p.fileKey]
		path, err := ExpandCredentialsDir(*p.path, env)
		if err != nil {
			return &Error{Key: p.fileKey, Source: fileSrc.String(), Reason: err.Error()}
		}
		*p.path = path
		if p.secret.IsSet() && l.Sources[p.secretKey].Layer > fileSrc.Layer {
			continue
		}
		v, err := readSecretFile(path)
		if err != nil {
			return &Error{Key: p.fileKey, Source: fileSrc.String(), Reason: err.Error()}
		}
		*p.secret = Secret(v)
		l.Sources[p.secretKey] = Source{fileSrc.Layer, fileSrc.Detail + " via " + p.fileKey}
	}
	if sf.PrivateKeyPath != "" {
		src := l.Sources["snowflake.private_key_path"]
		path, err := ExpandCredentialsDir(sf.PrivateKeyPath, env)
		if err != nil {
			return &Error{Key: "snowflake.private_key_path", Source: src.String(), Reason: err.Error()}
		}
		if _, err := os.Stat(path); err != nil {
			return &Error{Key: "snowflake.private_key_path", Source: src.String(), Reason: fmt.Sprintf("cannot read %s: %v", path, unwrapPathErr(err))}
		}
		sf.PrivateKeyPath = path
	}
	return nil
}

func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %v", path, unwrapPathErr(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %v", path, unwrapPathErr(err))
	}
	if len(b) > maxSecretFile {
		return "", fmt.Errorf("%s is larger than %d bytes; is it the right file?", path, maxSecretFile)
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return v, nil
}
