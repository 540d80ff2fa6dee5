package proof

import (
	"fmt"
)

// On-chain re-checks (docs/pocps.md §13). The verifier keeps the full audit
// (k openings) and submits a bounded sample of device-signed openings, each
// named by its audit position j, so the chain knows which walk or row each
// must be without trusting the verifier to choose it.

// VerifyWalkAt checks one opened walk at audit position j of a residency
// commitment exactly as VerifyResidency does. Errors: ErrSampleMismatch
// (position outside the audit, or not the walk it selects), ErrBadPath,
// ErrBadWalk.
func VerifyWalkAt(p Params, sealRoot, nonce, root, verifierSecret Hash, j uint32, o WalkOpening) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if j >= p.Samples {
		return fmt.Errorf("%w: audit position %d, the audit has %d", ErrSampleMismatch, j, p.Samples)
	}
	want := ResidencyAudit(p, nonce, root, verifierSecret)[j]
	if o.Walk != want {
		return fmt.Errorf("walk sample %d: %w: opened walk %d, audit selects %d", j, ErrSampleMismatch, o.Walk, want)
	}
	return verifyWalk(p, sealRoot, nonce, root, o)
}

// VerifyRowAt checks one opened GEMM row at audit position j without
// Freivalds' precomputation, as the chain can afford: its output and label
// paths, and a 32-column block of the row recomputed exactly,
// C_t[r][c..c+31] = A_t[r] · B_t[·, c..c+31], with the block
//
//	c = 32 · (u64(SHA-256("loopin/pocps/v1/sample" ‖ columnSeed ‖ u32 j)[0:8]) mod (n/32))
//
// chosen from columnSeed (Secrets.Columns of the verifier's VRF proof,
// which the device did not know when it signed the row). It costs n PRG blocks and
// 32·n multiply-adds. A row whose every entry is wrong is caught for sure;
// a row wrong in a fraction f of its entries with probability ≥ f — the
// verifier's Freivalds check catches it, and CheckRowEntry proves it.
// Errors: ErrSampleMismatch, ErrBadPath, ErrFreivalds.
func VerifyRowAt(p Params, sealRoot, seed Hash, roots []Hash, verifierSecret, columnSeed Hash, j uint32, o GemmRowOpening) error {
	ref, err := rowAt(p, sealRoot, seed, roots, verifierSecret, j, o)
	if err != nil {
		return err
	}
	c := int(ColumnBlockStart(p, columnSeed, j))
	block := columnBlock(p, seed, ref.Round, o.A, c)
	for col := range block {
		if got := o.C[c+col]; got != block[col] {
			return fmt.Errorf("row %+v column %d is %d, A·B gives %d: %w", ref, c+col, got, block[col], ErrFreivalds)
		}
	}
	return nil
}

// ColumnBlockStart is the first column c of the 32-column block VerifyRowAt
// recomputes for audit position j: 32·(u64(H("loopin/pocps/v1/sample" ‖
// columnSeed ‖ u32 j)[0:8]) mod (n/32)), in [0, n−32] (docs/pocps.md §13).
func ColumnBlockStart(p Params, columnSeed Hash, j uint32) uint32 {
	return uint32(32 * sampleIndex(tagSample, columnSeed, j, uint64(p.GemmDim/32)))
}

// CheckRowEntry checks one opened GEMM row at audit position j and the one
// entry C_t[r][column] the verifier names, recomputed exactly in O(n): one
// wrong entry is provable (docs/pocps.md §14). Errors: as VerifyRowAt;
// ErrFreivalds when the entry is wrong.
func CheckRowEntry(p Params, sealRoot, seed Hash, roots []Hash, verifierSecret Hash, j uint32, o GemmRowOpening, column uint32) error {
	ref, err := rowAt(p, sealRoot, seed, roots, verifierSecret, j, o)
	if err != nil {
		return err
	}
	if column >= p.GemmDim {
		return fmt.Errorf("%w: column %d of a %d-column row", ErrSampleMismatch, column, p.GemmDim)
	}
	if got, want := o.C[column], RowEntry(p, seed, ref.Round, o.A, int(column)); got != want {
		return fmt.Errorf("row %+v column %d is %d, A·B gives %d: %w", ref, column, got, want, ErrFreivalds)
	}
	return nil
}

// RowEntry computes C_t[r][col] = Σ_k A_t[r][k] · B_t[k][col] for the row
// labels a (n/32 labels, n int8 entries), as one entry of columnBlock: n
// PRG blocks and 32·n multiply-adds.
func RowEntry(p Params, seed Hash, round uint32, a []Hash, col int) int32 {
	return columnBlock(p, seed, round, a, col&^31)[col&31]
}

// columnBlock computes C_t[r][c..c+31] exactly (c a multiple of 32): B_t
// row k, columns c..c+31, is PRG block k·n/32 + c/32 of B_t's stream.
func columnBlock(p Params, seed Hash, round uint32, a []Hash, c int) [32]int32 {
	n := int(p.GemmDim)
	bseed := GemmBSeed(seed, round)
	var acc [32]int32
	for k := 0; k < n; k++ {
		ak := int32(int8(a[k/LabelSize][k%LabelSize]))
		if ak == 0 {
			continue
		}
		block := PRGBlock(bseed, uint64(k*n/32+c/32))
		for col := range acc {
			acc[col] += ak * int32(int8(block[col]))
		}
	}
	return acc
}

// WrongEntry recomputes a whole opened row (n² multiply-adds: the verifier
// does it only for a row that failed Freivalds' check) and returns the
// first column whose entry is wrong; ok is false when the row is right.
func WrongEntry(p Params, seed Hash, o GemmRowOpening) (column uint32, ok bool) {
	n := int(p.GemmDim)
	if len(o.C) != n || uint64(len(o.A)) != p.RowLabels() {
		return 0, false
	}
	a := make([]int8, n)
	for k := range a {
		a[k] = int8(o.A[k/LabelSize][k%LabelSize])
	}
	row := make([]int32, n)
	mulRow(n, a, GemmB(p, seed, o.Ref.Round), row)
	for j := range row {
		if row[j] != o.C[j] {
			return uint32(j), true
		}
	}
	return 0, false
}

// rowAt checks that o is the row audit position j selects, with valid
// paths, and returns its reference.
func rowAt(p Params, sealRoot, seed Hash, roots []Hash, verifierSecret Hash, j uint32, o GemmRowOpening) (RowRef, error) {
	if err := p.Validate(); err != nil {
		return RowRef{}, err
	}
	if j >= p.Samples || len(roots) != int(p.Rounds) {
		return RowRef{}, fmt.Errorf("%w: audit position %d (the audit has %d), %d roots (want %d)", ErrSampleMismatch, j, p.Samples, len(roots), p.Rounds)
	}
	ref := GemmAudit(p, seed, roots, verifierSecret)[j]
	return ref, verifyRowOpening(p, sealRoot, seed, roots, int(j), ref, o)
}
