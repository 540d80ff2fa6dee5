package proof

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// Throughput (docs/pocps.md §6): R chained rounds of an int8 GEMM with exact
// int32 accumulation, C_t = A_t · B_t, with A_t (m×n) gathered from the seal
// and B_t (n×n) from the PRG:
//
//	B_t         = PRG(SHA-256("loopin/pocps/v1/gemm-b" ‖ seed ‖ u32 t)), n² bytes, row-major, int8
//	prev_0      = seed,  prev_{t+1} = root_t
//	w           = n/32 (labels per row; n is a power of two, so w is too)
//	g_{t,r}     = w · (u64(SHA-256("loopin/pocps/v1/gather" ‖ prev_t ‖ u32 r)[0:8]) mod (N/w))
//	A_t[r]      = P[g] ‖ P[g+1] ‖ … ‖ P[g+w−1], as n int8
//	seg_{t,r,j} = SHA-256("loopin/pocps/v2/row-segment" ‖ u32 j ‖ C_t[r][256j..256j+255] as little-endian int32)
//	leaf_{t,r}  = leaf(seg_{t,r,0} ‖ … ‖ seg_{t,r,K−1}),  K = max(1, n/256)  (RowLeaf)
//	root_t      = Merkle(leaf_{t,0}, …, leaf_{t,m−1})
//
// Round t+1's rows depend on round t's root, so the rounds cannot run ahead
// or be precomputed, and each needs the seal. The verifier audits k (round,
// row) pairs. The rounds depend only on its secret, so that it can compute
// the Freivalds vectors of those rounds before it sends the challenge; the
// rows also depend on the roots, so the device learns neither in time:
//
//	roundSeed = SHA-256("loopin/pocps/v1/audit-gemm" ‖ seed ‖ verifierSecret)
//	rowSeed   = SHA-256("loopin/pocps/v1/audit-gemm" ‖ seed ‖ root_0 ‖ … ‖ root_{R−1} ‖ verifierSecret)
//	pair j: round = draw(roundSeed, j) mod R, row = draw(rowSeed, j) mod m
//
// with Freivalds' check over F_p, p = 2^61−1: the verifier's secret vector
// x_t (PRG of SHA-256("loopin/pocps/v1/freivalds" ‖ verifierSecret ‖ u32 t),
// 8 bytes big-endian per entry, mod p) and y_t = B_t·x_t (O(n²) per audited
// round) are computed before the challenge is sent; a row is accepted when
// C_t[r]·x_t ≡ A_t[r]·y_t (mod p).
// That costs O(n) per audited row. A wrong row passes with probability at
// most 1/p; a device that skips a fraction f of the rows passes k audits with
// probability about (1−f)^k. W = R·2·m·n² / elapsed (ops/s).

// ErrFreivalds is returned when an opened GEMM row fails Freivalds' check.
var ErrFreivalds = errors.New("GEMM row fails Freivalds' check")

// GemmBSeed is the PRG key of B_t: SHA-256("loopin/pocps/v1/gemm-b" ‖ seed ‖ u32 t).
func GemmBSeed(seed Hash, t uint32) Hash {
	return newHasher(tagGemmB, 36).bytes(seed[:]).u32(t).sum()
}

// GemmB returns B_t for seed, n×n int8 row-major.
func GemmB(p Params, seed Hash, t uint32) []int8 {
	n := int(p.GemmDim)
	raw := make([]byte, n*n)
	PRGBytes(GemmBSeed(seed, t), raw)
	b := make([]int8, n*n)
	for i, v := range raw {
		b[i] = int8(v)
	}
	return b
}

// RowLabels is w = n/32, the number of seal labels in a row of A.
func (p Params) RowLabels() uint64 { return uint64(p.GemmDim / LabelSize) }

// GatherIndex is the first seal label of row r in the round whose previous
// commitment is prev; it is a multiple of RowLabels.
func GatherIndex(p Params, prev Hash, r uint32) uint64 {
	w := p.RowLabels()
	return w * sampleIndex(tagGather, prev, r, p.Labels/w)
}

// gatherRow writes the n int8 of A[r] into dst.
func gatherRow(p Params, sealed []Hash, g uint64, dst []int8) {
	for q := uint64(0); q < p.RowLabels(); q++ {
		label := sealed[g+q]
		for b, v := range label {
			dst[q*LabelSize+uint64(b)] = int8(v)
		}
	}
}

// RowSegment is the number of int32 entries in one segment of an output
// row (1 KiB): the unit the row leaf hashes in parallel (docs/pocps.md §6).
const RowSegment = 256

// RowSegments is K, the number of segments of an n-entry output row:
// n/256, and 1 for n < 256.
func RowSegments(n int) int { return max(1, n/RowSegment) }

// SegmentHash is seg_j = H("loopin/pocps/v2/row-segment" ‖ u32 j ‖ entries
// as little-endian int32) for segment j of an output row (256 entries, or
// the whole row when it is shorter; docs/pocps.md §6).
func SegmentHash(j uint32, entries []int32) Hash {
	h := newHasher(tagRowSegment, 4+4*len(entries)).u32(j)
	for _, v := range entries {
		h.buf = binary.LittleEndian.AppendUint32(h.buf, uint32(v))
	}
	return h.sum()
}

// RowLeaf is the Merkle leaf of an output row of n int32 entries, format v2
// (docs/pocps.md §6): leaf(seg_0 ‖ … ‖ seg_{K−1}) with K = RowSegments(n)
// and seg_j = SegmentHash(j, row[256j : 256j+256]). The K segment hashes are
// independent, so a device hashes them in parallel and the serial part is
// one hash of 32·K bytes.
func RowLeaf(row []int32) Hash {
	k := RowSegments(len(row))
	seg := len(row) / k
	buf := make([]byte, 0, 32*k)
	for j := 0; j < k; j++ {
		h := SegmentHash(uint32(j), row[j*seg:(j+1)*seg])
		buf = append(buf, h[:]...)
	}
	return LeafHash(buf)
}

// GemmRun is the prover's result of one throughput challenge.
type GemmRun struct {
	Seed  Hash
	Roots []Hash
	Trees []*Tree
	// C[t] is round t's output, m×n int32 row-major.
	C [][]int32
}

// Gemm runs all R rounds on the CPU (the reference of the GEMM kernel).
func (s *Sealing) Gemm(seed Hash) (*GemmRun, error) {
	p := s.Params
	m, n := int(p.GemmRows), int(p.GemmDim)
	sealed := s.Sealed()
	run := &GemmRun{Seed: seed}
	prev := seed
	a := make([]int8, n)
	for t := uint32(0); t < p.Rounds; t++ {
		b := GemmB(p, seed, t)
		c := make([]int32, m*n)
		leaves := make([]Hash, m)
		for r := 0; r < m; r++ {
			leaves[r] = GemmRow(p, sealed, prev, b, uint32(r), a, c[r*n:(r+1)*n])
		}
		tree, err := NewTree(leaves)
		if err != nil {
			return nil, err
		}
		run.Trees = append(run.Trees, tree)
		run.Roots = append(run.Roots, tree.Root())
		run.C = append(run.C, c)
		prev = tree.Root()
	}
	return run, nil
}

// GemmRow computes output row r of a round, C[r] = A[r]·B, into row (n
// entries, zeroed by the caller), gathering A[r] from the seal with prev as
// the previous commitment (a is n bytes of scratch), and returns the row's
// Merkle leaf. It is the CPU reference of the gather, GEMM and row-leaf
// kernels, shared by every CPU prover.
func GemmRow(p Params, sealed []Hash, prev Hash, b []int8, r uint32, a []int8, row []int32) Hash {
	gatherRow(p, sealed, GatherIndex(p, prev, r), a)
	mulRow(int(p.GemmDim), a, b, row)
	return RowLeaf(row)
}

// mulRow adds a·B to row: a has n int8 entries, B is n×n row-major.
func mulRow(n int, a, b []int8, row []int32) {
	for k := 0; k < n; k++ {
		ak := int32(a[k])
		if ak == 0 {
			continue
		}
		for j, bv := range b[k*n : (k+1)*n] {
			row[j] += ak * int32(bv)
		}
	}
}

// RowRef names one audited GEMM output row.
type RowRef struct {
	Round, Row uint32
}

// GemmAuditRounds returns the round of each of the k audited rows. They
// depend on the seed and the verifier's secret only, so the verifier knows
// them (and precomputes their Freivalds vectors) before the challenge.
func GemmAuditRounds(p Params, seed, verifierSecret Hash) []uint32 {
	audit := newHasher(tagAuditGemm, 64).bytes(seed[:]).bytes(verifierSecret[:]).sum()
	rounds := make([]uint32, p.Samples)
	for j := range rounds {
		rounds[j] = uint32(sampleIndex(tagSample, audit, uint32(j), uint64(p.Rounds)))
	}
	return rounds
}

// GemmAudit returns the rows audited for the committed roots.
func GemmAudit(p Params, seed Hash, roots []Hash, verifierSecret Hash) []RowRef {
	h := newHasher(tagAuditGemm, 64+32*len(roots)).bytes(seed[:])
	for _, r := range roots {
		h.bytes(r[:])
	}
	audit := h.bytes(verifierSecret[:]).sum()
	rounds := GemmAuditRounds(p, seed, verifierSecret)
	refs := make([]RowRef, p.Samples)
	for j := range refs {
		refs[j] = RowRef{
			Round: rounds[j],
			Row:   uint32(sampleIndex(tagSample, audit, uint32(j), uint64(p.GemmRows))),
		}
	}
	return refs
}

// GemmRowOpening proves one output row: the row with its path to root_t,
// and the w seal labels of A_t[r] with the path of their subtree's root to
// the seal root.
type GemmRowOpening struct {
	Ref   RowRef
	C     []int32
	CPath []Hash
	A     []Hash
	APath []Hash
}

// GemmProof answers the audit of a throughput challenge.
type GemmProof struct {
	Rows []GemmRowOpening
}

// OpenGemm returns the openings of the audited rows.
func (s *Sealing) OpenGemm(run *GemmRun, refs []RowRef) *GemmProof {
	proof, err := s.View().OpenGemm(run, refs, nil)
	if err != nil {
		panic("proof: opening an in-memory seal: " + err.Error())
	}
	return proof
}

// Freivalds holds the verifier's secret vectors x_t and y_t = B_t·x_t for
// the audited rounds of one challenge. NewFreivalds computes them in O(n²)
// per round, before the challenge is sent; each audited row then costs O(n).
type Freivalds struct {
	X, Y map[uint32][]uint64
}

// NewFreivalds computes x_t and y_t for the given rounds: normally
// GemmAuditRounds(p, seed, verifierSecret); nil means every round.
func NewFreivalds(p Params, seed, verifierSecret Hash, rounds []uint32) *Freivalds {
	if rounds == nil {
		for t := uint32(0); t < p.Rounds; t++ {
			rounds = append(rounds, t)
		}
	}
	f := &Freivalds{X: map[uint32][]uint64{}, Y: map[uint32][]uint64{}}
	n := int(p.GemmDim)
	for _, t := range rounds {
		if _, done := f.X[t]; done {
			continue
		}
		raw := make([]byte, 8*n)
		PRGBytes(newHasher(tagFreivalds, 36).bytes(verifierSecret[:]).u32(t).sum(), raw)
		x := make([]uint64, n)
		for j := range x {
			x[j] = binary.BigEndian.Uint64(raw[8*j:]) % P61
		}
		b := GemmB(p, seed, t)
		y := make([]uint64, n)
		for k := 0; k < n; k++ {
			var acc uint64
			for j, bv := range b[k*n : (k+1)*n] {
				acc = addmod61(acc, mulmod61(fieldInt(int64(bv)), x[j]))
			}
			y[k] = acc
		}
		f.X[t], f.Y[t] = x, y
	}
	return f
}

// VerifyGemm checks the audited rows of a throughput commitment (roots)
// against the seal root. f holds the verifier's vectors; nil computes them
// for the audited rounds only (the chain's re-check). It returns nil, or an
// error wrapping ErrSampleMismatch, ErrBadPath or ErrFreivalds.
func VerifyGemm(p Params, sealRoot, seed Hash, roots []Hash, verifierSecret Hash, proof *GemmProof, f *Freivalds) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if len(roots) != int(p.Rounds) {
		return fmt.Errorf("%w: %d round roots, params say %d rounds", ErrSampleMismatch, len(roots), p.Rounds)
	}
	refs := GemmAudit(p, seed, roots, verifierSecret)
	if proof == nil || len(proof.Rows) != len(refs) {
		return fmt.Errorf("%w: want %d audited rows", ErrSampleMismatch, len(refs))
	}
	if f == nil {
		rounds := make([]uint32, len(refs))
		for j, r := range refs {
			rounds[j] = r.Round
		}
		f = NewFreivalds(p, seed, verifierSecret, rounds)
	}
	for j, o := range proof.Rows {
		ref := refs[j]
		if err := verifyRowOpening(p, sealRoot, seed, roots, j, ref, o); err != nil {
			return err
		}
		if err := VerifyRowFreivalds(o, f); err != nil {
			return err
		}
	}
	return nil
}

// VerifyRowFreivalds runs Freivalds' check C_t[r]·x_t ≡ A_t[r]·y_t (mod p)
// on one opened row whose paths were checked. Errors: ErrFreivalds, or no
// vector for the row's round in f.
func VerifyRowFreivalds(o GemmRowOpening, f *Freivalds) error {
	ref := o.Ref
	x, y := f.X[ref.Round], f.Y[ref.Round]
	if x == nil || len(y) < len(o.A)*LabelSize || len(x) < len(o.C) {
		return fmt.Errorf("row %+v: no Freivalds vector for round %d", ref, ref.Round)
	}
	var lhs, rhs uint64
	for q, a := range o.A {
		for b, v := range a {
			rhs = addmod61(rhs, mulmod61(fieldInt(int64(int8(v))), y[q*LabelSize+b]))
		}
	}
	for jj, c := range o.C {
		lhs = addmod61(lhs, mulmod61(fieldInt(int64(c)), x[jj]))
	}
	if lhs != rhs {
		return fmt.Errorf("row %+v: %w", ref, ErrFreivalds)
	}
	return nil
}

// verifyRowOpening checks that the j-th opened row is the audited ref, that
// its output sits in root_t and that its w labels form the aligned subtree
// of the seal that round t gathers for row r.
func verifyRowOpening(p Params, sealRoot, seed Hash, roots []Hash, j int, ref RowRef, o GemmRowOpening) error {
	if o.Ref != ref {
		return fmt.Errorf("row sample %d: %w: opened %+v, audit selects %+v", j, ErrSampleMismatch, o.Ref, ref)
	}
	w := p.RowLabels()
	if len(o.C) != int(p.GemmDim) || uint64(len(o.A)) != w {
		return fmt.Errorf("row %+v: %w: wrong row or label count", ref, ErrSampleMismatch)
	}
	if err := VerifyPath(roots[ref.Round], RowLeaf(o.C), uint64(ref.Row), log2(uint64(p.GemmRows)), o.CPath); err != nil {
		return fmt.Errorf("row %+v output: %w", ref, err)
	}
	prev := seed
	if ref.Round > 0 {
		prev = roots[ref.Round-1]
	}
	g := GatherIndex(p, prev, ref.Row)
	if err := VerifyPath(sealRoot, blockRoot(o.A), g/w, p.Depth()-log2(w), o.APath); err != nil {
		return fmt.Errorf("row %+v labels: %w", ref, err)
	}
	return nil
}

// fieldInt maps a small signed integer into F_p.
func fieldInt(v int64) uint64 {
	if v >= 0 {
		return uint64(v) % P61
	}
	return P61 - uint64(-v)%P61
}

// mulmod61 returns a·b mod 2^61−1 for a, b < p, using 2^64 ≡ 8 (mod p).
func mulmod61(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	r := (lo & P61) + (lo >> 61) + (hi << 3)
	for r >= P61 {
		r -= P61
	}
	return r
}

func addmod61(a, b uint64) uint64 {
	r := a + b
	if r >= P61 {
		r -= P61
	}
	return r
}
