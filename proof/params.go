package proof

import (
	"errors"
	"fmt"
	"time"
)

// LabelSize is the size of one seal label in bytes.
const LabelSize = 32

// P61 is the Freivalds modulus p = 2^61 − 1 (a Mersenne prime).
const P61 uint64 = 1<<61 - 1

// ErrInvalidParams is returned by Params.Validate.
var ErrInvalidParams = errors.New("invalid PoCPS parameters")

// Params size one device's PoCPS work. They are per GPU class (x/pools
// carries them per pool); DefaultParams gives the genesis classes' values.
type Params struct {
	// Labels is N, the number of 32-byte labels per layer (a power of two).
	// The seal P is the last layer: Labels·32 bytes of device memory.
	Labels uint64 `json:"labels"`
	// Layers is the number of labeling layers (≥ 1); layer 0 has no parents.
	Layers uint32 `json:"layers"`
	// Parents is d, the number of layer ℓ−1 labels each label of layer ℓ
	// hashes (≥ 1).
	Parents uint32 `json:"parents"`
	// Samples is k, the number of openings audited per challenge (≥ 1).
	Samples uint32 `json:"samples"`
	// Walks is W, the number of independent residency walks (a power of two).
	Walks uint32 `json:"walks"`
	// Steps is S, the number of dependent reads of each walk (≥ 1).
	Steps uint32 `json:"steps"`
	// WalkBlock is B, the labels each walk step reads (docs/pocps.md §5): an
	// aligned block of B contiguous labels, B·32 bytes, a whole subtree of
	// P's Merkle tree. A power of two in [1, 256] and at most Labels; 0
	// means DefaultWalkBlock (the seal records of x/pools and x/pocps do not
	// store it). Read it with Block.
	WalkBlock uint32 `json:"walk_block,omitempty"`
	// GemmRows is m, the rows of each GEMM round (a power of two).
	GemmRows uint32 `json:"gemm_rows"`
	// GemmDim is n, the inner and output dimension of each GEMM round (a
	// power of two ≥ 32, so that a row of A is an aligned block of n/32
	// labels: a whole subtree of the seal's Merkle tree).
	GemmDim uint32 `json:"gemm_dim"`
	// Rounds is R, the number of chained GEMM rounds (≥ 1).
	Rounds uint32 `json:"rounds"`
}

// DefaultWalkBlock is B when Params.WalkBlock is 0: 8 labels, 256 bytes
// per walk step (docs/pocps.md §5, §9).
const DefaultWalkBlock = 8

// Block is B, the labels one walk step reads: WalkBlock, or
// DefaultWalkBlock when WalkBlock is 0.
func (p Params) Block() uint64 {
	if p.WalkBlock == 0 {
		return DefaultWalkBlock
	}
	return uint64(p.WalkBlock)
}

// SealBytes is the size of the sealed layer P in bytes.
func (p Params) SealBytes() uint64 { return p.Labels * LabelSize }

// Depth is the depth of a layer's Merkle tree (log2 Labels).
func (p Params) Depth() int { return log2(p.Labels) }

// GemmOps is the work of one GEMM challenge, R·2·m·n² int8 operations.
func (p Params) GemmOps() uint64 {
	return uint64(p.Rounds) * 2 * uint64(p.GemmRows) * uint64(p.GemmDim) * uint64(p.GemmDim)
}

// Validate checks the structural constraints above. It returns an error
// wrapping ErrInvalidParams that names the first bad field.
func (p Params) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidParams, fmt.Sprintf(format, a...))
	}
	switch {
	case !isPow2(p.Labels) || p.Labels < 2:
		return bad("labels must be a power of two ≥ 2, got %d", p.Labels)
	case p.Labels > 1<<40:
		return bad("labels must be at most 2^40 (32 TiB), got %d", p.Labels)
	case p.Layers < 1 || p.Layers > 64:
		return bad("layers must be in [1, 64], got %d", p.Layers)
	case p.Parents < 1 || p.Parents > 64:
		return bad("parents must be in [1, 64], got %d", p.Parents)
	case p.Samples < 1 || p.Samples > 1024:
		return bad("samples must be in [1, 1024], got %d", p.Samples)
	case !isPow2(uint64(p.Walks)):
		return bad("walks must be a power of two, got %d", p.Walks)
	case p.Steps < 1 || p.Steps > 1<<16:
		return bad("steps must be in [1, 65536], got %d", p.Steps)
	case p.WalkBlock != 0 && (!isPow2(uint64(p.WalkBlock)) || p.WalkBlock > 256):
		return bad("walk_block must be 0 (default %d) or a power of two in [1, 256], got %d", DefaultWalkBlock, p.WalkBlock)
	case p.Block() > p.Labels:
		return bad("a walk block (%d labels) must fit in the seal (%d labels)", p.Block(), p.Labels)
	case !isPow2(uint64(p.GemmRows)):
		return bad("gemm_rows must be a power of two, got %d", p.GemmRows)
	case p.GemmDim < 32 || !isPow2(uint64(p.GemmDim)) || p.GemmDim > 1<<16:
		return bad("gemm_dim must be a power of two in [32, 65536], got %d", p.GemmDim)
	case uint64(p.GemmDim/LabelSize) > p.Labels:
		return bad("a GEMM row (%d labels) must fit in the seal (%d labels)", p.GemmDim/LabelSize, p.Labels)
	case p.Rounds < 1 || p.Rounds > 1<<16:
		return bad("rounds must be in [1, 65536], got %d", p.Rounds)
	}
	return nil
}

// TinyParams are for tests and the localnet: a 32 KiB seal that a CPU seals
// in milliseconds. They prove nothing about hardware.
func TinyParams() Params {
	return Params{
		Labels: 1 << 10, Layers: 3, Parents: 6, Samples: 8,
		Walks: 64, Steps: 8, GemmRows: 32, GemmDim: 64, Rounds: 2,
	}
}

// ErrLate is returned by VerifyDeadline when an answer took longer than the
// class deadline: the proof may be valid, but a device that needed that long
// did not hold the seal where it claims to.
var ErrLate = errors.New("answer arrived after the deadline")

// VerifyDeadline rejects an answer measured (on the verifier's own clock) to
// have taken longer than deadline. It returns nil or an error wrapping ErrLate.
func VerifyDeadline(elapsed, deadline time.Duration) error {
	if elapsed > deadline {
		return fmt.Errorf("%w: %s > %s", ErrLate, elapsed, deadline)
	}
	return nil
}
