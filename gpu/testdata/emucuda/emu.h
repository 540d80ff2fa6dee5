// Host definitions that let gpu/kernels/pocps.cu compile as C++ for the
// driver emulator (emucuda.cc): the CUDA qualifiers become plain C++, the
// thread indices are per-OS-thread variables the emulator sets before each
// call, and the two instructions the kernels take from PTX (mma.sync and
// dp4a) are computed here from the PTX ISA's definitions.
#pragma once

#define __global__
#define __device__
#define __shared__ static
#define __forceinline__ inline

struct emu_dim3 {
  unsigned x, y, z;
};
extern thread_local emu_dim3 threadIdx, blockIdx, blockDim, gridDim;

// __syncthreads orders nothing: the emulator runs a block's threads one
// after another in index order, which is one of the orders a barrier allows
// for kernels whose threads wait only for thread 0 (gather_rows).
static inline void __syncthreads() {}

// mma_s8 is the warp-wide mma.sync.m16n8k32.row.col.s32.s8.s8.s32: every
// lane of the warp calls it with its fragments; the emulator runs a warp's
// 32 lanes on 32 threads that meet here.
void mma_s8(int d[4], unsigned a0, unsigned a1, unsigned a2, unsigned a3, unsigned b0, unsigned b1);

// dp4a_s32 is dp4a.s32.s32: c + Σ the products of the four signed bytes.
static inline int dp4a_s32(int a, int b, int c) {
  for (int i = 0; i < 4; i++) c += (int)(signed char)(a >> (8 * i)) * (int)(signed char)(b >> (8 * i));
  return c;
}
