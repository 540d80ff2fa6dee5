package proof

import (
	"errors"
	"fmt"

	"github.com/cloudflare/circl/sign/bls"
)

// The verifier's VRF is a BLS signature on BLS12-381 (IETF BLS, basic
// scheme, keys in G1, signatures in G2; cloudflare/circl): a signature is
// unique for a key and message, so the Secrets derived from it
// is fixed by the challenge — the verifier cannot choose it — and unknown
// to everyone else until the verifier reveals it.

// VRF sizes in bytes: a compressed G1 public key and G2 signature.
const (
	VRFPublicKeySize = 48
	VRFProofSize     = 96
)

// ErrBadVRF is returned when a VRF proof does not verify for the
// verifier's registered key and the challenge.
var ErrBadVRF = errors.New("VRF proof does not verify for the verifier's key and the challenge")

// VRFKey is a verifier's VRF private key.
type VRFKey struct {
	k *bls.PrivateKey[bls.KeyG1SigG2]
}

// NewVRFKey derives a VRF key from a 32-byte secret seed (the verifier
// sidecar's seed file): IETF BLS KeyGen with key info "loopin/verifier/v2/vrf".
func NewVRFKey(seed [32]byte) (VRFKey, error) {
	k, err := bls.KeyGen[bls.KeyG1SigG2](seed[:], nil, []byte("loopin/verifier/v2/vrf"))
	if err != nil {
		return VRFKey{}, err
	}
	return VRFKey{k: k}, nil
}

// PublicKey is the key to register (MsgRegisterVerifier.vrf_key), 48 bytes.
func (k VRFKey) PublicKey() []byte {
	bz, err := k.k.PublicKey().MarshalBinary()
	if err != nil {
		panic(err) // a valid key always encodes
	}
	return bz
}

// Prove returns the VRF proof σ of msg, 96 bytes.
func (k VRFKey) Prove(msg []byte) []byte { return bls.Sign(k.k, msg) }

// ProveChallenge returns σ for challenge challengeID of chain chainID with
// public nonce (VRFMessage) and the Secrets it gives.
func (k VRFKey) ProveChallenge(chainID string, challengeID uint64, nonce []byte) ([]byte, Secrets) {
	var n Hash
	copy(n[:], nonce)
	sigma := k.Prove(VRFMessage(chainID, challengeID, n))
	return sigma, SecretsFromVRF(sigma)
}

// VerifyVRF checks σ against the public key and msg. Errors: ErrBadVRF.
func VerifyVRF(pub, msg, sigma []byte) error {
	if len(pub) != VRFPublicKeySize || len(sigma) != VRFProofSize {
		return fmt.Errorf("%w: key of %d bytes, proof of %d (want %d and %d)", ErrBadVRF, len(pub), len(sigma), VRFPublicKeySize, VRFProofSize)
	}
	var pk bls.PublicKey[bls.KeyG1SigG2]
	if err := pk.UnmarshalBinary(pub); err != nil || !pk.Validate() {
		return fmt.Errorf("%w: malformed key", ErrBadVRF)
	}
	if !bls.Verify(&pk, msg, sigma) {
		return ErrBadVRF
	}
	return nil
}

// ErrBadVRFKey is returned for bytes that are not a VRF public key.
var ErrBadVRFKey = errors.New("not a VRF public key (a compressed BLS12-381 G1 point)")

// ValidateVRFKey checks that pub is a valid VRF public key. Errors:
// ErrBadVRFKey.
func ValidateVRFKey(pub []byte) error {
	if len(pub) != VRFPublicKeySize {
		return fmt.Errorf("%w: %d bytes, want %d", ErrBadVRFKey, len(pub), VRFPublicKeySize)
	}
	var pk bls.PublicKey[bls.KeyG1SigG2]
	if err := pk.UnmarshalBinary(pub); err != nil || !pk.Validate() {
		return fmt.Errorf("%w: malformed", ErrBadVRFKey)
	}
	return nil
}
