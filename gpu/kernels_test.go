package gpu

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestGemmLaunch pins the launch shapes of the GEMM variants and the
// fallback from "tiled" to gemm_s8 off the 128×128 tile.
func TestGemmLaunch(t *testing.T) {
	for _, c := range []struct {
		arch, variant string
		m, n          uint32
		kernel        string
		grid, block   uint32
		ok            bool
	}{
		{"sm_90a", KernelTiled, 256, 512, "gemm_s8_tiled", 8, 256, true},
		{"sm_80", KernelTiled, 8192, 8192, "gemm_s8_tiled", 4096, 256, true},
		{"sm_70", KernelTiled, 128, 128, "gemm_s8_tiled", 1, 256, true},
		{"sm_90a", KernelTiled, 64, 128, "gemm_s8", 4, 128, true}, // m off the tile
		{"sm_80", KernelTiled, 128, 96, "gemm_s8", 6, 128, true},  // n off the tile
		{"sm_90a", KernelSimple, 256, 512, "gemm_s8", 64, 128, true},
		{"sm_70", KernelSimple, 16, 64, "gemm_s8", 8, 128, true}, // one thread per output
		{"sm_80", KernelSimple, 8, 64, "", 0, 0, false},          // m not a multiple of 16
		{"sm_80", KernelSimple, 16, 48, "", 0, 0, false},         // n not a multiple of 32
		{"sm_80", "fast", 128, 128, "", 0, 0, false},
	} {
		kernel, grid, block, ok := gemmLaunch(c.arch, c.variant, c.m, c.n)
		require.Equal(t, []any{c.kernel, c.grid, c.block, c.ok}, []any{kernel, grid, block, ok}, "%+v", c)
	}
}

// TestMerkleLevelsLaunch: the launches cover every level of the tree, each
// closing its blocks' subtrees.
func TestMerkleLevelsLaunch(t *testing.T) {
	for k := uint(1); k <= 30; k++ {
		levels, launches := uint32(0), 0
		for count := uint64(1) << (k - 1); count >= 1; launches++ {
			grid, block, l := merkleLevelsLaunch(count)
			require.Equal(t, count, uint64(grid)*uint64(block))
			require.LessOrEqual(t, block, uint32(merkleBlock))
			require.Equal(t, uint64(block), uint64(1)<<(l-1), "levels close inside a block")
			levels += l
			count >>= l
		}
		require.Equal(t, uint32(k), levels, "2^%d leaves", k)
		require.Equal(t, int(k+8)/9, launches, "2^%d leaves", k)
	}
	grid, block := prgFillBTLaunch(64)
	require.Equal(t, []uint32{2, 64}, []uint32{grid, block})
	grid, block = prgFillBTLaunch(8192)
	require.Equal(t, []uint32{256 * 32, 256}, []uint32{grid, block})
}
