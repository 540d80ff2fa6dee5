// An emulated libcuda.so.1 for the tests on machines without a GPU: it
// answers the driver calls the gpu package makes (gpu/cuda_driver.go) and
// runs the kernels of gpu/kernels/pocps.cu compiled for the host, so the
// CUDA backend's host code and the kernels' logic are checked bit for bit
// against the CPU reference (testdata/vectors.json) before any GPU is at
// hand. Device memory is host memory; a CUdeviceptr is a host address.
//
// Built by gpu's tests with -DLOOPIN_HOST_EMULATION -D__CUDA_ARCH__=<arch>
// (900 or 800: the mma.sync GEMM of sm_80+, 700: the dp4a GEMM of sm_70),
// one library per arch, reporting that compute capability.
// LOOPIN_EMU_FAIL_LAUNCH set in the environment makes every launch fail.
// What it cannot show: the GPU's own behaviour (memory model, scheduling,
// the PTX as ptxas compiles it, speed).
#include <barrier>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "../../kernels/pocps.cu"

thread_local emu_dim3 threadIdx, blockIdx, blockDim, gridDim;

// ------------------------------------------------------------- mma.sync

namespace {

// Warp is the meeting point of one warp's 32 lanes in mma_s8.
struct Warp {
  std::barrier<> meet{32};
  unsigned a[32][4], b[32][2];
  int c[32][4], d[32][4];
};
thread_local Warp *lane_warp;
thread_local unsigned lane_id;

signed char byte_of(unsigned reg, int i) { return (signed char)(reg >> (8 * i)); }

}  // namespace

// mma_s8 gathers the warp's fragments into A (16×32), B (32×8) and C
// (16×8) by the PTX ISA's m16n8k32 layout (groupID g = lane/4,
// threadID_in_group t = lane%4; A: a0 row g cols 4t.., a1 row g+8 cols
// 4t.., a2 row g cols 16+4t.., a3 row g+8 cols 16+4t..; B: b0 rows 4t.. of
// col g, b1 rows 16+4t..; C/D: c0,c1 row g cols 2t,2t+1, c2,c3 row g+8),
// computes D = A·B + C once, and hands each lane its part.
void mma_s8(int d[4], unsigned a0, unsigned a1, unsigned a2, unsigned a3, unsigned b0, unsigned b1) {
  Warp &w = *lane_warp;
  unsigned l = lane_id;
  w.a[l][0] = a0; w.a[l][1] = a1; w.a[l][2] = a2; w.a[l][3] = a3;
  w.b[l][0] = b0; w.b[l][1] = b1;
  for (int i = 0; i < 4; i++) w.c[l][i] = d[i];
  w.meet.arrive_and_wait();
  if (l == 0) {
    int A[16][32], B[32][8], C[16][8];
    for (unsigned L = 0; L < 32; L++) {
      unsigned g = L / 4, t = L % 4;
      for (int i = 0; i < 4; i++) {
        A[g][4 * t + i] = byte_of(w.a[L][0], i);
        A[g + 8][4 * t + i] = byte_of(w.a[L][1], i);
        A[g][16 + 4 * t + i] = byte_of(w.a[L][2], i);
        A[g + 8][16 + 4 * t + i] = byte_of(w.a[L][3], i);
        B[4 * t + i][g] = byte_of(w.b[L][0], i);
        B[16 + 4 * t + i][g] = byte_of(w.b[L][1], i);
      }
      C[g][2 * t] = w.c[L][0]; C[g][2 * t + 1] = w.c[L][1];
      C[g + 8][2 * t] = w.c[L][2]; C[g + 8][2 * t + 1] = w.c[L][3];
    }
    for (int r = 0; r < 16; r++)
      for (int col = 0; col < 8; col++) {
        // int32 wrap-around, as the instruction's .s32 accumulate.
        unsigned acc = (unsigned)C[r][col];
        for (int k = 0; k < 32; k++) acc += (unsigned)(A[r][k] * B[k][col]);
        C[r][col] = (int)acc;
      }
    for (unsigned L = 0; L < 32; L++) {
      unsigned g = L / 4, t = L % 4;
      w.d[L][0] = C[g][2 * t]; w.d[L][1] = C[g][2 * t + 1];
      w.d[L][2] = C[g + 8][2 * t]; w.d[L][3] = C[g + 8][2 * t + 1];
    }
  }
  w.meet.arrive_and_wait();
  for (int i = 0; i < 4; i++) d[i] = w.d[l][i];
}

// -------------------------------------------------------------- kernels

namespace {

template <typename T> T arg(void **params, int i) { return *(T *)params[i]; }
typedef const u8 *cp;
typedef u8 *mp;

// A kernel: how to call it with cuLaunchKernel's parameter array, and
// whether its lanes meet in mma_s8 (run a warp at a time on 32 threads).
struct Kernel {
  const char *name;
  void (*call)(void **p);
  bool warp_wide;
};

const Kernel kernels[] = {
    {"label_layer", [](void **p) { label_layer(arg<cp>(p, 0), arg<u32>(p, 1), arg<u64>(p, 2), arg<u32>(p, 3), arg<cp>(p, 4), arg<mp>(p, 5), arg<mp>(p, 6)); }, false},
    {"merkle_level", [](void **p) { merkle_level(arg<cp>(p, 0), arg<mp>(p, 1), arg<u64>(p, 2)); }, false},
    {"walk", [](void **p) { walk(arg<cp>(p, 0), arg<cp>(p, 1), arg<u64>(p, 2), arg<u32>(p, 3), arg<u32>(p, 4), arg<u32>(p, 5), arg<mp>(p, 6), arg<mp>(p, 7)); }, false},
    {"prg_fill", [](void **p) { prg_fill(arg<cp>(p, 0), arg<mp>(p, 1), arg<u64>(p, 2)); }, false},
    {"transpose_b", [](void **p) { transpose_b(arg<cp>(p, 0), arg<mp>(p, 1), arg<u32>(p, 2)); }, false},
    {"gather_rows", [](void **p) { gather_rows(arg<cp>(p, 0), arg<cp>(p, 1), arg<u64>(p, 2), arg<u32>(p, 3), arg<u32>(p, 4), arg<mp>(p, 5)); }, false},
    {"gemm_s8", [](void **p) { gemm_s8(arg<cp>(p, 0), arg<cp>(p, 1), arg<i32 *>(p, 2), arg<u32>(p, 3), arg<u32>(p, 4)); }, __CUDA_ARCH__ >= 800},
    {"row_segments", [](void **p) { row_segments(arg<const i32 *>(p, 0), arg<u32>(p, 1), arg<u32>(p, 2), arg<mp>(p, 3)); }, false},
    {"row_leaves", [](void **p) { row_leaves(arg<cp>(p, 0), arg<u32>(p, 1), arg<u32>(p, 2), arg<mp>(p, 3)); }, false},
};

int arch() { return __CUDA_ARCH__ / 10; }

std::string module_ptx;

}  // namespace

// ------------------------------------------------------------ driver API

extern "C" {
typedef int CUresult;

CUresult cuInit(unsigned int flags) { return flags == 0 ? 0 : 1; }
CUresult cuDriverGetVersion(int *v) { *v = 12040; return 0; }
CUresult cuDeviceGetCount(int *n) { *n = 1; return 0; }
CUresult cuDeviceGet(int *d, int i) { *d = i; return i == 0 ? 0 : 101; }
CUresult cuDeviceGetName(char *s, int n, int) { snprintf(s, n, "LooPIN emulated GPU (host CPU, sm_%d)", arch()); return 0; }
CUresult cuDeviceTotalMem_v2(size_t *b, int) { *b = 8ULL << 30; return 0; }
CUresult cuDeviceGetAttribute(int *v, int attr, int) {
  switch (attr) {
  case 75: *v = arch() / 10; return 0;  // compute capability major
  case 76: *v = arch() % 10; return 0;  // minor
  case 16: *v = 4; return 0;            // multiprocessors
  }
  return 1;
}
CUresult cuDevicePrimaryCtxRetain(void **c, int) { *c = (void *)0x1; return 0; }
CUresult cuDevicePrimaryCtxRelease_v2(int) { return 0; }
CUresult cuCtxSetCurrent(void *c) { return c == (void *)0x1 ? 0 : 201; }
CUresult cuCtxSynchronize(void) { return 0; }
CUresult cuModuleLoadData(void **m, const void *image) {
  module_ptx = (const char *)image;
  // The PTX must be the one for this device: sm_90a on Hopper, sm_XX else.
  char target[32];
  snprintf(target, sizeof target, ".target sm_%d%s\n", arch(), arch() == 90 ? "a" : "");
  if (module_ptx.find("Generated by LLVM NVPTX") == std::string::npos || module_ptx.find(target) == std::string::npos)
    return 218;  // INVALID_PTX
  *m = (void *)0x2;
  return 0;
}
CUresult cuModuleUnload(void *) { module_ptx.clear(); return 0; }
CUresult cuModuleGetFunction(void **f, void *, const char *name) {
  // The kernel must be in the PTX the loader chose, and emulated here.
  if (module_ptx.find(std::string(".visible .entry ") + name + "(") == std::string::npos) return 500;
  for (const Kernel &k : kernels)
    if (strcmp(k.name, name) == 0) {
      *f = (void *)&k;
      return 0;
    }
  return 500;  // NOT_FOUND
}
CUresult cuMemAlloc_v2(unsigned long long *p, size_t n) { *p = (unsigned long long)calloc(1, n ? n : 1); return *p ? 0 : 2; }
CUresult cuMemFree_v2(unsigned long long p) { free((void *)p); return 0; }
CUresult cuMemcpyHtoD_v2(unsigned long long d, const void *h, size_t n) { memcpy((void *)d, h, n); return 0; }
CUresult cuMemcpyDtoH_v2(void *h, unsigned long long d, size_t n) { memcpy(h, (void *)d, n); return 0; }

// cuLaunchKernel runs every thread of the grid: one after another, or a
// warp at a time on 32 threads for a kernel whose lanes meet in mma_s8.
CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned, void *, void **params, void **) {
  const Kernel &k = *(const Kernel *)f;
  if (getenv("LOOPIN_EMU_FAIL_LAUNCH")) return 98;  // the tests' way to see a failing launch reported
  if (gy != 1 || gz != 1 || by != 1 || bz != 1 || bx == 0 || bx > 1024) return 1;  // the package launches 1-D only
  if (k.warp_wide && bx % 32 != 0) return 1;
  for (unsigned b = 0; b < gx; b++) {
    if (!k.warp_wide) {
      gridDim = {gx, 1, 1}, blockDim = {bx, 1, 1}, blockIdx = {b, 0, 0};
      for (unsigned t = 0; t < bx; t++) {
        threadIdx = {t, 0, 0};
        k.call(params);
      }
      continue;
    }
    for (unsigned w0 = 0; w0 < bx; w0 += 32) {
      Warp warp;
      std::vector<std::thread> lanes;
      for (unsigned l = 0; l < 32; l++)
        lanes.emplace_back([&, l] {
          gridDim = {gx, 1, 1}, blockDim = {bx, 1, 1}, blockIdx = {b, 0, 0}, threadIdx = {w0 + l, 0, 0};
          lane_warp = &warp, lane_id = l;
          k.call(params);
        });
      for (auto &t : lanes) t.join();
    }
  }
  return 0;
}
CUresult cuGetErrorString(CUresult r, const char **s) {
  switch (r) {
  case 1: *s = "emulated driver: invalid launch"; return 0;
  case 98: *s = "emulated driver: launch refused (LOOPIN_EMU_FAIL_LAUNCH)"; return 0;
  case 218: *s = "a PTX JIT compilation failed"; return 0;
  case 500: *s = "named symbol not found"; return 0;
  }
  *s = "emulated driver error";
  return 0;
}
}
