package miner

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/google/renameio/v2"

	"github.com/loopin-project/loopin/sidecar/chain"
	"github.com/loopin-project/loopin/sidecar/tlspin"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

// DeviceKeyFile holds the device's Ed25519 answer key (its 32-byte seed)
// in the sidecar's directory, next to the seal.
const DeviceKeyFile = "device.key"

// keys are the device's identities the sidecar keeps in its directory:
// the answer key registered as device_pubkey (every answer to a verifier
// is signed with it) and the TLS certificate whose hash is registered as
// tls_cert_hash.
type keys struct {
	device   ed25519.PrivateKey
	cert     tls.Certificate
	certHash []byte
}

// loadKeys reads the keys kept in dir, creating them the first time.
// Errors: the directory, a malformed key file.
func loadKeys(dir string) (*keys, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, DeviceKeyFile)
	seed, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		seed = make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			return nil, err
		}
		if err := renameio.WriteFile(path, seed, 0o600); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s: want %d bytes, got %d", path, ed25519.SeedSize, len(seed))
	}
	cert, hash, err := tlspin.LoadOrCreate(dir)
	if err != nil {
		return nil, err
	}
	return &keys{device: ed25519.NewKeyFromSeed(seed), cert: cert, certHash: hash}, nil
}

// public is the device's answer key as registered (32 bytes).
func (k *keys) public() []byte { return k.device.Public().(ed25519.PublicKey) }

// reconcileKeys checks, after a restart, that the registered device has
// this directory's answer key (else the sidecar cannot answer: an error
// naming the way out) and renews the pinned certificate hash on chain
// (MsgUpdateDevice) when the certificate in dir is not the registered one.
func reconcileKeys(ctx context.Context, c *chain.Client, cfg Config, deviceID uint64, log *slog.Logger) error {
	res, err := pocpstypes.NewQueryClient(c.Conn()).Device(ctx, &pocpstypes.QueryDeviceRequest{DeviceId: deviceID})
	if err != nil {
		return err
	}
	d := res.Device
	if !bytes.Equal(d.DevicePubkey, cfg.keys.public()) {
		return fmt.Errorf("device %d is registered with another answer key than %s: its answers could not be verified; "+
			"restore that file or deregister the device (`loopind tx pocps deregister-device %d --from %s`)",
			deviceID, filepath.Join(cfg.Dir, DeviceKeyFile), deviceID, cfg.Chain.From)
	}
	if bytes.Equal(d.TlsCertHash, cfg.keys.certHash) {
		return nil
	}
	log.Info("TLS certificate renewed: updating the pinned hash on chain", "device", deviceID)
	_, err = c.Submit(ctx, 30*time.Second, &pocpstypes.MsgUpdateDevice{
		Owner: c.Address.String(), DeviceId: deviceID, Endpoint: d.Endpoint, Privacy: d.Privacy, TlsCertHash: cfg.keys.certHash,
	})
	return err
}
