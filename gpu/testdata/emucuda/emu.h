// Host definitions that let gpu/kernels/pocps.cu compile as C++ for the
// driver emulator (emucuda.cc): the CUDA qualifiers become plain C++, the
// thread indices are per-OS-thread variables the emulator sets before each
// call, and the instructions the kernels take from PTX (mma.sync, dp4a,
// cp.async, ldmatrix) are computed here from the PTX ISA's definitions.
//
// __shared__ is `static`: one variable for the whole launch. That is the
// block's shared memory because the emulator runs one block at a time
// (its threads one after another, or all at once, see emucuda.cc).
#pragma once

#define __global__
#define __device__
#define __shared__ static
#define __forceinline__ inline
#define __launch_bounds__(n)

struct emu_dim3 {
  unsigned x, y, z;
};
extern thread_local emu_dim3 threadIdx, blockIdx, blockDim, gridDim;

// __syncthreads: for a kernel run thread after thread (index order) it
// orders nothing, which is one of the orders a barrier allows for kernels
// whose threads wait only for thread 0 (gather_rows); for a kernel whose
// block runs on concurrent threads (Kernel::Mode BLOCK in emucuda.cc) it
// is a std::barrier over the block's threads that have not exited.
void __syncthreads();

// mma_s8 is the warp-wide mma.sync.m16n8k32.row.col.s32.s8.s8.s32: every
// lane of the warp calls it with its fragments; the emulator runs a warp's
// 32 lanes on 32 threads that meet here.
void mma_s8(int d[4], unsigned a0, unsigned a1, unsigned a2, unsigned a3, unsigned b0, unsigned b1);

// dp4a_s32 is dp4a.s32.s32: c + Σ the products of the four signed bytes.
static inline int dp4a_s32(int a, int b, int c) {
  for (int i = 0; i < 4; i++) c += (int)(signed char)(a >> (8 * i)) * (int)(signed char)(b >> (8 * i));
  return c;
}

// emu_align16 marks the launch misaligned (it fails with 716) unless p is
// 16-byte aligned: what a GPU's 16-byte loads and stores need.
void emu_align16(const void *p);

// A shared-memory address: on the host, the address itself.
typedef unsigned char *saddr;
static inline saddr smem_addr(const void *p) { return (saddr)p; }

// cp.async.cg.shared.global 16 bytes. The PTX ISA leaves the destination
// undefined from the issue until a cp.async.wait_group that covers the
// copy's group: the emulator fills it with 0xcd at issue and copies at the
// wait (cp_async_wait<N> completes every committed group but the N most
// recent), so a kernel that reads a tile before waiting for it, or
// overwrites a buffer that other threads still read, sees the poison and
// fails the bit-for-bit tests. Each thread's groups are its own, as on a GPU.
void emu_cp_async(saddr dst, const void *src);
void emu_cp_commit();
void emu_cp_wait(int n);
static inline void cp_async16(saddr dst, const void *src) { emu_cp_async(dst, src); }
static inline void cp_async_commit() { emu_cp_commit(); }
template <int N> static inline void cp_async_wait() { emu_cp_wait(N); }

// ldsm_x4 is ldmatrix.sync.aligned.m8n8.x4.shared.b16: the lanes of a warp
// meet (as in mma_s8), lanes 8i…8i+7 give the row addresses of matrix i,
// and lane l receives r[i] = the 32-bit word at byte 4·(l%4) of row l/4 of
// matrix i (PTX ISA, "ldmatrix", fragment layout for .b16: row l/4,
// elements 2·(l%4), 2·(l%4)+1).
void ldsm_x4(unsigned r[4], saddr p);
