//go:build cgo && linux

package gpu_test

import (
	"context"
	"errors"
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
			child := exec.Command(os.Args[0], "-test.run", "^(TestCUDAMatchesVectors|TestCUDABackendProofsVerify|TestEmulatedDriverLoader)$", "-test.v", "-test.count=1")
			child.Env = append(os.Environ(), "LOOPIN_EMUCUDA_CHILD="+arch, "LD_LIBRARY_PATH="+dir)
			out, err = child.CombinedOutput()
			require.NoError(t, err, "child:\n%s", out)
			require.Contains(t, string(out), "--- PASS: TestCUDAMatchesVectors", "child:\n%s", out)
			require.Contains(t, string(out), "--- PASS: TestCUDABackendProofsVerify", "child:\n%s", out)
			require.Contains(t, string(out), "--- PASS: TestEmulatedDriverLoader", "child:\n%s", out)
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
		Driver: "12.4", Compute: arch[:1] + "." + arch[1:], Workers: 4,
	}, prover.Info())

	auto, err := gpu.Open(gpu.BackendAuto)
	require.NoError(t, err)
	defer auto.Close()
	require.Equal(t, gpu.BackendCUDA, auto.Info().Backend, "auto prefers a working driver")

	t.Setenv("LOOPIN_EMU_FAIL_LAUNCH", "1") // cgo: the C environment follows
	_, err = prover.Seal(context.Background(), proof.TinyParams(), proof.Hash{1}, gpu.SealOptions{})
	require.ErrorContains(t, err, "launch label_layer")
	require.ErrorContains(t, err, "emulated driver: launch refused")
}
