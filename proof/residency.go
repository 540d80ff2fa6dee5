package proof

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// Residency (docs/pocps.md §5, format v2): W independent walks of S
// dependent block reads over the sealed layer P, from the verifier's nonce.
// A walk's state x is 256 bits, eight u32 lanes; each step reads an aligned
// block of B = Params.Block() contiguous labels (B·32 bytes, a whole subtree
// of P's Merkle tree) and folds every 32-bit word of it into x:
//
//	x_0      = lanes of H("loopin/pocps/v2/walk-start" ‖ nonce ‖ u32 w)   (u32 big-endian)
//	a_s      = B · ((u64(x_s[0]) << 32 | x_s[1]) mod (N/B))
//	v_j      = u32 little-endian of bytes 4j..4j+3 of P[a_s] ‖ … ‖ P[a_s+B−1],  j = 0 … 8B−1
//	fold v_j : i = j mod 8;  x[i] = rotl(x[i] ⊕ v_j, 11) · 0x9E3779B1;  x[(i+1) mod 8] += x[i]   (mod 2^32)
//	x_{s+1}  = x_s after folding v_0 … v_{8B−1}
//	y_w      = H("loopin/pocps/v2/walk-end" ‖ x_S[0] ‖ … ‖ x_S[7])   (u32 big-endian)
//
// Each fold is a bijection of the state for a fixed word and of the word for
// a fixed state, so the next address depends on every byte of the block and
// no part of a block can be skipped. A step costs 4 integer operations per
// 4 bytes read and one hash per walk, so the walk's time is memory traffic:
// W·S·B·32 bytes at random aligned addresses, the figure §9 compares
// between HBM and a seal held across PCIe. The device commits
// root = Merkle(leaf(y_0), …, leaf(y_{W−1})) before it learns which walks
// are audited:
//
//	audit  = H("loopin/pocps/v1/audit-residency" ‖ nonce ‖ root ‖ verifierSecret)
//	walk j = draw(audit, j) mod W
//
// verifierSecret is the verifier's, revealed to the device only after the
// root, so the device cannot grind the root to dodge the audit.

// ErrBadWalk is returned when an audited walk does not replay to its result.
var ErrBadWalk = errors.New("residency walk does not replay to the committed result")

// WalkState is the 256-bit state x of a residency walk: eight u32 lanes
// (docs/pocps.md §5).
type WalkState [8]uint32

// Mixing constants of the walk fold (docs/pocps.md §5): the rotation and
// the odd multiplier (⌊2^32/φ⌋ rounded to odd), both part of the format.
const (
	walkRotate = 11
	walkMul    = 0x9E3779B1
)

// WalkStart is x_0 of walk w: the eight big-endian u32 lanes of
// H("loopin/pocps/v2/walk-start" ‖ nonce ‖ u32 w).
func WalkStart(nonce Hash, w uint32) WalkState {
	h := newHasher(tagWalkStart, 36).bytes(nonce[:]).u32(w).sum()
	var x WalkState
	for i := range x {
		x[i] = binary.BigEndian.Uint32(h[4*i:])
	}
	return x
}

// WalkAddress is a_s, the first label of the block a walk in state x reads
// next: B·(fmix64(z) mod (N/B)), a multiple of B = p.Block() below
// p.Labels, where z folds the eight lanes,
//
//	z = u64(x[0] ⊕ x[2] ⊕ x[4] ⊕ x[6]) | u64(x[1] ⊕ x[3] ⊕ x[5] ⊕ x[7]) << 32,
//
// and fmix64 is MurmurHash3's 64-bit finalizer (z ⊕= z≫33; z ·= 0xff51afd7ed558ccd;
// z ⊕= z≫33; z ·= 0xc4ceb9fe1a85ec53; z ⊕= z≫33), whose avalanche makes
// every bit of every lane — so every word of the block just read — reach
// the address bits: without it the low bits of one lane, which the mix's
// multiplications do not feed from above, would be the address, and a
// device could issue the next read before the block's last words arrived
// (docs/pocps.md §5). p must be valid (N/B a power of two ≥ 1).
func WalkAddress(p Params, x WalkState) uint64 {
	blocks := p.Labels / p.Block()
	z := uint64(x[0]^x[2]^x[4]^x[6]) | uint64(x[1]^x[3]^x[5]^x[7])<<32
	z ^= z >> 33
	z *= 0xff51afd7ed558ccd
	z ^= z >> 33
	z *= 0xc4ceb9fe1a85ec53
	z ^= z >> 33
	return p.Block() * (z % blocks)
}

// WalkStep folds a block of labels (B labels, P[a_s] … P[a_s+B−1]) into x
// and returns x_{s+1}: word j of the block (u32 little-endian) goes to lane
// j mod 8, x[i] = rotl(x[i] ⊕ v, 11)·0x9E3779B1, then x[i+1 mod 8] += x[i].
func WalkStep(x WalkState, block []Hash) WalkState {
	for _, label := range block {
		for i := 0; i < 8; i++ {
			v := binary.LittleEndian.Uint32(label[4*i:])
			x[i] = bits.RotateLeft32(x[i]^v, walkRotate) * walkMul
			x[(i+1)&7] += x[i]
		}
	}
	return x
}

// WalkEnd is the walk result y_w = H("loopin/pocps/v2/walk-end" ‖ x[0] ‖ …
// ‖ x[7]), lanes u32 big-endian.
func WalkEnd(x WalkState) Hash {
	h := newHasher(tagWalkEnd, 32)
	for _, v := range x {
		h.u32(v)
	}
	return h.sum()
}

// Walk runs walk w over the sealed layer (p.Labels labels) and returns y_w.
// It is the CPU reference of the residency kernel `walk`.
func Walk(p Params, sealed []Hash, nonce Hash, w uint32) Hash {
	b := p.Block()
	x := WalkStart(nonce, w)
	for s := uint32(0); s < p.Steps; s++ {
		a := WalkAddress(p, x)
		x = WalkStep(x, sealed[a:a+b])
	}
	return WalkEnd(x)
}

// ResidencyRun is the prover's result of one residency challenge.
type ResidencyRun struct {
	Nonce   Hash
	Results []Hash // y_w for every walk
	Tree    *Tree  // over leaf(y_w)
}

// Root is the residency commitment sent to the verifier.
func (r *ResidencyRun) Root() Hash { return r.Tree.Root() }

// Residency runs all W walks on the CPU and commits them.
func (s *Sealing) Residency(nonce Hash) (*ResidencyRun, error) {
	p := s.Params
	sealed := s.Sealed()
	results := make([]Hash, p.Walks)
	leaves := make([]Hash, p.Walks)
	for w := range results {
		results[w] = Walk(p, sealed, nonce, uint32(w))
		leaves[w] = LeafHash(results[w][:])
	}
	tree, err := NewTree(leaves)
	if err != nil {
		return nil, err
	}
	return &ResidencyRun{Nonce: nonce, Results: results, Tree: tree}, nil
}

// ResidencyAudit returns the walks audited for a committed root.
func ResidencyAudit(p Params, nonce, root, verifierSecret Hash) []uint32 {
	audit := newHasher(tagAuditRes, 96).bytes(nonce[:]).bytes(root[:]).bytes(verifierSecret[:]).sum()
	walks := make([]uint32, p.Samples)
	for j := range walks {
		walks[j] = uint32(sampleIndex(tagSample, audit, uint32(j), uint64(p.Walks)))
	}
	return walks
}

// BlockOpening proves one walk step's read: the B labels of the aligned
// block starting at Index (a multiple of B), with the path of their
// subtree root to the seal root (log2(N/B) hashes, bottom-up).
type BlockOpening struct {
	Index  uint64
	Labels []Hash
	Path   []Hash
}

// WalkOpening proves one walk: its result with a path to the residency
// root, and the S blocks it read, each with the path of its subtree root
// to the seal root.
type WalkOpening struct {
	Walk       uint32
	Result     Hash
	ResultPath []Hash
	Reads      []BlockOpening
}

// ResidencyProof answers the audit of a residency challenge.
type ResidencyProof struct {
	Walks []WalkOpening
}

// OpenResidency returns the openings of the audited walks.
func (s *Sealing) OpenResidency(run *ResidencyRun, walks []uint32) *ResidencyProof {
	proof, err := s.View().OpenResidency(run, walks)
	if err != nil {
		panic("proof: opening an in-memory seal: " + err.Error())
	}
	return proof
}

// VerifyResidency checks the audited walks of a residency commitment root
// against the seal root. It returns nil, or an error wrapping
// ErrSampleMismatch, ErrBadPath or ErrBadWalk naming the failing walk. The
// timing is the verifier's to judge; this checks only the answers.
func VerifyResidency(p Params, sealRoot, nonce, root, verifierSecret Hash, proof *ResidencyProof) error {
	if err := p.Validate(); err != nil {
		return err
	}
	want := ResidencyAudit(p, nonce, root, verifierSecret)
	if proof == nil || len(proof.Walks) != len(want) {
		return fmt.Errorf("%w: want %d audited walks", ErrSampleMismatch, len(want))
	}
	for j, o := range proof.Walks {
		if o.Walk != want[j] {
			return fmt.Errorf("walk sample %d: %w: opened walk %d, audit selects %d", j, ErrSampleMismatch, o.Walk, want[j])
		}
		if err := verifyWalk(p, sealRoot, nonce, root, o); err != nil {
			return err
		}
	}
	return nil
}

// verifyWalk replays one opened walk: its result's path to root, and for
// each step that the block opened is the one the state selects, whole (B
// labels), and that its subtree root sits at that place in the seal tree.
func verifyWalk(p Params, sealRoot, nonce, root Hash, o WalkOpening) error {
	b := p.Block()
	blockDepth, walkDepth := p.Depth()-log2(b), log2(uint64(p.Walks))
	if err := VerifyPath(root, LeafHash(o.Result[:]), uint64(o.Walk), walkDepth, o.ResultPath); err != nil {
		return fmt.Errorf("walk %d result: %w", o.Walk, err)
	}
	if len(o.Reads) != int(p.Steps) {
		return fmt.Errorf("walk %d: %w: %d reads opened, %d steps", o.Walk, ErrSampleMismatch, len(o.Reads), p.Steps)
	}
	x := WalkStart(nonce, o.Walk)
	for st, rd := range o.Reads {
		if a := WalkAddress(p, x); rd.Index != a {
			return fmt.Errorf("walk %d step %d: %w: opened block at label %d, the walk reads %d", o.Walk, st, ErrSampleMismatch, rd.Index, a)
		}
		if uint64(len(rd.Labels)) != b {
			return fmt.Errorf("walk %d step %d: %w: %d labels opened, a block has %d", o.Walk, st, ErrSampleMismatch, len(rd.Labels), b)
		}
		if err := VerifyPath(sealRoot, blockRoot(rd.Labels), rd.Index/b, blockDepth, rd.Path); err != nil {
			return fmt.Errorf("walk %d step %d block: %w", o.Walk, st, err)
		}
		x = WalkStep(x, rd.Labels)
	}
	if WalkEnd(x) != o.Result {
		return fmt.Errorf("walk %d: %w", o.Walk, ErrBadWalk)
	}
	return nil
}

// blockRoot is the root of the Merkle subtree over an aligned block of
// labels (a power-of-two count ≥ 1): the node a walk read or a GEMM row
// opens against the seal root.
func blockRoot(labels []Hash) Hash {
	lvl := make([]Hash, len(labels))
	for q, l := range labels {
		lvl[q] = LeafHash(l[:])
	}
	for len(lvl) > 1 {
		for i := 0; i < len(lvl)/2; i++ {
			lvl[i] = NodeHash(lvl[2*i], lvl[2*i+1])
		}
		lvl = lvl[:len(lvl)/2]
	}
	return lvl[0]
}
