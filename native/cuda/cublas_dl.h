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

}  // namespace mk
