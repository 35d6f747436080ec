// cuBLAS loaded at run time with dlopen, so the addon builds and links where only nvcc and the CUDA runtime
// exist. We declare the few types, enum values and functions we use ourselves (values from cublas_api.h).
#pragma once
#include <cuda_runtime.h>
#include <library_types.h>  // cudaDataType (CUDA_R_32F, CUDA_R_16BF), part of the runtime headers

#include <string>

namespace mk {

typedef struct cublasContext* cublasHandle_t;
typedef int cublasStatus_t;  // 0 = CUBLAS_STATUS_SUCCESS
enum CublasOp : int { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1 };
enum CublasCompute : int {
  CUBLAS_COMPUTE_32F = 68,
  CUBLAS_COMPUTE_32F_FAST_16BF = 75,
  CUBLAS_COMPUTE_32F_FAST_TF32 = 77,
};
constexpr int CUBLAS_GEMM_DEFAULT = -1;
constexpr int CUBLAS_DEFAULT_MATH = 0;

// Loads libcublas (trying the directories in $MULKI_CUBLAS_DIR first, then the loader's search path; names
// libcublas.so.13, .so.12, .so, each after its libcublasLt), creates a handle bound to `stream`.
// On failure returns false and writes which names were tried and why each failed.
bool cublas_init(cudaStream_t stream, std::string& error, std::string& loaded_path);

// Row-major batched GEMM as in the Backend interface (see backend.ts). precision: 0 fp32, 1 tf32, 2 bf16.
struct GemmArgs {
  bool trans_a, trans_b;
  long long m, n, k;
  float alpha, beta;
  const float* a;
  long long lda, stride_a;
  const float* b;
  long long ldb, stride_b;
  float* c;
  long long ldc, stride_c;
  long long batch;
};
enum Precision : int { PREC_FP32 = 0, PREC_TF32 = 1, PREC_BF16 = 2 };
void gemm(const GemmArgs& g, int precision);

// How a bf16 GEMM runs: explicit bf16 copies of both operands then a bf16 cuBLAS GEMM (CONVERT), or the f32
// operands handed to cuBLAS with CUBLAS_COMPUTE_32F_FAST_16BF, which rounds them to bf16 itself (FAST: no extra
// pass over memory, but cuBLAS's kernels for it may be slower). TUNE (the default) times both the first time a
// GEMM shape is seen and keeps the faster for that shape. Both round the operands to nearest bf16 and accumulate
// in fp32.
enum Bf16Mode : int { BF16_TUNE = 0, BF16_CONVERT = 1, BF16_FAST = 2 };
void set_bf16_mode(int mode);
// Shapes tuned so far and how many chose FAST (diagnostics).
void bf16_tune_stats(long long& shapes, long long& fast);

// Drops the bf16 operand copies kept from the last GEMM (see cublas_dl.cc); every addon call that is not a GEMM
// does this first, as must any code that writes memory between two GEMMs of one call.
void release_bf16_copies();
long long bf16_copies_reused();  // diagnostics

// The GEMM precision of the backend (the TS side sets it), for the producers below.
void set_gemm_precision(int precision);
// A kernel about to write f32 dst[0, span) that the next GEMM will probably read (a layer norm, an activation, the
// attention output, an activation gradient) may write a bf16 copy alongside: this returns the buffer for it (kept
// like a GEMM's copies, so the next GEMMs use it instead of converting), or nullptr where no GEMM would use one
// (not bf16, or the FAST variant forced). $MULKI_GEMM_SHADOW=0 turns it off.
void* bf16_shadow_for(const float* dst, long long span);
long long bf16_shadows_made();

// C = alpha op(A) op(B) + bias (bias[j] added to every row's column j) in one cuBLASLt call with a bias epilogue:
// bf16 precision, one matrix (batch 1), beta 0. Returns false, having done nothing, where cuBLASLt is missing or
// has no kernel for it (the caller then runs gemm and the bias separately).
bool gemm_bias_available();
bool gemm_bias(const GemmArgs& g, int precision, const float* bias);
long long gemm_bias_count();  // fused GEMMs so far (diagnostics)

}  // namespace mk
