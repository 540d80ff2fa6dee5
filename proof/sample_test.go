package proof_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/proof"
)

func TestWalkAt(t *testing.T) {
	s := sealTiny(t)
	p := s.Params
	sealRoot := s.Commitment().SealRoot()
	nonce, secret := key("n"), key("s")
	run, err := s.Residency(nonce)
	require.NoError(t, err)
	full := s.OpenResidency(run, proof.ResidencyAudit(p, nonce, run.Root(), secret))
	for j, o := range full.Walks {
		require.NoError(t, proof.VerifyWalkAt(p, sealRoot, nonce, run.Root(), secret, uint32(j), o))
	}
	require.ErrorIs(t, proof.VerifyWalkAt(p, sealRoot, nonce, run.Root(), secret, 1, full.Walks[0]), proof.ErrSampleMismatch, "a walk opened at another position")
	require.ErrorIs(t, proof.VerifyWalkAt(p, sealRoot, nonce, run.Root(), secret, p.Samples, full.Walks[0]), proof.ErrSampleMismatch, "a position outside the audit")
	bad := cloneResidency(&proof.ResidencyProof{Walks: full.Walks[:1]})
	bad.Walks[0].Result[0] ^= 1
	require.ErrorIs(t, proof.VerifyWalkAt(p, sealRoot, nonce, run.Root(), secret, 0, bad.Walks[0]), proof.ErrBadPath)
	var empty proof.WalkOpening
	require.Error(t, proof.VerifyWalkAt(p, sealRoot, nonce, run.Root(), secret, 0, empty), "an empty opening is no pass")
}

func TestRowAtColumnBlockCheck(t *testing.T) {
	s := sealTiny(t)
	p := s.Params
	sealRoot := s.Commitment().SealRoot()
	seed, secret := key("g"), key("s")
	run, err := s.Gemm(seed)
	require.NoError(t, err)
	pf := s.OpenGemm(run, proof.GemmAudit(p, seed, run.Roots, secret))
	for i := 0; i < 8; i++ {
		for j, o := range pf.Rows {
			require.NoError(t, proof.VerifyRowAt(p, sealRoot, seed, run.Roots, secret, key(string(rune('a'+i))), uint32(j), o))
			_, wrong := proof.WrongEntry(p, seed, o)
			require.False(t, wrong)
		}
	}

	// A device that commits wrong rows (every entry off by one, consistently
	// committed) is caught by the column-block check whatever block is drawn.
	n := int(p.GemmDim)
	last := p.Rounds - 1
	leaves := make([]proof.Hash, p.GemmRows)
	for r := 0; r < int(p.GemmRows); r++ {
		for j := 0; j < n; j++ {
			run.C[last][r*n+j]++
		}
		leaves[r] = proof.RowLeaf(run.C[last][r*n : (r+1)*n])
	}
	tree, err := proof.NewTree(leaves)
	require.NoError(t, err)
	run.Trees[last], run.Roots[last] = tree, tree.Root()
	caught := 0
	for i := 0; i < 16; i++ {
		sec := key(string(rune('A' + i)))
		refs := proof.GemmAudit(p, seed, run.Roots, sec)
		if refs[0].Round != last {
			continue
		}
		row := s.OpenGemm(run, refs[:1]).Rows[0]
		require.ErrorIs(t, proof.VerifyRowAt(p, sealRoot, seed, run.Roots, sec, key("block"), 0, row), proof.ErrFreivalds)
		caught++
	}
	require.Positive(t, caught)
}

// TestOneWrongEntryIsProvable commits a GEMM whose last round has one wrong
// entry per row. The 32-column block the chain recomputes for a pass
// misses it with probability 1 − 32/n, but the verifier's Freivalds check
// fails the row, WrongEntry locates the column, and CheckRowEntry proves it
// on chain in O(n); the right entries stay unprovable.
func TestOneWrongEntryIsProvable(t *testing.T) {
	s := sealTiny(t)
	p := s.Params
	sealRoot := s.Commitment().SealRoot()
	seed := key("g1")
	run, err := s.Gemm(seed)
	require.NoError(t, err)
	n := int(p.GemmDim)
	last := p.Rounds - 1
	leaves := make([]proof.Hash, p.GemmRows)
	for r := 0; r < int(p.GemmRows); r++ {
		run.C[last][r*n+(r*7)%n] += 3
		leaves[r] = proof.RowLeaf(run.C[last][r*n : (r+1)*n])
	}
	tree, err := proof.NewTree(leaves)
	require.NoError(t, err)
	run.Trees[last], run.Roots[last] = tree, tree.Root()
	proved := 0
	for i := 0; i < 32 && proved == 0; i++ {
		sec := key(string(rune('a' + i)))
		refs := proof.GemmAudit(p, seed, run.Roots, sec)
		for j, ref := range refs {
			if ref.Round != last {
				continue
			}
			row := s.OpenGemm(run, []proof.RowRef{ref}).Rows[0]
			f := proof.NewFreivalds(p, seed, sec, []uint32{ref.Round})
			require.ErrorIs(t, proof.VerifyGemm(p, sealRoot, seed, run.Roots, sec, s.OpenGemm(run, refs), f), proof.ErrFreivalds)
			col, wrong := proof.WrongEntry(p, seed, row)
			require.True(t, wrong)
			require.Equal(t, uint32((int(ref.Row)*7)%n), col)
			require.ErrorIs(t, proof.CheckRowEntry(p, sealRoot, seed, run.Roots, sec, uint32(j), row, col), proof.ErrFreivalds)
			require.NoError(t, proof.CheckRowEntry(p, sealRoot, seed, run.Roots, sec, uint32(j), row, (col+1)%uint32(n)), "a right entry proves nothing")
			proved++
			break
		}
	}
	require.Positive(t, proved)
}

func BenchmarkGemmSampleRow(b *testing.B) {
	p, s, sealRoot := auditSetup(b)
	seed, secret := key("g"), key("s")
	run, err := s.Gemm(seed)
	if err != nil {
		b.Fatal(err)
	}
	row := s.OpenGemm(run, proof.GemmAudit(p, seed, run.Roots, secret)).Rows[0]
	b.ResetTimer()
	for range b.N {
		if err := proof.VerifyRowAt(p, sealRoot, seed, run.Roots, secret, key("blk"), 0, row); err != nil {
			b.Fatal(err)
		}
	}
}
