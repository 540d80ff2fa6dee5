package gpu

// How to launch the GEMM-round kernels of gpu/kernels/pocps.cu. The CUDA
// backend picks a variant by name (the --kernel option): "simple" is the
// first kernel set (gemm_s8: one warp per 16×32 tile straight from global
// memory with mma.sync on sm_80+, one thread per output with dp4a on
// sm_70), "tiled" the shared-memory one (gemm_s8_tiled: 128×128 per block
// through cp.async, ldmatrix and mma.sync on sm_80+, dp4a over shared
// tiles on sm_70). Both give the same bits.

// Kernel variants.
const (
	KernelSimple = "simple"
	KernelTiled  = "tiled"
)

// gemmTile is gemm_s8_tiled's output tile per block (both dimensions) and
// gemmTiledBlock its threads per block.
const (
	gemmTile       = 128
	gemmTiledBlock = 256
	gemmBlock      = 128
)

// gemmLaunch describes how to launch variant on arch ("sm_70", "sm_80",
// "sm_90a") for C (m×n int32) = A (m×n int8) · B (n×n, given as bt): the
// kernel to launch with (a, bt, c, m, n) on a 1-D grid of grid blocks of
// block threads. "tiled" needs m and n multiples of 128; for other sizes
// it describes gemm_s8 (the fallback), as "simple" does. ok is false for
// an unknown variant or sizes gemm_s8 cannot run (m not a multiple of 16
// or n not a multiple of 32).
func gemmLaunch(arch, variant string, m, n uint32) (kernel string, grid, block uint32, ok bool) {
	if m == 0 || n == 0 || m%16 != 0 || n%32 != 0 {
		return "", 0, 0, false
	}
	switch variant {
	case KernelTiled:
		if m%gemmTile == 0 && n%gemmTile == 0 {
			return "gemm_s8_tiled", (m / gemmTile) * (n / gemmTile), gemmTiledBlock, true
		}
	case KernelSimple:
	default:
		return "", 0, 0, false
	}
	threads := uint64(m/16) * uint64(n/32) * 32 // one warp per 16×32 tile (mma)
	if arch == "sm_70" {
		threads = uint64(m) * uint64(n) // one thread per output (dp4a)
	}
	return "gemm_s8", uint32((threads + gemmBlock - 1) / gemmBlock), gemmBlock, true
}

// prgFillBTLaunch is prg_fill_bt's launch for an n×n B (n a power of two
// ≥ 32): blocks of min(n, 256) threads, one per 32 columns × block rows.
func prgFillBTLaunch(n uint32) (grid, block uint32) {
	block = min(n, 256)
	return (n / 32) * (n / block), block
}

// merkleBlock is merkle_levels' largest block.
const merkleBlock = 256

// merkleLevelsLaunch is one merkle_levels launch over count parents (count
// a power of two): grid blocks of block threads computing levels levels;
// the next launch, if any, takes the count>>(levels−1) nodes of the last
// level as its children. A tree over 2^k leaves takes ⌈k/9⌉ launches.
func merkleLevelsLaunch(count uint64) (grid, block, levels uint32) {
	b := min(count, merkleBlock)
	levels = 1
	for w := b; w > 1; w /= 2 {
		levels++
	}
	return uint32(count / b), uint32(b), levels
}
