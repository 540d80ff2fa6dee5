// An emulated libcuda.so.1 for the tests on machines without a GPU: it
// answers the driver calls the gpu package makes (gpu/cuda_driver.go) and
// runs the kernels of gpu/kernels/pocps.cu compiled for the host, so the
// CUDA backend's host code and the kernels' logic are checked bit for bit
// against the CPU reference (testdata/vectors.json) before any GPU is at
// hand. Device memory is host memory; a CUdeviceptr is a host address.
//
// Built by gpu's tests with -DLOOPIN_HOST_EMULATION -D__CUDA_ARCH__=<arch>
// (900 or 800: the mma.sync GEMMs of sm_80+, 700: the dp4a ones of sm_70),
// one library per arch, reporting that compute capability. A launch runs
// one block at a time, its threads serially, a warp at a time, or all at
// once (Kernel::Mode); the warp-wide instructions (mma.sync, ldmatrix) are
// computed where a warp's lanes meet, cp.async poisons its destination
// until the wait that covers it, and misaligned 16-byte accesses fail the
// launch with 716, sticky as a fault (below). LOOPIN_EMU_BANKS prints each launch's ldmatrix
// bank-conflict count.
// LOOPIN_EMU_MEMORY limits device memory (cuMemAlloc_v2 below).
// Fault injection, read from the environment at each call:
//   LOOPIN_EMU_FAIL_LAUNCH=1     every launch fails (98, not sticky);
//   LOOPIN_EMU_FAULT_AT=N        the Nth launch (counted from when the
//                                value was set) faults: it returns, the
//                                next call reports 700 (ILLEGAL_ADDRESS)
//                                and every call after returns 700 until
//                                cuDevicePrimaryCtxReset_v2 (all but
//                                cuMemAlloc_v2 and cuMemFree_v2, which
//                                keep working);
//   LOOPIN_EMU_REFUSE_SM90A=1    the JIT refuses sm_90a PTX, with an error
//                                log, as a driver too old for it would;
//   LOOPIN_EMU_REFUSE_PTX=a,b    the JIT refuses these targets ("sm_80");
//   LOOPIN_EMU_RESET_FAILS=1     cuDevicePrimaryCtxReset_v2 fails (999).
// What it cannot show: the GPU's own behaviour (memory model, scheduling,
// the PTX as ptxas compiles it, speed).
#include <atomic>
#include <barrier>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
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
  const unsigned char *addr[32];
};
thread_local Warp *lane_warp;
thread_local unsigned lane_id;
// The barrier of __syncthreads for a block run on concurrent threads.
thread_local std::barrier<> *block_barrier;

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

void __syncthreads() {
  if (block_barrier) block_barrier->arrive_and_wait();
}

// cp.async groups of this thread: copies issued since the last commit, and
// the committed groups not yet waited for, oldest first.
namespace {
struct CpAsync {
  unsigned char *dst;
  const void *src;
};
thread_local std::vector<CpAsync> cp_open;
thread_local std::deque<std::vector<CpAsync>> cp_groups;
}  // namespace

// What a launch's lanes did that a GPU would fault on or serialize: a
// 16-byte access (cp.async, ldmatrix, the kernels' vector loads and
// stores) at an address not 16-byte aligned (the launch fails with
// CUDA_ERROR_MISALIGNED_ADDRESS), and ldmatrix phases (one 8×16-byte
// matrix) whose rows share a bank (reported with LOOPIN_EMU_BANKS set).
std::atomic<bool> launch_misaligned;
std::atomic<unsigned long> ldsm_phases, ldsm_conflicted;

void emu_align16(const void *p) {
  if ((uintptr_t)p & 15) launch_misaligned = true;
}

void emu_cp_async(saddr dst, const void *src) {
  if (((uintptr_t)dst | (uintptr_t)src) & 15) launch_misaligned = true;
  memset(dst, 0xcd, 16);
  cp_open.push_back({dst, src});
}
void emu_cp_commit() {
  cp_groups.push_back(std::move(cp_open));
  cp_open.clear();
}
void emu_cp_wait(int n) {
  while (cp_groups.size() > (size_t)n) {
    for (const CpAsync &c : cp_groups.front()) memcpy(c.dst, c.src, 16);
    cp_groups.pop_front();
  }
}

// ldsm_x4: each lane publishes its row address, then reads its four words
// from the rows of lanes 8i + l/4 (i = 0..3); the second meeting keeps the
// addresses until every lane has read.
void ldsm_x4(unsigned r[4], saddr p) {
  Warp &w = *lane_warp;
  unsigned l = lane_id;
  w.addr[l] = p;
  if ((uintptr_t)p & 15) launch_misaligned = true;
  w.meet.arrive_and_wait();
  if (l == 0) {
    // A phase reads 8 rows of 16 bytes: conflict-free when they fall in the
    // 8 different 16-byte bank groups of a 128-byte line (the shared arrays
    // are 128-byte aligned, so host address bits 4..6 are the bank group).
    for (int i = 0; i < 4; i++) {
      unsigned seen = 0;
      bool conflict = false;
      for (int r = 0; r < 8; r++) {
        unsigned bg = ((uintptr_t)w.addr[8 * i + r] >> 4) & 7;
        conflict |= (seen >> bg) & 1;
        seen |= 1u << bg;
      }
      ldsm_phases++;
      if (conflict) ldsm_conflicted++;
    }
  }
  for (int i = 0; i < 4; i++) memcpy(&r[i], w.addr[8 * i + l / 4] + 4 * (l % 4), 4);
  w.meet.arrive_and_wait();
}

// -------------------------------------------------------------- kernels

namespace {

template <typename T> T arg(void **params, int i) { return *(T *)params[i]; }
typedef const u8 *cp;
typedef u8 *mp;

// A kernel: how to call it with cuLaunchKernel's parameter array, and how
// a block's threads run: SERIAL one after another in index order (kernels
// with no barrier, or whose threads wait only for thread 0); WARP a warp
// at a time on 32 threads (lanes meet in mma_s8, no __syncthreads); BLOCK
// the whole block at once on blockDim threads (real __syncthreads barriers
// over shared tiles, and lanes that meet in mma_s8 and ldsm_x4).
enum Mode { SERIAL, WARP, BLOCK };
struct Kernel {
  const char *name;
  void (*call)(void **p);
  Mode mode;
};

const Kernel kernels[] = {
    {"label_layer", [](void **p) { label_layer(arg<cp>(p, 0), arg<u32>(p, 1), arg<u64>(p, 2), arg<u32>(p, 3), arg<cp>(p, 4), arg<mp>(p, 5), arg<mp>(p, 6), arg<u64>(p, 7), arg<u64>(p, 8)); }, SERIAL},
    {"label_leaves", [](void **p) { label_leaves(arg<cp>(p, 0), arg<mp>(p, 1), arg<u64>(p, 2)); }, SERIAL},
    {"merkle_level", [](void **p) { merkle_level(arg<cp>(p, 0), arg<mp>(p, 1), arg<u64>(p, 2)); }, SERIAL},
    {"merkle_levels", [](void **p) { merkle_levels(arg<cp>(p, 0), arg<mp>(p, 1), arg<u64>(p, 2), arg<u32>(p, 3)); }, BLOCK},
    {"walk", [](void **p) { walk(arg<cp>(p, 0), arg<cp>(p, 1), arg<u64>(p, 2), arg<u32>(p, 3), arg<u32>(p, 4), arg<u32>(p, 5), arg<mp>(p, 6), arg<mp>(p, 7)); }, SERIAL},
    {"prg_fill", [](void **p) { prg_fill(arg<cp>(p, 0), arg<mp>(p, 1), arg<u64>(p, 2)); }, SERIAL},
    {"transpose_b", [](void **p) { transpose_b(arg<cp>(p, 0), arg<mp>(p, 1), arg<u32>(p, 2)); }, SERIAL},
    {"prg_fill_bt", [](void **p) { prg_fill_bt(arg<cp>(p, 0), arg<mp>(p, 1), arg<u32>(p, 2)); }, BLOCK},
    {"gather_rows", [](void **p) { gather_rows(arg<cp>(p, 0), arg<cp>(p, 1), arg<u64>(p, 2), arg<u32>(p, 3), arg<u32>(p, 4), arg<mp>(p, 5)); }, SERIAL},
    {"gemm_s8", [](void **p) { gemm_s8(arg<cp>(p, 0), arg<cp>(p, 1), arg<i32 *>(p, 2), arg<u32>(p, 3), arg<u32>(p, 4)); }, __CUDA_ARCH__ >= 800 ? WARP : SERIAL},
    {"gemm_s8_tiled", [](void **p) { gemm_s8_tiled(arg<cp>(p, 0), arg<cp>(p, 1), arg<i32 *>(p, 2), arg<u32>(p, 3), arg<u32>(p, 4)); }, BLOCK},
    {"row_segments", [](void **p) { row_segments(arg<const i32 *>(p, 0), arg<u32>(p, 1), arg<u32>(p, 2), arg<mp>(p, 3)); }, SERIAL},
    {"row_leaves", [](void **p) { row_leaves(arg<cp>(p, 0), arg<u32>(p, 1), arg<u32>(p, 2), arg<mp>(p, 3)); }, SERIAL},
};

int arch() { return __CUDA_ARCH__ / 10; }

// device_memory is LOOPIN_EMU_MEMORY in bytes (default 8 GiB).
size_t device_memory() {
  static size_t bytes = [] {
    const char *v = getenv("LOOPIN_EMU_MEMORY");
    if (!v || !*v) return (size_t)8 << 30;
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    switch (*end) {
    case 'K': n <<= 10; break;
    case 'M': n <<= 20; break;
    case 'G': n <<= 30; break;
    }
    return (size_t)n;
  }();
  return bytes;
}

std::mutex mem_mu;
std::map<unsigned long long, size_t> mem_sizes;
size_t mem_used;

void fill_garbage(void *p, size_t n) {
  static unsigned long long state = 0x9e3779b97f4a7c15ULL;
  unsigned long long x = state += 0xbf58476d1ce4e5b9ULL;
  unsigned char *b = (unsigned char *)p;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    memcpy(b + i, &x, 8);
  }
  for (; i < n; i++) b[i] = (unsigned char)(x >> (8 * (i % 8)));
}

std::string module_ptx;

// The primary context: its handle changes with every reset (epoch), and a
// sticky fault makes every call fail until the reset.
unsigned long long epoch;
bool sticky;
void *ctx_handle() { return (void *)(0x1000 + 0x10 * epoch); }
void *module_handle() { return (void *)(0x2000 + 0x10 * epoch); }

// Launch counting for LOOPIN_EMU_FAULT_AT: counted from when the value
// was (last) set, firing once per value.
std::string fault_at_value;
unsigned long long launches_since;
bool fault_fired;

// before_launch returns -1 to run the kernel, else what cuLaunchKernel
// returns without running it.
int before_launch() {
  if (sticky) return 700;
  const char *v = getenv("LOOPIN_EMU_FAULT_AT");
  std::string value = v ? v : "";
  if (value != fault_at_value) fault_at_value = value, launches_since = 0, fault_fired = false;
  if (value.empty() || fault_fired) return -1;
  if (++launches_since < strtoull(value.c_str(), nullptr, 10)) return -1;
  // The kernel faults on the device: the launch itself was accepted, the
  // error comes with the next call, as a GPU reports it.
  fault_fired = true, sticky = true;
  return 0;
}

bool refused(const std::string &target) {
  if (target == "sm_90a" && getenv("LOOPIN_EMU_REFUSE_SM90A")) return true;
  const char *list = getenv("LOOPIN_EMU_REFUSE_PTX");
  if (!list) return false;
  std::string l = std::string(",") + list + ",";
  return l.find("," + target + ",") != std::string::npos;
}

// write_log copies text into a JIT log buffer of size bytes (NUL included).
void write_log(char *buf, size_t size, const std::string &text) {
  if (!buf || size == 0) return;
  size_t n = text.size() < size - 1 ? text.size() : size - 1;
  memcpy(buf, text.data(), n);
  buf[n] = 0;
}

}  // namespace

#define EMU_STICKY() \
  if (sticky) return 700

// ------------------------------------------------------------ driver API

extern "C" {
typedef int CUresult;

CUresult cuInit(unsigned int flags) { return flags == 0 ? 0 : 1; }
CUresult cuDriverGetVersion(int *v) { *v = 12040; return 0; }
CUresult cuDeviceGetCount(int *n) { *n = 1; return 0; }
CUresult cuDeviceGet(int *d, int i) { *d = i; return i == 0 ? 0 : 101; }
CUresult cuDeviceGetName(char *s, int n, int) { snprintf(s, n, "LooPIN emulated GPU (host CPU, sm_%d)", arch()); return 0; }
CUresult cuDeviceTotalMem_v2(size_t *b, int) { *b = device_memory(); return 0; }
CUresult cuDeviceGetAttribute(int *v, int attr, int) {
  switch (attr) {
  case 75: *v = arch() / 10; return 0;  // compute capability major
  case 76: *v = arch() % 10; return 0;  // minor
  case 16: *v = 4; return 0;            // multiprocessors
  }
  return 1;
}
CUresult cuDevicePrimaryCtxRetain(void **c, int) { *c = ctx_handle(); return 0; }
CUresult cuDevicePrimaryCtxRelease_v2(int) { return 0; }
CUresult cuDevicePrimaryCtxReset_v2(int) {
  if (getenv("LOOPIN_EMU_RESET_FAILS")) return 999;
  epoch++, sticky = false;
  module_ptx.clear();
  return 0;
}
CUresult cuCtxSetCurrent(void *c) {
  EMU_STICKY();
  return c == ctx_handle() ? 0 : 201;  // INVALID_CONTEXT: a handle from before a reset
}
CUresult cuCtxSynchronize(void) {
  EMU_STICKY();
  return 0;
}

// cuModuleLoadDataEx JIT-"compiles" PTX as a driver would accept it: made
// by LLVM NVPTX, for a target no newer than the device (sm_XX ≤ the arch;
// sm_90a only on sm_90), not refused by the knobs above. The JIT logs go
// to the CU_JIT_ERROR_LOG_BUFFER (5, size 6) and CU_JIT_INFO_LOG_BUFFER
// (3, size 4) options' buffers.
CUresult cuModuleLoadDataEx(void **m, const void *image, unsigned n, int *options, void **values) {
  EMU_STICKY();
  char *errlog = nullptr, *infolog = nullptr;
  size_t errsize = 0, infosize = 0;
  for (unsigned i = 0; i < n; i++) switch (options[i]) {
    case 3: infolog = (char *)values[i]; break;
    case 4: infosize = (size_t)values[i]; break;
    case 5: errlog = (char *)values[i]; break;
    case 6: errsize = (size_t)values[i]; break;
    }
  std::string ptx = (const char *)image, target;
  size_t at = ptx.find("\n.target ");
  if (at != std::string::npos) {
    size_t start = at + 9, end = ptx.find_first_of(" ,\n", start);
    target = ptx.substr(start, end - start);
  }
  char dev[16];
  snprintf(dev, sizeof dev, "sm_%d", arch());
  std::string why;
  int version = 0;
  bool accel = target.size() > 3 && target.back() == 'a';
  if (target.rfind("sm_", 0) == 0) version = atoi(target.c_str() + 3);
  if (ptx.find("Generated by LLVM NVPTX") == std::string::npos || version == 0)
    why = "ptxas fatal   : emulated JIT: not PTX from LLVM NVPTX with a .target sm_XX";
  else if (refused(target))
    why = "ptxas fatal   : emulated JIT: PTX .target " + target + " refused by the test (LOOPIN_EMU_REFUSE_*)";
  else if (version > arch() || (accel && version != arch()))
    why = "ptxas fatal   : emulated JIT: PTX .target " + target + " is not supported on this device (" + dev + ")";
  if (!why.empty()) {
    write_log(errlog, errsize, why + "\nptxas fatal   : Ptx assembly aborted due to errors\n");
    return 218;  // INVALID_PTX
  }
  write_log(infolog, infosize, "ptxas info    : emulated JIT: " + target + " PTX for " + dev + "\n");
  module_ptx = ptx;
  *m = module_handle();
  return 0;
}
CUresult cuModuleLoadData(void **m, const void *image) { return cuModuleLoadDataEx(m, image, 0, nullptr, nullptr); }
CUresult cuModuleUnload(void *m) {
  EMU_STICKY();
  if (m != module_handle()) return 400;  // INVALID_HANDLE: unloaded, or gone with a reset
  module_ptx.clear();
  return 0;
}
CUresult cuModuleGetFunction(void **f, void *m, const char *name) {
  EMU_STICKY();
  if (m != module_handle()) return 400;  // INVALID_HANDLE
  // The kernel must be in the PTX the loader chose, and emulated here.
  if (module_ptx.find(std::string(".visible .entry ") + name + "(") == std::string::npos) return 500;
  for (const Kernel &k : kernels)
    if (strcmp(k.name, name) == 0) {
      *f = (void *)&k;
      return 0;
    }
  return 500;  // NOT_FOUND
}
// Device memory is limited to LOOPIN_EMU_MEMORY bytes (default 8 GiB; a
// number with an optional K, M or G suffix, powers of 1024): cuMemAlloc
// fails with CUDA_ERROR_OUT_OF_MEMORY (2) past it, as a real device does,
// and cuMemGetInfo reports what is left. New allocations are filled with
// garbage (a xorshift stream, not zeros), so a kernel or a host path that
// reads memory nobody wrote gives wrong bytes here instead of lucky zeros.
CUresult cuMemAlloc_v2(unsigned long long *p, size_t n) {
  if (n == 0) n = 1;
  std::lock_guard<std::mutex> lock(mem_mu);
  if (n > device_memory() - mem_used) return 2;  // OUT_OF_MEMORY
  void *q = malloc(n);
  if (!q) return 2;
  fill_garbage(q, n);
  mem_sizes[(unsigned long long)q] = n;
  mem_used += n;
  *p = (unsigned long long)q;
  return 0;
}
CUresult cuMemFree_v2(unsigned long long p) {
  std::lock_guard<std::mutex> lock(mem_mu);
  auto it = mem_sizes.find(p);
  if (it == mem_sizes.end()) return 1;  // INVALID_VALUE: not an allocation
  mem_used -= it->second;
  mem_sizes.erase(it);
  free((void *)p);
  return 0;
}
// Pinned, device-mapped host memory: here host and device memory are the
// same, so the device pointer is the host pointer.
CUresult cuMemHostAlloc(void **p, size_t n, unsigned int flags) {
  if (flags & ~3u) return 1;
  *p = malloc(n ? n : 1);
  if (!*p) return 2;
  fill_garbage(*p, n ? n : 1);
  return 0;
}
CUresult cuMemFreeHost(void *p) { free(p); return 0; }
CUresult cuMemHostGetDevicePointer_v2(unsigned long long *d, void *p, unsigned int flags) {
  if (flags != 0) return 1;
  *d = (unsigned long long)p;
  return 0;
}
CUresult cuMemGetInfo_v2(size_t *free_bytes, size_t *total) {
  std::lock_guard<std::mutex> lock(mem_mu);
  *free_bytes = device_memory() - mem_used;
  *total = device_memory();
  return 0;
}
CUresult cuMemcpyHtoD_v2(unsigned long long d, const void *h, size_t n) { EMU_STICKY(); memcpy((void *)d, h, n); return 0; }
CUresult cuMemcpyDtoH_v2(void *h, unsigned long long d, size_t n) { EMU_STICKY(); memcpy(h, (void *)d, n); return 0; }

namespace {

// BlockRun is the per-block state of a BLOCK launch: the __syncthreads
// barrier and the warps' meeting points, made anew for every block (a
// thread that exits drops out of both for the rest of its block only).
struct BlockRun {
  std::unique_ptr<std::barrier<>> sync;
  std::vector<std::unique_ptr<Warp>> warps;
  void reset(unsigned bx) {
    sync = std::make_unique<std::barrier<>>(bx);
    warps.clear();
    for (unsigned w = 0; w < (bx + 31) / 32; w++) warps.push_back(std::make_unique<Warp>());
  }
};

// run_blocks runs a BLOCK kernel's grid on bx threads made once per launch:
// every thread runs its part of block 0, 1, …; a barrier between blocks
// (whose completion makes the next block's state) keeps the blocks one at
// a time, as the kernels' `static` shared memory needs.
void run_blocks(const Kernel &k, unsigned gx, unsigned bx, void **params) {
  BlockRun run;
  run.reset(bx);
  auto next = [&]() noexcept { run.reset(bx); };
  std::barrier<decltype(next)> between(bx, next);
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < bx; t++)
    threads.emplace_back([&, t] {
      gridDim = {gx, 1, 1}, blockDim = {bx, 1, 1}, threadIdx = {t, 0, 0};
      lane_id = t % 32;
      for (unsigned b = 0; b < gx; b++) {
        blockIdx = {b, 0, 0};
        lane_warp = run.warps[t / 32].get(), block_barrier = run.sync.get();
        k.call(params);
        cp_open.clear(), cp_groups.clear();  // pending copies die with the block's shared memory
        block_barrier = nullptr;
        run.sync->arrive_and_drop();
        lane_warp->meet.arrive_and_drop();
        between.arrive_and_wait();
      }
    });
  for (auto &t : threads) t.join();
}

}  // namespace

// cuLaunchKernel runs every thread of the grid, one block at a time (so a
// kernel's `static` __shared__ variables are the running block's shared
// memory): its threads one after another, a warp at a time on 32 threads,
// or all of the block's threads at once (bx threads made once per launch,
// run_blocks), by the kernel's Mode. A thread
// that returns leaves the block's barrier and its warp's meeting
// (arrive_and_drop), as an exited thread no longer takes part on a GPU.
// Block sizes 1..1024 (a multiple of 32 for WARP kernels); the
// kernels' shared memory is static (sharedMemBytes is not used).
CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned, void *, void **params, void **) {
  const Kernel &k = *(const Kernel *)f;
  if (int r = before_launch(); r >= 0) return r;  // LOOPIN_EMU_FAULT_AT, a sticky fault
  if (getenv("LOOPIN_EMU_FAIL_LAUNCH")) return 98;  // the tests' way to see a failing launch reported
  if (gy != 1 || gz != 1 || by != 1 || bz != 1 || bx == 0 || bx > 1024) return 1;  // the package launches 1-D only
  if (k.mode == WARP && bx % 32 != 0) return 1;
  launch_misaligned = false, ldsm_phases = 0, ldsm_conflicted = 0;
  if (k.mode == BLOCK) run_blocks(k, gx, bx, params);
  for (unsigned b = 0; k.mode != BLOCK && b < gx; b++) {
    if (k.mode == SERIAL) {
      gridDim = {gx, 1, 1}, blockDim = {bx, 1, 1}, blockIdx = {b, 0, 0};
      for (unsigned t = 0; t < bx; t++) {
        threadIdx = {t, 0, 0};
        k.call(params);
      }
      continue;
    }
    if (k.mode == WARP) {
      for (unsigned w0 = 0; w0 < bx; w0 += 32) {
        Warp warp;
        std::vector<std::thread> lanes;
        for (unsigned l = 0; l < 32; l++)
          lanes.emplace_back([&, l] {
            gridDim = {gx, 1, 1}, blockDim = {bx, 1, 1}, blockIdx = {b, 0, 0}, threadIdx = {w0 + l, 0, 0};
            lane_warp = &warp, lane_id = l;
            k.call(params);
            warp.meet.arrive_and_drop();
          });
        for (auto &t : lanes) t.join();
      }
    }
  }
  if (ldsm_phases && getenv("LOOPIN_EMU_BANKS"))
    fprintf(stderr, "emucuda: %s: %lu ldmatrix phases, %lu with shared bank conflicts\n", k.name, ldsm_phases.load(),
            ldsm_conflicted.load());
  if (launch_misaligned) {
    // A kernel fault: on a GPU the context is dead until it is reset.
    sticky = true;
    return 716;  // CUDA_ERROR_MISALIGNED_ADDRESS
  }
  return 0;
}
CUresult cuGetErrorString(CUresult r, const char **s) {
  switch (r) {
  case 1: *s = "emulated driver: invalid launch"; return 0;
  case 201: *s = "invalid device context"; return 0;
  case 400: *s = "invalid resource handle"; return 0;
  case 999: *s = "unknown error (emulated: LOOPIN_EMU_RESET_FAILS)"; return 0;
  case 700: *s = "an illegal memory access was encountered (emulated fault: LOOPIN_EMU_FAULT_AT)"; return 0;
  case 98: *s = "emulated driver: launch refused (LOOPIN_EMU_FAIL_LAUNCH)"; return 0;
  case 218: *s = "a PTX JIT compilation failed"; return 0;
  case 500: *s = "named symbol not found"; return 0;
  case 716: *s = "emulated driver: misaligned address (a 16-byte access not 16-byte aligned)"; return 0;
  }
  *s = "emulated driver error";
  return 0;
}
}
