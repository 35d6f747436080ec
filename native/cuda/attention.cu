// Multi-head attention. In bf16 precision with head dim 64 the fused kernels of flash_attention.cu run
// ($MULKI_FUSED_ATTENTION=0 turns them off); otherwise (any head dim, fp32 and tf32) the GEMM path: split heads to
// (B, H, T, D) -> S = scale * Q K^T (strided-batched GEMM, written into probs) -> masked softmax in place ->
// O = P V (GEMM) -> merge heads to (B, T, H*D). Its backward pass recomputes the head splits and runs four GEMMs
// around an in-place softmax backward.
#include <cstdlib>

#include "allocator.h"
#include "cublas_dl.h"
#include "kernels.h"

namespace mk {

// One block per token row (b, t) (grid-stride over rows); its threads run along the row's H*D features, so
// reads (split) or writes (merge) of the (B, T, H*D) side are contiguous and no index needs a 64-bit division.

// dst (B, H, T, D) contiguous <- src element (b, t, h, d) at (b*T + t)*ld + h*D + d
__global__ void split_heads_kernel(const float* src, int64_t ld, int64_t B, int H, int64_t T, int D, float* dst) {
  const int width = H * D;
  for (int64_t row = blockIdx.x; row < B * T; row += gridDim.x) {
    const int64_t b = row / T, t = row - b * T;
    const float* s = src + row * ld;
    for (int c = threadIdx.x; c < width; c += blockDim.x) {
      const int h = c / D, d = c - h * D;
      dst[((b * H + h) * T + t) * D + d] = s[c];
    }
  }
}

// dst (B, T, H*D), row stride ld, (+)= src (B, H, T, D) contiguous
__global__ void merge_heads_kernel(const float* src, int64_t B, int H, int64_t T, int D, float* dst, int64_t ld,
                                   bool acc) {
  const int width = H * D;
  for (int64_t row = blockIdx.x; row < B * T; row += gridDim.x) {
    const int64_t b = row / T, t = row - b * T;
    float* o = dst + row * ld;
    for (int c = threadIdx.x; c < width; c += blockDim.x) {
      const int h = c / D, d = c - h * D;
      const float v = src[((b * H + h) * T + t) * D + d];
      o[c] = acc ? o[c] + v : v;
    }
  }
}

static unsigned row_blocks(int64_t rows) { return static_cast<unsigned>(rows < 65536 * 4 ? rows : 65536 * 4); }

static void split_heads(const float* src, int64_t ld, int64_t B, int64_t H, int64_t T, int64_t D, float* dst,
                        cudaStream_t s) {
  if (B * H * T * D <= 0) return;
  split_heads_kernel<<<row_blocks(B * T), kThreads, 0, s>>>(src, ld, B, static_cast<int>(H), T, static_cast<int>(D),
                                                            dst);
  launch_check("attention: split heads");
}

static void merge_heads(const float* src, int64_t B, int64_t H, int64_t T, int64_t D, float* dst, int64_t ld,
                        bool acc, cudaStream_t s) {
  if (B * H * T * D <= 0) return;
  merge_heads_kernel<<<row_blocks(B * T), kThreads, 0, s>>>(src, B, static_cast<int>(H), T, static_cast<int>(D), dst,
                                                            ld, acc);
  launch_check("attention: merge heads");
}

// In place over probs (B, H, tq, tk), one warp per row: masked softmax. A row with no visible key gets zeros.
__global__ void masked_softmax_kernel(float* probs, int64_t B, int64_t H, int64_t tq, int64_t tk, bool causal,
                                      const int32_t* key_mask) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * (kThreads / 32) + (threadIdx.x >> 5);
  if (row >= B * H * tq) return;
  const int lane = threadIdx.x & 31;
  const int64_t i = row % tq, b = row / (H * tq);
  float* pr = probs + row * tk;
  const int32_t* mr = key_mask ? key_mask + b * tk : nullptr;
  const int64_t jend = causal ? (i + 1 < tk ? i + 1 : tk) : tk;  // keys j < jend may be visible
  float mx = -INFINITY;
  for (int64_t j = lane; j < jend; j += 32) {
    if (!mr || mr[j] != 0) mx = fmaxf(mx, pr[j]);
  }
  mx = warp_max(mx);
  if (mx == -INFINITY) {  // every key hidden (or scores of -inf): zero probabilities
    for (int64_t j = lane; j < tk; j += 32) pr[j] = 0.0f;
    return;
  }
  float sum = 0.0f;
  for (int64_t j = lane; j < jend; j += 32) {
    if (!mr || mr[j] != 0) sum += expf(pr[j] - mx);
  }
  const float inv = 1.0f / warp_sum(sum);
  for (int64_t j = lane; j < tk; j += 32) {
    const bool visible = j < jend && (!mr || mr[j] != 0);
    pr[j] = visible ? expf(pr[j] - mx) * inv : 0.0f;
  }
}

// In place over dP (B, H, tq, tk): dS = P * (dP - sum_j dP * P), one warp per row.
__global__ void softmax_grad_inplace_kernel(const float* probs, float* dp, int64_t rows, int64_t tk) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * (kThreads / 32) + (threadIdx.x >> 5);
  if (row >= rows) return;
  const int lane = threadIdx.x & 31;
  const float* pr = probs + row * tk;
  float* dr = dp + row * tk;
  float t = 0.0f;
  for (int64_t j = lane; j < tk; j += 32) t += dr[j] * pr[j];
  t = warp_sum(t);
  for (int64_t j = lane; j < tk; j += 32) dr[j] = pr[j] * (dr[j] - t);
}

// Batched over B*H contiguous (rows x cols) matrices: C = alpha * op(A) @ op(B).
static void bgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                  int64_t sa, const float* b, int64_t ldb, int64_t sb, float* c, int64_t ldc, int64_t sc,
                  int64_t batch, int precision) {
  GemmArgs g{ta, tb, m, n, k, alpha, 0.0f, a, lda, sa, b, ldb, sb, c, ldc, sc, batch};
  gemm(g, precision);
}

bool attention_forward(const AttnArgs& a, float* out, float* probs, int precision, cudaStream_t s, void* out16,
                       bool* wrote16) {
  if (wrote16) *wrote16 = false;
  const int64_t B = a.batch, H = a.heads, tq = a.tq, tk = a.tk, D = a.head_dim, BH = a.batch * a.heads;
  if (BH == 0 || tq == 0) return false;
  static const bool fused_enabled = [] {
    const char* e = std::getenv("MULKI_FUSED_ATTENTION");
    return !(e && e[0] == '0');
  }();
  if (precision == PREC_BF16 && fused_enabled && flash_attention_supported(a)) {
    flash_attention_forward(a, out, probs, s, out16);
    if (wrote16) *wrote16 = out16 != nullptr;
    return true;
  }
  Scratch qp(static_cast<size_t>(BH * tq * D) * 4), kp(static_cast<size_t>(BH * tk * D) * 4),
      vp(static_cast<size_t>(BH * tk * D) * 4), op(static_cast<size_t>(BH * tq * D) * 4);
  split_heads(a.q, a.ldq, B, H, tq, D, qp.as<float>(), s);
  split_heads(a.k, a.ldk, B, H, tk, D, kp.as<float>(), s);
  split_heads(a.v, a.ldv, B, H, tk, D, vp.as<float>(), s);
  // S (tq x tk) = scale * Q (tq x D) @ K^T
  bgemm(false, true, tq, tk, D, a.scale, qp.as<float>(), D, tq * D, kp.as<float>(), D, tk * D, probs, tk, tq * tk,
        BH, precision);
  masked_softmax_kernel<<<blocks_for_rows(BH * tq), kThreads, 0, s>>>(probs, B, H, tq, tk, a.causal, a.key_mask);
  launch_check("attention: softmax");
  release_bf16_copies();  // memory was written between two GEMMs
  // O (tq x D) = P (tq x tk) @ V (tk x D)
  bgemm(false, false, tq, D, tk, 1.0f, probs, tk, tq * tk, vp.as<float>(), D, tk * D, op.as<float>(), D, tq * D, BH,
        precision);
  merge_heads(op.as<float>(), B, H, tq, D, out, H * D, false, s);
  return false;
}

void attention_backward(const AttnArgs& a, const float* probs, bool fused, const float* dout, const AttnGrads& gr,
                        int precision, cudaStream_t s) {
  const int64_t B = a.batch, H = a.heads, tq = a.tq, tk = a.tk, D = a.head_dim, BH = a.batch * a.heads;
  if (BH == 0) return;
  if (fused) {
    if (!flash_attention_supported(a))
      throw std::runtime_error("cuda: attentionBackward: probs come from the fused forward but these shapes differ");
    flash_attention_backward(a, probs, dout, gr, s);
    return;
  }
  const size_t q_bytes = static_cast<size_t>(BH * tq * D) * 4, k_bytes = static_cast<size_t>(BH * tk * D) * 4;
  Scratch qp(q_bytes), kp(k_bytes), vp(k_bytes), dop(q_bytes), dp(static_cast<size_t>(BH * tq * tk) * 4);
  Scratch dqp(q_bytes), dkp(k_bytes), dvp(k_bytes);
  split_heads(a.q, a.ldq, B, H, tq, D, qp.as<float>(), s);
  split_heads(a.k, a.ldk, B, H, tk, D, kp.as<float>(), s);
  split_heads(a.v, a.ldv, B, H, tk, D, vp.as<float>(), s);
  split_heads(dout, H * D, B, H, tq, D, dop.as<float>(), s);
  // dP (tq x tk) = dO (tq x D) @ V^T
  bgemm(false, true, tq, tk, D, 1.0f, dop.as<float>(), D, tq * D, vp.as<float>(), D, tk * D, dp.as<float>(), tk,
        tq * tk, BH, precision);
  // dV (tk x D) = P^T (tk x tq) @ dO (tq x D)
  bgemm(true, false, tk, D, tq, 1.0f, probs, tk, tq * tk, dop.as<float>(), D, tq * D, dvp.as<float>(), D, tk * D, BH,
        precision);
  if (BH * tq > 0) {
    softmax_grad_inplace_kernel<<<blocks_for_rows(BH * tq), kThreads, 0, s>>>(probs, dp.as<float>(), BH * tq, tk);
    launch_check("attention backward: softmax");
    release_bf16_copies();  // memory was written between two GEMMs
  }
  // dQ (tq x D) = scale * dS (tq x tk) @ K (tk x D)
  bgemm(false, false, tq, D, tk, a.scale, dp.as<float>(), tk, tq * tk, kp.as<float>(), D, tk * D, dqp.as<float>(), D,
        tq * D, BH, precision);
  // dK (tk x D) = scale * dS^T (tk x tq) @ Q (tq x D)
  bgemm(true, false, tk, D, tq, a.scale, dp.as<float>(), tk, tq * tk, qp.as<float>(), D, tq * D, dkp.as<float>(), D,
        tk * D, BH, precision);
  merge_heads(dqp.as<float>(), B, H, tq, D, gr.dq, gr.lddq, gr.accumulate, s);
  merge_heads(dkp.as<float>(), B, H, tk, D, gr.dk, gr.lddk, gr.accumulate, s);
  merge_heads(dvp.as<float>(), B, H, tk, D, gr.dv, gr.lddv, gr.accumulate, s);
}

}  // namespace mk
