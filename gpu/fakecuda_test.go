//go:build cgo && linux

package gpu_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/gpu"
	"github.com/loopin-project/loopin/proof"
)

// TestDriverLoaderWithFakeLibcuda builds a stand-in libcuda.so.1 and runs
// the loader against it in a child process (dlopen reads LD_LIBRARY_PATH at
// process start): the driver symbols resolve, the device is described, the
// sm_90a PTX is chosen and loads, every kernel is found, buffers allocate
// and upload,
// and a kernel launch reaches the driver with its error reported.
func TestDriverLoaderWithFakeLibcuda(t *testing.T) {
	if os.Getenv("LOOPIN_FAKECUDA_CHILD") == "1" {
		fakeDriverChild(t)
		return
	}
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler to build the fake driver")
	}
	dir := t.TempDir()
	out, err := exec.Command(cc, "-shared", "-fPIC", "-o", filepath.Join(dir, "libcuda.so.1"), "testdata/fakecuda/fakecuda.c").CombinedOutput()
	require.NoError(t, err, "%s", out)
	child := exec.Command(os.Args[0], "-test.run", "^TestDriverLoaderWithFakeLibcuda$", "-test.v")
	child.Env = append(os.Environ(), "LOOPIN_FAKECUDA_CHILD=1", "LD_LIBRARY_PATH="+dir)
	out, err = child.CombinedOutput()
	require.NoError(t, err, "child:\n%s", out)
	require.Contains(t, string(out), "--- PASS: TestDriverLoaderWithFakeLibcuda")
}

func fakeDriverChild(t *testing.T) {
	prover, err := gpu.Open(gpu.BackendCUDA)
	require.NoError(t, err)
	defer prover.Close()
	info := prover.Info()
	require.Equal(t, gpu.Info{
		Backend: gpu.BackendCUDA, Device: "LooPIN Fake GPU", MemoryBytes: 80_000_000_000,
		Driver: "12.4", Compute: "9.0", Workers: 132,
	}, info)

	auto, err := gpu.Open(gpu.BackendAuto)
	require.NoError(t, err)
	require.Equal(t, gpu.BackendCUDA, auto.Info().Backend, "auto prefers a working driver")

	_, err = prover.Seal(context.Background(), proof.TinyParams(), proof.Hash{1}, nil)
	require.ErrorContains(t, err, "launch label_layer")
	require.ErrorContains(t, err, "fake driver: kernels do not run")
}
