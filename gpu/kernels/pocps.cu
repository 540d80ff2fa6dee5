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
#define __launch_bounds__(n) __attribute__((launch_bounds(n)))
#else
#include "emu.h"
#endif

typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char i8;
typedef int i32;
struct __attribute__((aligned(16))) uint4v {
  u32 x, y, z, w;
};
struct __attribute__((aligned(8))) int2v {
  i32 x, y;
};

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

// ------------------------------------------- SHA-256, register-resident
//
// The hot paths (label_layer, label_leaves, merkle_level, merkle_levels,
// prg_fill, prg_fill_bt, gather_rows) hash messages whose lengths and layouts are fixed: each
// builds its 16-word blocks directly from 32-bit big-endian words (the
// message bytes as FIPS 180-4 §5.2.1 parses them), with the tag words and
// the padding (0x80, zeros, the bit length) known at compile time. The
// schedule is a rolling 16-word window and the 64 rounds are unrolled, so
// with every index constant the state, the window and K stay in registers;
// a block that is constant (PRG's and gather's second block: padding and
// length only) folds to immediates. The bytes hashed are exactly those of
// the generic Sha256 above (still used by walk and row_leaves).

__device__ __forceinline__ u32 bswap32(u32 x) {
  return (x >> 24) | ((x >> 8) & 0xff00) | ((x << 8) & 0xff0000) | (x << 24);
}

// ldw8 loads 32 bytes at p as 8 big-endian words with two 16-byte loads:
// p must be 16-byte aligned (device allocations are 256-byte aligned and
// labels, hashes and nodes lie at multiples of 32; the emulator fails a
// launch that breaks this).
__device__ __forceinline__ void ldw8(const u8 *p, u32 w[8]) {
#ifdef LOOPIN_HOST_EMULATION
  emu_align16(p);
  for (int i = 0; i < 8; i++) {
    u32 v;
    __builtin_memcpy(&v, p + 4 * i, 4);
    w[i] = bswap32(v);
  }
#else
  const uint4v *q = (const uint4v *)p;
  uint4v a = q[0], b = q[1];
  w[0] = bswap32(a.x); w[1] = bswap32(a.y); w[2] = bswap32(a.z); w[3] = bswap32(a.w);
  w[4] = bswap32(b.x); w[5] = bswap32(b.y); w[6] = bswap32(b.z); w[7] = bswap32(b.w);
#endif
}

// stw8 stores 8 big-endian words at p (16-byte aligned) as 32 bytes.
__device__ __forceinline__ void stw8(u8 *p, const u32 w[8]) {
#ifdef LOOPIN_HOST_EMULATION
  emu_align16(p);
  for (int i = 0; i < 8; i++) {
    u32 v = bswap32(w[i]);
    __builtin_memcpy(p + 4 * i, &v, 4);
  }
#else
  uint4v *q = (uint4v *)p;
  q[0] = uint4v{bswap32(w[0]), bswap32(w[1]), bswap32(w[2]), bswap32(w[3])};
  q[1] = uint4v{bswap32(w[4]), bswap32(w[5]), bswap32(w[6]), bswap32(w[7])};
#endif
}

// tagw is word k (big-endian, zero past the end) of the tag literal s:
// evaluated by the compiler, so a tag costs no instruction.
template <int N> constexpr u32 tagw(const char (&s)[N], int k) {
  u32 v = 0;
  for (int i = 0; i < 4; i++) v = (v << 8) | (4 * k + i < N - 1 ? (u8)s[4 * k + i] : 0u);
  return v;
}

// shb splices a word stream that starts `S` bytes into a message word:
// the message word is the carry (the S bytes left from the stream's
// previous word) followed by the top 4−S bytes of x; the carry becomes x's
// low S bytes. S = 1, 2, 3 (one funnel shift each).
template <int S> __device__ __forceinline__ u32 shb(u32 &carry, u32 x) {
  u32 w = (carry << (32 - 8 * S)) | (x >> (8 * S));
  carry = x & ((1u << (8 * S)) - 1);
  return w;
}

__device__ __forceinline__ void sha_iv(u32 h[8]) {
  h[0] = 0x6a09e667; h[1] = 0xbb67ae85; h[2] = 0x3c6ef372; h[3] = 0xa54ff53a;
  h[4] = 0x510e527f; h[5] = 0x9b05688c; h[6] = 0x1f83d9ab; h[7] = 0x5be0cd19;
}

__device__ __forceinline__ u32 ror(u32 x, int n) { return (x >> n) | (x << (32 - n)); }

// sha_compress is FIPS 180-4 §6.2.2 on one block w[16] (clobbered: it
// holds the rolling schedule window W[t mod 16]).
__device__ __forceinline__ void sha_compress(u32 h[8], u32 w[16]) {
  u32 a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
#pragma unroll
  for (int i = 0; i < 64; i++) {
    if (i >= 16) {
      u32 x = w[(i + 1) & 15], y = w[(i + 14) & 15];
      u32 s0 = ror(x, 7) ^ ror(x, 18) ^ (x >> 3);
      u32 s1 = ror(y, 17) ^ ror(y, 19) ^ (y >> 10);
      w[i & 15] += s0 + w[(i + 9) & 15] + s1;
    }
    u32 t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i & 15];
    u32 t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

// sha_pad_carry compresses the final block of a message of `bits` bits whose
// remaining bytes are the carry (S bytes) of a spliced stream: carry, 0x80,
// zeros, the 64-bit length. Needs S ≤ 3 (the padding fits: S+1+8 ≤ 64).
template <int S> __device__ __forceinline__ void sha_pad_carry(u32 h[8], u32 carry, u32 bits) {
  u32 w[16];
  w[0] = (carry << (32 - 8 * S)) | (0x80u << (24 - 8 * S));
#pragma unroll
  for (int i = 1; i < 15; i++) w[i] = 0;
  w[15] = bits;
  sha_compress(h, w);
}

// sha_len_only compresses a block that holds only zeros and the length
// (the message and its 0x80 ended in the block before): all constants.
__device__ __forceinline__ void sha_len_only(u32 h[8], u32 bits) {
  u32 w[16];
#pragma unroll
  for (int i = 0; i < 15; i++) w[i] = 0;
  w[15] = bits;
  sha_compress(h, w);
}

#define TAGS_LABEL "loopin/pocps/v1/label"
#define TAGS_PARENTS "loopin/pocps/v1/parents"
#define TAGS_PRG "loopin/pocps/v1/prg"
#define TAGS_GATHER "loopin/pocps/v1/gather"

// leaf_words: out = SHA-256(0x00 ‖ x), x 8 words (Merkle leaf of a label):
// 33 bytes, one block.
__device__ __forceinline__ void leaf_words(const u32 x[8], u32 out[8]) {
  u32 w[16], c = 0;
#pragma unroll
  for (int i = 0; i < 8; i++) w[i] = shb<1>(c, x[i]);
  w[8] = (c << 24) | 0x800000;
#pragma unroll
  for (int i = 9; i < 15; i++) w[i] = 0;
  w[15] = 33 * 8;
  sha_iv(out);
  sha_compress(out, w);
}

// prg_words: out = SHA-256("loopin/pocps/v1/prg" ‖ seed ‖ u64 ctr): 59
// bytes, the tag 4 words + 3 bytes, so seed and ctr are spliced 3 bytes in;
// block 1 is padding only.
__device__ __forceinline__ void prg_words(const u32 seed[8], u64 ctr, u32 out[8]) {
  u32 w[16], c = tagw(TAGS_PRG, 4) >> 8;
  w[0] = tagw(TAGS_PRG, 0); w[1] = tagw(TAGS_PRG, 1); w[2] = tagw(TAGS_PRG, 2); w[3] = tagw(TAGS_PRG, 3);
#pragma unroll
  for (int i = 0; i < 8; i++) w[4 + i] = shb<3>(c, seed[i]);
  w[12] = shb<3>(c, (u32)(ctr >> 32));
  w[13] = shb<3>(c, (u32)ctr);
  w[14] = (c << 8) | 0x80;
  w[15] = 0;
  sha_iv(out);
  sha_compress(out, w);
  sha_len_only(out, 59 * 8);
}

// gather_words: out = SHA-256("loopin/pocps/v1/gather" ‖ prev ‖ u32 r): 58
// bytes, spliced 2 bytes in; block 1 is padding only.
__device__ __forceinline__ void gather_words(const u32 prev[8], u32 r, u32 out[8]) {
  u32 w[16], c = tagw(TAGS_GATHER, 5) >> 16;
  w[0] = tagw(TAGS_GATHER, 0); w[1] = tagw(TAGS_GATHER, 1); w[2] = tagw(TAGS_GATHER, 2);
  w[3] = tagw(TAGS_GATHER, 3); w[4] = tagw(TAGS_GATHER, 4);
#pragma unroll
  for (int i = 0; i < 8; i++) w[5 + i] = shb<2>(c, prev[i]);
  w[13] = shb<2>(c, r);
  w[14] = (c << 16) | 0x8000;
  w[15] = 0;
  sha_iv(out);
  sha_compress(out, w);
  sha_len_only(out, 58 * 8);
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

// modn is x mod n; n is a power of two for every valid Params (N, N/w),
// where it is a mask (a uniform branch) instead of a 64-bit remainder.
__device__ __forceinline__ u64 modn(u64 x, u64 n) { return (n & (n - 1)) == 0 ? x & (n - 1) : x % n; }

// parents_words: out = SHA-256("loopin/pocps/v1/parents" ‖ ek ‖ u32 layer ‖
// u64 i ‖ u32 jq), 71 bytes. Block 0 (tag, ek, layer, i) is the same for
// every jq of a label: mid is its state and carry the 3 bytes of i it
// leaves, so each jq costs one compression of block 1 (jq, padding).
__device__ __forceinline__ void parents_words(const u32 mid[8], u32 carry, u32 jq, u32 out[8]) {
  u32 w[16];
  w[0] = shb<3>(carry, jq);
  w[1] = (carry << 8) | 0x80;
#pragma unroll
  for (int i = 2; i < 15; i++) w[i] = 0;
  w[15] = 71 * 8;
#pragma unroll
  for (int i = 0; i < 8; i++) out[i] = mid[i];
  sha_compress(out, w);
}

// label_layer computes labels [first, first+count) of layer `layer` (N
// labels) from prev (the whole layer-1; unused for layer 0) into out and
// their Merkle leaf hashes into leaves, both indexed from first (a chunk:
// the streaming seal keeps one layer and a chunk on the device)
// (docs/pocps.md §3):
//   label = SHA-256("loopin/pocps/v1/label" ‖ ek ‖ u32 layer ‖ u64 i ‖
//                   prev[q_0] ‖ … ‖ prev[q_{d−1}]),  d = parents (0 on layer 0)
//   q_j   = u64(SHA-256(parents tag ‖ ek ‖ u32 layer ‖ u64 i ‖ u32 j/4)[8(j%4):]) mod N
// 65 + 32d bytes: the tag's 21 bytes leave everything after them spliced 1
// byte into the message words; blocks 1.. hold two parents each.
// Launch: one thread per label of the chunk, any 1-D block size.
extern "C" __global__ void label_layer(const u8 *ek, u32 layer, u64 n_labels, u32 parents,
                                       const u8 *prev, u8 *out, u8 *leaves, u64 first, u64 count) {
  u64 t = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= count) return;
  u64 i = first + t;
  u32 e[8];
  ldw8(ek, e);
  u32 ih = (u32)(i >> 32), il = (u32)i;
  u32 d = layer > 0 ? parents : 0;
  u32 bits = (65 + 32 * d) * 8;
  u32 h[8], w[16], c = tagw(TAGS_LABEL, 5) >> 24;
  w[0] = tagw(TAGS_LABEL, 0); w[1] = tagw(TAGS_LABEL, 1); w[2] = tagw(TAGS_LABEL, 2);
  w[3] = tagw(TAGS_LABEL, 3); w[4] = tagw(TAGS_LABEL, 4);
#pragma unroll
  for (int k = 0; k < 8; k++) w[5 + k] = shb<1>(c, e[k]);
  w[13] = shb<1>(c, layer);
  w[14] = shb<1>(c, ih);
  w[15] = shb<1>(c, il);
  sha_iv(h);
  sha_compress(h, w);
  if (d == 0) {
    sha_pad_carry<1>(h, c, bits);
  } else {
    // The parents hash's block 0, once per label (its tag is 23 bytes: ek,
    // layer and i are spliced 3 bytes in).
    u32 pm[8], pc = tagw(TAGS_PARENTS, 5) >> 8;
    w[0] = tagw(TAGS_PARENTS, 0); w[1] = tagw(TAGS_PARENTS, 1); w[2] = tagw(TAGS_PARENTS, 2);
    w[3] = tagw(TAGS_PARENTS, 3); w[4] = tagw(TAGS_PARENTS, 4);
#pragma unroll
    for (int k = 0; k < 8; k++) w[5 + k] = shb<3>(pc, e[k]);
    w[13] = shb<3>(pc, layer);
    w[14] = shb<3>(pc, ih);
    w[15] = shb<3>(pc, il);
    sha_iv(pm);
    sha_compress(pm, w);
    u32 ph[8];
    u32 pairs = d / 2;
    for (u32 p = 0; p < pairs; p++) {
      // Parents 2p and 2p+1: one parents hash serves four parents.
      if ((p & 1) == 0) parents_words(pm, pc, p >> 1, ph);
      bool hi = p & 1;
      u64 q0 = modn(((u64)(hi ? ph[4] : ph[0]) << 32) | (hi ? ph[5] : ph[1]), n_labels);
      u64 q1 = modn(((u64)(hi ? ph[6] : ph[2]) << 32) | (hi ? ph[7] : ph[3]), n_labels);
      u32 l0[8], l1[8];
      ldw8(prev + 32 * q0, l0);
      ldw8(prev + 32 * q1, l1);
#pragma unroll
      for (int k = 0; k < 8; k++) w[k] = shb<1>(c, l0[k]);
#pragma unroll
      for (int k = 0; k < 8; k++) w[8 + k] = shb<1>(c, l1[k]);
      sha_compress(h, w);
    }
    if (d & 1) {
      // The odd last parent, its 33 bytes with the padding in one block.
      u32 x0, x1;
      if ((pairs & 1) == 0) {
        parents_words(pm, pc, pairs >> 1, ph);
        x0 = ph[0], x1 = ph[1];
      } else {
        x0 = ph[4], x1 = ph[5];
      }
      u64 q = modn(((u64)x0 << 32) | x1, n_labels);
      u32 l0[8];
      ldw8(prev + 32 * q, l0);
#pragma unroll
      for (int k = 0; k < 8; k++) w[k] = shb<1>(c, l0[k]);
      w[8] = (c << 24) | 0x800000;
#pragma unroll
      for (int k = 9; k < 15; k++) w[k] = 0;
      w[15] = bits;
      sha_compress(h, w);
    } else {
      sha_pad_carry<1>(h, c, bits);
    }
  }
  stw8(out + 32 * t, h);
  u32 lf[8];
  leaf_words(h, lf);
  stw8(leaves + 32 * t, lf);
}

// label_leaves writes the Merkle leaf hash SHA-256(0x00 ‖ label) of each of
// count labels (a seal restored from disk: its tree is rebuilt on the
// device). One thread per label, any 1-D block size.
extern "C" __global__ void label_leaves(const u8 *labels, u8 *leaves, u64 count) {
  u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= count) return;
  u32 x[8], lf[8];
  ldw8(labels + 32 * i, x);
  leaf_words(x, lf);
  stw8(leaves + 32 * i, lf);
}

// ---------------------------------------------------------------- Merkle

// merkle_level writes count parents from 2*count children:
//   parent_i = SHA-256(0x01 ‖ child_{2i} ‖ child_{2i+1}), 65 bytes, 2 blocks.
// Launch: one thread per parent, any 1-D block size.
extern "C" __global__ void merkle_level(const u8 *children, u8 *parents_out, u64 count) {
  u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= count) return;
  u32 x[8], y[8], w[16], h[8], c = 0x01;
  ldw8(children + 64 * i, x);
  ldw8(children + 64 * i + 32, y);
#pragma unroll
  for (int k = 0; k < 8; k++) w[k] = shb<1>(c, x[k]);
#pragma unroll
  for (int k = 0; k < 8; k++) w[8 + k] = shb<1>(c, y[k]);
  sha_iv(h);
  sha_compress(h, w);
  sha_pad_carry<1>(h, c, 65 * 8);
  stw8(parents_out + 32 * i, h);
}

// merkle_levels computes `levels` Merkle levels in one launch, each node
// as merkle_level does: level 1 (count nodes) from children (2·count),
// level 2 (count/2 nodes) from level 1, …, written one after another at
// out (level l starts at node count + count/2 + … + count/2^(l−2)).
// Launch: count a power of two, block R = min(count, 256) threads, grid
// count/R, levels ≤ log2(R) + 1 (so each block's subtree closes inside
// it). Block b computes level-1 nodes bR … bR+R−1 from its 2R children and
// halves them level by level through shared memory; after `levels` levels
// the count/2^(levels−1) nodes of the last level are the next launch's
// children (gpu/kernels.go: merkleLevelsLaunch).
extern "C" __global__ void __launch_bounds__(256) merkle_levels(const u8 *children, u8 *out, u64 count, u32 levels) {
  __shared__ u32 nodes[8 * 256];  // word k of node t at 256k + t: no bank conflicts
  u32 R = blockDim.x, t = threadIdx.x;
  u64 i = (u64)blockIdx.x * R + t;
  u32 x[8], y[8], h[8], w[16], c;
  if (i < count) {
    ldw8(children + 64 * i, x);
    ldw8(children + 64 * i + 32, y);
    c = 0x01;
#pragma unroll
    for (int k = 0; k < 8; k++) w[k] = shb<1>(c, x[k]);
#pragma unroll
    for (int k = 0; k < 8; k++) w[8 + k] = shb<1>(c, y[k]);
    sha_iv(h);
    sha_compress(h, w);
    sha_pad_carry<1>(h, c, 65 * 8);
    stw8(out + 32 * i, h);
#pragma unroll
    for (int k = 0; k < 8; k++) nodes[256 * k + t] = h[k];
  }
  u64 off = 0, cnt = count;
  u32 width = R;
  for (u32 l = 2; l <= levels; l++) {
    off += cnt;
    cnt /= 2, width /= 2;
    __syncthreads();  // the level below is in nodes
    bool live = t < width && (u64)blockIdx.x * width + t < cnt;
    if (live) {
#pragma unroll
      for (int k = 0; k < 8; k++) x[k] = nodes[256 * k + 2 * t], y[k] = nodes[256 * k + 2 * t + 1];
      c = 0x01;
#pragma unroll
      for (int k = 0; k < 8; k++) w[k] = shb<1>(c, x[k]);
#pragma unroll
      for (int k = 0; k < 8; k++) w[8 + k] = shb<1>(c, y[k]);
      sha_iv(h);
      sha_compress(h, w);
      sha_pad_carry<1>(h, c, 65 * 8);
      stw8(out + 32 * (off + (u64)blockIdx.x * width + t), h);
    }
    __syncthreads();  // every node of the level below is read
    if (live) {
#pragma unroll
      for (int k = 0; k < 8; k++) nodes[256 * k + t] = h[k];
    }
  }
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
// `block` labels (a power of two) at block·(fmix64(fold of the lanes) mod
// (n_labels/block)) (proof.WalkAddress) with 16-byte loads, four labels' loads issued before
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
    u64 z = (u64)(x[0] ^ x[2] ^ x[4] ^ x[6]) | ((u64)(x[1] ^ x[3] ^ x[5] ^ x[7]) << 32);
    z ^= z >> 33;
    z *= 0xff51afd7ed558ccdULL;
    z ^= z >> 33;
    z *= 0xc4ceb9fe1a85ec53ULL;
    z ^= z >> 33;
    u64 a = (u64)block * (z & mask);
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

// prg_fill writes `blocks` 32-byte PRG blocks of seed (counter 0..blocks-1):
// block c = SHA-256("loopin/pocps/v1/prg" ‖ seed ‖ u64 c). One thread per
// block, any 1-D block size.
extern "C" __global__ void prg_fill(const u8 *seed, u8 *out, u64 blocks) {
  u64 c = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= blocks) return;
  u32 s[8], o[8];
  ldw8(seed, s);
  prg_words(s, c, o);
  stw8(out + 32 * c, o);
}

// transpose_b writes bt[j*n+k] = b[k*n+j] (the column-major B of mma).
extern "C" __global__ void transpose_b(const u8 *b, u8 *bt, u32 n) {
  u64 idx = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= (u64)n * n) return;
  u64 k = idx / n, j = idx % n;
  bt[j * n + k] = b[idx];
}

// prg_fill_bt writes Bᵀ straight from the PRG, fusing prg_fill and
// transpose_b: bt[j·n + k] = B[k·n + j], where B (n×n, row-major) is the PRG
// stream of seed, B[k·n + j] = byte (k·n+j) mod 32 of block (k·n+j)/32.
// Launch: block R = min(n, 256) threads (n a power of two ≥ 32, so R divides
// n and is a multiple of 32), grid (n/32)·(n/R). Block b covers the columns
// j0 = 32·(b mod n/32) … j0+31 and the rows k0 = R·(b div n/32) … k0+R−1:
// thread t hashes the PRG block of row k0+t, columns j0…j0+31, and puts
// its bytes into a shared 32×R tile, column by column (each column's R
// bytes contiguous); after the barrier the block writes the 32 runs
// bt[(j0+jj)·n + k0 …] of R bytes as words, coalesced.
extern "C" __global__ void __launch_bounds__(256) prg_fill_bt(const u8 *seed, u8 *bt, u32 n) {
  __shared__ u32 tile[32 * 256 / 4];
  u32 R = blockDim.x, t = threadIdx.x;
  u32 cols = n / 32;
  u32 jb = blockIdx.x % cols, kb = blockIdx.x / cols;
  u64 k = (u64)kb * R + t;
  u32 s[8], o[8];
  ldw8(seed, s);
  prg_words(s, k * cols + jb, o);
  u8 *tb = (u8 *)tile;
#pragma unroll
  for (int jj = 0; jj < 32; jj++) tb[jj * R + t] = (u8)(o[jj >> 2] >> (24 - 8 * (jj & 3)));
  __syncthreads();
  u32 wpc = R / 4;  // words per column run
  for (u32 q = t; q < 8 * R; q += R) {
    u32 jj = q / wpc, kk = q % wpc;
    *(u32 *)(bt + (u64)(jb * 32 + jj) * n + (u64)kb * R + 4 * kk) = tile[q];
  }
}

// gather_rows writes A (m×n int8): row r is the aligned block of w = n/32
// seal labels starting at w·(u64(SHA-256(gather tag ‖ prev ‖ u32 r)[0:8]) mod (N/w)),
// i.e. the n contiguous bytes sealed[32g, 32g+n). Launch: one block per row
// (grid m), any block size; thread 0 hashes, all copy 16 bytes at a time.
extern "C" __global__ void gather_rows(const u8 *prev, const u8 *sealed, u64 n_labels, u32 m, u32 n, u8 *a) {
  u32 r = blockIdx.x;
  if (r >= m) return;
  __shared__ u64 g;
  if (threadIdx.x == 0) {
    u32 pw[8], h[8];
    ldw8(prev, pw);
    gather_words(pw, r, h);
    u64 w = n / 32;
    g = w * modn(((u64)h[0] << 32) | h[1], n_labels / w);
  }
  __syncthreads();
  const uint4v *src = (const uint4v *)(sealed + 32 * g);
  uint4v *dst = (uint4v *)(a + (u64)r * n);
#ifdef LOOPIN_HOST_EMULATION
  emu_align16(src), emu_align16(dst);
#endif
  for (u32 b = threadIdx.x; b < n / 16; b += blockDim.x) dst[b] = src[b];
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

// A shared-memory address as the .shared state space names it (PTX ISA,
// "cvta"): what cp.async and ldmatrix take.
typedef u32 saddr;
__device__ static __forceinline__ saddr smem_addr(const void *p) {
  u32 a;
  asm("{ .reg .u64 t; cvta.to.shared.u64 t, %1; cvt.u32.u64 %0, t; }" : "=r"(a) : "l"(p));
  return a;
}

// cp_async16 starts a 16-byte copy global → shared that bypasses L1
// (cp.async.cg; PTX ISA "cp.async"); cp_async_commit closes the group of
// copies started since the last one, cp_async_wait<N> waits until at most
// N groups are still in flight (cp.async.commit_group / wait_group).
__device__ static __forceinline__ void cp_async16(saddr dst, const void *src) {
  asm volatile("{ .reg .u64 g; cvta.to.global.u64 g, %1; cp.async.cg.shared.global [%0], [g], 16; }\n"
               :: "r"(dst), "l"(src) : "memory");
}
__device__ static __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int N> __device__ static __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" :: "n"(N) : "memory");
}

// ldsm_x4 is ldmatrix.sync.aligned.m8n8.x4.shared.b16 (PTX ISA, "Warp-level
// matrix load instruction: ldmatrix"): lanes 8i…8i+7 give the addresses of
// the 8 rows (16 bytes each) of matrix i, and lane l receives in r[i] the
// 32-bit word 4·(l%4) of row l/4 of matrix i — for int8 data, the 4 bytes
// at row l/4, columns 4·(l%4)…, exactly an mma.m16n8k32 .s8 fragment
// register (groupID = l/4, threadID_in_group = l%4).
__device__ static __forceinline__ void ldsm_x4(u32 r[4], saddr p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(p)
               : "memory");
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

// gemm_s8_tiled is gemm_s8's C = A·B (same arguments, bit for bit the same
// exact int32 result) tiled through shared memory for sm_80/sm_90a.
// Launch: m and n multiples of 128 (else use gemm_s8), grid
// (m/128)·(n/128), block 256 threads (8 warps). Block b computes the
// 128×128 output tile at rows 128·(b div n/128), columns 128·(b mod n/128);
// warp w the 64×32 sub-tile at rows 64·(w/4), columns 32·(w%4): 4×4
// mma.sync.m16n8k32 fragments, 64 accumulators per lane.
// k advances 64 bytes per stage; each stage's A (128 rows × 64 bytes of A)
// and B (128 columns of B = rows of bt × 64 bytes) tiles are copied with
// cp.async 16 bytes per thread-op, double-buffered (stage s+1 in flight
// while s is multiplied; 2 × 16 KiB shared). A 64-byte tile row is 4
// chunks of 16 bytes stored at chunk c ^ ((row/2) mod 4): the 8 rows one
// ldmatrix phase reads then cover all 32 banks (rows r and r+2 would
// otherwise share them). Fragments (PTX ISA, "Matrix fragments for
// mma.m16n8k32", .s8): A's a0..a3 are rows g, g+8 × bytes 4t.. and 16+4t..
// of the 16×32 slice — ldmatrix x4 over the four 8×16-byte quarters
// (lanes 0–15 address rows 0–15 at byte 0, lanes 16–31 rows 0–15 at byte
// 16); B's b0, b1 are bytes 4t.. and 16+4t.. of bt row (column) g — one
// ldmatrix x4 gives two n8 fragments (lanes 0–7: columns 0–7 byte 0, 8–15:
// columns 0–7 byte 16, 16–23: columns 8–15 byte 0, 24–31: columns 8–15 byte 16).
#define TT_M 128
#define TT_N 128
#define TT_K 64
#define TT_STAGE ((TT_M + TT_N) * TT_K)

__device__ __forceinline__ u32 tt_swz(u32 row, u32 chunk) { return row * TT_K + 16 * (chunk ^ ((row >> 1) & 3)); }

__device__ __forceinline__ void tt_load(saddr st, const u8 *ga, const u8 *gb, u32 n, u32 k0, u32 tid) {
#pragma unroll
  for (int i = 0; i < 2; i++) {
    u32 q = tid + 256 * i, r = q >> 2, ch = q & 3;
    cp_async16(st + tt_swz(r, ch), ga + (u64)r * n + k0 + 16 * ch);
    cp_async16(st + TT_M * TT_K + tt_swz(r, ch), gb + (u64)r * n + k0 + 16 * ch);
  }
}

extern "C" __global__ void __launch_bounds__(256) gemm_s8_tiled(const u8 *a, const u8 *bt, i32 *c, u32 m, u32 n) {
  __shared__ __attribute__((aligned(128))) u8 smem[2 * TT_STAGE];
  u32 tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  u32 tiles_n = n / TT_N;
  u32 m0 = (blockIdx.x / tiles_n) * TT_M, n0 = (blockIdx.x % tiles_n) * TT_N;
  if (m0 >= m) return;
  u32 wm = warp >> 2, wn = warp & 3;
  const u8 *ga = a + (u64)m0 * n, *gb = bt + (u64)n0 * n;
  saddr base = smem_addr(smem);
  i32 acc[4][4][4];
#pragma unroll
  for (int i = 0; i < 4; i++)
#pragma unroll
    for (int j = 0; j < 4; j++)
#pragma unroll
      for (int e = 0; e < 4; e++) acc[i][j][e] = 0;
  u32 stages = n / TT_K;
  tt_load(base, ga, gb, n, 0, tid);
  cp_async_commit();
  for (u32 s = 0; s < stages; s++) {
    if (s + 1 < stages) {
      tt_load(base + ((s + 1) & 1) * TT_STAGE, ga, gb, n, (s + 1) * TT_K, tid);
      cp_async_commit();
      cp_async_wait<1>();  // stage s has landed, s+1 may still be in flight
    } else {
      cp_async_wait<0>();
    }
    __syncthreads();  // every thread's copies of stage s are visible
    saddr sa = base + (s & 1) * TT_STAGE, sb = sa + TT_M * TT_K;
#pragma unroll
    for (int ks = 0; ks < 2; ks++) {
      u32 af[4][4], bf[4][2];
#pragma unroll
      for (int i = 0; i < 4; i++) ldsm_x4(af[i], sa + tt_swz(wm * 64 + i * 16 + (lane & 15), 2 * ks + (lane >> 4)));
#pragma unroll
      for (int j = 0; j < 2; j++) {
        u32 r[4];
        ldsm_x4(r, sb + tt_swz(wn * 32 + j * 16 + (lane & 7) + ((lane >> 4) << 3), 2 * ks + ((lane >> 3) & 1)));
        bf[2 * j][0] = r[0], bf[2 * j][1] = r[1], bf[2 * j + 1][0] = r[2], bf[2 * j + 1][1] = r[3];
      }
#pragma unroll
      for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) mma_s8(acc[i][j], af[i][0], af[i][1], af[i][2], af[i][3], bf[j][0], bf[j][1]);
    }
    __syncthreads();  // stage s is read before s+2 overwrites its buffer
  }
  u32 g = lane >> 2, t = lane & 3;
#pragma unroll
  for (int i = 0; i < 4; i++)
#pragma unroll
    for (int j = 0; j < 4; j++) {
      u64 row = m0 + wm * 64 + i * 16 + g, col = n0 + wn * 32 + j * 8 + 2 * t;
      *(int2v *)(c + row * n + col) = int2v{acc[i][j][0], acc[i][j][1]};
      *(int2v *)(c + (row + 8) * n + col) = int2v{acc[i][j][2], acc[i][j][3]};
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

// gemm_s8_tiled on sm_70/75 (no int8 mma): the same launch as on sm_80
// (m, n multiples of 128, grid (m/128)·(n/128), block 256) and the same
// result. Each block stages 128 rows of A and 128 rows of bt, 64 bytes of
// k at a time, in shared memory with rows of 17 words (the 16 different
// bt rows a warp reads at once fall in 16 different banks); thread
// (ty, tx) = (tid/16, tid%16) computes the 8×8 outputs at rows ty+16i,
// columns tx+16j with dp4a.
extern "C" __global__ void __launch_bounds__(256) gemm_s8_tiled(const u8 *a, const u8 *bt, i32 *c, u32 m, u32 n) {
  __shared__ u32 as[128 * 17], bs[128 * 17];
  u32 tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;
  u32 tiles_n = n / 128;
  u32 m0 = (blockIdx.x / tiles_n) * 128, n0 = (blockIdx.x % tiles_n) * 128;
  if (m0 >= m) return;
  i32 acc[8][8];
#pragma unroll
  for (int i = 0; i < 8; i++)
#pragma unroll
    for (int j = 0; j < 8; j++) acc[i][j] = 0;
  for (u32 k0 = 0; k0 < n; k0 += 64) {
    for (u32 q = tid; q < 128 * 16; q += 256) {
      u32 r = q >> 4, w = q & 15;
      as[r * 17 + w] = ld32(a + (u64)(m0 + r) * n + k0 + 4 * w);
      bs[r * 17 + w] = ld32(bt + (u64)(n0 + r) * n + k0 + 4 * w);
    }
    __syncthreads();
#pragma unroll 4
    for (u32 w = 0; w < 16; w++) {
      i32 av[8], bv[8];
#pragma unroll
      for (int i = 0; i < 8; i++) av[i] = (i32)as[(ty + 16 * i) * 17 + w], bv[i] = (i32)bs[(tx + 16 * i) * 17 + w];
#pragma unroll
      for (int i = 0; i < 8; i++)
#pragma unroll
        for (int j = 0; j < 8; j++) acc[i][j] = dp4a_s32(av[i], bv[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 8; i++)
#pragma unroll
    for (int j = 0; j < 8; j++) c[(u64)(m0 + ty + 16 * i) * n + n0 + tx + 16 * j] = acc[i][j];
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
