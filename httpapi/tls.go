package httpapi

import (
	"crypto/tls"
	"fmt"

	"github.com/snowflake-mcp/snowflake-mcp/config"
)

// TLSConfig loads server.tls's certificate and key (TLS 1.2 and later); nil when TLS is
// off. It is called once per process, so a SIGHUP generation picks up renewed files, and a
// bad file fails that generation before it is ready (the old one keeps serving).
func TLSConfig(t config.TLS) (*tls.Config, error) {
	if t.CertFile == "" && t.KeyFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("load server.tls.cert_file %s and server.tls.key_file %s: %w", t.CertFile, t.KeyFile, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}
