package proof_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/proof"
)

func TestResidencySample(t *testing.T) {
	s := sealTiny(t)
	p := s.Params
	sealRoot := s.Commitment().SealRoot()
	nonce, secret := key("n"), key("s")
	run, err := s.Residency(nonce)
	require.NoError(t, err)
	full := s.OpenResidency(run, proof.ResidencyAudit(p, nonce, run.Root(), secret))
	require.NoError(t, proof.VerifyResidencySample(p, sealRoot, nonce, run.Root(), secret, full.Walks[:3]))
	require.ErrorIs(t, proof.VerifyResidencySample(p, sealRoot, nonce, run.Root(), secret, full.Walks[1:4]), proof.ErrSampleMismatch, "the sample is the audit's prefix")
	require.ErrorIs(t, proof.VerifyResidencySample(p, sealRoot, nonce, run.Root(), secret, nil), proof.ErrEmptySample)
	bad := cloneResidency(&proof.ResidencyProof{Walks: full.Walks[:2]})
	bad.Walks[1].Result[0] ^= 1
	require.Error(t, proof.VerifyResidencySample(p, sealRoot, nonce, run.Root(), secret, bad.Walks))
}

func TestGemmSampleColumnBlockCheck(t *testing.T) {
	s := sealTiny(t)
	p := s.Params
	sealRoot := s.Commitment().SealRoot()
	seed, secret := key("g"), key("s")
	run, err := s.Gemm(seed)
	require.NoError(t, err)
	pf := s.OpenGemm(run, proof.GemmAudit(p, seed, run.Roots, secret))
	for i := 0; i < 8; i++ {
		require.NoError(t, proof.VerifyGemmSample(p, sealRoot, seed, run.Roots, secret, key(string(rune('a'+i))), pf.Rows[:2]))
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
		sample := s.OpenGemm(run, refs[:1]).Rows
		require.ErrorIs(t, proof.VerifyGemmSample(p, sealRoot, seed, run.Roots, sec, key("block"), sample), proof.ErrFreivalds)
		caught++
	}
	require.Positive(t, caught)
}

func BenchmarkGemmSampleRow(b *testing.B) {
	p, s, sealRoot := auditSetup(b)
	seed, secret := key("g"), key("s")
	run, err := s.Gemm(seed)
	if err != nil {
		b.Fatal(err)
	}
	rows := s.OpenGemm(run, proof.GemmAudit(p, seed, run.Roots, secret)).Rows[:1]
	b.ResetTimer()
	for range b.N {
		if err := proof.VerifyGemmSample(p, sealRoot, seed, run.Roots, secret, key("blk"), rows); err != nil {
			b.Fatal(err)
		}
	}
}
