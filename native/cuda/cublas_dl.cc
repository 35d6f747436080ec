// cuBLAS through dlopen (see cublas_dl.h) and the row-major GEMM on top of it.
#include "cublas_dl.h"

#include <dlfcn.h>

#include <climits>
#include <cstdlib>
#include <vector>

#include "allocator.h"
#include "common.h"
#include "context.h"
#include "kernels.h"

namespace mk {

namespace {

typedef cublasStatus_t (*CreateFn)(cublasHandle_t*);
typedef cublasStatus_t (*SetStreamFn)(cublasHandle_t, cudaStream_t);
typedef cublasStatus_t (*SetMathModeFn)(cublasHandle_t, int);
typedef cublasStatus_t (*SetWorkspaceFn)(cublasHandle_t, void*, size_t);
typedef const char* (*StatusStringFn)(cublasStatus_t);
typedef cublasStatus_t (*GemmStridedBatchedExFn)(cublasHandle_t, int transa, int transb, int m, int n, int k,
                                                 const void* alpha, const void* A, cudaDataType Atype, int lda,
                                                 long long strideA, const void* B, cudaDataType Btype, int ldb,
                                                 long long strideB, const void* beta, void* C, cudaDataType Ctype,
                                                 int ldc, long long strideC, int batchCount, int computeType,
                                                 int algo);

struct Cublas {
  void* lib = nullptr;
  cublasHandle_t handle = nullptr;
  StatusStringFn status_string = nullptr;
  GemmStridedBatchedExFn gemm_ex = nullptr;
  void* workspace = nullptr;
} cb;

constexpr size_t kWorkspaceBytes = 32u << 20;  // cuBLAS asks for 32 MiB on Hopper

std::string status_text(cublasStatus_t st) {
  std::string s = "status " + std::to_string(st);
  if (cb.status_string) {
    const char* t = cb.status_string(st);
    if (t) s += std::string(" (") + t + ")";
  }
  return s;
}

// Candidate directories: each entry of $MULKI_CUBLAS_DIR (':'-separated), then "" (the loader's own search).
std::vector<std::string> search_dirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("MULKI_CUBLAS_DIR")) {
    std::string all(env);
    size_t start = 0;
    while (start <= all.size()) {
      size_t end = all.find(':', start);
      if (end == std::string::npos) end = all.size();
      std::string d = all.substr(start, end - start);
      if (!d.empty()) dirs.push_back(d.back() == '/' ? d : d + "/");
      start = end + 1;
    }
  }
  dirs.push_back("");
  return dirs;
}

}  // namespace

bool cublas_init(cudaStream_t stream, std::string& error, std::string& loaded_path) {
  if (cb.handle) {
    return true;
  }
  const char* suffixes[] = {".so.13", ".so.12", ".so"};
  std::string tried;
  for (const std::string& dir : search_dirs()) {
    for (const char* suffix : suffixes) {
      // libcublasLt first (RTLD_GLOBAL), so that libcublas finds it even where its own run path does not.
      const std::string lt = dir + "libcublasLt" + suffix;
      void* hlt = dlopen(lt.c_str(), RTLD_NOW | RTLD_GLOBAL);
      const std::string name = dir + "libcublas" + suffix;
      void* h = dlopen(name.c_str(), RTLD_NOW | RTLD_GLOBAL);
      if (!h) {
        const char* e = dlerror();
        tried += "\n  " + name + ": " + (e ? e : "not found");
        if (hlt) dlclose(hlt);
        continue;
      }
      auto create = reinterpret_cast<CreateFn>(dlsym(h, "cublasCreate_v2"));
      auto set_stream = reinterpret_cast<SetStreamFn>(dlsym(h, "cublasSetStream_v2"));
      auto set_math = reinterpret_cast<SetMathModeFn>(dlsym(h, "cublasSetMathMode"));
      auto gemm_ex = reinterpret_cast<GemmStridedBatchedExFn>(dlsym(h, "cublasGemmStridedBatchedEx"));
      auto set_ws = reinterpret_cast<SetWorkspaceFn>(dlsym(h, "cublasSetWorkspace_v2"));
      if (!create || !set_stream || !set_math || !gemm_ex) {
        tried += "\n  " + name + ": loaded, but lacks cublasCreate_v2 / cublasSetStream_v2 / cublasSetMathMode / "
                 "cublasGemmStridedBatchedEx";
        dlclose(h);
        continue;
      }
      cb.status_string = reinterpret_cast<StatusStringFn>(dlsym(h, "cublasGetStatusString"));
      cublasHandle_t handle = nullptr;
      cublasStatus_t st = create(&handle);
      if (st != 0) {
        tried += "\n  " + name + ": cublasCreate failed with " + status_text(st);
        continue;
      }
      if ((st = set_stream(handle, stream)) != 0 || (st = set_math(handle, CUBLAS_DEFAULT_MATH)) != 0) {
        tried += "\n  " + name + ": cublas setup failed with " + status_text(st);
        continue;
      }
      // cublasSetStream resets the workspace, so the workspace is set after it.
      if (set_ws) {
        cb.workspace = dev_alloc(kWorkspaceBytes);
        if ((st = set_ws(handle, cb.workspace, kWorkspaceBytes)) != 0) {
          tried += "\n  " + name + ": cublasSetWorkspace failed with " + status_text(st);
          continue;
        }
      }
      cb.lib = h;
      cb.handle = handle;
      cb.gemm_ex = gemm_ex;
      loaded_path = name;
      return true;
    }
  }
  error = "no cuBLAS found (set MULKI_CUBLAS_DIR to the folder holding libcublas.so.*); tried:" + tried;
  return false;
}

static int as_int(long long v, const char* what) {
  if (v < 0 || v > INT_MAX) throw std::runtime_error(std::string("cuda: gemm: ") + what + " = " + std::to_string(v) +
                                                     " is outside the range cuBLAS accepts");
  return static_cast<int>(v);
}

// Elements spanned by `batch` matrices of rows x cols (row stride ld, batch stride stride) from the first.
static long long span_of(long long rows, long long cols, long long ld, long long stride, long long batch) {
  return (batch - 1) * stride + (rows - 1) * ld + cols;
}

void gemm(const GemmArgs& g, int precision) {
  if (!cb.handle) throw std::runtime_error("cuda: gemm called before cuBLAS was loaded");
  if (g.m == 0 || g.n == 0 || g.batch == 0) return;
  cudaStream_t s = stream();
  if (g.stride_c == 0 && g.batch > 1) {
    // Every batch writes the same C: run them in order, as the reference does.
    for (long long i = 0; i < g.batch; ++i) {
      GemmArgs one = g;
      one.a = g.a + i * g.stride_a;
      one.b = g.b + i * g.stride_b;
      one.batch = 1;
      gemm(one, precision);
    }
    return;
  }
  if (g.k == 0) {
    launch_scale_matrices(g.c, g.m, g.n, g.ldc, g.stride_c, g.batch, g.beta, s);
    return;
  }
  // Row-major C (m x n) is column-major C^T (n x m), and C^T = op(B)^T op(A)^T: swap the operands.
  const int opa = g.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int opb = g.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int m = as_int(g.n, "n"), n = as_int(g.m, "m"), k = as_int(g.k, "k");
  const int lda = as_int(g.ldb, "ldb"), ldb = as_int(g.lda, "lda"), ldc = as_int(g.ldc, "ldc");
  const int batch = as_int(g.batch, "batch");
  const float alpha = g.alpha, beta = g.beta;
  cublasStatus_t st;
  if (precision == PREC_BF16) {
    // Explicit bf16 copies of both operands (the whole span each reads), fp32 accumulation and output.
    const long long span_a = span_of(g.trans_a ? g.k : g.m, g.trans_a ? g.m : g.k, g.lda, g.stride_a, g.batch);
    const long long span_b = span_of(g.trans_b ? g.n : g.k, g.trans_b ? g.k : g.n, g.ldb, g.stride_b, g.batch);
    Scratch a16(static_cast<size_t>(span_a) * 2), b16(static_cast<size_t>(span_b) * 2);
    launch_f32_to_bf16(g.a, a16.as<void>(), span_a, s);
    launch_f32_to_bf16(g.b, b16.as<void>(), span_b, s);
    st = cb.gemm_ex(cb.handle, opa, opb, m, n, k, &alpha, b16.as<void>(), CUDA_R_16BF, lda, g.stride_b,
                    a16.as<void>(), CUDA_R_16BF, ldb, g.stride_a, &beta, g.c, CUDA_R_32F, ldc, g.stride_c, batch,
                    CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
  } else {
    const int compute = precision == PREC_TF32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
    st = cb.gemm_ex(cb.handle, opa, opb, m, n, k, &alpha, g.b, CUDA_R_32F, lda, g.stride_b, g.a, CUDA_R_32F, ldb,
                    g.stride_a, &beta, g.c, CUDA_R_32F, ldc, g.stride_c, batch, compute, CUBLAS_GEMM_DEFAULT);
  }
  if (st != 0) {
    throw std::runtime_error("cublas: gemm failed with " + status_text(st) + " (row-major m=" + std::to_string(g.m) +
                             " n=" + std::to_string(g.n) + " k=" + std::to_string(g.k) + " lda=" +
                             std::to_string(g.lda) + " ldb=" + std::to_string(g.ldb) + " ldc=" +
                             std::to_string(g.ldc) + " batch=" + std::to_string(g.batch) + ")");
  }
}

}  // namespace mk
