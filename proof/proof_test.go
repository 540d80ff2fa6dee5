package proof_test

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/proof"
)

func key(s string) proof.Hash { return sha256.Sum256([]byte(s)) }

func sealTiny(t testing.TB) *proof.Sealing {
	t.Helper()
	s, err := proof.Seal(proof.TinyParams(), key("device"), nil)
	require.NoError(t, err)
	return s
}

func TestSetupProofRoundTrip(t *testing.T) {
	s := sealTiny(t)
	c := s.Commitment()
	pf, err := s.ProveSetup(key("block 1234"))
	require.NoError(t, err)
	require.NoError(t, proof.VerifySetup(s.Params, s.Key, c, key("block 1234"), pf))

	// The same proof does not answer another seed, another key or another commitment.
	require.ErrorIs(t, proof.VerifySetup(s.Params, s.Key, c, key("block 1235"), pf), proof.ErrSampleMismatch)
	require.Error(t, proof.VerifySetup(s.Params, key("other device"), c, key("block 1234"), pf))
	c2 := proof.Commitment{LayerRoots: append([]proof.Hash(nil), c.LayerRoots...)}
	c2.LayerRoots[0][0] ^= 1
	require.Error(t, proof.VerifySetup(s.Params, s.Key, c2, key("block 1234"), pf))
}

func TestSetupRejectsTamperedLabelAndPath(t *testing.T) {
	s := sealTiny(t)
	c := s.Commitment()
	seed := key("seed")
	pf, err := s.ProveSetup(seed)
	require.NoError(t, err)

	bad := *pf
	bad.Samples = append([]proof.SetupSample(nil), pf.Samples...)
	bad.Samples[0].Label.Label[3] ^= 0x10
	require.ErrorIs(t, proof.VerifySetup(s.Params, s.Key, c, seed, &bad), proof.ErrBadPath)

	bad.Samples = append([]proof.SetupSample(nil), pf.Samples...)
	path := append([]proof.Hash(nil), pf.Samples[1].Label.Path...)
	path[2][0] ^= 1
	bad.Samples[1].Label.Path = path
	require.ErrorIs(t, proof.VerifySetup(s.Params, s.Key, c, seed, &bad), proof.ErrBadPath)

	bad.Samples = pf.Samples[:len(pf.Samples)-1]
	require.ErrorIs(t, proof.VerifySetup(s.Params, s.Key, c, seed, &bad), proof.ErrSampleMismatch)
}

// A device that labels a layer wrongly but commits consistently to what it
// computed is caught by the label check, not the paths.
func TestSetupCatchesWrongLabeling(t *testing.T) {
	p := proof.TinyParams()
	s := sealTiny(t)
	// Replace layer 1 by hashes that ignore the parents; recompute layer 2
	// honestly from it and commit to everything.
	for i := range s.Layers[1] {
		s.Layers[1][i] = proof.Label(s.Key, 1, uint64(i), nil)
	}
	proof.ComputeLayer(p, s.Key, 2, s.Layers[1], s.Layers[2])
	for l := 1; l <= 2; l++ {
		tree, err := proof.NewTree(proof.LabelLeaves(s.Layers[l]))
		require.NoError(t, err)
		s.Trees[l] = tree
	}
	c := s.Commitment()
	caught := 0
	for n := 0; n < 40; n++ {
		seed := key(string(rune('a' + n)))
		pf, err := s.ProveSetup(seed)
		require.NoError(t, err)
		err = proof.VerifySetup(p, s.Key, c, seed, pf)
		layers, _ := proof.SetupPositions(p, c, seed)
		hitsLayer1 := false
		for _, l := range layers {
			hitsLayer1 = hitsLayer1 || l == 1
		}
		if hitsLayer1 {
			require.ErrorIs(t, err, proof.ErrBadLabel, "seed %d", n)
			caught++
		} else {
			require.NoError(t, err, "seed %d samples only honest layers", n)
		}
	}
	// 2 of the 8 samples are drawn over the 3 layers: 1 − (2/3)² ≈ 56 % of
	// the seeds audit layer 1.
	require.Greater(t, caught, 12, "with 2 free samples over 3 layers about half the seeds audit layer 1")
}

func TestResidencyRoundTripAndTamper(t *testing.T) {
	s := sealTiny(t)
	p := s.Params
	sealRoot := s.Commitment().SealRoot()
	s.Discard()
	nonce, secret := key("nonce"), key("verifier secret")
	run, err := s.Residency(nonce)
	require.NoError(t, err)
	walks := proof.ResidencyAudit(p, nonce, run.Root(), secret)
	pf := s.OpenResidency(run, walks)
	require.NoError(t, proof.VerifyResidency(p, sealRoot, nonce, run.Root(), secret, pf))

	// Another audit secret selects other walks.
	require.ErrorIs(t, proof.VerifyResidency(p, sealRoot, nonce, run.Root(), key("other"), pf), proof.ErrSampleMismatch)

	// A tampered read.
	bad := cloneResidency(pf)
	bad.Walks[0].Reads[1].Labels[2][0] ^= 1
	require.ErrorIs(t, proof.VerifyResidency(p, sealRoot, nonce, run.Root(), secret, bad), proof.ErrBadPath)

	// A forged result with a valid path: commit to a made-up y for every walk.
	forged := make([]proof.Hash, p.Walks)
	leaves := make([]proof.Hash, p.Walks)
	for w := range forged {
		forged[w] = key("guess")
		leaves[w] = proof.LeafHash(forged[w][:])
	}
	tree, err := proof.NewTree(leaves)
	require.NoError(t, err)
	fake := &proof.ResidencyRun{Nonce: nonce, Results: forged, Tree: tree}
	fpf := s.OpenResidency(fake, proof.ResidencyAudit(p, nonce, fake.Root(), secret))
	require.ErrorIs(t, proof.VerifyResidency(p, sealRoot, nonce, fake.Root(), secret, fpf), proof.ErrBadWalk)
}

// A device that lost its seal and walks over other data cannot open its
// reads against the registered seal root.
func TestResidencyWithoutTheSealFails(t *testing.T) {
	s := sealTiny(t)
	p := s.Params
	sealRoot := s.Commitment().SealRoot()
	lost, err := proof.Seal(p, key("some other device"), nil)
	require.NoError(t, err)
	nonce, secret := key("n"), key("s")
	run, err := lost.Residency(nonce)
	require.NoError(t, err)
	pf := lost.OpenResidency(run, proof.ResidencyAudit(p, nonce, run.Root(), secret))
	require.ErrorIs(t, proof.VerifyResidency(p, sealRoot, nonce, run.Root(), secret, pf), proof.ErrBadPath)
}

func TestGemmRoundTripAndTamper(t *testing.T) {
	s := sealTiny(t)
	p := s.Params
	sealRoot := s.Commitment().SealRoot()
	seed, secret := key("gemm seed"), key("verifier secret")
	f := proof.NewFreivalds(p, seed, secret, proof.GemmAuditRounds(p, seed, secret)) // before the challenge
	run, err := s.Gemm(seed)
	require.NoError(t, err)
	refs := proof.GemmAudit(p, seed, run.Roots, secret)
	pf := s.OpenGemm(run, refs)
	require.NoError(t, proof.VerifyGemm(p, sealRoot, seed, run.Roots, secret, pf, f))
	require.NoError(t, proof.VerifyGemm(p, sealRoot, seed, run.Roots, secret, pf, nil), "the chain's re-check without precomputed vectors")

	// A tampered output entry breaks its path.
	bad := cloneGemm(pf)
	bad.Rows[0].C[5]++
	require.ErrorIs(t, proof.VerifyGemm(p, sealRoot, seed, run.Roots, secret, bad, f), proof.ErrBadPath)

	// A tampered A label breaks its subtree's path.
	bad = cloneGemm(pf)
	bad.Rows[1].A[0][7] ^= 0x80
	require.ErrorIs(t, proof.VerifyGemm(p, sealRoot, seed, run.Roots, secret, bad, f), proof.ErrBadPath)
}

// A device that commits to a wrong last round (one entry off in every row)
// is caught by Freivalds' check whenever a row of that round is audited.
func TestGemmFreivaldsCatchesWrongRows(t *testing.T) {
	s := sealTiny(t)
	p := s.Params
	n := int(p.GemmDim)
	sealRoot := s.Commitment().SealRoot()
	seed := key("seed")
	run, err := s.Gemm(seed)
	require.NoError(t, err)
	last := p.Rounds - 1
	leaves := make([]proof.Hash, p.GemmRows)
	for r := 0; r < int(p.GemmRows); r++ {
		run.C[last][r*n+r%n]++
		leaves[r] = proof.RowLeaf(run.C[last][r*n : (r+1)*n])
	}
	tree, err := proof.NewTree(leaves)
	require.NoError(t, err)
	run.Trees[last], run.Roots[last] = tree, tree.Root()

	caught := 0
	for i := 0; i < 16; i++ {
		secret := key(string(rune('A' + i)))
		refs := proof.GemmAudit(p, seed, run.Roots, secret)
		err := proof.VerifyGemm(p, sealRoot, seed, run.Roots, secret, s.OpenGemm(run, refs), nil)
		audited := false
		for _, r := range refs {
			audited = audited || r.Round == last
		}
		if audited {
			require.ErrorIs(t, err, proof.ErrFreivalds)
			caught++
		} else {
			require.NoError(t, err)
		}
	}
	require.Greater(t, caught, 12)
}

func TestVerifyDeadline(t *testing.T) {
	require.NoError(t, proof.VerifyDeadline(900*time.Millisecond, time.Second))
	require.NoError(t, proof.VerifyDeadline(time.Second, time.Second))
	require.ErrorIs(t, proof.VerifyDeadline(1001*time.Millisecond, time.Second), proof.ErrLate)
}

func TestParamsValidate(t *testing.T) {
	require.NoError(t, proof.TinyParams().Validate())
	for name, mutate := range map[string]func(*proof.Params){
		"labels not a power of two": func(p *proof.Params) { p.Labels = 1000 },
		"no layers":                 func(p *proof.Params) { p.Layers = 0 },
		"no parents":                func(p *proof.Params) { p.Parents = 0 },
		"no samples":                func(p *proof.Params) { p.Samples = 0 },
		"walks not a power of two":  func(p *proof.Params) { p.Walks = 3 },
		"no steps":                  func(p *proof.Params) { p.Steps = 0 },
		"gemm dim not a power of 2": func(p *proof.Params) { p.GemmDim = 96 },
		"gemm rows zero":            func(p *proof.Params) { p.GemmRows = 0 },
		"no rounds":                 func(p *proof.Params) { p.Rounds = 0 },
	} {
		p := proof.TinyParams()
		mutate(&p)
		require.ErrorIs(t, p.Validate(), proof.ErrInvalidParams, name)
		_, err := proof.Seal(p, key("x"), nil)
		require.Error(t, err, name)
	}
}

func TestMerklePaths(t *testing.T) {
	leaves := make([]proof.Hash, 16)
	for i := range leaves {
		leaves[i] = proof.LeafHash([]byte{byte(i)})
	}
	tree, err := proof.NewTree(leaves)
	require.NoError(t, err)
	for i := range leaves {
		require.NoError(t, proof.VerifyPath(tree.Root(), leaves[i], uint64(i), 4, tree.Path(uint64(i))))
		require.ErrorIs(t, proof.VerifyPath(tree.Root(), leaves[i], uint64(i^1), 4, tree.Path(uint64(i))), proof.ErrBadPath)
	}
	require.ErrorIs(t, proof.VerifyPath(tree.Root(), leaves[0], 16, 4, tree.Path(0)), proof.ErrBadPath)
	require.ErrorIs(t, proof.VerifyPath(tree.Root(), leaves[0], 0, 3, tree.Path(0)[:3]), proof.ErrBadPath)
	_, err = proof.NewTree(leaves[:5])
	require.Error(t, err)
	// A leaf is never a node: the 0x00/0x01 prefixes separate them.
	require.NotEqual(t, proof.NodeHash(leaves[0], leaves[1]), proof.LeafHash(append(leaves[0][:], leaves[1][:]...)))
}

func TestDeviceKeyIsUnambiguous(t *testing.T) {
	fp, bh := key("fingerprint"), key("block")
	a := proof.DeviceKey("loopin-1", []byte("ab"), fp, bh)
	require.NotEqual(t, a, proof.DeviceKey("loopin-1a", []byte("b"), fp, bh))
	require.NotEqual(t, a, proof.DeviceKey("loopin-1", []byte("ab"), fp, key("other block")))
	require.Equal(t, a, proof.DeviceKey("loopin-1", []byte("ab"), fp, bh))
}

func cloneResidency(pf *proof.ResidencyProof) *proof.ResidencyProof {
	out := &proof.ResidencyProof{}
	for _, w := range pf.Walks {
		reads := make([]proof.BlockOpening, len(w.Reads))
		for i, rd := range w.Reads {
			rd.Labels = append([]proof.Hash(nil), rd.Labels...)
			rd.Path = append([]proof.Hash(nil), rd.Path...)
			reads[i] = rd
		}
		w.Reads = reads
		out.Walks = append(out.Walks, w)
	}
	return out
}

func cloneGemm(pf *proof.GemmProof) *proof.GemmProof {
	out := &proof.GemmProof{}
	for _, r := range pf.Rows {
		r.C = append([]int32(nil), r.C...)
		r.A = append([]proof.Hash(nil), r.A...)
		out.Rows = append(out.Rows, r)
	}
	return out
}

func TestClassParams(t *testing.T) {
	for _, class := range proof.ClassNames() {
		p, timing, err := proof.ClassParams(class)
		require.NoError(t, err, class)
		spec, ok := proof.Spec(class)
		require.True(t, ok)
		// One seal fits, two do not.
		require.Greater(t, 2*p.SealBytes(), spec.MemoryBytes, class)
		require.LessOrEqual(t, p.SealBytes(), spec.MemoryBytes, class)
		require.Greater(t, timing.GemmDeadline, proof.NetworkAllowance, class)
		require.Greater(t, timing.ResidencyDeadline, proof.NetworkAllowance, class)
		require.Positive(t, timing.WBench, class)
		require.False(t, timing.Calibrated, "%s: no device has run", class)
		// A seal held in host memory and read over the card's PCIe link
		// misses the residency deadline by at least LateFactor (§9).
		require.GreaterOrEqual(t, spec.HostResidency(p), proof.LateFactor*timing.ResidencyDeadline.Seconds(), class)
		require.Less(t, spec.HonestResidency(p), timing.ResidencyDeadline.Seconds(), class)
		// Results and leaves of the walks fit beside the seal.
		require.Less(t, p.SealBytes()+64*uint64(p.Walks), spec.MemoryBytes, class)
	}
	p, _, err := proof.ClassParams("h100-sxm")
	require.NoError(t, err)
	require.Equal(t, uint64(64<<30), p.SealBytes(), "64 GiB of an 80 GB H100")
	h200, _, err := proof.ClassParams("h200")
	require.NoError(t, err)
	require.Equal(t, uint64(128<<30), h200.SealBytes(), "128 GiB of a 141 GB H200")
	_, _, err = proof.ClassParams("gtx-1080")
	require.ErrorContains(t, err, "unknown GPU class")
}

// Calibrate turns measured honest times, RTT and throughput into the
// deadline rule's Timing, and refuses a measurement under which a
// host-resident seal would answer in time.
func TestCalibrate(t *testing.T) {
	tm, err := proof.Calibrate("h200", 30*time.Millisecond, 900*time.Millisecond, 20*time.Millisecond, 1.5e15)
	require.NoError(t, err)
	require.True(t, tm.Calibrated)
	require.Equal(t, 2*30*time.Millisecond+2*20*time.Millisecond, tm.ResidencyDeadline)
	require.Equal(t, 2*900*time.Millisecond+2*20*time.Millisecond, tm.GemmDeadline)
	require.Equal(t, uint64(0.9*1.5e15), tm.WBench)

	// A device measured so slow that its deadline would let the seal sit
	// in host memory: the class's walks are no longer sized for it.
	_, err = proof.Calibrate("h200", 900*time.Millisecond, time.Second, 20*time.Millisecond, 1.5e15)
	require.ErrorIs(t, err, proof.ErrCalibration)
	for _, bad := range [][3]time.Duration{{0, time.Second, 0}, {time.Millisecond, 0, 0}, {time.Millisecond, time.Second, -1}} {
		_, err = proof.Calibrate("h200", bad[0], bad[1], bad[2], 1e15)
		require.ErrorIs(t, err, proof.ErrCalibration)
	}
	_, err = proof.Calibrate("h200", time.Millisecond, time.Second, 0, 0)
	require.ErrorIs(t, err, proof.ErrCalibration)
	_, err = proof.Calibrate("gtx-1080", time.Millisecond, time.Second, 0, 1e15)
	require.ErrorIs(t, err, proof.ErrCalibration)
}

// The audited rounds are fixed by the verifier's secret before the roots
// exist (so it can precompute their Freivalds vectors); the audited rows
// change with the roots (so the device cannot steer them).
func TestGemmAuditDependencies(t *testing.T) {
	p := proof.TinyParams()
	p.Rounds, p.GemmRows, p.Samples = 64, 1024, 16
	seed, secret := key("seed"), key("secret")
	rootsA := []proof.Hash{key("a")}
	rootsB := []proof.Hash{key("b")}
	a, b := proof.GemmAudit(p, seed, rootsA, secret), proof.GemmAudit(p, seed, rootsB, secret)
	rounds := proof.GemmAuditRounds(p, seed, secret)
	sameRows := true
	for j := range a {
		require.Equal(t, rounds[j], a[j].Round)
		require.Equal(t, rounds[j], b[j].Round)
		sameRows = sameRows && a[j].Row == b[j].Row
	}
	require.False(t, sameRows, "rows must depend on the roots")
	require.NotEqual(t, rounds, proof.GemmAuditRounds(p, seed, key("other secret")))
}

// TestHalfFakeSealedLayerIsCaught builds the half-fake seal of docs/pocps.md
// §9: half of the kept layer P is not computed from its parents (it could
// be regenerated from a short key on demand, so one GPU could hold two
// seals) and everything is committed. Every setup draws KeptSamples labels
// of P, so the seal passes with (1/2)^KeptSamples: 1/64 for the tiny
// parameters, 2⁻²⁰ for the classes' k = 32.
func TestHalfFakeSealedLayerIsCaught(t *testing.T) {
	p := proof.TinyParams()
	s := sealTiny(t)
	last := uint32(len(s.Layers) - 1)
	for i := range s.Layers[last] {
		if i%2 == 1 {
			s.Layers[last][i] = proof.Label(s.Key, 99, uint64(i), nil) // not from its parents
		}
	}
	tree, err := proof.NewTree(proof.LabelLeaves(s.Layers[last]))
	require.NoError(t, err)
	s.Trees[last] = tree
	c := s.Commitment()
	passed := 0
	const tries = 256
	for n := 0; n < tries; n++ {
		seed := key(fmt.Sprintf("seed-%d", n))
		layers, _ := proof.SetupPositions(p, c, seed)
		inP := 0
		for _, l := range layers {
			if l == last {
				inP++
			}
		}
		require.GreaterOrEqual(t, inP, int(p.KeptSamples()), "every setup draws the kept quota in P")
		pf, err := s.ProveSetup(seed)
		require.NoError(t, err)
		if proof.VerifySetup(p, s.Key, c, seed, pf) == nil {
			passed++
		}
	}
	// Expected 256/64 = 4 passes; 16 is beyond 5 standard deviations.
	require.Less(t, passed, 16, "a half-fake P passes with (1/2)^%d", p.KeptSamples())
	for _, class := range proof.ClassNames() {
		cp, _, err := proof.ClassParams(class)
		require.NoError(t, err)
		require.GreaterOrEqual(t, cp.KeptSamples(), uint32(20), "%s: (1/2)^kept ≤ 2⁻²⁰", class)
	}
}
