// Host-side launchers of every CUDA kernel of the addon. Each queues work on the given stream and returns at
// once; bounds were checked by the TypeScript layer. Pointers already include their element offsets.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "common.h"

namespace mk {

constexpr int kMaxRank = 8;

// Codes shared with src/engine/backends/cuda/native.ts.
enum BinaryOpCode : int { OP_ADD = 0, OP_SUB = 1, OP_MUL = 2, OP_DIV = 3 };
enum UnaryOpCode : int { U_NEG = 0, U_EXP, U_LOG, U_SQRT, U_RSQRT, U_SQUARE, U_ABS, U_RECIP };
enum ActCode : int { ACT_NONE = 0, ACT_GELU, ACT_GELU_TANH, ACT_QUICK_GELU, ACT_RELU };

// ---- memory (memory.cu) ----
void launch_fill_f32(float* p, float v, int64_t n, cudaStream_t s);
void launch_fill_i32(int32_t* p, int32_t v, int64_t n, cudaStream_t s);
void launch_cast_f32_to_i32(const float* src, int32_t* dst, int64_t n, DeviceError* err, cudaStream_t s);
void launch_cast_i32_to_f32(const int32_t* src, float* dst, int64_t n, cudaStream_t s);
// dst[r*dst_ld + c] (+)= src[r*src_ld + c] for 4-byte elements (accumulate only for f32).
void launch_copy2d(const void* src, int64_t src_ld, void* dst, int64_t dst_ld, int64_t rows, int64_t cols,
                   bool accumulate, cudaStream_t s);
// dst (contiguous, dst_shape) [i] = src[sum_d idx_d * src_stride[d]] for 4-byte elements.
struct PermutePlan {
  int rank;
  int64_t dst_shape[kMaxRank];
  int64_t src_stride[kMaxRank];  // the source stride of the source axis that dst axis d reads
};
void launch_permute(const void* src, void* dst, const PermutePlan& plan, int64_t n, cudaStream_t s);
void launch_f32_to_bf16(const float* src, void* dst, int64_t n, cudaStream_t s);
// C_b = beta * C_b (m x n, row stride ldc) for b < batch; beta == 0 writes zeros (the k == 0 GEMM).
void launch_scale_matrices(float* c, int64_t m, int64_t n, int64_t ldc, int64_t stride, int64_t batch, float beta,
                           cudaStream_t s);

// ---- elementwise (elementwise.cu) ----
struct BinaryPlan {
  int rank;
  int64_t shape[kMaxRank];
  int64_t sa[kMaxRank];
  int64_t sb[kMaxRank];
};
void launch_binary(int op, const float* a, const float* b, float* out, const BinaryPlan& plan, int64_t n,
                   cudaStream_t s);
void launch_unary(int op, const float* x, float* out, int64_t n, cudaStream_t s);
void launch_affine(const float* x, float alpha, float beta, float* out, int64_t n, cudaStream_t s);
void launch_axpy(float alpha, const float* x, float* y, int64_t n, cudaStream_t s);

// ---- activations and optimiser (activation.cu) ----
// out16 (optional, may be null; used only on the float4 paths): a bf16 copy of what is written to out / dx, for
// the next GEMM (see bf16_shadow_for in cublas_dl.h). The launchers return whether they wrote it.
bool launch_bias_act(float* x, const float* bias, int64_t rows, int64_t cols, int act, float* out, cudaStream_t s,
                     void* out16 = nullptr);
bool launch_act_backward(int act, const float* x, const float* dy, float* dx, int64_t n, bool accumulate,
                         cudaStream_t s, void* out16 = nullptr);
void launch_adamw(float* p, const float* g, float* m, float* v, int64_t n, double lr, double beta1, double beta2,
                  double eps, double weight_decay, double bc1, double bc2, double grad_scale, cudaStream_t s);
// One AdamW step over many tensors (one launch per kAdamMultiMax tensors); each has its own weight decay.
struct AdamTensor {
  float* p;
  const float* g;
  float* m;
  float* v;
  int64_t n;
  double weight_decay;
};
constexpr int kAdamMultiMax = 48;
struct AdamMultiTable {  // a kernel parameter (under 4 KiB)
  float* p[kAdamMultiMax];
  const float* g[kAdamMultiMax];
  float* m[kAdamMultiMax];
  float* v[kAdamMultiMax];
  int64_t n[kAdamMultiMax];
  float decay[kAdamMultiMax];
  int start[kAdamMultiMax + 1];
  int count;
};
void launch_adamw_multi(const AdamTensor* ts, int count, double lr, double beta1, double beta2, double eps, double bc1,
                        double bc2, double grad_scale, cudaStream_t s);

// ---- reductions (reduce.cu) ----
// out[c] (+)= sum_r x[r*cols + c]
void launch_sum_rows(const float* x, int64_t rows, int64_t cols, float* out, bool accumulate, cudaStream_t s);
// Sum reduction of contiguous x (x_shape) onto contiguous out (out_shape): same rank, each out dim equal to the x
// dim or 1 (checked by the caller).
void sum_to(const float* x, const int64_t* x_shape, const int64_t* out_shape, int rank, float* out, bool accumulate,
            cudaStream_t s);
// *result (device double) = sum of squares of x[0..n)
void launch_sum_squares(const float* x, int64_t n, double* result, cudaStream_t s);

// ---- normalisation and softmax (norm.cu) ----
bool launch_layer_norm(const float* x, const float* gamma, const float* beta, int64_t rows, int64_t cols, float eps,
                       float* y, float* mean, float* rstd, cudaStream_t s, void* y16 = nullptr);
void launch_layer_norm_backward(const float* dy, const float* x, const float* gamma, const float* mean,
                                const float* rstd, int64_t rows, int64_t cols, float* dx, float* dgamma,
                                float* dbeta, bool accumulate, cudaStream_t s);
void launch_softmax(const float* x, int64_t rows, int64_t cols, float scale, bool log, float* y, cudaStream_t s);
void launch_softmax_backward(const float* y, const float* dy, int64_t rows, int64_t cols, float scale, bool log,
                             float* dx, bool accumulate, cudaStream_t s);
void launch_l2_normalize(const float* x, int64_t rows, int64_t cols, float eps, float* y, float* norms,
                         cudaStream_t s);
void launch_l2_normalize_backward(const float* dy, const float* y, const float* norms, int64_t rows, int64_t cols,
                                  float* dx, bool accumulate, cudaStream_t s);

// ---- losses and selection (loss.cu) ----
void launch_cross_entropy(const float* logits, const int32_t* labels, int64_t n, int64_t c, float smoothing,
                          float* loss, float* probs, DeviceError* err, cudaStream_t s);
void launch_cross_entropy_backward(const float* probs, const int32_t* labels, int64_t n, int64_t c, float smoothing,
                                   const float* dloss, float* dlogits, bool accumulate, DeviceError* err,
                                   cudaStream_t s);
void launch_kl_div(const float* student, const float* teacher, int64_t n, int64_t c, float temperature, float* loss,
                   float* log_p, float* log_q, cudaStream_t s);
void launch_kl_div_backward(const float* log_p, const float* log_q, int64_t n, int64_t c, float temperature,
                            const float* dloss, float* dstudent, float* dteacher, bool accumulate, cudaStream_t s);
void launch_topk(const float* x, int64_t rows, int64_t cols, int64_t k, float* values, int32_t* indices,
                 cudaStream_t s);

// ---- indexing (index.cu) ----
void launch_index_select(const float* src, int64_t outer, int64_t n, int64_t inner, const int32_t* idx, int64_t n_idx,
                         float* out, DeviceError* err, cudaStream_t s);
void launch_index_add(const float* dout, int64_t outer, int64_t n, int64_t inner, const int32_t* idx, int64_t n_idx,
                      float* dsrc, DeviceError* err, cudaStream_t s);
void launch_im2patch(const float* x, int64_t batch, int64_t channels, int64_t height, int64_t width, int64_t p,
                     float* out, cudaStream_t s);
void launch_patch2im(const float* dpatches, int64_t batch, int64_t channels, int64_t height, int64_t width, int64_t p,
                     float* dx, bool accumulate, cudaStream_t s);

// ---- attention (attention.cu) ----
struct AttnArgs {
  int64_t batch, heads, tq, tk, head_dim;
  float scale;
  bool causal;
  const int32_t* key_mask;  // nullptr = none
  const float* q;
  int64_t ldq;
  const float* k;
  int64_t ldk;
  const float* v;
  int64_t ldv;
};
// Where the backward writes: element (b, t, h, d) of dq at dq + (b * tq + t) * lddq + h * head_dim + d (dk, dv
// likewise with tk rows); accumulate adds instead of overwriting.
struct AttnGrads {
  float* dq;
  int64_t lddq;
  float* dk;
  int64_t lddk;
  float* dv;
  int64_t lddv;
  bool accumulate;
};
// The forward returns true when it used the fused kernel (bf16 precision, head dim 64): probs then holds that
// kernel's scratch (per-row log-sum-exp and a copy of the output), not probabilities, and the backward must be
// told so (`fused`).
// out16 (optional): a bf16 copy of out, written by the fused kernel only (*wrote16 says whether it was).
bool attention_forward(const AttnArgs& a, float* out, float* probs, int precision, cudaStream_t s,
                       void* out16 = nullptr, bool* wrote16 = nullptr);
void attention_backward(const AttnArgs& a, const float* probs, bool fused, const float* dout, const AttnGrads& g,
                        int precision, cudaStream_t s);
// flash_attention.cu
bool flash_attention_supported(const AttnArgs& a);
void flash_attention_forward(const AttnArgs& a, float* out, float* probs, cudaStream_t s, void* out16 = nullptr);
void flash_attention_backward(const AttnArgs& a, const float* probs, const float* dout, const AttnGrads& g,
                              cudaStream_t s);

}  // namespace mk
