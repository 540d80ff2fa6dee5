package proof

import (
	"crypto/sha256"
	"encoding/binary"
)

// Hash is a SHA-256 digest: a label, a Merkle node, a seed or a nonce.
type Hash = [32]byte

// Domain tags: the first bytes of every hash input (docs/pocps.md §1).
const (
	tagLabel      = "loopin/pocps/v1/label"
	tagParents    = "loopin/pocps/v1/parents"
	tagPRG        = "loopin/pocps/v1/prg"
	tagSample     = "loopin/pocps/v1/sample"
	tagWalkStart  = "loopin/pocps/v2/walk-start"
	tagWalkEnd    = "loopin/pocps/v2/walk-end"
	tagRowSegment = "loopin/pocps/v2/row-segment"
	tagGather     = "loopin/pocps/v1/gather"
	tagGemmB      = "loopin/pocps/v1/gemm-b"
	tagFreivalds  = "loopin/pocps/v1/freivalds"
	tagAuditSetup = "loopin/pocps/v2/audit-setup"
	tagAuditRes   = "loopin/pocps/v1/audit-residency"
	tagAuditGemm  = "loopin/pocps/v1/audit-gemm"
	tagDeviceKey  = "loopin/pocps/v1/device-key"
)

// hasher builds one domain-separated SHA-256 input.
type hasher struct {
	buf []byte
}

func newHasher(tag string, capacity int) *hasher {
	h := &hasher{buf: make([]byte, 0, len(tag)+capacity)}
	h.buf = append(h.buf, tag...)
	return h
}

func (h *hasher) bytes(b []byte) *hasher { h.buf = append(h.buf, b...); return h }
func (h *hasher) u32(v uint32) *hasher   { h.buf = binary.BigEndian.AppendUint32(h.buf, v); return h }
func (h *hasher) u64(v uint64) *hasher   { h.buf = binary.BigEndian.AppendUint64(h.buf, v); return h }
func (h *hasher) sum() Hash              { return sha256.Sum256(h.buf) }

// DeviceKey derives the public per-device key of x/pocps/README.md:
//
//	ek = SHA-256("loopin/pocps/v1/device-key" ‖ len‖chainID ‖ len‖owner ‖ fingerprint ‖ blockHash)
//
// owner is the owner's address bytes; fingerprint and blockHash are 32-byte
// hashes. The lengths (u32) keep the variable-length fields unambiguous.
func DeviceKey(chainID string, owner []byte, fingerprint, registrationBlockHash Hash) Hash {
	return newHasher(tagDeviceKey, 4+len(chainID)+4+len(owner)+64).
		u32(uint32(len(chainID))).bytes([]byte(chainID)).
		u32(uint32(len(owner))).bytes(owner).
		bytes(fingerprint[:]).bytes(registrationBlockHash[:]).sum()
}

// PRGBlock returns block ctr of the counter-mode PRG keyed by seed:
// SHA-256("loopin/pocps/v1/prg" ‖ seed ‖ u64 ctr), 32 bytes.
func PRGBlock(seed Hash, ctr uint64) Hash {
	return newHasher(tagPRG, 40).bytes(seed[:]).u64(ctr).sum()
}

// PRGBytes fills out with the PRG stream of seed from byte 0.
func PRGBytes(seed Hash, out []byte) {
	for ctr := uint64(0); len(out) > 0; ctr++ {
		b := PRGBlock(seed, ctr)
		out = out[copy(out, b[:]):]
	}
}

// sampleIndex returns the j-th audit draw from seed, reduced mod n (n > 0).
// With n a power of two the draw is unbiased; elsewhere the bias is below
// n/2^64.
func sampleIndex(tag string, seed Hash, j uint32, n uint64) uint64 {
	h := newHasher(tag, 36).bytes(seed[:]).u32(j).sum()
	return binary.BigEndian.Uint64(h[:8]) % n
}
