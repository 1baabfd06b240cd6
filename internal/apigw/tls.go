package apigw

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// tlsConfig trusts the system roots plus the certificates in caPEM, and skips
// verification only when explicitly asked to. Sessions are cached: health
// probes open a fresh connection every poll, and resuming the session spares
// the node and the provider a full handshake and certificate check each time.
func tlsConfig(caPEM string, insecure bool) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ClientSessionCache: tls.NewLRUClientSessionCache(0)}
	if insecure {
		cfg.InsecureSkipVerify = true // the user asked for it (test systems)
	}
	if strings.TrimSpace(caPEM) == "" {
		return cfg, nil // nil RootCAs means the system roots
	}
	certs, err := parseCACerts(caPEM)
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool() // no system store here: trust the bundle alone
	}
	for _, c := range certs {
		pool.AddCert(c)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// parseCACerts reads every CERTIFICATE block of a PEM bundle. Text between
// blocks (comments in bundles) is ignored; anything else that is wrong is an
// error that names ca_cert_pem and says how to fix it.
func parseCACerts(caPEM string) ([]*x509.Certificate, error) {
	const fix = "paste the CA certificate(s) in PEM form, each from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----"
	var certs []*x509.Certificate
	rest := []byte(caPEM)
	for n := 1; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("ca_cert_pem: PEM block %d is a %q, not a CERTIFICATE; %s", n, block.Type, fix)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("ca_cert_pem: PEM block %d is not a valid certificate (%v); %s", n, err, fix)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("ca_cert_pem: no PEM certificate found; " + fix)
	}
	return certs, nil
}
