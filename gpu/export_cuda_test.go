//go:build cgo && linux

package gpu

import (
	"errors"
	"os/exec"
	"testing"
)

// BuildEmulatedDriver builds the emulated libcuda.so.1 for arch ("90",
// "80", "70") into a temporary directory and returns it; the test skips
// where no C++ compiler is found (build.sh exits 3).
func BuildEmulatedDriver(t *testing.T, arch string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("bash", "testdata/emucuda/build.sh", arch, dir).CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 3 {
		t.Skipf("cannot build the emulated driver here: %s", out)
	}
	if err != nil {
		t.Fatalf("build the emulated driver: %v\n%s", err, out)
	}
	return dir
}

// SetMaxHostLayers sets the bytes of layers a CUDA seal keeps on the host
// (0: none, so every setup proof re-seals) and returns the previous value.
func SetMaxHostLayers(n uint64) uint64 {
	old := maxHostLayers
	maxHostLayers = n
	return old
}
