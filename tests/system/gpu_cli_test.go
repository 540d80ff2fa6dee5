package system

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestGPUCommands runs `loopind gpu info` and `loopind gpu bench` on the CPU
// backend as a user would and checks what they print.
func TestGPUCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds loopind; skipped with -short")
	}
	bin := buildBinary(t, t.TempDir())
	run := func(args ...string) (string, error) {
		out, err := exec.Command(bin, args...).CombinedOutput()
		return string(out), err
	}

	out, err := run("gpu", "info", "--backend", "cpu")
	require.NoError(t, err, out)
	require.Contains(t, out, "backend:  cpu")
	require.Contains(t, out, "workers:")

	out, err = run("gpu", "info")
	require.NoError(t, err, out)
	require.Regexp(t, `backend:  (cpu|cuda)`, out, "auto always finds a backend")

	out, err = run("gpu", "bench", "--backend", "cpu", "--seal-size", "1MiB", "--gemm-dim", "64", "--rounds", "2", "--walks", "1024")
	require.NoError(t, err, out)
	for _, line := range []string{"Seal.........:", "Residency....:", "GEMM.........:", "Audit (CPU)..:", "ops/s"} {
		require.Contains(t, out, line)
	}

	out, err = run("gpu", "bench", "--backend", "cpu", "--seal-size", "3MiB")
	require.Error(t, err)
	require.Contains(t, out, "labels must be a power of two")

	out, err = run("gpu", "bench", "--class", "h100-sxm", "--backend", "cpu")
	require.Error(t, err, "a 64 GiB seal does not fit this machine's RAM on the CPU backend")
	require.True(t, strings.Contains(out, "RAM") || strings.Contains(out, "memory"), out)

	out, err = run("gpu", "bench", "--backend", "opencl")
	require.Error(t, err)
	require.Contains(t, out, "unknown backend")
}

// TestGPUBenchScaledClassOnEmulatedDriver runs `loopind gpu bench --backend
// cuda --class h100-sxm --scale N` as a user would on the emulated driver
// (gpu/testdata/emucuda) whose device memory is the class's, scaled: the
// seal (more than half the memory), its setup proof by re-sealing, the
// residency walk, the GEMM and both audits complete, and the peak device
// memory printed is below the limit. Then a device too small for the class
// is refused before anything is sealed, with the sizes.
func TestGPUBenchScaledClassOnEmulatedDriver(t *testing.T) {
	if testing.Short() {
		t.Skip("builds loopind and the emulated driver; skipped with -short")
	}
	emu := t.TempDir()
	out, err := exec.Command("bash", filepath.Join(repoRoot(), "gpu/testdata/emucuda/build.sh"), "90", emu).CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 3 {
		t.Skipf("cannot build the emulated driver here: %s", out)
	}
	require.NoError(t, err, "%s", out)
	bin := buildBinary(t, t.TempDir())
	const scale = 1 << 14 // h100-sxm: 80 GB / 16384 = 4.88 MB, a 4 MiB seal
	bench := func(memory string) (string, error) {
		cmd := exec.Command(bin, "gpu", "bench", "--backend", "cuda", "--class", "h100-sxm", "--scale", fmt.Sprint(scale))
		cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+emu, "LOOPIN_EMU_MEMORY="+memory)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	limit := uint64(80e9) / scale
	out2, err := bench(fmt.Sprint(limit))
	require.NoError(t, err, out2)
	for _, line := range []string{"class: h100-sxm/16384", "Seal.........: 4 MiB × 8 layers", "Setup proof..: 32 samples", "verified",
		"Residency....:", "GEMM.........:", "Audit (CPU)..: residency"} {
		require.Contains(t, out2, line)
	}
	m := regexp.MustCompile(`device peak ([0-9.]+) MiB of ([0-9.]+) MiB`).FindStringSubmatch(out2)
	require.NotNil(t, m, out2)
	peak, _ := strconv.ParseFloat(m[1], 64)
	total, _ := strconv.ParseFloat(m[2], 64)
	require.Less(t, peak, total, "peak device memory below the limit")
	require.Greater(t, peak, 0.8*total, "the seal fills most of the device")

	out2, err = bench(fmt.Sprint(limit * 7 / 10))
	require.Error(t, err, out2)
	require.Contains(t, out2, "not enough device memory: a seal of 4 MiB needs")
	require.NotContains(t, out2, "Seal.........:")
}
