package proof

import (
	"errors"
	"fmt"
)

// On-chain re-checks (docs/pocps.md §13). The verifier keeps the full audit
// (k openings) and submits a bounded sample: the first j audited walks and
// rows, in audit order, so the chain knows which positions the sample must
// cover without trusting the verifier to choose them.

// ErrEmptySample is returned for a sample with no openings.
var ErrEmptySample = errors.New("empty proof sample")

// VerifyResidencySample checks the first len(walks) audited walks of a
// residency commitment (1 ≤ len ≤ Samples) exactly as VerifyResidency does.
func VerifyResidencySample(p Params, sealRoot, nonce, root, verifierSecret Hash, walks []WalkOpening) error {
	if len(walks) == 0 {
		return ErrEmptySample
	}
	if len(walks) > int(p.Samples) {
		return fmt.Errorf("%w: %d walks, at most %d", ErrSampleMismatch, len(walks), p.Samples)
	}
	sub := p
	sub.Samples = uint32(len(walks)) // the audit list's first entries are the same
	return VerifyResidency(sub, sealRoot, nonce, root, verifierSecret, &ResidencyProof{Walks: walks})
}

// VerifyGemmSample checks the first len(rows) audited GEMM rows without
// Freivalds' precomputation, as the chain can afford: each row's output and
// label paths, and a 32-column block of the row recomputed exactly,
// C_t[r][c..c+31] = A_t[r] · B_t[·, c..c+31], with the block
//
//	c = 32 · (u64(SHA-256("loopin/pocps/v1/sample" ‖ blockSeed ‖ u32 j)[0:8]) mod (n/32))
//
// chosen from blockSeed (the block hash at submission), which neither the
// device nor the verifier knew. It costs n PRG blocks and 32·n
// multiply-adds per row. A row whose every entry is wrong is caught for
// sure; a row wrong in a fraction f of its entries with probability ≥ f.
func VerifyGemmSample(p Params, sealRoot, seed Hash, roots []Hash, verifierSecret, blockSeed Hash, rows []GemmRowOpening) error {
	if len(rows) == 0 {
		return ErrEmptySample
	}
	if len(rows) > int(p.Samples) || len(roots) != int(p.Rounds) {
		return fmt.Errorf("%w: %d rows (at most %d), %d roots (want %d)", ErrSampleMismatch, len(rows), p.Samples, len(roots), p.Rounds)
	}
	refs := GemmAudit(p, seed, roots, verifierSecret)
	n := int(p.GemmDim)
	for j, o := range rows {
		ref := refs[j]
		if err := verifyRowOpening(p, sealRoot, seed, roots, j, ref, o); err != nil {
			return err
		}
		// B_t row k, columns c..c+31, is PRG block k·n/32 + c/32 of B_t's stream.
		c := 32 * sampleIndex(tagSample, blockSeed, uint32(j), uint64(n/32))
		bseed := GemmBSeed(seed, ref.Round)
		var acc [32]int32
		for k := 0; k < n; k++ {
			ak := int32(int8(o.A[k/LabelSize][k%LabelSize]))
			if ak == 0 {
				continue
			}
			block := PRGBlock(bseed, uint64(k*n/32)+c/32)
			for col := range acc {
				acc[col] += ak * int32(int8(block[col]))
			}
		}
		for col := range acc {
			if o.C[int(c)+col] != acc[col] {
				return fmt.Errorf("row %+v column %d: %w", ref, int(c)+col, ErrFreivalds)
			}
		}
	}
	return nil
}
