package gpu_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/gpu"
	"github.com/loopin-project/loopin/proof"
	"github.com/loopin-project/loopin/sidecar/protocol"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json from the CPU reference")

func key(s string) proof.Hash { return sha256.Sum256([]byte(s)) }

// vectors pins the CPU answers for small parameters: every backend must
// reproduce them bit for bit (docs/pocps.md §7).
type vectors struct {
	Params        proof.Params `json:"params"`
	Key           string       `json:"key"`
	LayerRoots    []string     `json:"layer_roots"`
	FirstLabels   [][]string   `json:"first_labels"` // first 4 labels of each layer
	Nonce         string       `json:"nonce"`
	ResidencyRoot string       `json:"residency_root"`
	FirstResults  []string     `json:"first_results"`
	GemmSeed      string       `json:"gemm_seed"`
	GemmRoots     []string     `json:"gemm_roots"`
}

func hexes(hs []proof.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = hex.EncodeToString(h[:])
	}
	return out
}

// compute runs a backend over the vector inputs and reports its answers.
func compute(t *testing.T, prover gpu.Prover, p proof.Params) vectors {
	t.Helper()
	ctx := context.Background()
	ek, nonce, seed := key("vector device"), key("vector nonce"), key("vector gemm seed")
	seal, err := prover.Seal(ctx, p, ek, gpu.SealOptions{})
	require.NoError(t, err)
	defer seal.Close()
	v := vectors{Params: p, Key: hex.EncodeToString(ek[:]), LayerRoots: hexes(seal.Commitment().LayerRoots)}
	setup, err := seal.ProveSetup(ctx, key("vector setup"))
	require.NoError(t, err)
	require.NoError(t, proof.VerifySetup(p, ek, seal.Commitment(), key("vector setup"), setup))
	v.FirstLabels = firstLabels(t, p, ek)
	seal.Discard()
	root, err := seal.Residency(ctx, nonce)
	require.NoError(t, err)
	v.Nonce, v.ResidencyRoot = hex.EncodeToString(nonce[:]), hex.EncodeToString(root[:])
	// A seal restored from its sealed layer (the miner's seal.bin) answers
	// as the seal itself, and its setup proof, which needs the layers it
	// no longer holds, comes from a re-seal and is the same proof.
	var sealed bytes.Buffer
	require.NoError(t, seal.WriteSealed(&sealed))
	require.Equal(t, int(p.SealBytes()), sealed.Len())
	restored, err := prover.Restore(ctx, p, ek, seal.Commitment(), bytes.NewReader(sealed.Bytes()))
	require.NoError(t, err)
	again, err := restored.Residency(ctx, nonce)
	require.NoError(t, err)
	require.Equal(t, root, again, "restored seal")
	resetup, err := restored.ProveSetup(ctx, key("vector setup"))
	require.NoError(t, err)
	require.Equal(t, setup, resetup, "setup proof of a restored seal (re-sealed)")
	again, err = restored.Residency(ctx, nonce)
	require.NoError(t, err)
	require.Equal(t, root, again, "P is back on the device after the re-seal")
	require.NoError(t, restored.Close())
	// A seal file that is not the committed one is refused.
	bad := bytes.Clone(sealed.Bytes())
	bad[100] ^= 1
	_, err = prover.Restore(ctx, p, ek, seal.Commitment(), bytes.NewReader(bad))
	require.ErrorContains(t, err, "does not match the commitment")
	_, err = prover.Restore(ctx, p, ek, seal.Commitment(), bytes.NewReader(sealed.Bytes()[:100]))
	require.ErrorContains(t, err, "read the sealed layer")
	walks, err := seal.OpenResidency([]uint32{0, 1})
	require.NoError(t, err)
	v.FirstResults = hexes([]proof.Hash{walks.Walks[0].Result, walks.Walks[1].Result})
	roots, err := seal.Gemm(ctx, seed)
	require.NoError(t, err)
	v.GemmSeed, v.GemmRoots = hex.EncodeToString(seed[:]), hexes(roots)
	return v
}

// firstLabels recomputes the first labels of each layer with the reference.
func firstLabels(t *testing.T, p proof.Params, ek proof.Hash) [][]string {
	t.Helper()
	s, err := proof.Seal(p, ek, nil)
	require.NoError(t, err)
	out := make([][]string, len(s.Layers))
	for l, layer := range s.Layers {
		out[l] = hexes(layer[:4])
	}
	return out
}

func loadVectors(t *testing.T) []vectors {
	t.Helper()
	bz, err := os.ReadFile(filepath.Join("testdata", "vectors.json"))
	require.NoError(t, err)
	var vs []vectors
	require.NoError(t, json.Unmarshal(bz, &vs))
	require.NotEmpty(t, vs)
	return vs
}

func vectorParams() []proof.Params {
	tiny := proof.TinyParams()
	wide := tiny
	wide.Labels, wide.GemmRows, wide.GemmDim, wide.Rounds, wide.Walks = 1<<12, 64, 128, 3, 256
	// Format v2's non-trivial shapes: walk blocks of 16 labels (a step
	// spans four 4-label load groups) and rows of K = 2 segments.
	segmented := tiny
	segmented.Labels, segmented.WalkBlock, segmented.Steps, segmented.Walks = 1<<12, 16, 5, 128
	segmented.GemmRows, segmented.GemmDim, segmented.Rounds = 16, 512, 2
	// A one-label block (the smallest B) and a row shorter than a segment.
	single := tiny
	single.WalkBlock, single.GemmRows, single.GemmDim = 1, 16, 32
	return []proof.Params{tiny, wide, segmented, single}
}

func TestCPUMatchesVectors(t *testing.T) {
	cpu := gpu.NewCPU(0)
	if *update {
		var vs []vectors
		for _, p := range vectorParams() {
			vs = append(vs, compute(t, cpu, p))
		}
		bz, err := json.MarshalIndent(vs, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join("testdata", "vectors.json"), append(bz, '\n'), 0o644))
	}
	for _, want := range loadVectors(t) {
		require.Equal(t, want, compute(t, cpu, want.Params))
	}
}

// openCUDA opens the CUDA backend, closed when the test ends; the test
// skips where no driver or device is found.
func openCUDA(t *testing.T) gpu.Prover {
	t.Helper()
	prover, err := gpu.Open(gpu.BackendCUDA)
	if errors.Is(err, gpu.ErrNoDriver) {
		t.Skipf("no CUDA device here: %v", err)
	}
	require.NoError(t, err)
	t.Cleanup(func() { _ = prover.Close() })
	return prover
}

func TestCUDAMatchesVectors(t *testing.T) {
	prover := openCUDA(t)
	t.Logf("device: %+v", prover.Info())
	for _, want := range loadVectors(t) {
		require.Equal(t, want, compute(t, prover, want.Params), "CUDA must match the CPU reference bit for bit")
	}
}

// The CPU backend's parallel code must equal the sequential reference on
// keys the vectors do not cover, and its proofs must verify.
func TestCPUBackendProofsVerify(t *testing.T) {
	proofsVerify(t, gpu.NewCPU(runtime.NumCPU()+3)) // uneven chunks
}

// The CUDA backend's seals equal the reference and its openings (read back
// from device memory) verify.
func TestCUDABackendProofsVerify(t *testing.T) {
	proofsVerify(t, openCUDA(t))
}

// proofsVerify seals two keys on prover, compares each commitment with the
// reference's, and verifies a residency and a GEMM answer's openings.
func proofsVerify(t *testing.T, prover gpu.Prover) {
	ctx := context.Background()
	p := proof.TinyParams()
	for _, name := range []string{"a", "b"} {
		ek := key(name)
		seal, err := prover.Seal(ctx, p, ek, gpu.SealOptions{})
		require.NoError(t, err)
		ref, err := proof.Seal(p, ek, nil)
		require.NoError(t, err)
		require.Equal(t, ref.Commitment(), seal.Commitment())
		sealRoot := seal.Commitment().SealRoot()
		cpuSeal, err := gpu.NewCPU(1).Seal(ctx, p, ek, gpu.SealOptions{})
		require.NoError(t, err)
		signedAnswersMatch(t, seal, cpuSeal, name)
		require.NoError(t, cpuSeal.Close())
		seal.Discard()

		nonce, secret := key(name+"nonce"), key(name+"secret")
		root, err := seal.Residency(ctx, nonce)
		require.NoError(t, err)
		rp, err := seal.OpenResidency(proof.ResidencyAudit(p, nonce, root, secret))
		require.NoError(t, err)
		require.NoError(t, proof.VerifyResidency(p, sealRoot, nonce, root, secret, rp))

		roots, err := seal.Gemm(ctx, nonce)
		require.NoError(t, err)
		gp, err := seal.OpenGemm(proof.GemmAudit(p, nonce, roots, secret))
		require.NoError(t, err)
		require.NoError(t, proof.VerifyGemm(p, sealRoot, nonce, roots, secret, gp, nil))
		require.NoError(t, seal.Close())
	}
}

// signedAnswersMatch answers one challenge of each kind from seal a and
// from seal b through the miner sidecar's protocol.Miner with the same
// device key, and requires every signed answer — setup proof, roots,
// openings and their Ed25519 signatures — to be the same bytes: the CUDA
// backend's evidence is the CPU reference's.
func signedAnswersMatch(t *testing.T, a, b gpu.Seal, name string) {
	t.Helper()
	ctx := context.Background()
	dk := ed25519.NewKeyFromSeed(func() []byte { k := key(name + "device"); return k[:] }())
	ma, mb := protocol.NewMiner(a, dk, "loopin-test-1"), protocol.NewMiner(b, dk, "loopin-test-1")
	seed, nonce, secret := key(name+"setup"), key(name+"nonce"), key(name+"secret")
	pa, sa, err := ma.Setup(ctx, 7, seed)
	require.NoError(t, err)
	pb, sb, err := mb.Setup(ctx, 7, seed)
	require.NoError(t, err)
	require.Equal(t, pb, pa, "setup proof")
	require.Equal(t, sb, sa, "setup signature")
	require.NoError(t, proof.VerifyAnswer(dk.Public().(ed25519.PublicKey), sa, "loopin-test-1", 7, proof.AnswerSetup, proof.SetupPayload(seed, pa)))
	positions := []uint32{0, 1, 2}
	ra, rsa, err := ma.Residency(ctx, 8, nonce)
	require.NoError(t, err)
	rb, rsb, err := mb.Residency(ctx, 8, nonce)
	require.NoError(t, err)
	require.Equal(t, rb, ra)
	require.Equal(t, rsb, rsa)
	oa, err := ma.OpenResidency(ctx, 8, nonce, secret, positions)
	require.NoError(t, err)
	ob, err := mb.OpenResidency(ctx, 8, nonce, secret, positions)
	require.NoError(t, err)
	require.Equal(t, ob, oa, "signed walk openings")
	ga, gsa, err := ma.Gemm(ctx, 8, nonce)
	require.NoError(t, err)
	gb, gsb, err := mb.Gemm(ctx, 8, nonce)
	require.NoError(t, err)
	require.Equal(t, gb, ga)
	require.Equal(t, gsb, gsa)
	oa, err = ma.OpenGemm(ctx, 8, nonce, secret, positions)
	require.NoError(t, err)
	ob, err = mb.OpenGemm(ctx, 8, nonce, secret, positions)
	require.NoError(t, err)
	require.Equal(t, ob, oa, "signed row openings")
}

func TestOpen(t *testing.T) {
	cpu, err := gpu.Open(gpu.BackendCPU)
	require.NoError(t, err)
	require.Equal(t, gpu.BackendCPU, cpu.Info().Backend)
	require.Positive(t, cpu.Info().Workers)

	auto, err := gpu.Open(gpu.BackendAuto)
	require.NoError(t, err, "auto always finds a backend")
	if _, cudaErr := gpu.Open(gpu.BackendCUDA); cudaErr != nil {
		require.ErrorIs(t, cudaErr, gpu.ErrNoDriver)
		require.Equal(t, gpu.BackendCPU, auto.Info().Backend, "auto falls back to the CPU without a driver")
	}
	_, err = gpu.Open("opencl")
	require.ErrorContains(t, err, "unknown backend")
}

// TestPTXIsFresh rebuilds the PTX with clang-19 and compares it with the
// committed files. CI installs clang-19, so it runs there.
func TestPTXIsFresh(t *testing.T) {
	if _, err := exec.LookPath("clang++-19"); err != nil {
		t.Skip("clang++-19 not installed (apt-get install -y clang-19)")
	}
	cmd := exec.Command("bash", "../scripts/ptx.sh", "--check")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
}
