// Activations (bias + activation forward, activation backward) and the fused AdamW step.
#include "kernels.h"

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

void launch_bias_act(float* x, const float* bias, int64_t rows, int64_t cols, int act, float* out, cudaStream_t s) {
  if (rows <= 0 || cols <= 0) return;
  if (act == ACT_NONE && !bias && out == x) return;  // nothing to do
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
}

template <int ACT, bool ACC>
__global__ void act_backward_kernel(const float* x, const float* dy, float* dx, int64_t n) {
  MK_GRID_STRIDE(i, n) {
    const float g = act_derivative<ACT>(x[i]) * dy[i];
    dx[i] = ACC ? dx[i] + g : g;
  }
}

template <int ACT>
static void act_backward_dispatch(const float* x, const float* dy, float* dx, int64_t n, bool acc, cudaStream_t s) {
  if (acc)
    act_backward_kernel<ACT, true><<<blocks_for(n), kThreads, 0, s>>>(x, dy, dx, n);
  else
    act_backward_kernel<ACT, false><<<blocks_for(n), kThreads, 0, s>>>(x, dy, dx, n);
}

void launch_act_backward(int act, const float* x, const float* dy, float* dx, int64_t n, bool accumulate,
                         cudaStream_t s) {
  if (n <= 0) return;
  switch (act) {
    case ACT_NONE: act_backward_dispatch<ACT_NONE>(x, dy, dx, n, accumulate, s); break;
    case ACT_GELU: act_backward_dispatch<ACT_GELU>(x, dy, dx, n, accumulate, s); break;
    case ACT_GELU_TANH: act_backward_dispatch<ACT_GELU_TANH>(x, dy, dx, n, accumulate, s); break;
    case ACT_QUICK_GELU: act_backward_dispatch<ACT_QUICK_GELU>(x, dy, dx, n, accumulate, s); break;
    case ACT_RELU: act_backward_dispatch<ACT_RELU>(x, dy, dx, n, accumulate, s); break;
    default: throw std::runtime_error("cuda: actBackward: unknown activation code " + std::to_string(act));
  }
  launch_check("actBackward");
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
