// Activations (bias + activation forward, activation backward) and the fused AdamW step.
#include "kernels.h"
#include "mma.cuh"

namespace mk {

constexpr float kSqrt1_2 = 0.70710678118654752f;      // 1/sqrt(2)
constexpr float kInvSqrt2Pi = 0.39894228040143268f;   // 1/sqrt(2*pi)
constexpr float kSqrt2OverPi = 0.79788456080286536f;  // sqrt(2/pi)
constexpr float kGeluTanhC = 0.044715f;
constexpr float kQuickGelu = 1.702f;

// Written without the cancellation of 1 + erf / 1 + tanh for negative x: Phi(x) = erfc(-x / sqrt 2) / 2 and
// (1 + tanh u) / 2 = sigmoid(2u).
template <int ACT>
__device__ inline float act_forward(float x) {
  if (ACT == ACT_GELU) return 0.5f * x * erfcf(-x * kSqrt1_2);
  if (ACT == ACT_GELU_TANH) return x / (1.0f + expf(-2.0f * kSqrt2OverPi * (x + kGeluTanhC * x * x * x)));
  if (ACT == ACT_QUICK_GELU) return x / (1.0f + expf(-kQuickGelu * x));
  if (ACT == ACT_RELU) return x > 0.0f ? x : 0.0f;
  return x;
}

// d act(x) / dx
template <int ACT>
__device__ inline float act_derivative(float x) {
  if (ACT == ACT_GELU) {
    const float cdf = 0.5f * erfcf(-x * kSqrt1_2);
    const float pdf = kInvSqrt2Pi * expf(-0.5f * x * x);
    return cdf + x * pdf;
  }
  if (ACT == ACT_GELU_TANH) {
    // with s = sigmoid(2u) = (1 + tanh u) / 2 and 1 - tanh^2 u = 4 s (1 - s)
    const float u = kSqrt2OverPi * (x + kGeluTanhC * x * x * x);
    const float sg = 1.0f / (1.0f + expf(-2.0f * u));
    const float du = kSqrt2OverPi * (1.0f + 3.0f * kGeluTanhC * x * x);
    return sg + 2.0f * x * sg * (1.0f - sg) * du;
  }
  if (ACT == ACT_QUICK_GELU) {
    const float sg = 1.0f / (1.0f + expf(-kQuickGelu * x));
    return sg + x * kQuickGelu * sg * (1.0f - sg);
  }
  if (ACT == ACT_RELU) return x > 0.0f ? 1.0f : 0.0f;
  return 1.0f;
}

// Block b handles rows b, b + gridDim.x, ...; threads run along the row (so the bias column needs no division).
template <int ACT>
__global__ void bias_act_kernel(float* x, const float* bias, int64_t rows, int64_t cols, float* out) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    float* xr = x + r * cols;
    float* orow = out + r * cols;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
      float v = xr[c];
      if (bias) {
        v += bias[c];
        xr[c] = v;
      }
      orow[c] = act_forward<ACT>(v);
    }
  }
}

// Four elements per thread over the flattened rows x cols (cols % 4 == 0, 16-byte aligned, 32-bit indices).
template <int ACT>
__global__ void bias_act_vec_kernel(float4* x, const float4* bias, int n4, int cols4, float4* out, uint2* out16) {
  MK_GRID_STRIDE_T(int, i, n4) {
    float4 v = x[i];
    if (bias) {
      const float4 b = bias[i % cols4];
      v.x += b.x;
      v.y += b.y;
      v.z += b.z;
      v.w += b.w;
      x[i] = v;
      if (ACT == ACT_NONE && out == x) continue;
    }
    const float4 o =
        make_float4(act_forward<ACT>(v.x), act_forward<ACT>(v.y), act_forward<ACT>(v.z), act_forward<ACT>(v.w));
    out[i] = o;
    if (out16) out16[i] = make_uint2(pack_bf16x2(o.x, o.y), pack_bf16x2(o.z, o.w));
  }
}

static bool vec4_ok(int64_t n, const void* a, const void* b = nullptr, const void* c = nullptr) {
  const auto al = [](const void* p) { return !p || reinterpret_cast<uintptr_t>(p) % 16 == 0; };
  return n % 4 == 0 && n / 4 < (int64_t(1) << 31) && al(a) && al(b) && al(c);
}

bool launch_bias_act(float* x, const float* bias, int64_t rows, int64_t cols, int act, float* out, cudaStream_t s,
                     void* out16) {
  if (rows <= 0 || cols <= 0) return false;
  if (act == ACT_NONE && !bias && out == x) return false;  // nothing to do
  if (cols % 4 == 0 && vec4_ok(rows * cols, x, bias, out)) {
    const int n4 = static_cast<int>(rows * cols / 4), c4 = static_cast<int>(cols / 4);
    float4* xv = reinterpret_cast<float4*>(x);
    const float4* bv = reinterpret_cast<const float4*>(bias);
    float4* ov = reinterpret_cast<float4*>(out);
    if (act == ACT_NONE && out == x && bias) out16 = nullptr;  // the kernel skips those stores
    uint2* o16 = static_cast<uint2*>(out16);
    const unsigned g = blocks_for(n4);
    switch (act) {
      case ACT_NONE: bias_act_vec_kernel<ACT_NONE><<<g, kThreads, 0, s>>>(xv, bv, n4, c4, ov, o16); break;
      case ACT_GELU: bias_act_vec_kernel<ACT_GELU><<<g, kThreads, 0, s>>>(xv, bv, n4, c4, ov, o16); break;
      case ACT_GELU_TANH: bias_act_vec_kernel<ACT_GELU_TANH><<<g, kThreads, 0, s>>>(xv, bv, n4, c4, ov, o16); break;
      case ACT_QUICK_GELU: bias_act_vec_kernel<ACT_QUICK_GELU><<<g, kThreads, 0, s>>>(xv, bv, n4, c4, ov, o16); break;
      case ACT_RELU: bias_act_vec_kernel<ACT_RELU><<<g, kThreads, 0, s>>>(xv, bv, n4, c4, ov, o16); break;
      default: throw std::runtime_error("cuda: biasAct: unknown activation code " + std::to_string(act));
    }
    launch_check("biasAct");
    return out16 != nullptr;
  }
  const unsigned g = static_cast<unsigned>(rows < 65536 ? rows : 65536);
  switch (act) {
    case ACT_NONE: bias_act_kernel<ACT_NONE><<<g, kThreads, 0, s>>>(x, bias, rows, cols, out); break;
    case ACT_GELU: bias_act_kernel<ACT_GELU><<<g, kThreads, 0, s>>>(x, bias, rows, cols, out); break;
    case ACT_GELU_TANH: bias_act_kernel<ACT_GELU_TANH><<<g, kThreads, 0, s>>>(x, bias, rows, cols, out); break;
    case ACT_QUICK_GELU: bias_act_kernel<ACT_QUICK_GELU><<<g, kThreads, 0, s>>>(x, bias, rows, cols, out); break;
    case ACT_RELU: bias_act_kernel<ACT_RELU><<<g, kThreads, 0, s>>>(x, bias, rows, cols, out); break;
    default: throw std::runtime_error("cuda: biasAct: unknown activation code " + std::to_string(act));
  }
  launch_check("biasAct");
  return false;
}

template <int ACT, bool ACC>
__global__ void act_backward_kernel(const float* x, const float* dy, float* dx, int64_t n) {
  MK_GRID_STRIDE(i, n) {
    const float g = act_derivative<ACT>(x[i]) * dy[i];
    dx[i] = ACC ? dx[i] + g : g;
  }
}

template <int ACT, bool ACC>
__global__ void act_backward_vec_kernel(const float4* x, const float4* dy, float4* dx, int n4, uint2* dx16) {
  MK_GRID_STRIDE_T(int, i, n4) {
    const float4 v = x[i], d = dy[i];
    float4 gr = make_float4(act_derivative<ACT>(v.x) * d.x, act_derivative<ACT>(v.y) * d.y,
                            act_derivative<ACT>(v.z) * d.z, act_derivative<ACT>(v.w) * d.w);
    if (ACC) {
      const float4 o = dx[i];
      gr.x += o.x;
      gr.y += o.y;
      gr.z += o.z;
      gr.w += o.w;
    }
    dx[i] = gr;
    if (dx16) dx16[i] = make_uint2(pack_bf16x2(gr.x, gr.y), pack_bf16x2(gr.z, gr.w));
  }
}

template <int ACT>
static bool act_backward_dispatch(const float* x, const float* dy, float* dx, int64_t n, bool acc, cudaStream_t s,
                                  void* dx16) {
  if (vec4_ok(n, x, dy, dx)) {
    const int n4 = static_cast<int>(n / 4);
    const float4 *xv = reinterpret_cast<const float4*>(x), *dv = reinterpret_cast<const float4*>(dy);
    float4* ov = reinterpret_cast<float4*>(dx);
    uint2* o16 = static_cast<uint2*>(dx16);
    if (acc)
      act_backward_vec_kernel<ACT, true><<<blocks_for(n4), kThreads, 0, s>>>(xv, dv, ov, n4, o16);
    else
      act_backward_vec_kernel<ACT, false><<<blocks_for(n4), kThreads, 0, s>>>(xv, dv, ov, n4, o16);
    return dx16 != nullptr;
  }
  if (acc)
    act_backward_kernel<ACT, true><<<blocks_for(n), kThreads, 0, s>>>(x, dy, dx, n);
  else
    act_backward_kernel<ACT, false><<<blocks_for(n), kThreads, 0, s>>>(x, dy, dx, n);
  return false;
}

bool launch_act_backward(int act, const float* x, const float* dy, float* dx, int64_t n, bool accumulate,
                         cudaStream_t s, void* dx16) {
  if (n <= 0) return false;
  bool wrote = false;
  switch (act) {
    case ACT_NONE: wrote = act_backward_dispatch<ACT_NONE>(x, dy, dx, n, accumulate, s, dx16); break;
    case ACT_GELU: wrote = act_backward_dispatch<ACT_GELU>(x, dy, dx, n, accumulate, s, dx16); break;
    case ACT_GELU_TANH: wrote = act_backward_dispatch<ACT_GELU_TANH>(x, dy, dx, n, accumulate, s, dx16); break;
    case ACT_QUICK_GELU: wrote = act_backward_dispatch<ACT_QUICK_GELU>(x, dy, dx, n, accumulate, s, dx16); break;
    case ACT_RELU: wrote = act_backward_dispatch<ACT_RELU>(x, dy, dx, n, accumulate, s, dx16); break;
    default: throw std::runtime_error("cuda: actBackward: unknown activation code " + std::to_string(act));
  }
  launch_check("actBackward");
  return wrote;
}

// p = p * (1 - lr * wd) - lr * (m / bc1) / (sqrt(v / bc2) + eps); the 1 - beta and 1 - lr * wd factors come
// from the host in double (1 - beta2 computed from a float beta2 would be off by 1e-5).
struct AdamArgs {
  float lr, beta1, one_minus_beta1, beta2, one_minus_beta2, eps, decay, bc1, bc2, grad_scale;
};

__global__ void adamw_kernel(float* p, const float* g, float* m, float* v, int64_t n, AdamArgs a) {
  MK_GRID_STRIDE(i, n) {
    const float gi = g[i] * a.grad_scale;
    const float mi = a.beta1 * m[i] + a.one_minus_beta1 * gi;
    const float vi = a.beta2 * v[i] + a.one_minus_beta2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * a.decay - a.lr * (mi / a.bc1) / (sqrtf(vi / a.bc2) + a.eps);
  }
}

// Many tensors in one launch: block b works on chunk b - start[t] of tensor t (start[t] <= b < start[t + 1]).
constexpr int64_t kAdamChunk = 4096;

__global__ void adamw_multi_kernel(AdamMultiTable tab, AdamArgs a) {
  const int b = static_cast<int>(blockIdx.x);
  int t = 0;
  while (t + 1 < tab.count && tab.start[t + 1] <= b) ++t;
  const int64_t begin = static_cast<int64_t>(b - tab.start[t]) * kAdamChunk;
  const int64_t end = begin + kAdamChunk < tab.n[t] ? begin + kAdamChunk : tab.n[t];
  float* p = tab.p[t];
  const float* g = tab.g[t];
  float* m = tab.m[t];
  float* v = tab.v[t];
  const float decay = tab.decay[t];
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    const float gi = g[i] * a.grad_scale;
    const float mi = a.beta1 * m[i] + a.one_minus_beta1 * gi;
    const float vi = a.beta2 * v[i] + a.one_minus_beta2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * decay - a.lr * (mi / a.bc1) / (sqrtf(vi / a.bc2) + a.eps);
  }
}

void launch_adamw_multi(const AdamTensor* ts, int count, double lr, double beta1, double beta2, double eps, double bc1,
                        double bc2, double grad_scale, cudaStream_t s) {
  const AdamArgs a{static_cast<float>(lr),          static_cast<float>(beta1), static_cast<float>(1.0 - beta1),
                   static_cast<float>(beta2),       static_cast<float>(1.0 - beta2), static_cast<float>(eps),
                   1.0f,                            static_cast<float>(bc1),   static_cast<float>(bc2),
                   static_cast<float>(grad_scale)};
  int i = 0;
  while (i < count) {
    AdamMultiTable tab{};
    int64_t blocks = 0;
    while (i < count && tab.count < kAdamMultiMax) {
      const AdamTensor& x = ts[i++];
      if (x.n <= 0) continue;
      const int64_t nb = (x.n + kAdamChunk - 1) / kAdamChunk;
      if (blocks + nb > 2147483647LL) throw std::runtime_error("cuda: adamwMulti: too many elements for one launch");
      const int k = tab.count++;
      tab.p[k] = x.p;
      tab.g[k] = x.g;
      tab.m[k] = x.m;
      tab.v[k] = x.v;
      tab.n[k] = x.n;
      tab.decay[k] = static_cast<float>(1.0 - lr * x.weight_decay);
      tab.start[k] = static_cast<int>(blocks);
      blocks += nb;
    }
    if (tab.count == 0) continue;
    tab.start[tab.count] = static_cast<int>(blocks);
    adamw_multi_kernel<<<static_cast<unsigned>(blocks), kThreads, 0, s>>>(tab, a);
    launch_check("adamwMulti");
  }
}

void launch_adamw(float* p, const float* g, float* m, float* v, int64_t n, double lr, double beta1, double beta2,
                  double eps, double weight_decay, double bc1, double bc2, double grad_scale, cudaStream_t s) {
  if (n <= 0) return;
  const AdamArgs a{static_cast<float>(lr),           static_cast<float>(beta1),
                   static_cast<float>(1.0 - beta1),  static_cast<float>(beta2),
                   static_cast<float>(1.0 - beta2),  static_cast<float>(eps),
                   static_cast<float>(1.0 - lr * weight_decay), static_cast<float>(bc1),
                   static_cast<float>(bc2),          static_cast<float>(grad_scale)};
  adamw_kernel<<<blocks_for(n), kThreads, 0, s>>>(p, g, m, v, n, a);
  launch_check("adamw");
}

}  // namespace mk
