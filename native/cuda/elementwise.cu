// Elementwise kernels: strided broadcasting binary ops, unary ops, affine, axpy.
#include "kernels.h"

namespace mk {

template <int OP>
__device__ inline float binary_op(float a, float b) {
  if (OP == OP_ADD) return a + b;
  if (OP == OP_SUB) return a - b;
  if (OP == OP_MUL) return a * b;
  return a / b;
}

// Both inputs contiguous with the output's shape.
template <int OP>
__global__ void binary_flat_kernel(const float* a, const float* b, float* out, int64_t n) {
  MK_GRID_STRIDE(i, n) out[i] = binary_op<OP>(a[i], b[i]);
}

template <int OP>
__global__ void binary_flat_vec_kernel(const float4* a, const float4* b, float4* out, int64_t n4) {
  MK_GRID_STRIDE(i, n4) {
    const float4 x = a[i], y = b[i];
    out[i] = make_float4(binary_op<OP>(x.x, y.x), binary_op<OP>(x.y, y.y), binary_op<OP>(x.z, y.z),
                         binary_op<OP>(x.w, y.w));
  }
}

// a contiguous (rows x cols), b one row broadcast over the rows (a bias or positional embedding): b[i % cols].
template <int OP>
__global__ void binary_rowcast_vec_kernel(const float4* a, const float4* b, float4* out, int n4, int cols4) {
  MK_GRID_STRIDE_T(int, i, n4) {
    const float4 x = a[i], y = b[i % cols4];
    out[i] = make_float4(binary_op<OP>(x.x, y.x), binary_op<OP>(x.y, y.y), binary_op<OP>(x.z, y.z),
                         binary_op<OP>(x.w, y.w));
  }
}

static bool al16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// General case: decompose the output index over the (collapsed) shape; strides are 0 on broadcast axes.
// I is int32_t when every index fits (much cheaper divisions), else int64_t.
template <int OP, typename I>
__global__ void binary_strided_kernel(const float* a, const float* b, float* out, BinaryPlan plan, I n) {
  MK_GRID_STRIDE_T(I, i, n) {
    I rem = i, ia = 0, ib = 0;
#pragma unroll
    for (int d = kMaxRank - 1; d >= 0; --d) {
      if (d < plan.rank) {
        const I extent = static_cast<I>(plan.shape[d]);
        const I q = rem / extent, idx = rem - q * extent;
        rem = q;
        ia += idx * static_cast<I>(plan.sa[d]);
        ib += idx * static_cast<I>(plan.sb[d]);
      }
    }
    out[i] = binary_op<OP>(a[ia], b[ib]);
  }
}

template <int OP>
static void binary_dispatch(const float* a, const float* b, float* out, const BinaryPlan& plan, int64_t n,
                            cudaStream_t s) {
  const bool flat = plan.rank == 1 && plan.sa[0] == 1 && plan.sb[0] == 1;
  // 32-bit indices when the output and both inputs' reach fit
  int64_t reach_a = 0, reach_b = 0;
  for (int d = 0; d < plan.rank; ++d) {
    reach_a += (plan.shape[d] - 1) * plan.sa[d];
    reach_b += (plan.shape[d] - 1) * plan.sb[d];
  }
  const bool aligned = al16(a) && al16(b) && al16(out);
  // (rows, cols) with a contiguous and b a broadcast row
  const bool rowcast = plan.rank == 2 && plan.sa[0] == plan.shape[1] && plan.sa[1] == 1 && plan.sb[0] == 0 &&
                       plan.sb[1] == 1;
  if (flat && aligned && n % 4 == 0)
    binary_flat_vec_kernel<OP><<<blocks_for(n / 4), kThreads, 0, s>>>(reinterpret_cast<const float4*>(a),
                                                                     reinterpret_cast<const float4*>(b),
                                                                     reinterpret_cast<float4*>(out), n / 4);
  else if (rowcast && aligned && plan.shape[1] % 4 == 0 && n / 4 < (int64_t(1) << 31))
    binary_rowcast_vec_kernel<OP><<<blocks_for(n / 4), kThreads, 0, s>>>(
        reinterpret_cast<const float4*>(a), reinterpret_cast<const float4*>(b), reinterpret_cast<float4*>(out),
        static_cast<int>(n / 4), static_cast<int>(plan.shape[1] / 4));
  else if (flat)
    binary_flat_kernel<OP><<<blocks_for(n), kThreads, 0, s>>>(a, b, out, n);
  else if (fits_int32(n) && fits_int32(reach_a) && fits_int32(reach_b))
    binary_strided_kernel<OP, int32_t><<<blocks_for(n), kThreads, 0, s>>>(a, b, out, plan, static_cast<int32_t>(n));
  else
    binary_strided_kernel<OP, int64_t><<<blocks_for(n), kThreads, 0, s>>>(a, b, out, plan, n);
}

void launch_binary(int op, const float* a, const float* b, float* out, const BinaryPlan& plan, int64_t n,
                   cudaStream_t s) {
  if (n <= 0) return;
  switch (op) {
    case OP_ADD: binary_dispatch<OP_ADD>(a, b, out, plan, n, s); break;
    case OP_SUB: binary_dispatch<OP_SUB>(a, b, out, plan, n, s); break;
    case OP_MUL: binary_dispatch<OP_MUL>(a, b, out, plan, n, s); break;
    case OP_DIV: binary_dispatch<OP_DIV>(a, b, out, plan, n, s); break;
    default: throw std::runtime_error("cuda: binary: unknown op code " + std::to_string(op));
  }
  launch_check("binary");
}

template <int OP>
__global__ void unary_kernel(const float* x, float* out, int64_t n) {
  MK_GRID_STRIDE(i, n) {
    const float v = x[i];
    float r;
    if (OP == U_NEG) r = -v;
    else if (OP == U_EXP) r = expf(v);
    else if (OP == U_LOG) r = logf(v);
    else if (OP == U_SQRT) r = sqrtf(v);
    else if (OP == U_RSQRT) r = 1.0f / sqrtf(v);
    else if (OP == U_SQUARE) r = v * v;
    else if (OP == U_ABS) r = fabsf(v);
    else r = 1.0f / v;
    out[i] = r;
  }
}

void launch_unary(int op, const float* x, float* out, int64_t n, cudaStream_t s) {
  if (n <= 0) return;
  const unsigned g = blocks_for(n);
  switch (op) {
    case U_NEG: unary_kernel<U_NEG><<<g, kThreads, 0, s>>>(x, out, n); break;
    case U_EXP: unary_kernel<U_EXP><<<g, kThreads, 0, s>>>(x, out, n); break;
    case U_LOG: unary_kernel<U_LOG><<<g, kThreads, 0, s>>>(x, out, n); break;
    case U_SQRT: unary_kernel<U_SQRT><<<g, kThreads, 0, s>>>(x, out, n); break;
    case U_RSQRT: unary_kernel<U_RSQRT><<<g, kThreads, 0, s>>>(x, out, n); break;
    case U_SQUARE: unary_kernel<U_SQUARE><<<g, kThreads, 0, s>>>(x, out, n); break;
    case U_ABS: unary_kernel<U_ABS><<<g, kThreads, 0, s>>>(x, out, n); break;
    case U_RECIP: unary_kernel<U_RECIP><<<g, kThreads, 0, s>>>(x, out, n); break;
    default: throw std::runtime_error("cuda: unary: unknown op code " + std::to_string(op));
  }
  launch_check("unary");
}

__global__ void affine_kernel(const float* x, float alpha, float beta, float* out, int64_t n) {
  MK_GRID_STRIDE(i, n) out[i] = alpha * x[i] + beta;
}

__global__ void affine_vec_kernel(const float4* x, float alpha, float beta, float4* out, int64_t n4) {
  MK_GRID_STRIDE(i, n4) {
    const float4 v = x[i];
    out[i] = make_float4(alpha * v.x + beta, alpha * v.y + beta, alpha * v.z + beta, alpha * v.w + beta);
  }
}

void launch_affine(const float* x, float alpha, float beta, float* out, int64_t n, cudaStream_t s) {
  if (n <= 0) return;
  if (n % 4 == 0 && al16(x) && al16(out))
    affine_vec_kernel<<<blocks_for(n / 4), kThreads, 0, s>>>(reinterpret_cast<const float4*>(x), alpha, beta,
                                                             reinterpret_cast<float4*>(out), n / 4);
  else
    affine_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, alpha, beta, out, n);
  launch_check("affine");
}

__global__ void axpy_kernel(float alpha, const float* x, float* y, int64_t n) {
  MK_GRID_STRIDE(i, n) y[i] += alpha * x[i];
}

__global__ void axpy_vec_kernel(float alpha, const float4* x, float4* y, int64_t n4) {
  MK_GRID_STRIDE(i, n4) {
    const float4 v = x[i];
    float4 o = y[i];
    o.x += alpha * v.x;
    o.y += alpha * v.y;
    o.z += alpha * v.z;
    o.w += alpha * v.w;
    y[i] = o;
  }
}

void launch_axpy(float alpha, const float* x, float* y, int64_t n, cudaStream_t s) {
  if (n <= 0) return;
  if (n % 4 == 0 && al16(x) && al16(y))
    axpy_vec_kernel<<<blocks_for(n / 4), kThreads, 0, s>>>(alpha, reinterpret_cast<const float4*>(x),
                                                           reinterpret_cast<float4*>(y), n / 4);
  else
    axpy_kernel<<<blocks_for(n), kThreads, 0, s>>>(alpha, x, y, n);
  launch_check("axpy");
}

}  // namespace mk
