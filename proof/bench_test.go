package proof_test

import (
	"testing"

	"github.com/loopin-project/loopin/proof"
)

// BenchmarkLabelLayer measures the reference labeling of one layer with 6
// parents (bytes of labels per second, one core).
func BenchmarkLabelLayer(b *testing.B) {
	p := proof.TinyParams()
	p.Labels = 1 << 14
	ek := key("bench")
	prev := make([]proof.Hash, p.Labels)
	proof.ComputeLayer(p, ek, 0, nil, prev)
	out := make([]proof.Hash, p.Labels)
	b.SetBytes(int64(p.SealBytes()))
	b.ResetTimer()
	for range b.N {
		proof.ComputeLayer(p, ek, 1, prev, out)
	}
}

// auditSetup seals a 32 MiB single-layer device (Merkle depth 20) and
// answers one residency and one GEMM challenge with class-like audit sizes:
// k = 32 samples, 32 steps per walk, n = 4096 (128-label rows).
func auditSetup(b *testing.B) (proof.Params, *proof.Sealing, proof.Hash) {
	b.Helper()
	p := proof.Params{Labels: 1 << 20, Layers: 1, Parents: 6, Samples: 32, Walks: 1 << 10, Steps: 32, GemmRows: 32, GemmDim: 4096, Rounds: 1}
	s, err := proof.Seal(p, key("audit bench"), nil)
	if err != nil {
		b.Fatal(err)
	}
	return p, s, s.Commitment().SealRoot()
}

// BenchmarkAuditResidency is the verifier's CPU cost of auditing one
// residency answer (k walks of S reads, each read a Merkle path).
func BenchmarkAuditResidency(b *testing.B) {
	p, s, sealRoot := auditSetup(b)
	nonce, secret := key("n"), key("s")
	run, err := s.Residency(nonce)
	if err != nil {
		b.Fatal(err)
	}
	pf := s.OpenResidency(run, proof.ResidencyAudit(p, nonce, run.Root(), secret))
	b.ResetTimer()
	for range b.N {
		if err := proof.VerifyResidency(p, sealRoot, nonce, run.Root(), secret, pf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuditGemm is the verifier's CPU cost of auditing one GEMM answer
// (k rows: output path, label subtree, Freivalds dot products), with x and
// y = B·x precomputed while the device works.
func BenchmarkAuditGemm(b *testing.B) {
	p, s, sealRoot := auditSetup(b)
	seed, secret := key("g"), key("s")
	run, err := s.Gemm(seed)
	if err != nil {
		b.Fatal(err)
	}
	pf := s.OpenGemm(run, proof.GemmAudit(p, seed, run.Roots, secret))
	f := proof.NewFreivalds(p, seed, secret, proof.GemmAuditRounds(p, seed, secret))
	b.ResetTimer()
	for range b.N {
		if err := proof.VerifyGemm(p, sealRoot, seed, run.Roots, secret, pf, f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFreivaldsPrecompute is y = B·x for one round of n = 4096: the
// verifier's work while the device computes.
func BenchmarkFreivaldsPrecompute(b *testing.B) {
	p := proof.TinyParams()
	p.GemmDim = 4096
	for range b.N {
		proof.NewFreivalds(p, key("g"), key("s"), []uint32{0})
	}
}

// BenchmarkMerkleNode is one SHA-256 node hash, the unit of audit cost.
func BenchmarkMerkleNode(b *testing.B) {
	l, r := key("l"), key("r")
	for range b.N {
		l = proof.NodeHash(l, r)
	}
}
