// CPU emulation (see README.md): a stand-in libcublas.so.13 with the functions the addon loads. The GEMM is the
// documented column-major cublasGemmStridedBatchedEx, with the real library's argument checks, computed in double
// from inputs rounded as the compute type allows (TF32: 10-bit mantissa, FAST_16BF or bf16 data: 7-bit).
#include <cmath>
#include <cstdint>
#include <cstring>

namespace {

constexpr int kSuccess = 0, kInvalidValue = 7, kNotSupported = 15;
constexpr int kR32F = 0, kR16BF = 14;
constexpr int kCompute32F = 68, kCompute32FFast16BF = 75, kCompute32FFastTF32 = 77;

float bits_to_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Round a float to `keep` mantissa bits (nearest even).
float round_mantissa(float f, int keep) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) >= 0x7f800000u) return f;
  const int drop = 23 - keep;
  const uint32_t half = (1u << (drop - 1)) - 1u + ((u >> drop) & 1u);
  u = (u + half) & ~((1u << drop) - 1u);
  return bits_to_float(u);
}

float load(const void* p, long long i, int type, int compute) {
  if (type == kR16BF) {
    uint16_t h;
    std::memcpy(&h, static_cast<const char*>(p) + 2 * i, 2);
    return bits_to_float(static_cast<uint32_t>(h) << 16);
  }
  const float f = static_cast<const float*>(p)[i];
  if (compute == kCompute32FFastTF32) return round_mantissa(f, 10);
  if (compute == kCompute32FFast16BF) return round_mantissa(f, 7);
  return f;
}

}  // namespace

extern "C" {

typedef struct cublasContext* cublasHandle_t;

__attribute__((visibility("default"))) int cublasCreate_v2(cublasHandle_t* handle) {
  static int dummy;
  *handle = reinterpret_cast<cublasHandle_t>(&dummy);
  return kSuccess;
}
__attribute__((visibility("default"))) int cublasSetStream_v2(cublasHandle_t, void*) { return kSuccess; }
__attribute__((visibility("default"))) int cublasSetMathMode(cublasHandle_t, int) { return kSuccess; }
__attribute__((visibility("default"))) int cublasSetWorkspace_v2(cublasHandle_t, void*, size_t) { return kSuccess; }
__attribute__((visibility("default"))) const char* cublasGetStatusString(int status) {
  switch (status) {
    case kSuccess: return "CUBLAS_STATUS_SUCCESS";
    case kInvalidValue: return "CUBLAS_STATUS_INVALID_VALUE";
    case kNotSupported: return "CUBLAS_STATUS_NOT_SUPPORTED";
    default: return "CUBLAS_STATUS_UNKNOWN";
  }
}

__attribute__((visibility("default"))) int cublasGemmStridedBatchedEx(
    cublasHandle_t handle, int transa, int transb, int m, int n, int k, const void* alpha, const void* A, int a_type,
    int lda, long long stride_a, const void* B, int b_type, int ldb, long long stride_b, const void* beta, void* C,
    int c_type, int ldc, long long stride_c, int batch, int compute, int /*algo*/) {
  if (!handle || (transa != 0 && transa != 1) || (transb != 0 && transb != 1)) return kInvalidValue;
  if (m < 0 || n < 0 || k < 0 || batch < 0) return kInvalidValue;
  const int rows_a = transa == 0 ? m : k, rows_b = transb == 0 ? k : n;
  if (lda < (rows_a > 1 ? rows_a : 1) || ldb < (rows_b > 1 ? rows_b : 1) || ldc < (m > 1 ? m : 1)) return kInvalidValue;
  if (c_type != kR32F || a_type != b_type) return kNotSupported;
  if (a_type == kR16BF && compute != kCompute32F) return kNotSupported;
  if (a_type == kR32F && compute != kCompute32F && compute != kCompute32FFastTF32 && compute != kCompute32FFast16BF)
    return kNotSupported;
  if (a_type != kR32F && a_type != kR16BF) return kNotSupported;
  const float al = *static_cast<const float*>(alpha), be = *static_cast<const float*>(beta);
  for (int b = 0; b < batch; ++b) {
    float* c = static_cast<float*>(C) + b * stride_c;
    for (int j = 0; j < n; ++j) {
      for (int i = 0; i < m; ++i) {
        double acc = 0.0;
        for (int p = 0; p < k; ++p) {
          const long long ia = b * stride_a + (transa == 0 ? i + static_cast<long long>(p) * lda : p + static_cast<long long>(i) * lda);
          const long long ib = b * stride_b + (transb == 0 ? p + static_cast<long long>(j) * ldb : j + static_cast<long long>(p) * ldb);
          acc += static_cast<double>(load(A, ia, a_type, compute)) * load(B, ib, b_type, compute);
        }
        float& out = c[i + static_cast<long long>(j) * ldc];
        out = static_cast<float>(al * acc + (be == 0.0f ? 0.0 : static_cast<double>(be) * out));
      }
    }
  }
  return kSuccess;
}

}  // extern "C"
