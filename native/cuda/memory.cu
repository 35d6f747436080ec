// Memory kernels: fill, cast, 2-D block copy, permute, f32 -> bf16 conversion, matrix scaling.
#include <cuda_bf16.h>

#include "kernels.h"

namespace mk {

template <typename T>
__global__ void fill_kernel(T* p, T v, int64_t n) {
  MK_GRID_STRIDE(i, n) p[i] = v;
}

void launch_fill_f32(float* p, float v, int64_t n, cudaStream_t s) {
  if (n <= 0) return;
  fill_kernel<float><<<blocks_for(n), kThreads, 0, s>>>(p, v, n);
  launch_check("fill");
}

void launch_fill_i32(int32_t* p, int32_t v, int64_t n, cudaStream_t s) {
  if (n <= 0) return;
  fill_kernel<int32_t><<<blocks_for(n), kThreads, 0, s>>>(p, v, n);
  launch_check("fill");
}

// Truncation toward zero; a value outside int32 (or NaN) is an error, as in the reference.
__global__ void cast_f32_to_i32_kernel(const float* src, int32_t* dst, int64_t n, DeviceError* err) {
  MK_GRID_STRIDE(i, n) {
    const float v = truncf(src[i]);
    if (!(v >= -2147483648.0f && v < 2147483648.0f)) report_error(err, ERR_CAST, i, n);
    dst[i] = __float2int_rz(src[i]);
  }
}

__global__ void cast_i32_to_f32_kernel(const int32_t* src, float* dst, int64_t n) {
  MK_GRID_STRIDE(i, n) dst[i] = static_cast<float>(src[i]);
}

void launch_cast_f32_to_i32(const float* src, int32_t* dst, int64_t n, DeviceError* err, cudaStream_t s) {
  if (n <= 0) return;
  cast_f32_to_i32_kernel<<<blocks_for(n), kThreads, 0, s>>>(src, dst, n, err);
  launch_check("cast");
}

void launch_cast_i32_to_f32(const int32_t* src, float* dst, int64_t n, cudaStream_t s) {
  if (n <= 0) return;
  cast_i32_to_f32_kernel<<<blocks_for(n), kThreads, 0, s>>>(src, dst, n);
  launch_check("cast");
}

// One block row-loop: block b handles rows b, b + gridDim.x, ...; threads run along the row.
template <typename T, bool ACC>
__global__ void copy2d_kernel(const T* src, int64_t src_ld, T* dst, int64_t dst_ld, int64_t rows, int64_t cols) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* s = src + r * src_ld;
    T* d = dst + r * dst_ld;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
      if (ACC)
        d[c] += s[c];
      else
        d[c] = s[c];
    }
  }
}

void launch_copy2d(const void* src, int64_t src_ld, void* dst, int64_t dst_ld, int64_t rows, int64_t cols,
                   bool accumulate, cudaStream_t s) {
  if (rows <= 0 || cols <= 0) return;
  unsigned blocks = static_cast<unsigned>(rows < 65536 ? rows : 65536);
  if (accumulate)
    copy2d_kernel<float, true><<<blocks, kThreads, 0, s>>>(static_cast<const float*>(src), src_ld,
                                                           static_cast<float*>(dst), dst_ld, rows, cols);
  else
    copy2d_kernel<int32_t, false><<<blocks, kThreads, 0, s>>>(static_cast<const int32_t*>(src), src_ld,
                                                              static_cast<int32_t*>(dst), dst_ld, rows, cols);
  launch_check("copy2d");
}

// I is int32_t when the sizes allow (cheaper divisions), else int64_t.
template <typename I>
__global__ void permute_kernel(const int32_t* src, int32_t* dst, PermutePlan plan, I n) {
  MK_GRID_STRIDE_T(I, i, n) {
    I rem = i, off = 0;
#pragma unroll
    for (int d = kMaxRank - 1; d >= 0; --d) {
      if (d < plan.rank) {
        const I extent = static_cast<I>(plan.dst_shape[d]);
        const I q = rem / extent, idx = rem - q * extent;
        rem = q;
        off += idx * static_cast<I>(plan.src_stride[d]);
      }
    }
    dst[i] = src[off];
  }
}

void launch_permute(const void* src, void* dst, const PermutePlan& plan, int64_t n, cudaStream_t s) {
  if (n <= 0) return;
  const int32_t* from = static_cast<const int32_t*>(src);
  int32_t* to = static_cast<int32_t*>(dst);
  if (fits_int32(n))
    permute_kernel<int32_t><<<blocks_for(n), kThreads, 0, s>>>(from, to, plan, static_cast<int32_t>(n));
  else
    permute_kernel<int64_t><<<blocks_for(n), kThreads, 0, s>>>(from, to, plan, n);
  launch_check("permute");
}

__global__ void f32_to_bf16_kernel(const float* src, __nv_bfloat16* dst, int64_t n) {
  MK_GRID_STRIDE(i, n) dst[i] = __float2bfloat16_rn(src[i]);
}

// Four elements per thread when both ends are aligned (16-byte loads, 8-byte stores).
__global__ void f32_to_bf16_vec4_kernel(const float4* src, __nv_bfloat162* dst, int64_t n4) {
  MK_GRID_STRIDE(i, n4) {
    const float4 v = src[i];
    dst[2 * i] = __floats2bfloat162_rn(v.x, v.y);
    dst[2 * i + 1] = __floats2bfloat162_rn(v.z, v.w);
  }
}

void launch_f32_to_bf16(const float* src, void* dst, int64_t n, cudaStream_t s) {
  if (n <= 0) return;
  const bool aligned = (reinterpret_cast<uintptr_t>(src) % 16 == 0) && (reinterpret_cast<uintptr_t>(dst) % 8 == 0);
  if (aligned && n % 4 == 0) {
    f32_to_bf16_vec4_kernel<<<blocks_for(n / 4), kThreads, 0, s>>>(reinterpret_cast<const float4*>(src),
                                                                   static_cast<__nv_bfloat162*>(dst), n / 4);
  } else {
    f32_to_bf16_kernel<<<blocks_for(n), kThreads, 0, s>>>(src, static_cast<__nv_bfloat16*>(dst), n);
  }
  launch_check("f32_to_bf16");
}

__global__ void scale_matrices_kernel(float* c, int64_t m, int64_t n, int64_t ldc, int64_t stride, int64_t batch,
                                      float beta) {
  const int64_t total = batch * m * n;
  MK_GRID_STRIDE(i, total) {
    const int64_t col = i % n, row = (i / n) % m, b = i / (n * m);
    float* p = c + b * stride + row * ldc + col;
    *p = beta == 0.0f ? 0.0f : beta * *p;
  }
}

void launch_scale_matrices(float* c, int64_t m, int64_t n, int64_t ldc, int64_t stride, int64_t batch, float beta,
                           cudaStream_t s) {
  const int64_t total = batch * m * n;
  if (total <= 0) return;
  scale_matrices_kernel<<<blocks_for(total), kThreads, 0, s>>>(c, m, n, ldc, stride, batch, beta);
  launch_check("gemm (k = 0)");
}

}  // namespace mk
