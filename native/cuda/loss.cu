// Row-wise losses (one warp per row): cross-entropy with label smoothing, distillation KL with temperature, and
// row-wise top-k.
#include <climits>

#include "kernels.h"

namespace mk {

constexpr int kRowsPerBlock = kThreads / 32;

__device__ inline int64_t warp_row() { return static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + (threadIdx.x >> 5); }

// log-sum-exp of v[0..c) * inv_t, computed by the whole warp
__device__ inline float warp_lse(const float* v, int64_t c, float inv_t, int lane) {
  float mx = -INFINITY;
  for (int64_t j = lane; j < c; j += 32) mx = fmaxf(mx, v[j] * inv_t);
  mx = warp_max(mx);
  float s = 0.0f;
  for (int64_t j = lane; j < c; j += 32) s += expf(v[j] * inv_t - mx);
  return mx + logf(warp_sum(s));
}

// loss = (1-eps) * (lse - x_y) + eps * (lse - mean_c x_c); probs = softmax(x)
__global__ void cross_entropy_kernel(const float* logits, const int32_t* labels, int64_t n, int64_t c, float eps,
                                     float* loss, float* probs, DeviceError* err) {
  const int64_t row = warp_row();
  if (row >= n) return;
  const int lane = threadIdx.x & 31;
  const float* xr = logits + row * c;
  float* pr = probs + row * c;
  const float lse = warp_lse(xr, c, 1.0f, lane);
  float sx = 0.0f;
  for (int64_t j = lane; j < c; j += 32) {
    sx += xr[j];
    pr[j] = expf(xr[j] - lse);
  }
  sx = warp_sum(sx);
  if (lane == 0) {
    const int32_t y = labels[row];
    float l;
    if (y < 0) {
      l = 0.0f;
    } else if (y >= c) {
      report_error(err, ERR_CE_LABEL, y, c);
      l = NAN;
    } else {
      l = (1.0f - eps) * (lse - xr[y]) + eps * (lse - sx / static_cast<float>(c));
    }
    loss[row] = l;
  }
}

void launch_cross_entropy(const float* logits, const int32_t* labels, int64_t n, int64_t c, float smoothing,
                          float* loss, float* probs, DeviceError* err, cudaStream_t s) {
  if (n <= 0 || c <= 0) return;
  cross_entropy_kernel<<<blocks_for_rows(n), kThreads, 0, s>>>(logits, labels, n, c, smoothing, loss, probs, err);
  launch_check("crossEntropy");
}

// dlogits (+)= dLoss[r] * (p - ((1-eps) * onehot(y) + eps / c)); an ignored label (< 0) gives zero.
__global__ void cross_entropy_backward_kernel(const float* probs, const int32_t* labels, int64_t n, int64_t c,
                                              float eps, const float* dloss, float* dlogits, bool acc,
                                              DeviceError* err) {
  const int64_t row = warp_row();
  if (row >= n) return;
  const int lane = threadIdx.x & 31;
  const int32_t y = labels[row];
  if (y >= c && lane == 0) report_error(err, ERR_CE_BW_LABEL, y, c);
  const bool ignored = y < 0 || y >= c;
  const float dl = dloss[row];
  const float off = eps / static_cast<float>(c);
  const float* pr = probs + row * c;
  float* dr = dlogits + row * c;
  for (int64_t j = lane; j < c; j += 32) {
    const float target = (j == y ? 1.0f - eps : 0.0f) + off;
    const float d = ignored ? 0.0f : dl * (pr[j] - target);
    dr[j] = acc ? dr[j] + d : d;
  }
}

void launch_cross_entropy_backward(const float* probs, const int32_t* labels, int64_t n, int64_t c, float smoothing,
                                   const float* dloss, float* dlogits, bool accumulate, DeviceError* err,
                                   cudaStream_t s) {
  if (n <= 0 || c <= 0) return;
  cross_entropy_backward_kernel<<<blocks_for_rows(n), kThreads, 0, s>>>(probs, labels, n, c, smoothing, dloss,
                                                                         dlogits, accumulate, err);
  launch_check("crossEntropyBackward");
}

// logP = log_softmax(teacher / T), logQ = log_softmax(student / T), loss = T^2 * sum p (logP - logQ)
__global__ void kl_div_kernel(const float* student, const float* teacher, int64_t n, int64_t c, float temperature,
                              float* loss, float* log_p, float* log_q) {
  const int64_t row = warp_row();
  if (row >= n) return;
  const int lane = threadIdx.x & 31;
  const float inv_t = 1.0f / temperature;
  const float* sr = student + row * c;
  const float* tr = teacher + row * c;
  float* lpr = log_p + row * c;
  float* lqr = log_q + row * c;
  const float lse_t = warp_lse(tr, c, inv_t, lane);
  const float lse_s = warp_lse(sr, c, inv_t, lane);
  float kl = 0.0f;
  for (int64_t j = lane; j < c; j += 32) {
    const float lp = tr[j] * inv_t - lse_t;
    const float lq = sr[j] * inv_t - lse_s;
    lpr[j] = lp;
    lqr[j] = lq;
    const float p = expf(lp);
    if (p > 0.0f) kl += p * (lp - lq);  // 0 log 0 = 0
  }
  kl = warp_sum(kl);
  if (lane == 0) loss[row] = temperature * temperature * kl;
}

void launch_kl_div(const float* student, const float* teacher, int64_t n, int64_t c, float temperature, float* loss,
                   float* log_p, float* log_q, cudaStream_t s) {
  if (n <= 0 || c <= 0) return;
  kl_div_kernel<<<blocks_for_rows(n), kThreads, 0, s>>>(student, teacher, n, c, temperature, loss, log_p, log_q);
  launch_check("klDiv");
}

// dStudent (+)= dl * T * (q - p); dTeacher (+)= dl * T * p * ((lp - lq) - sum_c p (lp - lq))
__global__ void kl_div_backward_kernel(const float* log_p, const float* log_q, int64_t n, int64_t c, float temperature,
                                       const float* dloss, float* dstudent, float* dteacher, bool acc) {
  const int64_t row = warp_row();
  if (row >= n) return;
  const int lane = threadIdx.x & 31;
  const float* lpr = log_p + row * c;
  const float* lqr = log_q + row * c;
  const float g = dloss[row] * temperature;
  float kl = 0.0f;
  if (dteacher) {
    for (int64_t j = lane; j < c; j += 32) {
      const float p = expf(lpr[j]);
      if (p > 0.0f) kl += p * (lpr[j] - lqr[j]);
    }
    kl = warp_sum(kl);
  }
  for (int64_t j = lane; j < c; j += 32) {
    const float p = expf(lpr[j]);
    if (dstudent) {
      const float d = g * (expf(lqr[j]) - p);
      float* ds = dstudent + row * c + j;
      *ds = acc ? *ds + d : d;
    }
    if (dteacher) {
      const float d = p > 0.0f ? g * p * ((lpr[j] - lqr[j]) - kl) : 0.0f;
      float* dt = dteacher + row * c + j;
      *dt = acc ? *dt + d : d;
    }
  }
}

void launch_kl_div_backward(const float* log_p, const float* log_q, int64_t n, int64_t c, float temperature,
                            const float* dloss, float* dstudent, float* dteacher, bool accumulate, cudaStream_t s) {
  if (n <= 0 || c <= 0 || (!dstudent && !dteacher)) return;
  kl_div_backward_kernel<<<blocks_for_rows(n), kThreads, 0, s>>>(log_p, log_q, n, c, temperature, dloss, dstudent,
                                                                  dteacher, accumulate);
  launch_check("klDivBackward");
}

// (v1, i1) ranks before (v2, i2) when v1 > v2, or v1 == v2 and i1 < i2; NaN ranks above every number (as
// torch.topk and the reference). i < 0 means "none yet" and ranks last.
__device__ inline bool ranks_before(float v1, int64_t i1, float v2, int64_t i2) {
  if (i2 < 0) return i1 >= 0;
  if (i1 < 0) return false;
  if (isnan(v1)) return !isnan(v2) || i1 < i2;
  if (isnan(v2)) return false;
  return v1 > v2 || (v1 == v2 && i1 < i2);
}

// One warp per row; k rounds, each picking the best element that ranks after the previous pick.
__global__ void topk_kernel(const float* x, int64_t rows, int64_t cols, int64_t k, float* values, int32_t* indices) {
  const int64_t row = warp_row();
  if (row >= rows) return;
  const int lane = threadIdx.x & 31;
  const float* xr = x + row * cols;
  float prev_v = INFINITY;
  int64_t prev_i = -1;  // nothing picked yet: every element is eligible
  for (int64_t t = 0; t < k; ++t) {
    float best_v = -INFINITY;
    int64_t best_i = -1;
    for (int64_t j = lane; j < cols; j += 32) {
      const float v = xr[j];
      const bool eligible = prev_i < 0 || ranks_before(prev_v, prev_i, v, j);
      if (eligible && ranks_before(v, j, best_v, best_i)) {
        best_v = v;
        best_i = j;
      }
    }
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
      const float ov = __shfl_xor_sync(0xffffffffu, best_v, o);
      const int64_t oi = __shfl_xor_sync(0xffffffffu, best_i, o);
      if (ranks_before(ov, oi, best_v, best_i)) {
        best_v = ov;
        best_i = oi;
      }
    }
    if (lane == 0) {
      values[row * k + t] = best_v;
      indices[row * k + t] = static_cast<int32_t>(best_i);
    }
    prev_v = best_v;
    prev_i = best_i;
  }
}

void launch_topk(const float* x, int64_t rows, int64_t cols, int64_t k, float* values, int32_t* indices,
                 cudaStream_t s) {
  if (rows <= 0 || k <= 0) return;
  topk_kernel<<<blocks_for_rows(rows), kThreads, 0, s>>>(x, rows, cols, k, values, indices);
  launch_check("topk");
}

}  // namespace mk
