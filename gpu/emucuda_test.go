//go:build cgo && linux

package gpu_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCUDABackendOnEmulatedDriver runs the CUDA backend, unchanged, on
// the emulated libcuda.so.1 of testdata/emucuda: the loader picks the PTX
// for the reported arch, and the kernels of gpu/kernels/pocps.cu, compiled
// for the host, run every launch the backend makes. The results must match
// testdata/vectors.json bit for bit, once with the sm_90 path (mma.sync
// GEMM, a warp's 32 lanes on 32 threads) and once with the sm_70 path
// (dp4a). This checks the backend's host code and the kernels' logic on a
// machine without a GPU; the GPU's own behaviour still needs a device
// (scripts/gpu-device-check.sh).
func TestCUDABackendOnEmulatedDriver(t *testing.T) {
	cxx := ""
	for _, c := range []string{"g++", "clang++-19", "clang++"} {
		if p, err := exec.LookPath(c); err == nil {
			cxx = p
			break
		}
	}
	if cxx == "" {
		t.Skip("no C++ compiler to build the emulated driver (apt-get install -y g++)")
	}
	for _, arch := range []string{"900", "700"} {
		t.Run("sm_"+arch[:2], func(t *testing.T) {
			dir := t.TempDir()
			build := exec.Command(cxx, "-std=c++20", "-O2", "-shared", "-fPIC", "-pthread",
				"-DLOOPIN_HOST_EMULATION", "-D__CUDA_ARCH__="+arch, "-Itestdata/emucuda",
				"-o", filepath.Join(dir, "libcuda.so.1"), "testdata/emucuda/emucuda.cc")
			out, err := build.CombinedOutput()
			require.NoError(t, err, "build the emulated driver: %s", out)
			child := exec.Command(os.Args[0], "-test.run", "^TestCUDAMatchesVectors$", "-test.v", "-test.count=1")
			child.Env = append(os.Environ(), "LD_LIBRARY_PATH="+dir)
			out, err = child.CombinedOutput()
			require.NoError(t, err, "child:\n%s", out)
			require.Contains(t, string(out), "--- PASS: TestCUDAMatchesVectors", "child:\n%s", out)
			require.Contains(t, string(out), "LooPIN emulated GPU (host CPU, sm_"+arch[:2]+")", "the emulated driver was the one loaded")
			require.False(t, strings.Contains(string(out), "--- SKIP"), "child:\n%s", out)
		})
	}
}
