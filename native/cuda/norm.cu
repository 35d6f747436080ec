// Row-wise kernels, one warp per row (8 rows per 256-thread block): layer norm, softmax / log-softmax and L2
// normalisation, forward and backward. Each lane walks the row with stride 32; sums go through warp shuffles.
#include "colsum.cuh"
#include "kernels.h"

namespace mk {

constexpr int kRowsPerBlock = kThreads / 32;

__device__ inline int64_t warp_row() { return static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + (threadIdx.x >> 5); }

// ---- layer norm ----

__global__ void layer_norm_kernel(const float* x, const float* gamma, const float* beta, int64_t rows, int64_t cols,
                                  float eps, float* y, float* mean_out, float* rstd_out) {
  const int64_t row = warp_row();
  if (row >= rows) return;
  const int lane = threadIdx.x & 31;
  const float* xr = x + row * cols;
  float* yr = y + row * cols;
  float s = 0.0f;
  for (int64_t c = lane; c < cols; c += 32) s += xr[c];
  const float mean = warp_sum(s) / static_cast<float>(cols);
  float v = 0.0f;
  for (int64_t c = lane; c < cols; c += 32) {
    const float d = xr[c] - mean;
    v += d * d;
  }
  const float var = warp_sum(v) / static_cast<float>(cols);
  const float rstd = 1.0f / sqrtf(var + eps);
  for (int64_t c = lane; c < cols; c += 32) {
    float o = (xr[c] - mean) * rstd;
    if (gamma) o *= gamma[c];
    if (beta) o += beta[c];
    yr[c] = o;
  }
  if (lane == 0) {
    mean_out[row] = mean;
    rstd_out[row] = rstd;
  }
}

void launch_layer_norm(const float* x, const float* gamma, const float* beta, int64_t rows, int64_t cols, float eps,
                       float* y, float* mean, float* rstd, cudaStream_t s) {
  if (rows <= 0 || cols <= 0) return;
  layer_norm_kernel<<<blocks_for_rows(rows), kThreads, 0, s>>>(x, gamma, beta, rows, cols, eps, y, mean, rstd);
  launch_check("layerNorm");
}

// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * gamma, xhat = (x - mean) * rstd
__global__ void layer_norm_dx_kernel(const float* dy, const float* x, const float* gamma, const float* mean,
                                     const float* rstd, int64_t rows, int64_t cols, float* dx, bool acc) {
  const int64_t row = warp_row();
  if (row >= rows) return;
  const int lane = threadIdx.x & 31;
  const float* dyr = dy + row * cols;
  const float* xr = x + row * cols;
  float* dxr = dx + row * cols;
  const float mu = mean[row], rs = rstd[row];
  float sg = 0.0f, sgx = 0.0f;
  for (int64_t c = lane; c < cols; c += 32) {
    const float g = gamma ? dyr[c] * gamma[c] : dyr[c];
    sg += g;
    sgx += g * (xr[c] - mu) * rs;
  }
  const float mg = warp_sum(sg) / static_cast<float>(cols);
  const float mgx = warp_sum(sgx) / static_cast<float>(cols);
  for (int64_t c = lane; c < cols; c += 32) {
    const float g = gamma ? dyr[c] * gamma[c] : dyr[c];
    const float xhat = (xr[c] - mu) * rs;
    const float d = rs * (g - mg - xhat * mgx);
    dxr[c] = acc ? dxr[c] + d : d;
  }
}

struct DGammaValue {
  const float *dy, *x, *mean, *rstd;
  int64_t cols;
  __device__ float operator()(int64_t r, int64_t c) const {
    return dy[r * cols + c] * (x[r * cols + c] - mean[r]) * rstd[r];
  }
};

struct DBetaValue {
  const float* dy;
  int64_t cols;
  __device__ float operator()(int64_t r, int64_t c) const { return dy[r * cols + c]; }
};

void launch_layer_norm_backward(const float* dy, const float* x, const float* gamma, const float* mean,
                                const float* rstd, int64_t rows, int64_t cols, float* dx, float* dgamma,
                                float* dbeta, bool accumulate, cudaStream_t s) {
  if (cols <= 0) return;
  if (rows > 0) {
    layer_norm_dx_kernel<<<blocks_for_rows(rows), kThreads, 0, s>>>(dy, x, gamma, mean, rstd, rows, cols, dx,
                                                                     accumulate);
    launch_check("layerNormBackward");
  }
  if (dgamma) column_sums(DGammaValue{dy, x, mean, rstd, cols}, rows, cols, dgamma, false, s, "layerNormBackward");
  if (dbeta) column_sums(DBetaValue{dy, cols}, rows, cols, dbeta, false, s, "layerNormBackward");
}

// ---- softmax ----

__global__ void softmax_kernel(const float* x, int64_t rows, int64_t cols, float scale, bool log, float* y) {
  const int64_t row = warp_row();
  if (row >= rows) return;
  const int lane = threadIdx.x & 31;
  const float* xr = x + row * cols;
  float* yr = y + row * cols;
  float mx = -INFINITY;
  for (int64_t c = lane; c < cols; c += 32) mx = fmaxf(mx, xr[c] * scale);
  mx = warp_max(mx);
  if (mx == -INFINITY) {  // a fully masked row: zeros (log: -inf), as the reference
    for (int64_t c = lane; c < cols; c += 32) yr[c] = log ? -INFINITY : 0.0f;
    return;
  }
  float sum = 0.0f;
  for (int64_t c = lane; c < cols; c += 32) sum += expf(xr[c] * scale - mx);
  sum = warp_sum(sum);
  if (log) {
    const float lse = mx + logf(sum);
    for (int64_t c = lane; c < cols; c += 32) yr[c] = xr[c] * scale - lse;
  } else {
    const float inv = 1.0f / sum;
    for (int64_t c = lane; c < cols; c += 32) yr[c] = expf(xr[c] * scale - mx) * inv;
  }
}

void launch_softmax(const float* x, int64_t rows, int64_t cols, float scale, bool log, float* y, cudaStream_t s) {
  if (rows <= 0 || cols <= 0) return;
  softmax_kernel<<<blocks_for_rows(rows), kThreads, 0, s>>>(x, rows, cols, scale, log, y);
  launch_check("softmax");
}

// softmax: dx = scale * y * (dy - sum(dy * y)); log-softmax: dx = scale * (dy - exp(y) * sum(dy))
__global__ void softmax_backward_kernel(const float* y, const float* dy, int64_t rows, int64_t cols, float scale,
                                        bool log, float* dx, bool acc) {
  const int64_t row = warp_row();
  if (row >= rows) return;
  const int lane = threadIdx.x & 31;
  const float* yr = y + row * cols;
  const float* dyr = dy + row * cols;
  float* dxr = dx + row * cols;
  float t = 0.0f;
  for (int64_t c = lane; c < cols; c += 32) t += log ? dyr[c] : dyr[c] * yr[c];
  t = warp_sum(t);
  for (int64_t c = lane; c < cols; c += 32) {
    const float d = log ? scale * (dyr[c] - expf(yr[c]) * t) : scale * yr[c] * (dyr[c] - t);
    dxr[c] = acc ? dxr[c] + d : d;
  }
}

void launch_softmax_backward(const float* y, const float* dy, int64_t rows, int64_t cols, float scale, bool log,
                             float* dx, bool accumulate, cudaStream_t s) {
  if (rows <= 0 || cols <= 0) return;
  softmax_backward_kernel<<<blocks_for_rows(rows), kThreads, 0, s>>>(y, dy, rows, cols, scale, log, dx, accumulate);
  launch_check("softmaxBackward");
}

// ---- L2 normalisation ----

__global__ void l2_normalize_kernel(const float* x, int64_t rows, int64_t cols, float eps, float* y, float* norms) {
  const int64_t row = warp_row();
  if (row >= rows) return;
  const int lane = threadIdx.x & 31;
  const float* xr = x + row * cols;
  float* yr = y + row * cols;
  float ss = 0.0f;
  for (int64_t c = lane; c < cols; c += 32) ss += xr[c] * xr[c];
  const float norm = fmaxf(sqrtf(warp_sum(ss)), eps);
  const float inv = 1.0f / norm;
  for (int64_t c = lane; c < cols; c += 32) yr[c] = xr[c] * inv;
  if (lane == 0) norms[row] = norm;
}

void launch_l2_normalize(const float* x, int64_t rows, int64_t cols, float eps, float* y, float* norms,
                         cudaStream_t s) {
  if (rows <= 0) return;
  l2_normalize_kernel<<<blocks_for_rows(rows), kThreads, 0, s>>>(x, rows, cols, eps, y, norms);
  launch_check("l2Normalize");
}

// dx = (dy - y * sum(dy * y)) / norm; a row whose norm was clamped to eps (recognised, as in the reference, by
// ||y||^2 < 1 - 1e-3) is a plain scaling dx = dy / norm.
__global__ void l2_normalize_backward_kernel(const float* dy, const float* y, const float* norms, int64_t rows,
                                             int64_t cols, float* dx, bool acc) {
  const int64_t row = warp_row();
  if (row >= rows) return;
  const int lane = threadIdx.x & 31;
  const float* dyr = dy + row * cols;
  const float* yr = y + row * cols;
  float* dxr = dx + row * cols;
  float dot = 0.0f, yy = 0.0f;
  for (int64_t c = lane; c < cols; c += 32) {
    dot += dyr[c] * yr[c];
    yy += yr[c] * yr[c];
  }
  dot = warp_sum(dot);
  if (warp_sum(yy) < 1.0f - 1e-3f) dot = 0.0f;
  const float inv = 1.0f / norms[row];
  for (int64_t c = lane; c < cols; c += 32) {
    const float d = (dyr[c] - yr[c] * dot) * inv;
    dxr[c] = acc ? dxr[c] + d : d;
  }
}

void launch_l2_normalize_backward(const float* dy, const float* y, const float* norms, int64_t rows, int64_t cols,
                                  float* dx, bool accumulate, cudaStream_t s) {
  if (rows <= 0 || cols <= 0) return;
  l2_normalize_backward_kernel<<<blocks_for_rows(rows), kThreads, 0, s>>>(dy, y, norms, rows, cols, dx, accumulate);
  launch_check("l2Normalize backward");
}

}  // namespace mk
