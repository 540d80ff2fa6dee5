//go:build cgo && linux

package gpu

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// Only the errors that kill the context reset it; a wrapped one is found.
func TestStickyCodeClassifies(t *testing.T) {
	for code, want := range map[int]int{
		1:   0,   // CUDA_ERROR_INVALID_VALUE: a bad launch configuration
		2:   0,   // CUDA_ERROR_OUT_OF_MEMORY
		218: 0,   // CUDA_ERROR_INVALID_PTX
		701: 0,   // CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES: the launch did not happen
		700: 700, // CUDA_ERROR_ILLEGAL_ADDRESS
		715: 715, // CUDA_ERROR_ILLEGAL_INSTRUCTION
		719: 719, // CUDA_ERROR_LAUNCH_FAILED
	} {
		err := fmt.Errorf("seal layer 1: %w", &cuError{what: "run label_layer", code: code, msg: "m"})
		require.Equal(t, want, stickyCode(err), "CUresult %d", code)
	}
	require.Zero(t, stickyCode(errors.New("CUDA run label_layer: (error 700)")), "only a *cuError in the chain counts")
	require.Zero(t, stickyCode(nil))
}

func TestTrimLogFoldsAndCuts(t *testing.T) {
	require.Equal(t, "ptxas fatal : a; ptxas fatal : b", trimLog("  ptxas fatal : a\n\n\tptxas fatal : b\n"))
	long := trimLog(strings.Repeat("é", 300))
	require.True(t, strings.HasSuffix(long, "…"))
	require.LessOrEqual(t, len(long), 400+len("…"))
	require.True(t, strings.HasPrefix(long, "éé"))
	require.True(t, utf8.ValidString(long), "cut on a rune boundary")
}
