package proof

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
)

// Challenge binding and device-signed answers (docs/pocps.md §14). Every
// answer a device gives a verifier is signed by the device key registered
// with the device (MsgRegisterDevice.device_pubkey, Ed25519) over the chain
// id, the challenge id and what the answer is for, so a report carries
// evidence the chain can check: an answer signed for one challenge never
// verifies for another, and a "bad proof" needs the device's own signed
// answer that fails the re-check.

// AnswerKind says what a device-signed answer answers.
type AnswerKind uint8

// The answers of a device, in the order a challenge asks for them.
const (
	// AnswerSetup signs seed ‖ SHA-256(setup proof encoding).
	AnswerSetup AnswerKind = 1
	// AnswerResidencyRoot signs nonce ‖ residency root.
	AnswerResidencyRoot AnswerKind = 2
	// AnswerGemmRoots signs GEMM seed ‖ root₀ ‖ … ‖ root_{R−1}.
	AnswerGemmRoots AnswerKind = 3
	// AnswerResidencyOpening signs secret ‖ u32 audit position ‖
	// SHA-256(nonce ‖ root) ‖ SHA-256(one-walk ResidencyProof encoding).
	AnswerResidencyOpening AnswerKind = 4
	// AnswerGemmOpening signs secret ‖ u32 audit position ‖
	// SHA-256(seed ‖ roots) ‖ SHA-256(one-row GemmProof encoding).
	AnswerGemmOpening AnswerKind = 5
)

// Domain tags of the challenge binding (format v2).
const (
	tagAnswer    = "loopin/pocps/v2/answer"
	tagNonce     = "loopin/pocps/v2/nonce"
	tagVRF       = "loopin/pocps/v2/vrf"
	tagSetupSeed = "loopin/pocps/v2/setup-seed"
	tagResNonce  = "loopin/pocps/v2/residency-nonce"
	tagResSecret = "loopin/pocps/v2/residency-secret"
	tagGemmSeed  = "loopin/pocps/v2/gemm-seed"
	tagGemmSec   = "loopin/pocps/v2/gemm-secret"
	tagColumns   = "loopin/pocps/v2/columns"
	tagBeacon    = "loopin/pocps/v2/beacon"
	tagBeaconMix = "loopin/pocps/v2/beacon-block"
)

// DevicePublicKeySize and DeviceSignatureSize are the Ed25519 sizes.
const (
	DevicePublicKeySize = ed25519.PublicKeySize
	DeviceSignatureSize = ed25519.SignatureSize
)

// ErrBadSignature is returned when an answer's signature is not the
// device's over that answer of that challenge.
var ErrBadSignature = errors.New("answer is not signed by the device for this challenge")

// AnswerDigest is what a device signs for an answer of kind to challenge
// challengeID of chain chainID:
//
//	SHA-256("loopin/pocps/v2/answer" ‖ u32 len(chainID) ‖ chainID ‖ u64 challengeID ‖ u8 kind ‖ payload)
func AnswerDigest(chainID string, challengeID uint64, kind AnswerKind, payload []byte) Hash {
	return newHasher(tagAnswer, 4+len(chainID)+9+len(payload)).
		u32(uint32(len(chainID))).bytes([]byte(chainID)).u64(challengeID).bytes([]byte{byte(kind)}).bytes(payload).sum()
}

// SignAnswer signs an answer with the device key (Ed25519, 64 bytes).
func SignAnswer(key ed25519.PrivateKey, chainID string, challengeID uint64, kind AnswerKind, payload []byte) []byte {
	d := AnswerDigest(chainID, challengeID, kind, payload)
	return ed25519.Sign(key, d[:])
}

// VerifyAnswer checks sig, a device's signature of an answer. Errors:
// ErrBadSignature (wrong sizes, key or signature).
func VerifyAnswer(pub []byte, sig []byte, chainID string, challengeID uint64, kind AnswerKind, payload []byte) error {
	if len(pub) != DevicePublicKeySize || len(sig) != DeviceSignatureSize {
		return fmt.Errorf("%w: key of %d bytes, signature of %d (want %d and %d)", ErrBadSignature, len(pub), len(sig), DevicePublicKeySize, DeviceSignatureSize)
	}
	d := AnswerDigest(chainID, challengeID, kind, payload)
	if !ed25519.Verify(ed25519.PublicKey(pub), d[:], sig) {
		return ErrBadSignature
	}
	return nil
}

// SetupPayload is the payload of an AnswerSetup.
func SetupPayload(seed Hash, proofBytes []byte) []byte {
	h := sha256.Sum256(proofBytes)
	return append(append([]byte(nil), seed[:]...), h[:]...)
}

// RootPayload is the payload of an AnswerResidencyRoot (nonce, root) or of
// an AnswerGemmRoots (seed, roots).
func RootPayload(first Hash, roots ...Hash) []byte {
	out := append([]byte(nil), first[:]...)
	for _, r := range roots {
		out = append(out, r[:]...)
	}
	return out
}

// OpeningPayload is the payload of an AnswerResidencyOpening or
// AnswerGemmOpening: the secret the device audited with, the audit
// position, the hash of the commitment the opening belongs to
// (RootPayload of the run: nonce and root, or seed and roots) and the hash
// of the opening's encoding. The commitment ties the opening to its run:
// an opening of another run (a verifier asking the device to walk twice)
// does not verify against the signed root.
func OpeningPayload(secret Hash, position uint32, commitment, opening []byte) []byte {
	c, o := sha256.Sum256(commitment), sha256.Sum256(opening)
	out := append([]byte(nil), secret[:]...)
	out = append(out, byte(position>>24), byte(position>>16), byte(position>>8), byte(position))
	out = append(out, c[:]...)
	return append(out, o[:]...)
}

// ChallengeNonce is a challenge's public nonce, derived on chain when it
// is issued, the input of the verifier's VRF (VRFMessage):
//
//	SHA-256("loopin/pocps/v2/nonce" ‖ u32 len(chainID) ‖ chainID ‖ u64 challengeID ‖ issue block hash)
//
// It is public from issuance, so the device's work is not seeded by it but
// by the Secrets of the VRF proof, which only the verifier knows until it
// sends them.
func ChallengeNonce(chainID string, challengeID uint64, issueBlockHash []byte) Hash {
	return newHasher(tagNonce, 4+len(chainID)+8+len(issueBlockHash)).
		u32(uint32(len(chainID))).bytes([]byte(chainID)).u64(challengeID).bytes(issueBlockHash).sum()
}

// VRFMessage is what the assigned verifier signs with its VRF key (BLS) to
// produce the challenge's secrets:
//
//	"loopin/pocps/v2/vrf" ‖ u32 len(chainID) ‖ chainID ‖ u64 challengeID ‖ nonce
func VRFMessage(chainID string, challengeID uint64, nonce Hash) []byte {
	return newHasher(tagVRF, 4+len(chainID)+8+32).
		u32(uint32(len(chainID))).bytes([]byte(chainID)).u64(challengeID).bytes(nonce[:]).buf
}

// Secrets are the values of one challenge, each SHA-256(tag ‖ σ) of the
// verifier's VRF proof σ with its own tag ("loopin/pocps/v2/<name>"). The
// verifier reveals each only when its step comes (docs/pocps.md §14): the
// residency nonce when it asks for the walk, the residency secret after
// the root is signed, the GEMM seed when it asks for the GEMM, the GEMM
// secret after the roots are signed; σ itself only in the report. None of
// them tells the device another, so no step can be prepared before it is
// asked for, and the audit of a step is unknown until its commitment.
type Secrets struct {
	// SetupSeed seeds a setup challenge's samples (setup-seed).
	SetupSeed Hash
	// ResidencyNonce and ResidencySecret are the walk's nonce and audit
	// secret (residency-nonce, residency-secret).
	ResidencyNonce, ResidencySecret Hash
	// GemmSeed and GemmSecret are the GEMM's seed and audit secret
	// (gemm-seed, gemm-secret).
	GemmSeed, GemmSecret Hash
	// Columns seeds the column blocks the chain recomputes for a pass
	// (columns); the device never learns it before the report.
	Columns Hash
}

// SecretsFromVRF derives a challenge's Secrets from the VRF proof σ.
func SecretsFromVRF(vrfProof []byte) Secrets {
	h := func(tag string) Hash { return newHasher(tag, len(vrfProof)).bytes(vrfProof).sum() }
	return Secrets{
		SetupSeed:      h(tagSetupSeed),
		ResidencyNonce: h(tagResNonce), ResidencySecret: h(tagResSecret),
		GemmSeed: h(tagGemmSeed), GemmSecret: h(tagGemmSec),
		Columns: h(tagColumns),
	}
}

// NextBeacon mixes a verifier's VRF output into the chain's randomness
// beacon: SHA-256("loopin/pocps/v2/beacon" ‖ beacon ‖ SHA-256(σ)).
func NextBeacon(beacon []byte, vrfProof []byte) Hash {
	out := sha256.Sum256(vrfProof)
	return newHasher(tagBeacon, len(beacon)+32).bytes(beacon).bytes(out[:]).sum()
}

// BlockDrawSeed is the seed of a block's draws (verifier assignment,
// schedule offsets): SHA-256("loopin/pocps/v2/beacon-block" ‖ beacon at
// the block's start ‖ u64 height). It does not depend on the block's
// header or transactions, so its proposer cannot grind it.
func BlockDrawSeed(beacon []byte, height int64) Hash {
	return newHasher(tagBeaconMix, len(beacon)+8).bytes(beacon).u64(uint64(height)).sum()
}
