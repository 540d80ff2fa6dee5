package system

import (
	"os/exec"
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
