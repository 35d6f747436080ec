// Indexing kernels: indexSelect / indexAdd (embedding lookup and its gradient), im2patch / patch2im (the patch
// embedding of a ViT as a GEMM). One block per row of the output, its threads along the row.
#include "kernels.h"

namespace mk {

static unsigned row_blocks(int64_t rows) { return static_cast<unsigned>(rows < 65536 * 4 ? rows : 65536 * 4); }

// out[o, j, e] = src[o, idx[j], e]; one block per output row (o, j), threads along e. An index out of [0, n)
// writes zeros and records a device error.
__global__ void index_select_kernel(const float* src, int64_t outer, int64_t n, int64_t inner, const int32_t* idx,
                                    int64_t n_idx, float* out, DeviceError* err) {
  for (int64_t row = blockIdx.x; row < outer * n_idx; row += gridDim.x) {
    const int64_t o = row / n_idx, j = row - o * n_idx;
    const int64_t id = idx[j];
    float* dst = out + row * inner;
    const bool ok = id >= 0 && id < n;
    if (!ok && threadIdx.x == 0) report_error(err, ERR_INDEX_SELECT, id, n);
    const float* from = src + (o * n + (ok ? id : 0)) * inner;
    for (int64_t e = threadIdx.x; e < inner; e += blockDim.x) dst[e] = ok ? from[e] : 0.0f;
  }
}

void launch_index_select(const float* src, int64_t outer, int64_t n, int64_t inner, const int32_t* idx, int64_t n_idx,
                         float* out, DeviceError* err, cudaStream_t s) {
  if (outer * n_idx * inner <= 0) return;
  index_select_kernel<<<row_blocks(outer * n_idx), kThreads, 0, s>>>(src, outer, n, inner, idx, n_idx, out, err);
  launch_check("indexSelect");
}

// dSrc[o, idx[j], e] += dOut[o, j, e] (atomics: an index may repeat)
__global__ void index_add_kernel(const float* dout, int64_t outer, int64_t n, int64_t inner, const int32_t* idx,
                                 int64_t n_idx, float* dsrc, DeviceError* err) {
  for (int64_t row = blockIdx.x; row < outer * n_idx; row += gridDim.x) {
    const int64_t o = row / n_idx, j = row - o * n_idx;
    const int64_t id = idx[j];
    if (id < 0 || id >= n) {
      if (threadIdx.x == 0) report_error(err, ERR_INDEX_ADD, id, n);
      continue;
    }
    const float* from = dout + row * inner;
    float* to = dsrc + (o * n + id) * inner;
    for (int64_t e = threadIdx.x; e < inner; e += blockDim.x) atomicAdd(&to[e], from[e]);
  }
}

void launch_index_add(const float* dout, int64_t outer, int64_t n, int64_t inner, const int32_t* idx, int64_t n_idx,
                      float* dsrc, DeviceError* err, cudaStream_t s) {
  if (outer * n_idx * inner <= 0) return;
  index_add_kernel<<<row_blocks(outer * n_idx), kThreads, 0, s>>>(dout, outer, n, inner, idx, n_idx, dsrc, err);
  launch_check("indexAdd");
}

// out[b, gy*gw + gx, (c*p + py)*p + px] = x[b, c, gy*p + py, gx*p + px]; one block per patch row (b, patch),
// threads along its C*p*p values (contiguous writes).
__global__ void im2patch_kernel(const float* x, int64_t batch, int channels, int64_t height, int64_t width, int p,
                                float* out) {
  const int64_t gw = width / p, np = (height / p) * gw;
  const int pdim = channels * p * p, pp = p * p;
  for (int64_t row = blockIdx.x; row < batch * np; row += gridDim.x) {
    const int64_t b = row / np, patch = row - b * np, gy = patch / gw, gx = patch - gy * gw;
    const float* img = x + b * channels * height * width + gy * p * width + gx * p;
    float* o = out + row * pdim;
    for (int k = threadIdx.x; k < pdim; k += blockDim.x) {
      const int c = k / pp, r = k - c * pp, py = r / p, px = r - py * p;
      o[k] = img[(c * height + py) * width + px];
    }
  }
}

void launch_im2patch(const float* x, int64_t batch, int64_t channels, int64_t height, int64_t width, int64_t p,
                     float* out, cudaStream_t s) {
  const int64_t rows = batch * (height / p) * (width / p);
  if (rows * channels * p * p <= 0) return;
  im2patch_kernel<<<row_blocks(rows), kThreads, 0, s>>>(x, batch, static_cast<int>(channels), height, width,
                                                        static_cast<int>(p), out);
  launch_check("im2patch");
}

// One block per image row (b, c, y), threads along x: each pixel lies in exactly one patch (the caller checked
// that the patches tile the image).
__global__ void patch2im_kernel(const float* dpatches, int64_t batch, int64_t channels, int64_t height, int64_t width,
                                int p, float* dx, bool acc) {
  const int64_t gw = width / p, np = (height / p) * gw, pdim = channels * p * p;
  for (int64_t row = blockIdx.x; row < batch * channels * height; row += gridDim.x) {
    const int64_t y = row % height, c = (row / height) % channels, b = row / (height * channels);
    const int64_t gy = y / p, py = y - gy * p;
    const float* src = dpatches + (b * np + gy * gw) * pdim + (c * p + py) * p;
    float* d = dx + row * width;
    for (int xx = threadIdx.x; xx < static_cast<int>(width); xx += blockDim.x) {
      const int gx = xx / p, px = xx - gx * p;
      const float v = src[gx * pdim + px];
      d[xx] = acc ? d[xx] + v : v;
    }
  }
}

void launch_patch2im(const float* dpatches, int64_t batch, int64_t channels, int64_t height, int64_t width, int64_t p,
                     float* dx, bool accumulate, cudaStream_t s) {
  const int64_t rows = batch * channels * height;
  if (rows * width <= 0) return;
  patch2im_kernel<<<row_blocks(rows), kThreads, 0, s>>>(dpatches, batch, channels, height, width,
                                                        static_cast<int>(p), dx, accumulate);
  launch_check("patch2im");
}

}  // namespace mk
