// Package tlspin is the sidecars' TLS with pinned certificates
// (docs/pocps.md §14, as Akash's x/cert pins its providers'): a miner
// sidecar serves gRPC with a self-signed certificate it keeps in its
// directory, registers the certificate's SHA-256 on chain
// (MsgRegisterDevice.tls_cert_hash), and verifiers and lessees accept only
// the certificate with that hash — no certificate authority, and no
// trust on first use.
package tlspin

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/google/renameio/v2"
	"google.golang.org/grpc/credentials"
)

// File names of the certificate and its key in a sidecar's directory.
const (
	CertFile = "tls.crt"
	KeyFile  = "tls.key"
)

// ErrPinMismatch is returned by a client handshake whose server presents
// a certificate other than the pinned one.
var ErrPinMismatch = errors.New("TLS certificate is not the one registered on chain")

// Hash is the SHA-256 of a DER certificate: the value pinned on chain.
func Hash(der []byte) []byte { h := sha256.Sum256(der); return h[:] }

// LoadOrCreate returns the certificate kept in dir, creating a
// self-signed ECDSA P-256 one (valid for ten years, for any name) the
// first time, and its hash. Errors: the directory, a malformed file.
func LoadOrCreate(dir string) (tls.Certificate, []byte, error) {
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	if _, err := os.Stat(certPath); errors.Is(err, os.ErrNotExist) {
		if err := create(certPath, keyPath); err != nil {
			return tls.Certificate{}, nil, err
		}
	} else if err != nil {
		return tls.Certificate{}, nil, err
	}
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("TLS certificate in %s: %w", dir, err)
	}
	return cert, Hash(cert.Certificate[0]), nil
}

func create(certPath, keyPath string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "loopin miner sidecar"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := renameio.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	return renameio.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// ServerCredentials serves TLS 1.3 with cert.
func ServerCredentials(cert tls.Certificate) credentials.TransportCredentials {
	return credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13})
}

// ClientConfig is a TLS 1.3 client configuration that accepts only the
// server certificate whose SHA-256 is pin (the chain's record); the usual
// name and authority checks are replaced by the pin. Handshakes with any
// other certificate fail with ErrPinMismatch.
func ClientConfig(pin []byte) *tls.Config {
	want := append([]byte(nil), pin...)
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		InsecureSkipVerify: true, // the pin below is the verification
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return ErrPinMismatch
			}
			if got := Hash(raw[0]); !bytes.Equal(got, want) {
				return fmt.Errorf("%w: it has SHA-256 %s, the chain records %s", ErrPinMismatch, hex.EncodeToString(got), hex.EncodeToString(want))
			}
			return nil
		},
	}
}

// ClientCredentials is ClientConfig for gRPC.
func ClientCredentials(pin []byte) credentials.TransportCredentials {
	return credentials.NewTLS(ClientConfig(pin))
}
