package proof_test

import (
	"runtime"
	"sync"
	"sync/atomic"
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

// BenchmarkWalkParallel is the host side of the split and host-DRAM seal
// attacks (docs/pocps.md §9, "Open"): the v2 walk over a 1 GiB seal in
// this machine's memory on every core, reported as bytes of P read per
// second (B·32 a step), to compare with W·S·B·32 / deadline. P is random
// bytes: a walk's cost does not depend on how P was made.
//
//	go test ./proof -run '^$' -bench WalkParallel -benchtime 2x
func BenchmarkWalkParallel(b *testing.B) {
	p := proof.Params{Labels: 1 << 25, Layers: 1, Parents: 1, Samples: 1, Walks: 1 << 16, Steps: 32, GemmRows: 16, GemmDim: 32, Rounds: 1, WalkBlock: 8}
	if err := p.Validate(); err != nil {
		b.Fatal(err)
	}
	sealed := make([]proof.Hash, p.Labels)
	raw := make([]byte, 32*len(sealed))
	proof.PRGBytes(proof.Hash{1}, raw[:1<<20])
	for off := 1 << 20; off < len(raw); off *= 2 {
		copy(raw[off:], raw[:off])
	}
	for i := range sealed {
		copy(sealed[i][:], raw[32*i:])
		sealed[i][0] ^= byte(i) // no two labels alike
	}
	b.SetBytes(int64(p.Walks) * int64(p.Steps) * int64(p.Block()) * proof.LabelSize)
	b.ResetTimer()
	for range b.N {
		var next atomic.Uint32
		var wg sync.WaitGroup
		for range runtime.NumCPU() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for w := next.Add(1) - 1; w < p.Walks; w = next.Add(1) - 1 {
					proof.Walk(p, sealed, proof.Hash{2}, w)
				}
			}()
		}
		wg.Wait()
	}
}
