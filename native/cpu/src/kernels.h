// The kernels that exist once per ISA (generic, AVX2+FMA, AVX-512), gathered in a table of function pointers,
// and the ISA-independent kernels of common_kernels.cpp / topk.cpp.
//
// All pointers already include the caller's element offsets; sizes and strides are in elements. The addon
// (addon.cpp) has checked every extent against the storages before a kernel runs. The semantics are the doc
// comments of src/engine/backend.ts.
//
// This header is included by the ISA-specific files: it must stay free of inline code.
#pragma once
#include <cstddef>
#include <cstdint>

namespace mulki {

typedef int64_t i64;

constexpr int MAX_RANK = 8;

struct GemmArgs {
  bool transA, transB;
  i64 m, n, k;
  float alpha, beta;
  const float* a;
  i64 lda, strideA;
  const float* b;
  i64 ldb, strideB;
  float* c;
  i64 ldc, strideC;
  i64 batch;
};

struct AttnArgs {
  i64 batch, heads, tq, tk, hd;
  float scale;
  bool causal;
  const int32_t* keyMask;  // batch x tk, or null
  const float* q;
  i64 ldq;
  const float* k;
  i64 ldk;
  const float* v;
  i64 ldv;
};

enum ActKind { ACT_NONE = 0, ACT_GELU = 1, ACT_GELU_TANH = 2, ACT_QUICK_GELU = 3, ACT_RELU = 4 };
enum BinaryOp { BIN_ADD = 0, BIN_SUB = 1, BIN_MUL = 2, BIN_DIV = 3 };
enum UnaryOp { UN_NEG = 0, UN_EXP, UN_LOG, UN_SQRT, UN_RSQRT, UN_SQUARE, UN_ABS, UN_RECIP };

struct Kernels {
  const char* isa;
  void (*gemm)(const GemmArgs& g);
  void (*attention)(const AttnArgs& p, float* out, float* probs);
  void (*attention_backward)(const AttnArgs& p, const float* probs, const float* dout, float* dq, float* dk,
                             float* dv);
  /** out (contiguous, shape[rank]) = a op b with element strides per out axis (0 = broadcast). */
  void (*binary)(int op, const float* a, const i64* as, const float* b, const i64* bs, float* out, const i64* shape,
                 int rank);
  void (*unary)(int op, const float* x, float* out, i64 n);
  void (*affine)(const float* x, float alpha, float beta, float* out, i64 n);
  void (*axpy)(float alpha, const float* x, float* y, i64 n);
  void (*sum_to)(const float* x, const i64* xshape, float* out, const i64* oshape, int rank, bool acc);
  void (*sum_rows)(const float* x, i64 rows, i64 cols, float* out, bool acc);
  double (*sum_squares)(const float* x, i64 n);
  void (*bias_act)(float* x, const float* bias, i64 rows, i64 cols, int kind, float* out);
  void (*act_backward)(int kind, const float* x, const float* dy, float* dx, i64 n, bool acc);
  void (*layer_norm)(const float* x, const float* gamma, const float* beta, i64 rows, i64 cols, float eps, float* y,
                     float* mean, float* rstd);
  void (*layer_norm_backward)(const float* dy, const float* x, const float* gamma, const float* mean,
                              const float* rstd, i64 rows, i64 cols, float* dx, float* dgamma, float* dbeta,
                              bool acc);
  void (*softmax)(const float* x, i64 rows, i64 cols, float scale, bool log, float* y);
  void (*softmax_backward)(const float* y, const float* dy, i64 rows, i64 cols, float scale, bool log, float* dx,
                           bool acc);
  void (*l2_normalize)(const float* x, i64 rows, i64 cols, float eps, float* y, float* norms);
  void (*l2_normalize_backward)(const float* dy, const float* y, const float* norms, i64 rows, i64 cols, float* dx,
                                bool acc);
  void (*cross_entropy)(const float* logits, const int32_t* labels, i64 n, i64 c, float smoothing, float* loss,
                        float* probs);
  void (*cross_entropy_backward)(const float* probs, const int32_t* labels, i64 n, i64 c, float smoothing,
                                 const float* dloss, float* dlogits, bool acc);
  void (*kl_div)(const float* student, const float* teacher, i64 n, i64 c, float temperature, float* loss,
                 float* logp, float* logq);
  void (*kl_div_backward)(const float* logp, const float* logq, i64 n, i64 c, float temperature, const float* dloss,
                          float* dstudent, float* dteacher, bool acc);
  void (*adamw)(float* p, const float* g, float* m, float* v, i64 n, float lr, float beta1, float beta2, float eps,
                float wd, float bc1, float bc2, float gscale);
  /** A register-only FMA loop (the machine's peak): returns the flops it did. */
  double (*fma_loop)(i64 iters);
};

/** The table of one ISA, or null where that ISA's code was not compiled (non-x86 builds). */
const Kernels* kernels_generic();
const Kernels* kernels_avx2();
const Kernels* kernels_avx512();

// ---- ISA-independent kernels (memory movement, indexing, selection) ----
void fill_u32(uint32_t* x, uint32_t value, i64 n);
void copy_bytes(void* dst, const void* src, size_t bytes);
void copy2d_f32(const float* src, i64 srcLd, float* dst, i64 dstLd, i64 rows, i64 cols, bool acc);
void copy2d_i32(const int32_t* src, i64 srcLd, int32_t* dst, i64 dstLd, i64 rows, i64 cols, bool acc);
/** dst = src permuted; elem = 4 bytes (f32 or i32 moved as raw bits). */
void permute_u32(const uint32_t* src, const i64* shape, const int* perm, int rank, uint32_t* dst);
void cast_f32_i32(const float* src, int32_t* dst, i64 n);
void cast_i32_f32(const int32_t* src, float* dst, i64 n);
void index_select_u32(const uint32_t* src, i64 outer, i64 n, i64 inner, const int32_t* idx, i64 nIdx, uint32_t* out);
void index_add_f32(const float* dout, i64 outer, i64 n, i64 inner, const int32_t* idx, i64 nIdx, float* dsrc);
void index_add_i32(const int32_t* dout, i64 outer, i64 n, i64 inner, const int32_t* idx, i64 nIdx, int32_t* dsrc);
void im2patch(const float* x, i64 batch, i64 channels, i64 height, i64 width, i64 p, float* out);
void patch2im(const float* dp, i64 batch, i64 channels, i64 height, i64 width, i64 p, float* dx, bool acc);
void topk(const float* x, i64 rows, i64 cols, i64 k, float* values, int32_t* indices);

}  // namespace mulki
