//go:build cgo && linux

package gpu

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/proof"
)

// TestKernelVariantsOnEmulatedDriver runs the round kernels' variants on
// the emulated driver (testdata/emucuda) for sm_90a, sm_80 and sm_70 and
// compares them bit for bit with the CPU reference: prg_fill_bt against
// prg_fill + transpose_b and the transpose of proof.GemmB; gemm_s8 and
// gemm_s8_tiled (as gemmLaunch picks them: the tiled kernel for multiples
// of its 128×128 tile, gemm_s8 for the rest) against a plain int32 matmul.
// The tiled kernels run on the emulator's concurrent-block mode (real
// __syncthreads barriers, cp.async, ldmatrix and mma.sync lanes meeting),
// which also checks that gemm_s8_tiled's swizzled tiles give ldmatrix no
// shared-memory bank conflicts (LOOPIN_EMU_BANKS: the emulator counts the
// phases whose 8 rows share a bank group).
// dlopen reads LD_LIBRARY_PATH at process start, so each arch runs in a
// child process.
func TestKernelVariantsOnEmulatedDriver(t *testing.T) {
	if os.Getenv("LOOPIN_EMUCUDA_CHILD") != "" || os.Getenv("LOOPIN_EMUCUDA_KERNELS") != "" {
		t.Skip("in a child, only the tests it was started for run")
	}
	for _, arch := range []string{"90", "80", "70"} {
		t.Run("sm_"+arch, func(t *testing.T) {
			dir := BuildEmulatedDriver(t, arch)
			child := exec.Command(os.Args[0], "-test.run", "^TestKernelVariantsChild$", "-test.v", "-test.count=1")
			child.Env = append(os.Environ(), "LOOPIN_EMUCUDA_KERNELS="+arch, "LD_LIBRARY_PATH="+dir, "LOOPIN_EMU_BANKS=1")
			out, err := child.CombinedOutput()
			require.NoError(t, err, "child:\n%s", out)
			require.Contains(t, string(out), "--- PASS: TestKernelVariantsChild", "child:\n%s", out)
			require.False(t, strings.Contains(string(out), "--- SKIP"), "child:\n%s", out)
			if arch != "70" {
				banks := regexp.MustCompile(`emucuda: gemm_s8_tiled: (\d+) ldmatrix phases, (\d+) with shared bank conflicts`).FindAllStringSubmatch(string(out), -1)
				require.NotEmpty(t, banks, "child:\n%s", out)
				for _, b := range banks {
					require.Equal(t, "0", b[2], "ldmatrix bank conflicts: %s", b[0])
				}
			}
			t.Logf("child:\n%s", out)
		})
	}
}

// TestKernelVariantsChild is TestKernelVariantsOnEmulatedDriver's child.
func TestKernelVariantsChild(t *testing.T) {
	arch := os.Getenv("LOOPIN_EMUCUDA_KERNELS")
	if arch == "" {
		t.Skip("runs on the emulated driver only (TestKernelVariantsOnEmulatedDriver)")
	}
	d, err := newDriver()
	require.NoError(t, err)
	defer d.close()
	require.Equal(t, map[string]string{"90": "sm_90a", "80": "sm_80", "70": "sm_70"}[arch], d.arch)

	for _, sz := range []struct {
		m, n  uint32
		tiled bool // gemmLaunch picks gemm_s8_tiled for "tiled"
	}{
		{16, 64, false},  // below the tile: gemm_s8
		{128, 96, false}, // n not a multiple of 128: gemm_s8
		{64, 128, false}, // m not a multiple of 128: gemm_s8
		{128, 128, true}, // one tile
		{256, 512, true}, // 2×4 tiles, 8 k-stages
		{256, 128, true}, // 2×1 tiles
	} {
		t.Run(fmt.Sprintf("m%d_n%d", sz.m, sz.n), func(t *testing.T) {
			m, n := sz.m, sz.n
			seed := proof.Hash{byte(m), byte(n), 0x5e}
			b := proof.GemmB(proof.Params{GemmDim: n}, seed, 3)
			wantBt := make([]byte, n*n)
			for k := range n {
				for j := range n {
					wantBt[j*n+k] = byte(b[k*n+j])
				}
			}
			rng := rand.New(rand.NewPCG(uint64(m), uint64(n)))
			a := make([]byte, m*n)
			for i := range a {
				a[i] = byte(rng.Uint32())
			}
			a[0], a[1] = 0x80, 0x7f // the extremes, −128 and 127
			want := make([]int32, m*n)
			for r := range m {
				for j := range n {
					var acc int32
					for k := range n {
						acc += int32(int8(a[r*n+k])) * int32(b[k*n+j])
					}
					want[r*n+j] = acc
				}
			}
			require.NoError(t, d.do(func() error {
				var bufs []devBuf
				defer func() {
					for _, x := range bufs {
						d.free(x)
					}
				}()
				alloc := func(size uint64) devBuf {
					x, err := d.alloc(size)
					require.NoError(t, err)
					bufs = append(bufs, x)
					return x
				}
				sb, bb, bt1, bt2 := alloc(32), alloc(uint64(n)*uint64(n)), alloc(uint64(n)*uint64(n)), alloc(uint64(n)*uint64(n))
				ab, cb := alloc(uint64(m)*uint64(n)), alloc(uint64(m)*uint64(n)*4)
				bseed := proof.GemmBSeed(seed, 3)
				require.NoError(t, d.upload(sb, bseed[:]))
				blocks := uint64(n) * uint64(n) / 32
				require.NoError(t, d.launch("prg_fill", blocks, 128, sb, bb, blocks))
				require.NoError(t, d.launch("transpose_b", uint64(n)*uint64(n), 128, bb, bt1, n))
				grid, block := prgFillBTLaunch(n)
				require.NoError(t, d.launchBlocks("prg_fill_bt", grid, block, sb, bt2, n))
				got1, got2 := make([]byte, n*n), make([]byte, n*n)
				require.NoError(t, d.download(bt1, got1))
				require.NoError(t, d.download(bt2, got2))
				require.Equal(t, wantBt, got1, "prg_fill + transpose_b")
				require.Equal(t, wantBt, got2, "prg_fill_bt")

				require.NoError(t, d.upload(ab, a))
				garbage := make([]byte, m*n*4)
				for i := range garbage {
					garbage[i] = 0xa5
				}
				for _, variant := range []string{KernelSimple, KernelTiled} {
					kernel, grid, block, ok := gemmLaunch(d.arch, variant, m, n)
					require.True(t, ok)
					require.Equal(t, variant == KernelTiled && sz.tiled, kernel == "gemm_s8_tiled", "%s picks %s", variant, kernel)
					require.NoError(t, d.upload(cb, garbage)) // every output must be written
					require.NoError(t, d.launchBlocks(kernel, grid, block, ab, bt2, cb, m, n))
					raw := make([]byte, m*n*4)
					require.NoError(t, d.download(cb, raw))
					got := make([]int32, m*n)
					for i := range got {
						got[i] = int32(binary.LittleEndian.Uint32(raw[4*i:]))
					}
					require.Equal(t, want, got, "%s (%s, grid %d × %d)", variant, kernel, grid, block)
					t.Logf("%s: %s grid %d block %d: equal", variant, kernel, grid, block)
				}
				return nil
			}))
		})
	}
	for _, leaves := range []uint64{2, 4, 64, 512, 2048} {
		t.Run(fmt.Sprintf("merkle_levels_%d", leaves), func(t *testing.T) {
			testMerkleLevels(t, d, leaves)
		})
	}
	t.Run("misaligned", func(t *testing.T) {
		// A 16-byte access off its alignment faults on a GPU: the emulator
		// fails the launch with a sticky 716, and the driver resets the
		// context (ErrDeviceReset) and works again.
		err := d.do(func() error {
			in, err := d.alloc(128)
			require.NoError(t, err)
			defer d.free(in)
			out, err := d.alloc(64)
			require.NoError(t, err)
			defer d.free(out)
			require.NoError(t, d.launch("merkle_level", 1, 32, in, out, uint64(1)))
			off := in
			off.ptr += 4
			return d.launch("merkle_level", 1, 32, off, out, uint64(1))
		})
		require.ErrorIs(t, err, ErrDeviceReset)
		require.ErrorContains(t, err, "misaligned")
		require.NoError(t, d.do(func() error {
			b, err := d.alloc(64)
			require.NoError(t, err)
			defer d.free(b)
			return d.launch("merkle_level", 1, 32, b, b, uint64(1))
		}))
	})
	_, _, _, ok := gemmLaunch(d.arch, "fast", 128, 128)
	require.False(t, ok, "unknown variant")
	_, _, _, ok = gemmLaunch(d.arch, KernelTiled, 8, 128)
	require.False(t, ok, "m not a multiple of 16")
}

// testMerkleLevels builds the tree over leaves random leaf hashes with
// merkle_levels, launch after launch as merkleLevelsLaunch says, and
// compares every level with proof.NewTree's.
func testMerkleLevels(t *testing.T, d *driver, leaves uint64) {
	hs := make([]proof.Hash, leaves)
	rng := rand.New(rand.NewPCG(leaves, 7))
	for i := range hs {
		for j := range hs[i] {
			hs[i][j] = byte(rng.Uint32())
		}
	}
	want, err := proof.NewTree(hs)
	require.NoError(t, err)
	got := [][]proof.Hash{hs}
	launches := 0
	require.NoError(t, d.do(func() error {
		host := make([]byte, 0, 32*leaves)
		for _, h := range hs {
			host = append(host, h[:]...)
		}
		for count := leaves / 2; count >= 1; {
			grid, block, levels := merkleLevelsLaunch(count)
			in, err := d.alloc(64 * count)
			require.NoError(t, err)
			out, err := d.alloc(64 * count)
			require.NoError(t, err)
			require.NoError(t, d.upload(in, host))
			require.NoError(t, d.launchBlocks("merkle_levels", grid, block, in, out, count, levels))
			all := make([]byte, 64*count)
			require.NoError(t, d.download(out, all))
			d.free(in)
			d.free(out)
			launches++
			off := uint64(0)
			for l := uint32(0); l < levels; l++ {
				n := count >> l
				lvl := make([]proof.Hash, n)
				for i := range lvl {
					copy(lvl[i][:], all[32*(off+uint64(i)):])
				}
				got = append(got, lvl)
				host = all[32*off : 32*(off+n)]
				off += n
			}
			count >>= levels
		}
		return nil
	}))
	require.Equal(t, want.Levels, got)
	t.Logf("%d leaves: %d levels in %d launches", leaves, len(got)-1, launches)
}
