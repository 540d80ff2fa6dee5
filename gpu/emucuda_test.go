//go:build cgo && linux

package gpu_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/gpu"
	"github.com/loopin-project/loopin/proof"
)

// TestCUDABackendOnEmulatedDriver runs the CUDA backend, unchanged, on
// the emulated libcuda.so.1 of testdata/emucuda: the loader resolves the
// driver's symbols, describes the device, picks the PTX for its arch and
// finds every kernel; the kernels of gpu/kernels/pocps.cu, compiled for the
// host, run every launch the backend makes, and the results must match
// testdata/vectors.json bit for bit and its proofs verify — on the sm_90a
// and sm_80 paths (mma.sync GEMM, a warp's 32 lanes on 32 threads) and the
// sm_70 path (dp4a); a failing launch is reported with the driver's
// message. This
// checks the backend's host code and the kernels' logic on a machine
// without a GPU; the GPU's own behaviour still needs a device
// (scripts/gpu-device-check.sh). dlopen reads LD_LIBRARY_PATH at process
// start, so each arch runs in a child process.
func TestCUDABackendOnEmulatedDriver(t *testing.T) {
	if os.Getenv("LOOPIN_EMUCUDA_CHILD") != "" {
		t.Skip("in the child, only the tests it was started for run")
	}
	for _, arch := range []string{"90", "80", "70"} {
		t.Run("sm_"+arch, func(t *testing.T) {
			dir := gpu.BuildEmulatedDriver(t, arch)
			runChild(t, dir, arch, "", "TestCUDAMatchesVectors", "TestCUDABackendProofsVerify", "TestEmulatedDriverLoader", "TestEmulatedDriverPTXFallback", "TestEmulatedDriverFaultRecovery", "TestCUDAEdgeParams", "TestCUDAProfiler", "TestCUDAReSealCancelled")
			// A device with a memory limit: a seal of nine tenths of it, then
			// a scaled h100-sxm; each child has its own limit (the emulated
			// driver reads it once).
			runChild(t, dir, arch, fmt.Sprint(nearlyFullLimit), "TestCUDASealNearlyFillsTheDevice")
			_, mem, err := proof.ScaledClassParams(scaledClass, scaledBy)
			require.NoError(t, err)
			runChild(t, dir, arch, fmt.Sprint(mem), "TestCUDAScaledClassAnswersEveryAudit")
		})
	}
}

// runChild runs tests in a child process on the emulated driver in dir,
// with LOOPIN_EMU_MEMORY set to memory (bytes; "" for the default), and
// requires each to pass, none skipped.
func runChild(t *testing.T, dir, arch, memory string, tests ...string) {
	t.Helper()
	child := exec.Command(os.Args[0], "-test.run", "^("+strings.Join(tests, "|")+")$", "-test.v", "-test.count=1")
	child.Env = append(os.Environ(), "LOOPIN_EMUCUDA_CHILD="+arch, "LD_LIBRARY_PATH="+dir, "LOOPIN_EMU_MEMORY="+memory)
	out, err := child.CombinedOutput()
	require.NoError(t, err, "child:\n%s", out)
	for _, name := range tests {
		require.Contains(t, string(out), "--- PASS: "+name, "child:\n%s", out)
	}
	require.False(t, strings.Contains(string(out), "--- SKIP"), "child:\n%s", out)
}

// emulatedOnly skips a test outside TestCUDABackendOnEmulatedDriver's
// children and opens the CUDA backend.
func emulatedOnly(t *testing.T) gpu.Prover {
	t.Helper()
	if os.Getenv("LOOPIN_EMUCUDA_CHILD") == "" {
		t.Skip("runs on the emulated driver only (TestCUDABackendOnEmulatedDriver)")
	}
	return openCUDA(t)
}

// emulatedOrDevice is emulatedOnly, and also runs on a real GPU when
// LOOPIN_GPU_DEVICE=1 (scripts/gpu-device-check.sh sets it).
func emulatedOrDevice(t *testing.T) gpu.Prover {
	t.Helper()
	if os.Getenv("LOOPIN_GPU_DEVICE") == "1" {
		return openCUDA(t)
	}
	return emulatedOnly(t)
}

// nearlyFullLimit is the device memory of TestCUDASealNearlyFillsTheDevice:
// its seal P (2 MiB) is 0.91 of it.
const nearlyFullLimit = 2 << 20 * 11 / 10

// nearlyFullParams is a 2 MiB seal.
var nearlyFullParams = proof.Params{Labels: 1 << 16, Layers: 3, Parents: 6, Samples: 8, Walks: 256, Steps: 8, GemmRows: 32, GemmDim: 64, Rounds: 2}

// The scaled class of TestCUDAScaledClassAnswersEveryAudit: h100-sxm at
// 1/65536 of its memory (a 1 MiB seal in 1.22 MB).
const (
	scaledClass = "h100-sxm"
	scaledBy    = 1 << 16
)

// A seal of nine tenths of the device's memory, made in chunks against one
// layer on the device, is the CPU reference's bit for bit, with every
// answer; a setup proof from a re-seal (P's memory given back and taken
// again) is the reference's; and a second seal does not fit: the backend
// refuses it up front with the sizes, instead of failing midway.
func TestCUDASealNearlyFillsTheDevice(t *testing.T) {
	prover := emulatedOnly(t)
	require.EqualValues(t, nearlyFullLimit, prover.Info().MemoryBytes)
	defer gpu.SetMaxHostLayers(gpu.SetMaxHostLayers(0)) // no layer kept on the host: the setup proof re-seals
	p := nearlyFullParams
	require.GreaterOrEqual(t, float64(p.SealBytes()), 0.9*float64(nearlyFullLimit))
	ctx := context.Background()
	seal, err := prover.Seal(ctx, p, key("full"), gpu.SealOptions{})
	require.NoError(t, err)
	defer seal.Close()
	require.False(t, seal.LayersHeld())
	mem := prover.Memory()
	require.LessOrEqual(t, mem.DevicePeak, uint64(nearlyFullLimit))
	require.GreaterOrEqual(t, float64(mem.DevicePeak), 0.9*float64(nearlyFullLimit))
	t.Logf("device peak %d of %d bytes", mem.DevicePeak, nearlyFullLimit)

	ref, err := proof.Seal(p, key("full"), nil)
	require.NoError(t, err)
	require.Equal(t, ref.Commitment(), seal.Commitment())
	answersMatchReference(t, seal, gpu.NewCPU(1).FromSealing(ref), p)

	_, err = prover.Seal(ctx, p, key("second"), gpu.SealOptions{})
	require.ErrorIs(t, err, gpu.ErrDeviceMemory)
	require.ErrorContains(t, err, "a seal of 2 MiB needs")
	require.ErrorContains(t, err, "another seal")
	var sealed bytes.Buffer
	require.NoError(t, seal.WriteSealed(&sealed))
	_, err = prover.Restore(ctx, p, key("full"), seal.Commitment(), &sealed)
	require.ErrorIs(t, err, gpu.ErrDeviceMemory, "a restore of a second copy does not fit either")
	require.LessOrEqual(t, prover.Memory().DevicePeak, uint64(nearlyFullLimit))
}

// answersMatchReference answers a setup, a residency and a GEMM challenge
// from seal and from the reference, requires equal proofs, and verifies
// them.
func answersMatchReference(t *testing.T, seal, ref gpu.Seal, p proof.Params) {
	t.Helper()
	ctx := context.Background()
	c := seal.Commitment()
	seed, nonce, secret := key("setup seed"), key("nonce"), key("secret")
	sp, err := seal.ProveSetup(ctx, seed)
	require.NoError(t, err)
	want, err := ref.ProveSetup(ctx, seed)
	require.NoError(t, err)
	require.Equal(t, want, sp, "setup proof")
	require.NoError(t, proof.VerifySetup(p, key("full"), c, seed, sp))
	seal.Discard()

	root, err := seal.Residency(ctx, nonce)
	require.NoError(t, err)
	refRoot, err := ref.Residency(ctx, nonce)
	require.NoError(t, err)
	require.Equal(t, refRoot, root, "residency root")
	walks := proof.ResidencyAudit(p, nonce, root, secret)
	rp, err := seal.OpenResidency(walks)
	require.NoError(t, err)
	refRP, err := ref.OpenResidency(walks)
	require.NoError(t, err)
	require.Equal(t, refRP, rp, "walk openings")
	require.NoError(t, proof.VerifyResidency(p, c.SealRoot(), nonce, root, secret, rp))

	roots, err := seal.Gemm(ctx, nonce)
	require.NoError(t, err)
	refRoots, err := ref.Gemm(ctx, nonce)
	require.NoError(t, err)
	require.Equal(t, refRoots, roots, "GEMM roots")
	refs := proof.GemmAudit(p, nonce, roots, secret)
	gp, err := seal.OpenGemm(refs)
	require.NoError(t, err)
	refGP, err := ref.OpenGemm(refs)
	require.NoError(t, err)
	require.Equal(t, refGP, gp, "row openings (recomputed on the device)")
	require.NoError(t, proof.VerifyGemm(p, c.SealRoot(), nonce, roots, secret, gp, nil))
}

// h100-sxm scaled to the emulated device's memory answers every challenge
// of the class's protocol (setup by re-seal, residency, GEMM, both audits)
// as the reference, within the memory.
func TestCUDAScaledClassAnswersEveryAudit(t *testing.T) {
	prover := emulatedOnly(t)
	p, mem, err := proof.ScaledClassParams(scaledClass, scaledBy)
	require.NoError(t, err)
	require.Equal(t, mem, prover.Info().MemoryBytes)
	defer gpu.SetMaxHostLayers(gpu.SetMaxHostLayers(0))
	seal, err := prover.Seal(context.Background(), p, key("full"), gpu.SealOptions{})
	require.NoError(t, err)
	defer seal.Close()
	ref, err := proof.Seal(p, key("full"), nil)
	require.NoError(t, err)
	answersMatchReference(t, seal, gpu.NewCPU(1).FromSealing(ref), p)
	peak := prover.Memory().DevicePeak
	require.LessOrEqual(t, peak, mem)
	t.Logf("%s/%d: params %+v, device peak %d of %d bytes", scaledClass, scaledBy, p, peak, mem)
}

// Edge parameters — one layer, one parent, parents not a multiple of four,
// one walk of one step, the smallest GEMM (16 rows, one label a row), an
// odd number of samples, the smallest seal with one-label walk steps, a row
// of the whole seal, a seal cache — give the CPU reference's answers on the
// CUDA backend.
func TestCUDAEdgeParams(t *testing.T) {
	prover := emulatedOrDevice(t)
	base := proof.Params{Labels: 1 << 11, Layers: 2, Parents: 5, Samples: 7, Walks: 1, Steps: 1, GemmRows: 16, GemmDim: 32, Rounds: 1}
	one := base
	one.Layers, one.Parents = 1, 1
	small := base
	small.Labels, small.Walks, small.Steps, small.Rounds, small.WalkBlock = 2, 2, 3, 3, 1
	wide := base // a GEMM row of the whole seal, a walk block of half of it
	wide.Labels, wide.GemmDim, wide.Walks, wide.Parents, wide.WalkBlock = 32, 1024, 1024, 64, 16
	for name, tc := range map[string]struct {
		p     proof.Params
		cache bool
	}{"base": {p: base}, "one layer": {p: one}, "two labels": {p: small}, "row of the whole seal": {p: wide}, "seal cache": {p: base, cache: true}} {
		t.Run(name, func(t *testing.T) {
			opts := gpu.SealOptions{}
			if tc.cache {
				opts.CacheDir = t.TempDir()
			}
			seal, err := prover.Seal(context.Background(), tc.p, key("full"), opts)
			require.NoError(t, err)
			defer seal.Close()
			if tc.cache {
				files, err := os.ReadDir(opts.CacheDir)
				require.NoError(t, err)
				require.Len(t, files, int(tc.p.Layers)-1, "every layer but P in the cache (P is on the device)")
			}
			ref, err := proof.Seal(tc.p, key("full"), nil)
			require.NoError(t, err)
			require.Equal(t, ref.Commitment(), seal.Commitment())
			answersMatchReference(t, seal, gpu.NewCPU(1).FromSealing(ref), tc.p)
			if tc.cache {
				files, err := os.ReadDir(opts.CacheDir)
				require.NoError(t, err)
				require.Empty(t, files, "Discard deletes the cache")
			}
		})
	}
}

// TestEmulatedDriverLoader runs in TestCUDABackendOnEmulatedDriver's child
// processes: the device as the emulated driver describes it, auto's
// preference for a working driver, and a failing launch reported.
func TestEmulatedDriverLoader(t *testing.T) {
	arch := os.Getenv("LOOPIN_EMUCUDA_CHILD")
	if arch == "" {
		t.Skip("runs on the emulated driver only (TestCUDABackendOnEmulatedDriver)")
	}
	prover, err := gpu.Open(gpu.BackendCUDA)
	require.NoError(t, err)
	defer prover.Close()
	require.Equal(t, gpu.Info{
		Backend: gpu.BackendCUDA, Device: "LooPIN emulated GPU (host CPU, sm_" + arch + ")", MemoryBytes: 8 << 30,
		Driver: "12.4", Compute: arch[:1] + "." + arch[1:], PTX: nativePTX[arch], Workers: 4,
	}, prover.Info())

	auto, err := gpu.Open(gpu.BackendAuto)
	require.NoError(t, err)
	defer auto.Close()
	require.Equal(t, gpu.BackendCUDA, auto.Info().Backend, "auto prefers a working driver")

	t.Setenv("LOOPIN_EMU_FAIL_LAUNCH", "1") // cgo: the C environment follows
	_, err = prover.Seal(context.Background(), proof.TinyParams(), proof.Hash{1}, gpu.SealOptions{})
	require.ErrorContains(t, err, "launch label_layer")
	require.ErrorContains(t, err, "emulated driver: launch refused")
	require.NotErrorIs(t, err, gpu.ErrDeviceReset, "a refused launch is not a fault: no reset")
}

// nativePTX is the PTX each emulated arch loads when nothing is refused.
var nativePTX = map[string]string{"90": "sm_90a", "80": "sm_80", "70": "sm_70"}

// emulatedChild skips a test outside TestCUDABackendOnEmulatedDriver's
// child processes and returns the emulated arch ("90", "80", "70").
func emulatedChild(t *testing.T) string {
	t.Helper()
	arch := os.Getenv("LOOPIN_EMUCUDA_CHILD")
	if arch == "" {
		t.Skip("runs on the emulated driver only (TestCUDABackendOnEmulatedDriver)")
	}
	return arch
}

// TestEmulatedDriverPTXFallback runs in TestCUDABackendOnEmulatedDriver's
// children: a JIT that refuses sm_90a (LOOPIN_EMU_REFUSE_SM90A) leaves a
// Hopper on the sm_80 PTX, which Info reports with the JIT's error log,
// and the results still match the vectors; other arches are not affected.
// When the JIT refuses every PTX, Open's error names each one tried with
// its JIT error log.
func TestEmulatedDriverPTXFallback(t *testing.T) {
	arch := emulatedChild(t)
	t.Run("sm_90a refused", func(t *testing.T) {
		t.Setenv("LOOPIN_EMU_REFUSE_SM90A", "1")
		prover, err := gpu.Open(gpu.BackendCUDA)
		require.NoError(t, err)
		defer prover.Close()
		info := prover.Info()
		if arch != "90" {
			require.Equal(t, nativePTX[arch], info.PTX, "only sm_90a is refused")
			return
		}
		require.True(t, strings.HasPrefix(info.PTX, "sm_80 (sm_90a failed: error 218: "), "Info.PTX: %q", info.PTX)
		require.Contains(t, info.PTX, "PTX .target sm_90a refused by the test", "the JIT error log is kept")
		for _, want := range loadVectors(t) {
			require.Equal(t, want, compute(t, prover, want.Params), "on the sm_80 PTX, CUDA must still match the CPU reference")
		}
	})
	t.Run("every PTX refused", func(t *testing.T) {
		t.Setenv("LOOPIN_EMU_REFUSE_PTX", "sm_90a,sm_80,sm_70")
		_, err := gpu.Open(gpu.BackendCUDA)
		require.Error(t, err)
		tried := map[string][]string{"90": {"sm_90a", "sm_80"}, "80": {"sm_80"}, "70": {"sm_70"}}[arch]
		require.ErrorContains(t, err, fmt.Sprintf("tried %d:", len(tried)))
		for _, target := range tried {
			require.ErrorContains(t, err, "["+target+"] CUDA load PTX "+target+" (cuModuleLoadDataEx)")
			require.ErrorContains(t, err, "JIT error log: ptxas fatal   : emulated JIT: PTX .target "+target+" refused by the test")
		}
		require.Equal(t, len(tried), strings.Count(err.Error(), "JIT error log: ptxas fatal"), "one JIT log per PTX tried: %v", err)
		auto, err := gpu.Open(gpu.BackendAuto)
		require.NoError(t, err)
		defer auto.Close()
		require.Equal(t, gpu.BackendCPU, auto.Info().Backend, "auto falls back to the CPU when no PTX loads")
	})
}

// TestEmulatedDriverFaultRecovery runs in TestCUDABackendOnEmulatedDriver's
// children: a kernel that faults mid-seal (LOOPIN_EMU_FAULT_AT: an illegal
// address, sticky until the context is reset) makes Seal return
// ErrDeviceReset; the same prover then seals again, equal to the
// reference; a seal from before the fault no longer answers (its device
// memory is gone) until it is restored, and then answers as the CPU does;
// a second prover on the device follows the reset; when the reset itself
// fails the calls return ErrDeviceLost until it works.
func TestEmulatedDriverFaultRecovery(t *testing.T) {
	emulatedChild(t)
	ctx := context.Background()
	p := proof.TinyParams()
	prover, err := gpu.Open(gpu.BackendCUDA)
	require.NoError(t, err)
	defer prover.Close()
	other, err := gpu.Open(gpu.BackendCUDA)
	require.NoError(t, err)
	defer other.Close()

	before, err := prover.Seal(ctx, p, key("before"), gpu.SealOptions{})
	require.NoError(t, err)
	var beforeP bytes.Buffer // the sealed layer, as the miner sidecar keeps it on disk
	require.NoError(t, before.WriteSealed(&beforeP))
	nonce := key("nonce")
	wantRoot, err := before.Residency(ctx, nonce)
	require.NoError(t, err)

	// A launch refused without a fault resets nothing: the seal still answers.
	t.Setenv("LOOPIN_EMU_FAIL_LAUNCH", "1")
	_, err = prover.Seal(ctx, p, key("refused"), gpu.SealOptions{})
	require.Error(t, err)
	require.NotErrorIs(t, err, gpu.ErrDeviceReset)
	require.NoError(t, os.Unsetenv("LOOPIN_EMU_FAIL_LAUNCH"))
	root, err := before.Residency(ctx, nonce)
	require.NoError(t, err, "no reset after a non-sticky error")
	require.Equal(t, wantRoot, root)

	// 1024 labels: 3 launches a layer with the tiled kernel set
	// (label_layer, then merkle_levels twice: 9 levels, then 1); the 4th
	// is layer 1's label_layer. Launches are queued, so the fault is
	// reported by the next call (as on a GPU): the error names that call.
	t.Setenv("LOOPIN_EMU_FAULT_AT", "4")
	_, err = prover.Seal(ctx, p, key("faulted"), gpu.SealOptions{})
	require.ErrorIs(t, err, gpu.ErrDeviceReset)
	require.NotErrorIs(t, err, gpu.ErrDeviceLost)
	require.ErrorContains(t, err, "CUDA_ERROR_ILLEGAL_ADDRESS: CUDA launch merkle_levels")
	require.ErrorContains(t, err, "(error 700)")

	ek := key("after")
	ref, err := proof.Seal(p, ek, nil)
	require.NoError(t, err)
	after, err := prover.Seal(ctx, p, ek, gpu.SealOptions{})
	require.NoError(t, err, "the prover works again after the reset")
	require.Equal(t, ref.Commitment(), after.Commitment())
	require.NoError(t, after.Close())

	_, err = before.Residency(ctx, nonce)
	require.ErrorIs(t, err, gpu.ErrDeviceReset, "the seal's device memory went with the reset")
	commit := before.Commitment()
	require.NoError(t, before.Close(), "closing a seal from before the reset frees nothing in the new context")
	restored, err := prover.Restore(ctx, p, key("before"), commit, &beforeP)
	require.NoError(t, err)
	root, err = restored.Residency(ctx, nonce)
	require.NoError(t, err)
	require.Equal(t, wantRoot, root, "the restored seal answers as before the fault")
	require.NoError(t, restored.Close())

	otherSeal, err := other.Seal(ctx, p, ek, gpu.SealOptions{})
	require.NoError(t, err, "a second prover on the device rejoins the reset context")
	require.Equal(t, ref.Commitment(), otherSeal.Commitment())
	require.NoError(t, otherSeal.Close())

	// A reset that fails leaves the device lost; each call tries again, and
	// once the reset works the prover seals again.
	t.Setenv("LOOPIN_EMU_RESET_FAILS", "1")
	t.Setenv("LOOPIN_EMU_FAULT_AT", "3") // a new value: counted afresh
	_, err = prover.Seal(ctx, p, key("lost"), gpu.SealOptions{})
	require.ErrorIs(t, err, gpu.ErrDeviceLost)
	require.NotErrorIs(t, err, gpu.ErrDeviceReset)
	require.ErrorContains(t, err, "(error 700)")
	require.ErrorContains(t, err, "cuDevicePrimaryCtxReset_v2")
	_, err = prover.Seal(ctx, p, key("lost"), gpu.SealOptions{})
	require.ErrorIs(t, err, gpu.ErrDeviceLost, "still lost while the reset fails")
	require.NoError(t, os.Unsetenv("LOOPIN_EMU_RESET_FAILS"))
	again, err := prover.Seal(ctx, p, ek, gpu.SealOptions{})
	require.NoError(t, err, "the prover recovers once the reset works")
	require.Equal(t, ref.Commitment(), again.Commitment())
	require.NoError(t, again.Close())
}

// The CUDA seal times every kernel it launches and runs the walks from
// pinned host memory with the same results as from device memory (the
// comparison the device check makes on a GPU).
func TestCUDAProfiler(t *testing.T) {
	prover := emulatedOrDevice(t)
	ctx := context.Background()
	// The progress callback may ask for the memory held (the miner
	// sidecar's does): it runs while the seal holds the device.
	var peaks []uint64
	seal, err := prover.Seal(ctx, proof.TinyParams(), key("profile"), gpu.SealOptions{Progress: func(int, int) {
		peaks = append(peaks, prover.Memory().DevicePeak)
	}})
	require.NoError(t, err)
	defer seal.Close()
	require.Len(t, peaks, int(proof.TinyParams().Layers))
	require.Positive(t, peaks[0])
	pr, ok := seal.(gpu.Profiler)
	require.True(t, ok)
	times, err := pr.Profile(ctx, key("seed"))
	require.NoError(t, err)
	var names []string
	for _, kt := range times {
		names = append(names, kt.Kernel)
		require.Positive(t, kt.Launches, kt.Kernel)
	}
	for _, want := range []string{"label_layer", "label_leaves", "prg_fill_bt", "gather_rows", "gemm_s8", "row_segments", "row_leaves", "walk", "merkle_levels (GEMM round)"} {
		require.Contains(t, names, want)
	}
	dev, host, err := pr.ResidencyFromHost(ctx, key("nonce"))
	require.NoError(t, err)
	require.Positive(t, dev)
	require.Positive(t, host)
	root, err := seal.Residency(ctx, key("nonce"))
	require.NoError(t, err, "the seal still answers after the measurements")
	ref, err := proof.Seal(proof.TinyParams(), key("profile"), nil)
	require.NoError(t, err)
	run, err := ref.Residency(key("nonce"))
	require.NoError(t, err)
	require.Equal(t, run.Root(), root)
}

// A re-seal for the setup proof that stops midway (its context cancelled)
// leaves the seal without P on the device: every answer then says so with
// gpu.ErrDeviceReset (the miner restores from disk on it) instead of
// reading freed memory, and a later setup proof seals again and brings P
// back.
func TestCUDAReSealCancelled(t *testing.T) {
	prover := emulatedOrDevice(t)
	defer gpu.SetMaxHostLayers(gpu.SetMaxHostLayers(0))
	p := proof.TinyParams()
	seal, err := prover.Seal(context.Background(), p, key("full"), gpu.SealOptions{})
	require.NoError(t, err)
	defer seal.Close()
	root, err := seal.Residency(context.Background(), key("nonce"))
	require.NoError(t, err)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = seal.ProveSetup(cancelled, key("seed"))
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, gpu.ErrDeviceReset)
	_, err = seal.Residency(context.Background(), key("nonce"))
	require.ErrorIs(t, err, gpu.ErrDeviceReset)
	_, err = seal.Gemm(context.Background(), key("nonce"))
	require.ErrorIs(t, err, gpu.ErrDeviceReset)
	require.ErrorIs(t, seal.WriteSealed(io.Discard), gpu.ErrDeviceReset)

	sp, err := seal.ProveSetup(context.Background(), key("seed"))
	require.NoError(t, err)
	require.NoError(t, proof.VerifySetup(p, key("full"), seal.Commitment(), key("seed"), sp))
	again, err := seal.Residency(context.Background(), key("nonce"))
	require.NoError(t, err)
	require.Equal(t, root, again, "P is back")
}
