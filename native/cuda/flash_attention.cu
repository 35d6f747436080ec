// Fused attention for head dim 64 on bf16 tensor cores (mma.sync m16n8k16, fp32 accumulation), in the manner of
// FlashAttention-2: the (T x T) scores and probabilities never reach global memory.
//
// Forward: one CTA (4 warps) per 64 query rows of one (batch, head); each warp owns 16 rows. Q, K, V are read as
// f32 straight from the (B, T, H*64) strided layout (e.g. the packed qkv projection), rounded to bf16 into shared
// memory, and the softmax is computed online over 64-key tiles. It writes the output, the per-row log2-sum-exp
// (LSE, in units of log2 of the scaled scores; +inf for a row that sees no key) and, when the caller's scratch has
// room, a copy of the output for the backward pass.
//
// Backward: (1) D_i = sum_d dO_id O_id per row (from that copy, or from the forward recomputed); (2) one CTA per 64
// keys of one (batch, head), looping over 64-row query tiles: it recomputes P^T = exp2(S^T - LSE) and accumulates
// dV = P^T dO and dK = dS^T Q in registers (dS = P * (dP - D)), and writes each query tile's dQ contribution
// (dS K) to a per-key-block partial buffer; (3) a reduction sums the partials into dQ. No atomics: deterministic.
//
// Masks as in the interface: causal hides keys j > i, the key mask hides padded keys, and a row that sees no key
// gets zero output and zero gradients.
#include "allocator.h"
#include "kernels.h"
#include "mma.cuh"

namespace mk {

namespace {

constexpr int kFD = 64;          // head dim
constexpr int kTile = 64;        // query rows per tile (4 warps x 16) and keys per tile
constexpr int kLds = kFD + 8;    // shared-memory row stride in bf16 (16 bytes of padding: conflict-free fragments)
constexpr int kFlashThreads = 128;
constexpr float kLog2e = 1.4426950408889634f;
constexpr size_t kTileBytes = static_cast<size_t>(kTile) * kLds * sizeof(uint16_t);
constexpr size_t kBwdSmem = 8 * kTileBytes + 2 * kTile * sizeof(float);

struct FlashParams {
  const float* q;
  const float* k;
  const float* v;
  int64_t ldq, ldk, ldv;
  int heads, tq, tk;
  float scale_log2;  // softmax scale * log2(e)
  bool causal;
  const int32_t* key_mask;  // [batch][tk] or nullptr
  bool vec_q, vec_k, vec_v;  // 16-byte aligned rows: float4 loads
};

// Index of element (r, c) of a 64 x 64 bf16 tile in shared memory: rows of kLds (64 + 8 padding) elements, and the
// 32-bit words of a row XOR-swizzled by bits 3..5 of the row. Both the fragment loads (8 rows x 4 words) and the
// transposing stores of load_tiles (16 rows 4 apart, one word column) then fall on distinct banks. Adjacent
// element pairs (c even) stay together in one word, and aligned groups of 4 in one 8-byte unit.
__device__ inline int sw(int r, int c) { return r * kLds + ((((c >> 1) ^ (((r >> 3) & 7) << 2)) << 1) | (c & 1)); }

constexpr int kLoadIters = kTile * (kFD / 4) / kFlashThreads;  // float4s per thread per 64 x 64 tile

// Rows [0, rows) of a 64 x 64 f32 tile (row r at base + r * ld), zeros past `rows`, into registers.
__device__ inline void fetch_tile(const float* base, int64_t ld, int rows, bool vec, float4 (&v)[kLoadIters]) {
#pragma unroll
  for (int u = 0; u < kLoadIters; ++u) {
    const int i = threadIdx.x + u * kFlashThreads, r = i >> 4, c = (i & 15) * 4;
    v[u] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    if (r < rows) {
      const float* p = base + r * ld + c;
      if (vec) {
        v[u] = *reinterpret_cast<const float4*>(p);
      } else {
        v[u].x = p[0];
        v[u].y = p[1];
        v[u].z = p[2];
        v[u].w = p[3];
      }
    }
  }
}

// The fetched tile as bf16: row-major (rm: element (r, c) at sw(r, c)) and/or transposed (tr: at sw(c, r)).
__device__ inline void store_tile(const float4 (&v)[kLoadIters], uint16_t* rm, uint16_t* tr) {
#pragma unroll
  for (int u = 0; u < kLoadIters; ++u) {
    const int i = threadIdx.x + u * kFlashThreads, r = i >> 4, c = (i & 15) * 4;
    if (rm) {
      uint2 w;
      w.x = pack_bf16x2(v[u].x, v[u].y);
      w.y = pack_bf16x2(v[u].z, v[u].w);
      *reinterpret_cast<uint2*>(rm + sw(r, c)) = w;
    }
    if (tr) {
      tr[sw(c + 0, r)] = bf16_bits(v[u].x);
      tr[sw(c + 1, r)] = bf16_bits(v[u].y);
      tr[sw(c + 2, r)] = bf16_bits(v[u].z);
      tr[sw(c + 3, r)] = bf16_bits(v[u].w);
    }
  }
}

// Two tiles: both fetched (all global loads in flight together) before either is stored.
__device__ inline void load_tiles(const float* a, int64_t lda, int rows_a, bool vec_a, uint16_t* rm_a, uint16_t* tr_a,
                                  const float* b, int64_t ldb, int rows_b, bool vec_b, uint16_t* rm_b, uint16_t* tr_b) {
  float4 va[kLoadIters], vb[kLoadIters];
  fetch_tile(a, lda, rows_a, vec_a, va);
  fetch_tile(b, ldb, rows_b, vec_b, vb);
  store_tile(va, rm_a, tr_a);
  store_tile(vb, rm_b, tr_b);
}

// The A fragments (16 rows from `row0`, 64 columns = 4 k-steps) of a bf16 tile in shared memory (layout of sw).
__device__ inline void load_a_frags(const uint16_t* tile, int row0, int g, int t, uint32_t (&f)[4][4]) {
#pragma unroll
  for (int kk = 0; kk < 4; ++kk) {
    const int c = kk * 16 + 2 * t;
    f[kk][0] = ld_bf16x2(tile + sw(row0 + g, c));
    f[kk][1] = ld_bf16x2(tile + sw(row0 + g + 8, c));
    f[kk][2] = ld_bf16x2(tile + sw(row0 + g, c + 8));
    f[kk][3] = ld_bf16x2(tile + sw(row0 + g + 8, c + 8));
  }
}

// acc[nt] (16 x 8 each, 8 n-tiles) += A (4 k-steps of fragments) * B, where B[k][n] = bt[sw(nt * 8 + n, k)]: the B
// operand is stored "n-major" (its transpose row-major), so each fragment is two 32-bit loads.
// Only k-steps below kmax (a multiple of 16 or more) are done; only n-tiles below nmax (multiple of 8 or more).
__device__ inline void mma_tile(float (&acc)[8][4], const uint32_t (&a)[4][4], const uint16_t* bt, int g, int t,
                                int kmax, int nmax) {
#pragma unroll
  for (int nt = 0; nt < 8; ++nt) {
    if (nt * 8 >= nmax) continue;
#pragma unroll
    for (int kk = 0; kk < 4; ++kk) {
      if (kk * 16 >= kmax) continue;
      const int row = nt * 8 + g, col = kk * 16 + 2 * t;
      const uint32_t b[2] = {ld_bf16x2(bt + sw(row, col)), ld_bf16x2(bt + sw(row, col + 8))};
      mma_bf16_16816(acc[nt], a[kk], b);
    }
  }
}

__device__ inline void zero_acc(float (&acc)[8][4]) {
#pragma unroll
  for (int nt = 0; nt < 8; ++nt) acc[nt][0] = acc[nt][1] = acc[nt][2] = acc[nt][3] = 0.0f;
}

// Accumulators (16 x 64) as the bf16 A operand of a product over those 64 columns (see mma.cuh).
__device__ inline void acc_to_a_frags(const float (&acc)[8][4], uint32_t (&f)[4][4]) {
#pragma unroll
  for (int nt = 0; nt < 8; ++nt) {
    f[nt >> 1][(nt & 1) * 2 + 0] = pack_bf16x2(acc[nt][0], acc[nt][1]);
    f[nt >> 1][(nt & 1) * 2 + 1] = pack_bf16x2(acc[nt][2], acc[nt][3]);
  }
}

__global__ void __launch_bounds__(kFlashThreads) flash_fwd_kernel(FlashParams a, float* out, int64_t ldo, float* lse,
                                                                  float* ocopy, uint32_t* out16) {
  __shared__ __align__(16) uint16_t sQ[kTile * kLds];
  __shared__ __align__(16) uint16_t sK[kTile * kLds];
  __shared__ __align__(16) uint16_t sVt[kFD * kLds];
  const int bh = blockIdx.x, b = bh / a.heads, h = bh - b * a.heads;
  const int q0 = blockIdx.y * kTile;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const int width = a.heads * kFD;

  {
    float4 v[kLoadIters];
    fetch_tile(a.q + (static_cast<int64_t>(b) * a.tq + q0) * a.ldq + h * kFD, a.ldq, min(kTile, a.tq - q0), a.vec_q,
               v);
    store_tile(v, sQ, nullptr);
  }
  __syncthreads();
  const int wq0 = q0 + warp * 16;  // first query row of this warp
  const bool active = wq0 < a.tq;
  const int i0 = wq0 + g, i1 = i0 + 8;  // this lane's two query rows
  uint32_t qf[4][4];
  load_a_frags(sQ, warp * 16, g, t, qf);

  float o[8][4];
  zero_acc(o);
  float m0 = -INFINITY, m1 = -INFINITY, l0 = 0.0f, l1 = 0.0f;
  const int32_t* km = a.key_mask ? a.key_mask + static_cast<int64_t>(b) * a.tk : nullptr;
  const int kend = a.causal ? min(a.tk, q0 + kTile) : a.tk;
  const float* kbase = a.k + static_cast<int64_t>(b) * a.tk * a.ldk + h * kFD;
  const float* vbase = a.v + static_cast<int64_t>(b) * a.tk * a.ldv + h * kFD;

  for (int k0 = 0; k0 < kend; k0 += kTile) {
    const int krows = min(kTile, a.tk - k0);
    __syncthreads();  // the previous tile's reads of sK / sVt are done
    load_tiles(kbase + static_cast<int64_t>(k0) * a.ldk, a.ldk, krows, a.vec_k, sK, nullptr,
               vbase + static_cast<int64_t>(k0) * a.ldv, a.ldv, krows, a.vec_v, nullptr, sVt);
    __syncthreads();
    if (!active) continue;
    int kv = krows;  // keys of this tile that some row of this warp may see
    if (a.causal) kv = min(kv, wq0 + 16 - k0);
    if (kv <= 0) continue;  // warp-uniform

    float s[8][4];
    zero_acc(s);
    mma_tile(s, qf, sK, g, t, kFD, kv);  // S = Q K^T (16 rows x 64 keys)

    // scaled scores in log2 units, masked to -inf; row maxima over the 4 lanes of each row
    float mx0 = -INFINITY, mx1 = -INFINITY;
#pragma unroll
    for (int nt = 0; nt < 8; ++nt) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int j = k0 + nt * 8 + 2 * t + (e & 1);
        const int i = e < 2 ? i0 : i1;
        const bool vis = j < a.tk && (!a.causal || j <= i) && (!km || km[j] != 0);
        const float x = vis ? s[nt][e] * a.scale_log2 : -INFINITY;
        s[nt][e] = x;
        if (e < 2)
          mx0 = fmaxf(mx0, x);
        else
          mx1 = fmaxf(mx1, x);
      }
    }
    mx0 = fmaxf(mx0, __shfl_xor_sync(0xffffffffu, mx0, 1));
    mx0 = fmaxf(mx0, __shfl_xor_sync(0xffffffffu, mx0, 2));
    mx1 = fmaxf(mx1, __shfl_xor_sync(0xffffffffu, mx1, 1));
    mx1 = fmaxf(mx1, __shfl_xor_sync(0xffffffffu, mx1, 2));
    const float mn0 = fmaxf(m0, mx0), mn1 = fmaxf(m1, mx1);
    const float base0 = mn0 == -INFINITY ? 0.0f : mn0, base1 = mn1 == -INFINITY ? 0.0f : mn1;
    const float al0 = exp2f(m0 - base0), al1 = exp2f(m1 - base1);  // 0 while nothing was seen (m = -inf)
    m0 = mn0;
    m1 = mn1;
    l0 *= al0;
    l1 *= al1;
#pragma unroll
    for (int nt = 0; nt < 8; ++nt) {
      o[nt][0] *= al0;
      o[nt][1] *= al0;
      o[nt][2] *= al1;
      o[nt][3] *= al1;
      s[nt][0] = exp2f(s[nt][0] - base0);
      s[nt][1] = exp2f(s[nt][1] - base0);
      s[nt][2] = exp2f(s[nt][2] - base1);
      s[nt][3] = exp2f(s[nt][3] - base1);
      l0 += s[nt][0] + s[nt][1];
      l1 += s[nt][2] + s[nt][3];
    }
    uint32_t pf[4][4];
    acc_to_a_frags(s, pf);
    mma_tile(o, pf, sVt, g, t, kv, kFD);  // O += P V
  }

  if (!active) return;
  l0 += __shfl_xor_sync(0xffffffffu, l0, 1);
  l0 += __shfl_xor_sync(0xffffffffu, l0, 2);
  l1 += __shfl_xor_sync(0xffffffffu, l1, 1);
  l1 += __shfl_xor_sync(0xffffffffu, l1, 2);
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    const int i = half ? i1 : i0;
    if (i >= a.tq) continue;
    const float l = half ? l1 : l0, m = half ? m1 : m0;
    const float inv = l > 0.0f ? 1.0f / l : 0.0f;
    const int64_t row = static_cast<int64_t>(b) * a.tq + i;
    float* orow = out + row * ldo + h * kFD;
    float* crow = ocopy ? ocopy + row * width + h * kFD : nullptr;
    uint32_t* row16 = out16 ? out16 + (row * ldo + h * kFD) / 2 : nullptr;  // ldo even: see the launcher
#pragma unroll
    for (int nt = 0; nt < 8; ++nt) {
      const float v0 = o[nt][half * 2] * inv, v1 = o[nt][half * 2 + 1] * inv;
      orow[nt * 8 + 2 * t] = v0;
      orow[nt * 8 + 2 * t + 1] = v1;
      if (crow) {
        crow[nt * 8 + 2 * t] = v0;
        crow[nt * 8 + 2 * t + 1] = v1;
      }
      if (row16) row16[nt * 4 + t] = pack_bf16x2(v0, v1);
    }
    if (t == 0) lse[static_cast<int64_t>(bh) * a.tq + i] = l > 0.0f ? m + log2f(l) : INFINITY;
  }
}

__device__ inline float round_bf16(float x) { return __uint_as_float(static_cast<uint32_t>(bf16_bits(x)) << 16); }

// D[bh][i] = sum_d dO[b, i, h, d] * O[b, i, h, d]; one warp per (b, i, h), rows ordered (b, i, h). dO is rounded to
// bf16 as in dP = dO V^T, so that dP - D cancels exactly where one key takes all the weight.
__global__ void flash_dot_kernel(const float* dout, const float* o, int64_t rows, int heads, int tq, float* dvec) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * (kThreads / 32) + (threadIdx.x >> 5);
  if (row >= rows) return;
  const int lane = threadIdx.x & 31;
  const int64_t bi = row / heads;  // b * tq + i
  const int h = static_cast<int>(row - bi * heads);
  const int64_t b = bi / tq, i = bi - b * tq;
  const int64_t off = bi * heads * kFD + h * kFD + 2 * lane;
  float d = round_bf16(dout[off]) * o[off] + round_bf16(dout[off + 1]) * o[off + 1];
  d = warp_sum(d);
  if (lane == 0) dvec[(b * heads + h) * tq + i] = d;
}

__global__ void __launch_bounds__(kFlashThreads) flash_bwd_kernel(FlashParams a, const float* dout, bool vec_do,
                                                                  const float* lse, const float* dvec, float* dq_part,
                                                                  int64_t part_stride, float* dk, int64_t lddk,
                                                                  float* dv, int64_t lddv, bool acc, float scale) {
  MK_DYNAMIC_SMEM(smem);
  uint16_t* sK = reinterpret_cast<uint16_t*>(smem);  // K [key][d]: A operand of S^T = K Q^T
  uint16_t* sKt = sK + kTile * kLds;                   // K^T [d][key]: B operand of dQ = dS K
  uint16_t* sV = sKt + kTile * kLds;                   // V [key][d]: A operand of dP^T = V dO^T
  uint16_t* sQ = sV + kTile * kLds;                    // Q [q][d]: B operand of S^T
  uint16_t* sQt = sQ + kTile * kLds;                   // Q^T [d][q]: B operand of dK = dS^T Q
  uint16_t* sdO = sQt + kTile * kLds;                  // dO [q][d]: B operand of dP^T
  uint16_t* sdOt = sdO + kTile * kLds;                 // dO^T [d][q]: B operand of dV = P^T dO
  uint16_t* sdS = sdOt + kTile * kLds;                 // dS [q][key]: A operand of dQ
  float* sL = reinterpret_cast<float*>(sdS + kTile * kLds);
  float* sD = sL + kTile;

  const int bh = blockIdx.x, b = bh / a.heads, h = bh - b * a.heads;
  const int kb = blockIdx.y, k0 = kb * kTile;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const int width = a.heads * kFD;
  const int kvalid = min(kTile, a.tk - k0);
  const int32_t* km = a.key_mask ? a.key_mask + static_cast<int64_t>(b) * a.tk : nullptr;

  load_tiles(a.k + (static_cast<int64_t>(b) * a.tk + k0) * a.ldk + h * kFD, a.ldk, kvalid, a.vec_k, sK, sKt,
             a.v + (static_cast<int64_t>(b) * a.tk + k0) * a.ldv + h * kFD, a.ldv, kvalid, a.vec_v, sV, nullptr);

  const int wk0 = warp * 16;  // this warp's first key within the block
  const bool has_keys = wk0 < kvalid;
  const int j0 = k0 + wk0 + g, j1 = j0 + 8;  // this lane's two keys
  const bool kvis0 = j0 < a.tk && (!km || km[j0] != 0);
  const bool kvis1 = j1 < a.tk && (!km || km[j1] != 0);
  float dka[8][4], dva[8][4];
  zero_acc(dka);
  zero_acc(dva);

  const int ntiles = (a.tq + kTile - 1) / kTile;
  for (int qt = a.causal ? kb : 0; qt < ntiles; ++qt) {
    const int q0 = qt * kTile, qvalid = min(kTile, a.tq - q0);
    __syncthreads();  // the previous tile's reads of shared memory are done (and K, V are loaded)
    load_tiles(a.q + (static_cast<int64_t>(b) * a.tq + q0) * a.ldq + h * kFD, a.ldq, qvalid, a.vec_q, sQ, sQt,
               dout + (static_cast<int64_t>(b) * a.tq + q0) * width + h * kFD, width, qvalid, vec_do, sdO, sdOt);
    for (int i = threadIdx.x; i < kTile; i += blockDim.x) {
      sL[i] = i < qvalid ? lse[static_cast<int64_t>(bh) * a.tq + q0 + i] : INFINITY;
      sD[i] = i < qvalid ? dvec[static_cast<int64_t>(bh) * a.tq + q0 + i] : 0.0f;
    }
    __syncthreads();
    if (has_keys) {
      uint32_t kf[4][4];
      load_a_frags(sK, wk0, g, t, kf);
      float st[8][4];
      zero_acc(st);
      mma_tile(st, kf, sQ, g, t, kFD, qvalid);  // S^T = K Q^T (16 keys x 64 queries)
      // P^T, masked to 0
#pragma unroll
      for (int nt = 0; nt < 8; ++nt) {
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int qi = nt * 8 + 2 * t + (e & 1);
          const int i = q0 + qi, j = e < 2 ? j0 : j1;
          const bool vis = (e < 2 ? kvis0 : kvis1) && qi < qvalid && (!a.causal || j <= i);
          st[nt][e] = vis ? exp2f(st[nt][e] * a.scale_log2 - sL[qi]) : 0.0f;
        }
      }
      uint32_t pf[4][4];
      acc_to_a_frags(st, pf);
      mma_tile(dva, pf, sdOt, g, t, qvalid, kFD);  // dV += P^T dO
      uint32_t vf[4][4];
      load_a_frags(sV, wk0, g, t, vf);
      float dp[8][4];
      zero_acc(dp);
      mma_tile(dp, vf, sdO, g, t, kFD, qvalid);  // dP^T = V dO^T
      // dS^T = P^T * (dP^T - D), from the bf16 P^T that dV used; also stored as dS [q][key] for dQ
#pragma unroll
      for (int nt = 0; nt < 8; ++nt) {
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int qi = nt * 8 + 2 * t + (e & 1);
          const uint32_t pr = pf[nt >> 1][(nt & 1) * 2 + (e >> 1)];
          const float p = (e & 1) ? bf16_hi(pr) : bf16_lo(pr);
          const float ds = p * (dp[nt][e] - sD[qi]);
          dp[nt][e] = ds;
          sdS[sw(qi, wk0 + g + (e < 2 ? 0 : 8))] = bf16_bits(ds);
        }
      }
      uint32_t sf[4][4];
      acc_to_a_frags(dp, sf);
      mma_tile(dka, sf, sQt, g, t, qvalid, kFD);  // dK += dS^T Q
    } else {
      for (int i = lane; i < kTile * 16; i += 32) sdS[sw(i >> 4, wk0 + (i & 15))] = 0;
    }
    __syncthreads();
    // this key block's part of dQ for query rows q0 + 16 warp + [0, 16): dS (16 x 64 keys) K (64 keys x 64)
    if (warp * 16 < qvalid) {
      uint32_t sfq[4][4];
      load_a_frags(sdS, warp * 16, g, t, sfq);
      float dqa[8][4];
      zero_acc(dqa);
      mma_tile(dqa, sfq, sKt, g, t, kvalid, kFD);
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const int qi = warp * 16 + g + half * 8;
        if (qi >= qvalid) continue;
        float* dst = dq_part + kb * part_stride + (static_cast<int64_t>(b) * a.tq + q0 + qi) * width + h * kFD;
#pragma unroll
        for (int nt = 0; nt < 8; ++nt) {
          dst[nt * 8 + 2 * t] = scale * dqa[nt][half * 2];
          dst[nt * 8 + 2 * t + 1] = scale * dqa[nt][half * 2 + 1];
        }
      }
    }
  }

  if (!has_keys) return;
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    const int j = half ? j1 : j0;
    if (j >= a.tk) continue;
    const int64_t row = static_cast<int64_t>(b) * a.tk + j;
    float* kr = dk + row * lddk + h * kFD;
    float* vr = dv + row * lddv + h * kFD;
#pragma unroll
    for (int nt = 0; nt < 8; ++nt) {
#pragma unroll
      for (int c = 0; c < 2; ++c) {
        const int col = nt * 8 + 2 * t + c;
        const float gk = scale * dka[nt][half * 2 + c], gv = dva[nt][half * 2 + c];
        kr[col] = acc ? kr[col] + gk : gk;
        vr[col] = acc ? vr[col] + gv : gv;
      }
    }
  }
}

// dq[b, i, :] (+)= sum over key blocks kb of part[kb][b, i, :] (causal: only the blocks kb <= i / 64 wrote row i).
__global__ void flash_dq_reduce_kernel(const float* part, int64_t part_stride, int nkb, int64_t rows, int tq,
                                       int width, bool causal, float* dq, int64_t lddq, bool acc) {
  const int64_t n = rows * width;
  MK_GRID_STRIDE(e, n) {
    const int64_t row = e / width, c = e - row * width;
    const int i = static_cast<int>(row % tq);
    const int last = causal ? min(nkb - 1, i / kTile) : nkb - 1;
    float s = 0.0f;
    for (int kb = 0; kb <= last; ++kb) s += part[kb * part_stride + e];
    float* d = dq + row * lddq + c;
    *d = acc ? *d + s : s;
  }
}

bool aligned16(const void* p, int64_t ld) { return reinterpret_cast<uintptr_t>(p) % 16 == 0 && ld % 4 == 0; }

FlashParams flash_params(const AttnArgs& a) {
  FlashParams p;
  p.q = a.q;
  p.k = a.k;
  p.v = a.v;
  p.ldq = a.ldq;
  p.ldk = a.ldk;
  p.ldv = a.ldv;
  p.heads = static_cast<int>(a.heads);
  p.tq = static_cast<int>(a.tq);
  p.tk = static_cast<int>(a.tk);
  p.scale_log2 = a.scale * kLog2e;
  p.causal = a.causal;
  p.key_mask = a.key_mask;
  p.vec_q = aligned16(a.q, a.ldq);
  p.vec_k = aligned16(a.k, a.ldk);
  p.vec_v = aligned16(a.v, a.ldv);
  return p;
}

// Where the forward's output copy lives in the probs scratch (after the LSE, 16-byte aligned), or -1 when the
// scratch (batch * heads * tq * tk floats) has no room for it.
int64_t ocopy_offset(const AttnArgs& a) {
  const int64_t lse_n = a.batch * a.heads * a.tq;
  const int64_t off = (lse_n + 3) / 4 * 4;
  const int64_t need = off + a.batch * a.tq * a.heads * a.head_dim;
  return need <= a.batch * a.heads * a.tq * a.tk ? off : -1;
}

void launch_flash_fwd(const FlashParams& p, int64_t bh, float* out, int64_t ldo, float* lse, float* ocopy,
                      cudaStream_t s, void* out16 = nullptr) {
  const dim3 grid(static_cast<unsigned>(bh), static_cast<unsigned>((p.tq + kTile - 1) / kTile));
  flash_fwd_kernel<<<grid, kFlashThreads, 0, s>>>(p, out, ldo, lse, ocopy, static_cast<uint32_t*>(out16));
  launch_check("attention (fused forward)");
}

}  // namespace

bool flash_attention_supported(const AttnArgs& a) {
  return a.head_dim == kFD && a.tq >= 1 && a.tk >= 1 && a.batch * a.heads >= 1 && a.batch * a.heads < (1LL << 31) &&
         a.tq < (1LL << 30) && a.tk < (1LL << 30) && (a.tq + kTile - 1) / kTile <= 65535 &&
         (a.tk + kTile - 1) / kTile <= 65535 && a.batch * a.tq * a.heads * kFD < (1LL << 40);
}

void flash_attention_forward(const AttnArgs& a, float* out, float* probs, cudaStream_t s, void* out16) {
  const int64_t off = ocopy_offset(a);
  launch_flash_fwd(flash_params(a), a.batch * a.heads, out, a.heads * kFD, probs, off >= 0 ? probs + off : nullptr,
                   s, out16);
}

void flash_attention_backward(const AttnArgs& a, const float* probs, const float* dout, const AttnGrads& gr,
                              cudaStream_t s) {
  static bool smem_set = false;
  if (!smem_set) {
    cuda_check(cudaFuncSetAttribute(flash_bwd_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                    static_cast<int>(kBwdSmem)),
               "attention backward: shared memory size");
    smem_set = true;
  }
  const FlashParams p = flash_params(a);
  const int64_t bh = a.batch * a.heads, rows = a.batch * a.tq, width = a.heads * kFD;
  // the output O: the forward's copy, or the forward recomputed
  const float* o = nullptr;
  const int64_t off = ocopy_offset(a);
  Scratch o_tmp(off >= 0 ? 0 : static_cast<size_t>(rows * width) * 4);
  Scratch lse_tmp(off >= 0 ? 0 : static_cast<size_t>(bh * a.tq) * 4);
  if (off >= 0) {
    o = probs + off;
  } else {
    launch_flash_fwd(p, bh, o_tmp.as<float>(), width, lse_tmp.as<float>(), nullptr, s);
    o = o_tmp.as<float>();
  }
  Scratch dvec(static_cast<size_t>(bh * a.tq) * 4);
  const int64_t dot_rows = rows * a.heads;
  flash_dot_kernel<<<blocks_for_rows(dot_rows), kThreads, 0, s>>>(dout, o, dot_rows, p.heads, p.tq,
                                                                  dvec.as<float>());
  launch_check("attention backward (fused): row dots");
  const int nkb = static_cast<int>((a.tk + kTile - 1) / kTile);
  const int64_t part_stride = rows * width;
  Scratch part(static_cast<size_t>(nkb * part_stride) * 4);
  const dim3 grid(static_cast<unsigned>(bh), static_cast<unsigned>(nkb));
  flash_bwd_kernel<<<grid, kFlashThreads, kBwdSmem, s>>>(p, dout, aligned16(dout, width), probs, dvec.as<float>(),
                                                         part.as<float>(), part_stride, gr.dk, gr.lddk, gr.dv,
                                                         gr.lddv, gr.accumulate, a.scale);
  launch_check("attention backward (fused)");
  flash_dq_reduce_kernel<<<blocks_for(part_stride), kThreads, 0, s>>>(part.as<float>(), part_stride, nkb, rows, p.tq,
                                                                      static_cast<int>(width), a.causal, gr.dq,
                                                                      gr.lddq, gr.accumulate);
  launch_check("attention backward (fused): dq");
}

}  // namespace mk
