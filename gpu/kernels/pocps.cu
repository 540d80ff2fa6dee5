// PoCPS kernels: the CUDA C twin of package proof (docs/pocps.md). Every
// kernel computes exactly the bytes the Go reference defines; the tests in
// gpu/ compare them with testdata/vectors.json.
//
// Built without the NVIDIA toolkit (docs/protocol.md §7):
//   clang++-19 -x cuda --cuda-device-only -nocudainc -nocudalib \
//     --cuda-gpu-arch=sm_XX -O3 -S -o pocps_sm_XX.ptx pocps.cu
// so there is no cuda_runtime.h: the qualifiers and types are defined here.
//
// With LOOPIN_HOST_EMULATION the same source compiles as host C++ for the
// driver emulator the tests run on machines without a GPU
// (gpu/testdata/emucuda/): its header gives the qualifiers, the thread
// indices, __syncthreads and the two tensor/SIMD instructions below.

#ifndef LOOPIN_HOST_EMULATION
#include <__clang_cuda_builtin_vars.h>

#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __shared__ __attribute__((shared))
#define __forceinline__ __attribute__((always_inline)) inline
#else
#include "emu.h"
#endif

typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char i8;
typedef int i32;

// ---------------------------------------------------------------- SHA-256

__device__ static const u32 K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

__device__ __forceinline__ u32 rotr(u32 x, u32 n) { return (x >> n) | (x << (32 - n)); }

struct Sha256 {
  u32 h[8];
  u8 buf[64];
  u32 fill;
  u64 total;
};

__device__ static void sha_block(u32 h[8], const u8 *p) {
  u32 w[64];
  for (int i = 0; i < 16; i++)
    w[i] = ((u32)p[4 * i] << 24) | ((u32)p[4 * i + 1] << 16) | ((u32)p[4 * i + 2] << 8) | (u32)p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    u32 s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    u32 s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  u32 a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int i = 0; i < 64; i++) {
    u32 t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
    u32 t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

__device__ static void sha_init(Sha256 *s) {
  s->h[0] = 0x6a09e667; s->h[1] = 0xbb67ae85; s->h[2] = 0x3c6ef372; s->h[3] = 0xa54ff53a;
  s->h[4] = 0x510e527f; s->h[5] = 0x9b05688c; s->h[6] = 0x1f83d9ab; s->h[7] = 0x5be0cd19;
  s->fill = 0;
  s->total = 0;
}

__device__ static void sha_update(Sha256 *s, const u8 *p, u32 n) {
  s->total += n;
  while (n > 0) {
    u32 take = 64 - s->fill;
    if (take > n) take = n;
    for (u32 i = 0; i < take; i++) s->buf[s->fill + i] = p[i];
    s->fill += take; p += take; n -= take;
    if (s->fill == 64) { sha_block(s->h, s->buf); s->fill = 0; }
  }
}

__device__ static void sha_u32(Sha256 *s, u32 v) {
  u8 b[4] = {(u8)(v >> 24), (u8)(v >> 16), (u8)(v >> 8), (u8)v};
  sha_update(s, b, 4);
}

__device__ static void sha_u64(Sha256 *s, u64 v) {
  u8 b[8];
  for (int i = 0; i < 8; i++) b[i] = (u8)(v >> (56 - 8 * i));
  sha_update(s, b, 8);
}

__device__ static void sha_final(Sha256 *s, u8 out[32]) {
  u64 bits = s->total * 8;
  u8 pad = 0x80;
  sha_update(s, &pad, 1);
  u8 zero = 0;
  while (s->fill != 56) sha_update(s, &zero, 1);
  u8 len[8];
  for (int i = 0; i < 8; i++) len[i] = (u8)(bits >> (56 - 8 * i));
  for (int i = 0; i < 8; i++) s->buf[56 + i] = len[i];
  sha_block(s->h, s->buf);
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (u8)(s->h[i] >> 24); out[4 * i + 1] = (u8)(s->h[i] >> 16);
    out[4 * i + 2] = (u8)(s->h[i] >> 8); out[4 * i + 3] = (u8)s->h[i];
  }
}

__device__ static void sha_tag(Sha256 *s, const char *tag) {
  sha_init(s);
  u32 n = 0;
  while (tag[n]) n++;
  sha_update(s, (const u8 *)tag, n);
}

__device__ __forceinline__ u64 be64(const u8 *p) {
  u64 v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
  return v;
}

__device__ static void leaf_hash(const u8 *data, u32 n, u8 out[32]) {
  Sha256 s;
  sha_init(&s);
  u8 z = 0;
  sha_update(&s, &z, 1);
  sha_update(&s, data, n);
  sha_final(&s, out);
}

__device__ static const char TAG_LABEL[] = "loopin/pocps/v1/label";
__device__ static const char TAG_PARENTS[] = "loopin/pocps/v1/parents";
__device__ static const char TAG_PRG[] = "loopin/pocps/v1/prg";
__device__ static const char TAG_WALK_START[] = "loopin/pocps/v2/walk-start";
__device__ static const char TAG_WALK_END[] = "loopin/pocps/v2/walk-end";
__device__ static const char TAG_ROW_SEGMENT[] = "loopin/pocps/v2/row-segment";
__device__ static const char TAG_GATHER[] = "loopin/pocps/v1/gather";

// ------------------------------------------------------------- labeling

// label_layer computes labels [first, first+count) of layer `layer` (N
// labels) from prev (the whole layer-1; unused for layer 0) into out and
// their Merkle leaf hashes into leaves, both indexed from first (a chunk:
// the streaming seal keeps one layer and a chunk on the device). One
// thread per label.
extern "C" __global__ void label_layer(const u8 *ek, u32 layer, u64 n_labels, u32 parents,
                                       const u8 *prev, u8 *out, u8 *leaves, u64 first, u64 count) {
  u64 t = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= count) return;
  u64 i = first + t;
  Sha256 s;
  sha_tag(&s, TAG_LABEL);
  sha_update(&s, ek, 32);
  sha_u32(&s, layer);
  sha_u64(&s, i);
  if (layer > 0) {
    u8 h[32];
    for (u32 j = 0; j < parents; j++) {
      if (j % 4 == 0) {
        Sha256 ps;
        sha_tag(&ps, TAG_PARENTS);
        sha_update(&ps, ek, 32);
        sha_u32(&ps, layer);
        sha_u64(&ps, i);
        sha_u32(&ps, j / 4);
        sha_final(&ps, h);
      }
      u64 q = be64(h + 8 * (j % 4)) % n_labels;
      sha_update(&s, prev + 32 * q, 32);
    }
  }
  u8 *dst = out + 32 * t;
  sha_final(&s, dst);
  leaf_hash(dst, 32, leaves + 32 * t);
}

// label_leaves writes the Merkle leaf hash of each of count labels (a seal
// restored from disk: its tree is rebuilt on the device).
extern "C" __global__ void label_leaves(const u8 *labels, u8 *leaves, u64 count) {
  u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= count) return;
  leaf_hash(labels + 32 * i, 32, leaves + 32 * i);
}

// ---------------------------------------------------------------- Merkle

// merkle_level writes count parents from 2*count children.
extern "C" __global__ void merkle_level(const u8 *children, u8 *parents_out, u64 count) {
  u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= count) return;
  Sha256 s;
  sha_init(&s);
  u8 one = 1;
  sha_update(&s, &one, 1);
  sha_update(&s, children + 64 * i, 64);
  sha_final(&s, parents_out + 32 * i);
}

// ------------------------------------------------------------- residency

// u32x4 is one 16-byte load: four little-endian u32 words (the host and
// every GPU are little-endian), as the fold reads them.
struct __attribute__((aligned(16))) u32x4 {
  u32 x, y, z, w;
};

__device__ __forceinline__ u32 rotl(u32 x, u32 n) { return (x << n) | (x >> (32 - n)); }

__device__ __forceinline__ u32 be32(const u8 *p) {
  return ((u32)p[0] << 24) | ((u32)p[1] << 16) | ((u32)p[2] << 8) | (u32)p[3];
}

// walk_fold folds one 32-byte label, given as two 16-byte loads, into the
// walk state (docs/pocps.md §5): word i goes to lane i,
// x[i] = rotl(x[i] ^ v, 11) * 0x9E3779B1, then x[(i+1) mod 8] += x[i].
__device__ __forceinline__ void walk_fold(u32 x[8], u32x4 lo, u32x4 hi) {
  u32 v[8] = {lo.x, lo.y, lo.z, lo.w, hi.x, hi.y, hi.z, hi.w};
#pragma unroll
  for (int i = 0; i < 8; i++) {
    x[i] = rotl(x[i] ^ v[i], 11) * 0x9E3779B1u;
    x[(i + 1) & 7] += x[i];
  }
}

// walk runs walk w (one thread each) over the sealed layer, format v2
// (docs/pocps.md §5; proof.Walk): each step reads the aligned block of
// `block` labels (a power of two) at block·((x[0]<<32 | x[1]) mod
// (n_labels/block)) with 16-byte loads, four labels' loads issued before
// they are folded, and the result is H(walk-end tag ‖ x) with its Merkle
// leaf. n_labels/block is a power of two (proof.Params.Validate), so the
// mod is a mask. Index math is 64-bit.
extern "C" __global__ void walk(const u8 *nonce, const u8 *sealed, u64 n_labels, u32 steps, u32 walks, u32 block,
                                u8 *results, u8 *leaves) {
  u64 w = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (w >= walks) return;
  u8 h[32];
  Sha256 s;
  sha_tag(&s, TAG_WALK_START);
  sha_update(&s, nonce, 32);
  sha_u32(&s, (u32)w);
  sha_final(&s, h);
  u32 x[8];
  for (int i = 0; i < 8; i++) x[i] = be32(h + 4 * i);
  u64 mask = n_labels / block - 1;
  for (u32 st = 0; st < steps; st++) {
    u64 a = (u64)block * ((((u64)x[0] << 32) | (u64)x[1]) & mask);
    const u32x4 *p = (const u32x4 *)(sealed + 32 * a);
    u32 q = 0;
    for (; q + 4 <= block; q += 4) {
      u32x4 r[8];
#pragma unroll
      for (int k = 0; k < 8; k++) r[k] = p[2 * (u64)q + k];
#pragma unroll
      for (int k = 0; k < 4; k++) walk_fold(x, r[2 * k], r[2 * k + 1]);
    }
    for (; q < block; q++) walk_fold(x, p[2 * (u64)q], p[2 * (u64)q + 1]);
  }
  sha_tag(&s, TAG_WALK_END);
  for (int i = 0; i < 8; i++) sha_u32(&s, x[i]);
  sha_final(&s, h);
  for (int i = 0; i < 32; i++) results[32 * w + i] = h[i];
  leaf_hash(h, 32, leaves + 32 * w);
}

// ------------------------------------------------------------------ GEMM

// prg_fill writes `blocks` 32-byte PRG blocks of seed (counter 0..blocks-1).
extern "C" __global__ void prg_fill(const u8 *seed, u8 *out, u64 blocks) {
  u64 c = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= blocks) return;
  Sha256 s;
  sha_tag(&s, TAG_PRG);
  sha_update(&s, seed, 32);
  sha_u64(&s, c);
  sha_final(&s, out + 32 * c);
}

// transpose_b writes bt[j*n+k] = b[k*n+j] (the column-major B of mma).
extern "C" __global__ void transpose_b(const u8 *b, u8 *bt, u32 n) {
  u64 idx = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= (u64)n * n) return;
  u64 k = idx / n, j = idx % n;
  bt[j * n + k] = b[idx];
}

// gather_rows writes A (m×n int8): row r is the aligned block of w = n/32
// seal labels starting at w·(u64(SHA-256(gather tag ‖ prev ‖ u32 r)[0:8]) mod (N/w)).
extern "C" __global__ void gather_rows(const u8 *prev, const u8 *sealed, u64 n_labels, u32 m, u32 n, u8 *a) {
  u32 r = blockIdx.x;
  if (r >= m) return;
  __shared__ u64 g;
  if (threadIdx.x == 0) {
    Sha256 s;
    u8 h[32];
    sha_tag(&s, TAG_GATHER);
    sha_update(&s, prev, 32);
    sha_u32(&s, r);
    sha_final(&s, h);
    u64 w = n / 32;
    g = w * (be64(h) % (n_labels / w));
  }
  __syncthreads();
  for (u32 b = threadIdx.x; b < n; b += blockDim.x) {
    u64 q = b / 32;
    a[(u64)r * n + b] = sealed[32 * (g + q) + (b % 32)];
  }
}

__device__ __forceinline__ u32 ld32(const u8 *p) { return *(const u32 *)p; }

#if __CUDA_ARCH__ >= 800
#ifndef LOOPIN_HOST_EMULATION
// mma_s8 is one warp-wide mma.sync.m16n8k32 (int8 in, int32 accumulate):
// d += A·B for this lane's fragments (PTX ISA, "Matrix fragments for
// mma.m16n8k32": a0..a3 rows g, g+8 at columns 4t, 16+4t; b0, b1 rows 4t,
// 16+4t of column g; d rows g, g+8 at columns 2t, 2t+1; g = lane/4, t = lane%4).
__device__ static __forceinline__ void mma_s8(i32 d[4], u32 a0, u32 a1, u32 a2, u32 a3, u32 b0, u32 b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 "
      "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
      : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}
#endif

// gemm_s8 computes C (m×n int32) = A (m×n int8, row-major) · B, with B given
// column-major as bt (n×n). Each warp computes a 16×32 tile with four
// mma.sync.m16n8k32 per 32-wide k step. Exact int32 accumulation.
extern "C" __global__ void gemm_s8(const u8 *a, const u8 *bt, i32 *c, u32 m, u32 n) {
  u32 warp = (blockIdx.x * blockDim.x + threadIdx.x) / 32;
  u32 lane = threadIdx.x % 32;
  u32 tiles_n = n / 32;
  u32 tile_m = warp / tiles_n, tile_n = warp % tiles_n;
  if (tile_m * 16 >= m) return;
  u32 g = lane >> 2, t = lane & 3;
  u32 row0 = tile_m * 16 + g, row1 = row0 + 8;
  i32 acc[4][4];
  for (int q = 0; q < 4; q++)
    for (int i = 0; i < 4; i++) acc[q][i] = 0;
  for (u32 k = 0; k < n; k += 32) {
    u32 a0 = ld32(a + (u64)row0 * n + k + 4 * t);
    u32 a1 = ld32(a + (u64)row1 * n + k + 4 * t);
    u32 a2 = ld32(a + (u64)row0 * n + k + 16 + 4 * t);
    u32 a3 = ld32(a + (u64)row1 * n + k + 16 + 4 * t);
    for (int q = 0; q < 4; q++) {
      u32 col = tile_n * 32 + q * 8 + g;
      u32 b0 = ld32(bt + (u64)col * n + k + 4 * t);
      u32 b1 = ld32(bt + (u64)col * n + k + 16 + 4 * t);
      mma_s8(acc[q], a0, a1, a2, a3, b0, b1);
    }
  }
  for (int q = 0; q < 4; q++) {
    u32 col = tile_n * 32 + q * 8 + 2 * t;
    c[(u64)row0 * n + col] = acc[q][0];
    c[(u64)row0 * n + col + 1] = acc[q][1];
    c[(u64)row1 * n + col] = acc[q][2];
    c[(u64)row1 * n + col + 1] = acc[q][3];
  }
}
#else
#ifndef LOOPIN_HOST_EMULATION
// dp4a_s32 is c + the dot product of the four signed bytes of a and b.
__device__ static __forceinline__ i32 dp4a_s32(i32 a, i32 b, i32 c) {
  asm("dp4a.s32.s32 %0, %1, %2, %0;" : "+r"(c) : "r"(a), "r"(b));
  return c;
}
#endif

// gemm_s8 without int8 tensor cores (sm_70/75): one thread per output,
// dp4a over 4-byte groups. Same result, slower.
extern "C" __global__ void gemm_s8(const u8 *a, const u8 *bt, i32 *c, u32 m, u32 n) {
  u64 idx = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= (u64)m * n) return;
  u64 r = idx / n, j = idx % n;
  i32 acc = 0;
  for (u32 k = 0; k < n; k += 4) {
    i32 va = (i32)ld32(a + r * n + k), vb = (i32)ld32(bt + j * n + k);
    acc = dp4a_s32(va, vb, acc);
  }
  c[idx] = acc;
}
#endif

// row_segments writes seg_j = H(row-segment tag ‖ u32 j ‖ C[r][256j..256j+255]
// as little-endian int32, how the device stores them) for every segment j
// of every output row r: one thread per (row, segment), m·k threads, k =
// max(1, n/256) (docs/pocps.md §6; proof.SegmentHash). segs is m·k·32
// bytes, row-major.
extern "C" __global__ void row_segments(const i32 *c, u32 m, u32 n, u8 *segs) {
  u64 k = n >= 256 ? n / 256 : 1;
  u64 idx = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= (u64)m * k) return;
  u64 r = idx / k, j = idx % k, len = n / k;
  Sha256 s;
  sha_tag(&s, TAG_ROW_SEGMENT);
  sha_u32(&s, (u32)j);
  sha_update(&s, (const u8 *)(c + r * n + j * len), (u32)(4 * len));
  sha_final(&s, segs + 32 * idx);
}

// row_leaves writes the Merkle leaf of each output row r, leaf(seg_0 ‖ … ‖
// seg_{k−1}) over the k segment hashes row_segments wrote (proof.RowLeaf).
extern "C" __global__ void row_leaves(const u8 *segs, u32 m, u32 k, u8 *leaves) {
  u64 r = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (r >= m) return;
  leaf_hash(segs + 32 * (u64)k * r, 32 * k, leaves + 32 * r);
}
