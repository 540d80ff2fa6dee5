//go:build cgo && linux

package gpu_test

import (
	"context"
	"errors"
	"fmt"
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
			dir := t.TempDir()
			out, err := exec.Command("bash", "testdata/emucuda/build.sh", arch, dir).CombinedOutput()
			var exit *exec.ExitError
			if errors.As(err, &exit) && exit.ExitCode() == 3 {
				t.Skipf("cannot build the emulated driver here: %s", out)
			}
			require.NoError(t, err, "build the emulated driver: %s", out)
			child := exec.Command(os.Args[0], "-test.run", "^(TestCUDAMatchesVectors|TestCUDABackendProofsVerify|TestEmulatedDriverLoader|TestEmulatedDriverPTXFallback|TestEmulatedDriverFaultRecovery)$", "-test.v", "-test.count=1")
			child.Env = append(os.Environ(), "LOOPIN_EMUCUDA_CHILD="+arch, "LD_LIBRARY_PATH="+dir)
			out, err = child.CombinedOutput()
			require.NoError(t, err, "child:\n%s", out)
			require.Contains(t, string(out), "--- PASS: TestCUDAMatchesVectors", "child:\n%s", out)
			require.Contains(t, string(out), "--- PASS: TestCUDABackendProofsVerify", "child:\n%s", out)
			require.Contains(t, string(out), "--- PASS: TestEmulatedDriverLoader", "child:\n%s", out)
			require.Contains(t, string(out), "--- PASS: TestEmulatedDriverPTXFallback", "child:\n%s", out)
			require.Contains(t, string(out), "--- PASS: TestEmulatedDriverFaultRecovery", "child:\n%s", out)
			require.False(t, strings.Contains(string(out), "--- SKIP"), "child:\n%s", out)
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
	_, err = prover.Seal(context.Background(), proof.TinyParams(), proof.Hash{1}, nil)
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

	before, err := prover.Seal(ctx, p, key("before"), nil)
	require.NoError(t, err)
	nonce := key("nonce")
	wantRoot, err := before.Residency(ctx, nonce)
	require.NoError(t, err)

	// A launch refused without a fault resets nothing: the seal still answers.
	t.Setenv("LOOPIN_EMU_FAIL_LAUNCH", "1")
	_, err = prover.Seal(ctx, p, key("refused"), nil)
	require.Error(t, err)
	require.NotErrorIs(t, err, gpu.ErrDeviceReset)
	require.NoError(t, os.Unsetenv("LOOPIN_EMU_FAIL_LAUNCH"))
	root, err := before.Residency(ctx, nonce)
	require.NoError(t, err, "no reset after a non-sticky error")
	require.Equal(t, wantRoot, root)

	// 1024 labels: 11 launches a layer (label_layer, 10 tree levels); the
	// 12th is layer 1's label_layer.
	t.Setenv("LOOPIN_EMU_FAULT_AT", "12")
	_, err = prover.Seal(ctx, p, key("faulted"), nil)
	require.ErrorIs(t, err, gpu.ErrDeviceReset)
	require.NotErrorIs(t, err, gpu.ErrDeviceLost)
	require.ErrorContains(t, err, "CUDA_ERROR_ILLEGAL_ADDRESS: CUDA run label_layer")
	require.ErrorContains(t, err, "(error 700)")

	ek := key("after")
	ref, err := proof.Seal(p, ek, nil)
	require.NoError(t, err)
	after, err := prover.Seal(ctx, p, ek, nil)
	require.NoError(t, err, "the prover works again after the reset")
	require.Equal(t, ref.Commitment(), after.Commitment())
	require.NoError(t, after.Close())

	_, err = before.Residency(ctx, nonce)
	require.ErrorIs(t, err, gpu.ErrDeviceReset, "the seal's device memory went with the reset")
	sealing := before.Sealing() // the host copy, as the miner sidecar keeps it on disk
	require.NoError(t, before.Close(), "closing a seal from before the reset frees nothing in the new context")
	restored, err := prover.Restore(sealing)
	require.NoError(t, err)
	root, err = restored.Residency(ctx, nonce)
	require.NoError(t, err)
	require.Equal(t, wantRoot, root, "the restored seal answers as before the fault")
	require.NoError(t, restored.Close())

	otherSeal, err := other.Seal(ctx, p, ek, nil)
	require.NoError(t, err, "a second prover on the device rejoins the reset context")
	require.Equal(t, ref.Commitment(), otherSeal.Commitment())
	require.NoError(t, otherSeal.Close())

	// A reset that fails leaves the device lost; each call tries again, and
	// once the reset works the prover seals again.
	t.Setenv("LOOPIN_EMU_RESET_FAILS", "1")
	t.Setenv("LOOPIN_EMU_FAULT_AT", "3") // a new value: counted afresh
	_, err = prover.Seal(ctx, p, key("lost"), nil)
	require.ErrorIs(t, err, gpu.ErrDeviceLost)
	require.NotErrorIs(t, err, gpu.ErrDeviceReset)
	require.ErrorContains(t, err, "(error 700)")
	require.ErrorContains(t, err, "cuDevicePrimaryCtxReset_v2")
	_, err = prover.Seal(ctx, p, key("lost"), nil)
	require.ErrorIs(t, err, gpu.ErrDeviceLost, "still lost while the reset fails")
	require.NoError(t, os.Unsetenv("LOOPIN_EMU_RESET_FAILS"))
	again, err := prover.Seal(ctx, p, ek, nil)
	require.NoError(t, err, "the prover recovers once the reset works")
	require.Equal(t, ref.Commitment(), again.Commitment())
	require.NoError(t, again.Close())
}
