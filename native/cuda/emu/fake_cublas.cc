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

// ---- cuBLASLt: descriptors as plain structs; a matmul is the GEMM above plus the bias epilogue ----

struct LtDesc {
  int compute, scale_type;
  int32_t transa = 0, transb = 0;
  uint32_t epilogue = 1;  // CUBLASLT_EPILOGUE_DEFAULT
  const float* bias = nullptr;
};
struct LtLayout {
  int type;
  uint64_t rows, cols;
  int64_t ld;
};
struct LtAlgo {
  uint64_t data[8];
};
struct LtHeuristic {
  LtAlgo algo;
  size_t workspace_size;
  int state;
  float waves_count;
  int reserved[4];
};
constexpr uint32_t kEpilogueDefault = 1, kEpilogueBias = 4;

__attribute__((visibility("default"))) int cublasLtCreate(void** handle) {
  static int dummy;
  *handle = &dummy;
  return kSuccess;
}
__attribute__((visibility("default"))) int cublasLtMatmulDescCreate(void** desc, int compute, int scale_type) {
  if (scale_type != kR32F) return kNotSupported;
  *desc = new LtDesc{compute, scale_type};
  return kSuccess;
}
__attribute__((visibility("default"))) int cublasLtMatmulDescSetAttribute(void* desc, int attr, const void* buf,
                                                                          size_t size) {
  LtDesc* d = static_cast<LtDesc*>(desc);
  switch (attr) {
    case 3:
    case 4:
      if (size != 4) return kInvalidValue;
      std::memcpy(attr == 3 ? &d->transa : &d->transb, buf, 4);
      return kSuccess;
    case 7:
      if (size != 4) return kInvalidValue;
      std::memcpy(&d->epilogue, buf, 4);
      return kSuccess;
    case 8:
      if (size != sizeof(void*)) return kInvalidValue;
      std::memcpy(&d->bias, buf, sizeof(void*));
      return kSuccess;
    default: return kNotSupported;
  }
}
__attribute__((visibility("default"))) int cublasLtMatrixLayoutCreate(void** layout, int type, uint64_t rows,
                                                                      uint64_t cols, int64_t ld) {
  if (ld < static_cast<int64_t>(rows > 1 ? rows : 1)) return kInvalidValue;
  *layout = new LtLayout{type, rows, cols, ld};
  return kSuccess;
}
__attribute__((visibility("default"))) int cublasLtMatmulPreferenceCreate(void** pref) {
  static int dummy;
  *pref = &dummy;
  return kSuccess;
}
__attribute__((visibility("default"))) int cublasLtMatmulPreferenceSetAttribute(void*, int attr, const void*,
                                                                                size_t size) {
  return attr == 1 && size == 8 ? kSuccess : kNotSupported;
}

// The shapes of a matmul, checked: op(A) m x k, op(B) k x n, C and D m x n.
static int lt_shapes(const LtDesc* d, const LtLayout* a, const LtLayout* b, const LtLayout* c, const LtLayout* dd,
                     int& m, int& n, int& k) {
  m = static_cast<int>(d->transa ? a->cols : a->rows);
  k = static_cast<int>(d->transa ? a->rows : a->cols);
  const int kb = static_cast<int>(d->transb ? b->cols : b->rows);
  n = static_cast<int>(d->transb ? b->rows : b->cols);
  if (k != kb || c->rows != static_cast<uint64_t>(m) || c->cols != static_cast<uint64_t>(n) ||
      dd->rows != c->rows || dd->cols != c->cols || dd->ld != c->ld)
    return kInvalidValue;
  if (a->type != b->type || c->type != kR32F || dd->type != kR32F) return kNotSupported;
  if (a->type == kR16BF && d->compute != kCompute32F) return kNotSupported;
  if (a->type == kR32F && d->compute != kCompute32F && d->compute != kCompute32FFastTF32 &&
      d->compute != kCompute32FFast16BF)
    return kNotSupported;
  if (d->epilogue != kEpilogueDefault && d->epilogue != kEpilogueBias) return kNotSupported;
  return kSuccess;
}

__attribute__((visibility("default"))) int cublasLtMatmulAlgoGetHeuristic(void*, void* desc, void* a, void* b,
                                                                          void* c, void* d, void*, int requested,
                                                                          LtHeuristic* results, int* count) {
  int m, n, k;
  const int st = lt_shapes(static_cast<LtDesc*>(desc), static_cast<LtLayout*>(a), static_cast<LtLayout*>(b),
                           static_cast<LtLayout*>(c), static_cast<LtLayout*>(d), m, n, k);
  *count = 0;
  if (st != kSuccess) return st;
  if (requested < 1) return kInvalidValue;
  std::memset(&results[0], 0, sizeof(LtHeuristic));
  *count = 1;
  return kSuccess;
}

__attribute__((visibility("default"))) int cublasLtMatmul(void* handle, void* desc, const void* alpha, const void* A,
                                                          void* a, const void* B, void* b, const void* beta,
                                                          const void* C, void* c, void* D, void* d, const void* algo,
                                                          void*, size_t, void*) {
  LtDesc* ds = static_cast<LtDesc*>(desc);
  LtLayout *la = static_cast<LtLayout*>(a), *lb = static_cast<LtLayout*>(b), *lc = static_cast<LtLayout*>(c);
  int m, n, k;
  int st = lt_shapes(ds, la, lb, lc, static_cast<LtLayout*>(d), m, n, k);
  if (st != kSuccess) return st;
  if (!handle || !algo) return kInvalidValue;
  if (C != D) return kNotSupported;  // all the addon uses
  if (ds->epilogue == kEpilogueBias && !ds->bias) return kInvalidValue;
  st = cublasGemmStridedBatchedEx(reinterpret_cast<cublasHandle_t>(handle), ds->transa, ds->transb, m, n, k, alpha,
                                  A, la->type, static_cast<int>(la->ld), 0, B, lb->type, static_cast<int>(lb->ld), 0,
                                  beta, D, kR32F, static_cast<int>(lc->ld), 0, 1, ds->compute, 0);
  if (st != kSuccess || ds->epilogue != kEpilogueBias) return st;
  float* out = static_cast<float*>(D);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < m; ++i) out[i + static_cast<long long>(j) * lc->ld] += ds->bias[i];
  return kSuccess;
}

}  // extern "C"
