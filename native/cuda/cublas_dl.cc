// cuBLAS through dlopen (see cublas_dl.h) and the row-major GEMM on top of it.
#include "cublas_dl.h"

#include <dlfcn.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>
#include <tuple>
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

// cuBLASLt, for the GEMM + bias epilogue (optional: without it the bias is a separate kernel). Types and enum
// values as in cublasLt.h.
typedef void* LtHandle;
typedef void* LtDesc;
typedef void* LtLayout;
typedef void* LtPref;
struct LtAlgo {
  uint64_t data[8];
};
struct LtHeuristic {
  LtAlgo algo;
  size_t workspace_size;
  cublasStatus_t state;
  float waves_count;
  int reserved[4];
};
enum : int {
  LT_DESC_TRANSA = 3,
  LT_DESC_TRANSB = 4,
  LT_DESC_EPILOGUE = 7,
  LT_DESC_BIAS_POINTER = 8,
  LT_PREF_MAX_WORKSPACE_BYTES = 1,
};
constexpr uint32_t LT_EPILOGUE_BIAS = 4;
typedef cublasStatus_t (*LtCreateFn)(LtHandle*);
typedef cublasStatus_t (*LtDescCreateFn)(LtDesc*, int compute_type, cudaDataType scale_type);
typedef cublasStatus_t (*LtDescSetFn)(LtDesc, int attr, const void* buf, size_t size);
typedef cublasStatus_t (*LtLayoutCreateFn)(LtLayout*, cudaDataType type, uint64_t rows, uint64_t cols, int64_t ld);
typedef cublasStatus_t (*LtPrefCreateFn)(LtPref*);
typedef cublasStatus_t (*LtPrefSetFn)(LtPref, int attr, const void* buf, size_t size);
typedef cublasStatus_t (*LtHeuristicFn)(LtHandle, LtDesc, LtLayout, LtLayout, LtLayout, LtLayout, LtPref, int,
                                        LtHeuristic*, int*);
typedef cublasStatus_t (*LtMatmulFn)(LtHandle, LtDesc, const void* alpha, const void* A, LtLayout, const void* B,
                                     LtLayout, const void* beta, const void* C, LtLayout, void* D, LtLayout,
                                     const LtAlgo* algo, void* workspace, size_t workspace_size, cudaStream_t);

struct Cublas {
  void* lib = nullptr;
  cublasHandle_t handle = nullptr;
  StatusStringFn status_string = nullptr;
  GemmStridedBatchedExFn gemm_ex = nullptr;
  void* workspace = nullptr;
  // cuBLASLt
  LtHandle lt = nullptr;
  LtDescCreateFn lt_desc_create = nullptr;
  LtDescSetFn lt_desc_set = nullptr;
  LtLayoutCreateFn lt_layout_create = nullptr;
  LtPrefCreateFn lt_pref_create = nullptr;
  LtPrefSetFn lt_pref_set = nullptr;
  LtHeuristicFn lt_heuristic = nullptr;
  LtMatmulFn lt_matmul = nullptr;
  void* lt_workspace = nullptr;
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

// cuBLASLt from its own library (or, in the CPU emulation, from the fake libcublas); quietly absent otherwise.
void lt_init(void* hlt, void* h) {
  const auto sym = [&](const char* name) -> void* {
    void* p = hlt ? dlsym(hlt, name) : nullptr;
    return p ? p : dlsym(h, name);
  };
  auto create = reinterpret_cast<LtCreateFn>(sym("cublasLtCreate"));
  cb.lt_desc_create = reinterpret_cast<LtDescCreateFn>(sym("cublasLtMatmulDescCreate"));
  cb.lt_desc_set = reinterpret_cast<LtDescSetFn>(sym("cublasLtMatmulDescSetAttribute"));
  cb.lt_layout_create = reinterpret_cast<LtLayoutCreateFn>(sym("cublasLtMatrixLayoutCreate"));
  cb.lt_pref_create = reinterpret_cast<LtPrefCreateFn>(sym("cublasLtMatmulPreferenceCreate"));
  cb.lt_pref_set = reinterpret_cast<LtPrefSetFn>(sym("cublasLtMatmulPreferenceSetAttribute"));
  cb.lt_heuristic = reinterpret_cast<LtHeuristicFn>(sym("cublasLtMatmulAlgoGetHeuristic"));
  cb.lt_matmul = reinterpret_cast<LtMatmulFn>(sym("cublasLtMatmul"));
  (void)dlerror();
  if (!create || !cb.lt_desc_create || !cb.lt_desc_set || !cb.lt_layout_create || !cb.lt_pref_create ||
      !cb.lt_pref_set || !cb.lt_heuristic || !cb.lt_matmul)
    return;
  LtHandle handle = nullptr;
  if (create(&handle) != 0 || !handle) return;
  try {
    cb.lt_workspace = dev_alloc(kWorkspaceBytes);
  } catch (...) {
    return;
  }
  cb.lt = handle;
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
      (void)dlerror();
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
      lt_init(hlt, h);
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

namespace {

int bf16_mode = -1;  // -1: not read from $MULKI_GEMM_BF16 yet
long long tuned_fast = 0;
typedef std::tuple<bool, bool, long long, long long, long long, long long, long long, long long, long long, long long,
                   long long, long long, int>
    ShapeKey;
std::map<ShapeKey, int> tuned;  // shape -> BF16_CONVERT or BF16_FAST
cudaEvent_t ev_start = nullptr, ev_stop = nullptr;

int current_bf16_mode() {
  if (bf16_mode < 0) {
    const char* e = std::getenv("MULKI_GEMM_BF16");
    bf16_mode = BF16_TUNE;
    if (e && std::strcmp(e, "convert") == 0) bf16_mode = BF16_CONVERT;
    if (e && std::strcmp(e, "fast") == 0) bf16_mode = BF16_FAST;
  }
  return bf16_mode;
}

std::string gemm_text(const GemmArgs& g) {
  return "row-major m=" + std::to_string(g.m) + " n=" + std::to_string(g.n) + " k=" + std::to_string(g.k) + " lda=" +
         std::to_string(g.lda) + " ldb=" + std::to_string(g.ldb) + " ldc=" + std::to_string(g.ldc) + " batch=" +
         std::to_string(g.batch);
}

}  // namespace

void set_bf16_mode(int mode) {
  if (mode != BF16_TUNE && mode != BF16_CONVERT && mode != BF16_FAST)
    throw std::runtime_error("cuda: unknown bf16 GEMM mode " + std::to_string(mode));
  bf16_mode = mode;
}

void bf16_tune_stats(long long& shapes, long long& fast) {
  shapes = static_cast<long long>(tuned.size());
  fast = tuned_fast;
}

// ---- bf16 operand copies, reused by the next GEMM ----
// The copies made for one GEMM are kept until the next call of the addon that is not a GEMM; a GEMM in between
// whose operand is the same f32 span uses the copy instead of converting again (a linear layer's backward: dX =
// dY W^T, then dW = dY^T X). Forgotten when the source is freed or overwritten by a GEMM's C.

namespace {

struct Bf16Copy {
  const float* src = nullptr;  // nullptr: no longer valid (buffer still to be freed)
  long long span = 0;
  void* buf = nullptr;
};
std::vector<Bf16Copy> kept;  // the last GEMM's copies
long long copies_reused = 0;

bool overlaps(const void* a, size_t an, const void* b, size_t bn) {
  const char *pa = static_cast<const char*>(a), *pb = static_cast<const char*>(b);
  return pa < pb + bn && pb < pa + an;
}

void forget_freed(const void* p, size_t bytes) {
  for (Bf16Copy& c : kept) {
    if (c.src && overlaps(c.src, static_cast<size_t>(c.span) * 4, p, bytes)) c.src = nullptr;
  }
}

// A bf16 copy of src[0, span): one kept from the previous GEMM or made now; recorded in `now` (the copies of this
// GEMM). reuse = false: always a fresh copy (tuning runs).
void* bf16_operand(const float* src, long long span, std::vector<Bf16Copy>& now, bool reuse, cudaStream_t s) {
  if (reuse) {
    for (Bf16Copy& c : now) {
      if (c.src == src && c.span == span) return c.buf;
    }
    for (Bf16Copy& c : kept) {
      if (c.src == src && c.span == span) {
        now.push_back(c);
        c = Bf16Copy{nullptr, 0, nullptr};
        copies_reused++;
        return now.back().buf;
      }
    }
  }
  void* buf = dev_alloc(static_cast<size_t>(span) * 2);
  launch_f32_to_bf16(src, buf, span, s);
  now.push_back(Bf16Copy{src, span, buf});
  return buf;
}

// A GEMM that made no copies wrote C: forget the kept copies of anything it overwrote.
void invalidate_kept(const float* c, size_t c_bytes) {
  for (Bf16Copy& x : kept) {
    if (x.src && overlaps(x.src, static_cast<size_t>(x.span) * 4, c, c_bytes)) x.src = nullptr;
  }
}

// After a GEMM: its copies replace the kept ones, less any its output overwrote.
void keep_copies(std::vector<Bf16Copy>& now, const float* c, size_t c_bytes) {
  release_bf16_copies();
  for (Bf16Copy& x : now) {
    if (x.src && overlaps(x.src, static_cast<size_t>(x.span) * 4, c, c_bytes)) x.src = nullptr;
  }
  kept.swap(now);
  now.clear();
}

void free_copies(std::vector<Bf16Copy>& v) {
  for (Bf16Copy& c : v) {
    if (c.buf) dev_free(c.buf);
  }
  v.clear();
}

}  // namespace

static int current_precision = PREC_FP32;
static long long shadows_made = 0;

void set_gemm_precision(int precision) { current_precision = precision; }

void* bf16_shadow_for(const float* dst, long long span) {
  static const bool enabled = [] {
    const char* e = std::getenv("MULKI_GEMM_SHADOW");
    return !(e && e[0] == '0');
  }();
  if (!enabled || current_precision != PREC_BF16 || current_bf16_mode() == BF16_FAST || span <= 0) return nullptr;
  release_bf16_copies();
  void* buf = dev_alloc(static_cast<size_t>(span) * 2);
  kept.push_back(Bf16Copy{dst, span, buf});
  shadows_made++;
  return buf;
}

long long bf16_shadows_made() { return shadows_made; }

void release_bf16_copies() {
  static bool hooked = false;
  if (!hooked) {
    set_free_hook(&forget_freed);
    hooked = true;
  }
  free_copies(kept);
}

long long bf16_copies_reused() { return copies_reused; }

// One cuBLAS call for a GEMM already reduced to the strided-batched form (k > 0, distinct C per batch); returns
// the cuBLAS status instead of throwing. `reuse`: the bf16 copies may come from / be kept for neighbouring GEMMs.
static cublasStatus_t gemm_call(const GemmArgs& g, int precision, int bf16_how, bool reuse = false) {
  cudaStream_t s = stream();
  // Row-major C (m x n) is column-major C^T (n x m), and C^T = op(B)^T op(A)^T: swap the operands.
  const int opa = g.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int opb = g.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int m = as_int(g.n, "n"), n = as_int(g.m, "m"), k = as_int(g.k, "k");
  const int lda = as_int(g.ldb, "ldb"), ldb = as_int(g.lda, "lda"), ldc = as_int(g.ldc, "ldc");
  const int batch = as_int(g.batch, "batch");
  const float alpha = g.alpha, beta = g.beta;
  if (precision == PREC_BF16 && bf16_how == BF16_CONVERT) {
    // Explicit bf16 copies of both operands (the whole span each reads), fp32 accumulation and output.
    const long long span_a = span_of(g.trans_a ? g.k : g.m, g.trans_a ? g.m : g.k, g.lda, g.stride_a, g.batch);
    const long long span_b = span_of(g.trans_b ? g.n : g.k, g.trans_b ? g.k : g.n, g.ldb, g.stride_b, g.batch);
    std::vector<Bf16Copy> now;
    const void* a16 = bf16_operand(g.a, span_a, now, reuse, s);
    const void* b16 = bf16_operand(g.b, span_b, now, reuse, s);
    const cublasStatus_t st = cb.gemm_ex(cb.handle, opa, opb, m, n, k, &alpha, b16, CUDA_R_16BF, lda, g.stride_b, a16,
                                         CUDA_R_16BF, ldb, g.stride_a, &beta, g.c, CUDA_R_32F, ldc, g.stride_c, batch,
                                         CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    if (reuse)
      keep_copies(now, g.c, static_cast<size_t>(span_of(g.m, g.n, g.ldc, g.stride_c, g.batch)) * 4);
    else
      free_copies(now);
    return st;
  }
  const int compute = precision == PREC_BF16    ? CUBLAS_COMPUTE_32F_FAST_16BF
                      : precision == PREC_TF32 ? CUBLAS_COMPUTE_32F_FAST_TF32
                                               : CUBLAS_COMPUTE_32F;
  return cb.gemm_ex(cb.handle, opa, opb, m, n, k, &alpha, g.b, CUDA_R_32F, lda, g.stride_b, g.a, CUDA_R_32F, ldb,
                    g.stride_a, &beta, g.c, CUDA_R_32F, ldc, g.stride_c, batch, compute, CUBLAS_GEMM_DEFAULT);
}

static bool kept_copy_of(const float* src, long long span) {
  for (const Bf16Copy& c : kept) {
    if (c.src == src && c.span == span) return true;
  }
  return false;
}

// Milliseconds of `reps` runs of one bf16 variant into a scratch C (beta = 0), or a huge value if cuBLAS refuses it.
// CONVERT is charged only for the conversions it would really do: an operand with a kept copy right now (written
// by the kernel that produced it, or by the GEMM before) has one at this point of every step.
static float time_bf16(const GemmArgs& g, int how, int reps) {
  cudaStream_t s = stream();
  const long long span_a = span_of(g.trans_a ? g.k : g.m, g.trans_a ? g.m : g.k, g.lda, g.stride_a, g.batch);
  const long long span_b = span_of(g.trans_b ? g.n : g.k, g.trans_b ? g.k : g.n, g.ldb, g.stride_b, g.batch);
  const bool conv_a = !kept_copy_of(g.a, span_a), conv_b = !kept_copy_of(g.b, span_b);
  Scratch a16(how == BF16_CONVERT ? static_cast<size_t>(span_a) * 2 : 0);
  Scratch b16(how == BF16_CONVERT ? static_cast<size_t>(span_b) * 2 : 0);
  const int opa = g.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, opb = g.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const float alpha = g.alpha, beta = 0.0f;
  const auto run = [&](bool convert_all) -> cublasStatus_t {
    if (how != BF16_CONVERT) return gemm_call(g, PREC_BF16, how);
    if (convert_all || conv_a) launch_f32_to_bf16(g.a, a16.as<void>(), span_a, s);
    if (convert_all || conv_b) launch_f32_to_bf16(g.b, b16.as<void>(), span_b, s);
    return cb.gemm_ex(cb.handle, opa, opb, as_int(g.n, "n"), as_int(g.m, "m"), as_int(g.k, "k"), &alpha,
                      b16.as<void>(), CUDA_R_16BF, as_int(g.ldb, "ldb"), g.stride_b, a16.as<void>(), CUDA_R_16BF,
                      as_int(g.lda, "lda"), g.stride_a, &beta, g.c, CUDA_R_32F, as_int(g.ldc, "ldc"), g.stride_c,
                      as_int(g.batch, "batch"), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
  };
  if (run(true) != 0) return 1e30f;  // warm-up (and: is it supported?)
  cuda_check(cudaEventRecord(ev_start, s), "gemm tuning: event");
  for (int i = 0; i < reps; ++i) {
    if (run(false) != 0) return 1e30f;
  }
  cuda_check(cudaEventRecord(ev_stop, s), "gemm tuning: event");
  cuda_check(cudaEventSynchronize(ev_stop), "gemm tuning: event synchronize");
  float ms = 0.0f;
  cuda_check(cudaEventElapsedTime(&ms, ev_start, ev_stop), "gemm tuning: elapsed time");
  return ms;
}

// The bf16 variant for this GEMM (see Bf16Mode): tuned once per shape, leading dimensions, strides and alignment.
static int bf16_variant(const GemmArgs& g) {
  const int mode = current_bf16_mode();
  if (mode != BF16_TUNE) return mode;
  const int align = (reinterpret_cast<uintptr_t>(g.a) % 16 == 0 ? 1 : 0) |
                    (reinterpret_cast<uintptr_t>(g.b) % 16 == 0 ? 2 : 0) |
                    (reinterpret_cast<uintptr_t>(g.c) % 16 == 0 ? 4 : 0) | (g.beta == 0.0f ? 8 : 0);
  const ShapeKey key{g.trans_a, g.trans_b, g.m, g.n, g.k, g.lda, g.ldb, g.ldc, g.stride_a, g.stride_b, g.stride_c,
                     g.batch, align};
  auto it = tuned.find(key);
  if (it != tuned.end()) return it->second;
  if (!ev_start) {
    cuda_check(cudaEventCreate(&ev_start), "gemm tuning: event");
    cuda_check(cudaEventCreate(&ev_stop), "gemm tuning: event");
  }
  // Time both into a scratch C with beta = 0 (the caller's C may be accumulated into: it must not be touched).
  const long long span_c = span_of(g.m, g.n, g.ldc, g.stride_c, g.batch);
  Scratch c(static_cast<size_t>(span_c) * 4 + 16);
  GemmArgs t = g;
  t.beta = 0.0f;
  t.c = c.as<float>();
  const float convert = time_bf16(t, BF16_CONVERT, 3);
  const float fast = time_bf16(t, BF16_FAST, 3);
  const int choice = fast < convert ? BF16_FAST : BF16_CONVERT;
  if (choice == BF16_FAST) tuned_fast++;
  tuned.emplace(key, choice);
  return choice;
}

// ---- GEMM + bias through cuBLASLt ----

namespace {

struct LtPlan {
  bool ok = false;
  LtDesc desc = nullptr;
  LtLayout a = nullptr, b = nullptr, c = nullptr;
  LtAlgo algo{};
  size_t workspace = 0;
};
std::map<std::pair<ShapeKey, int>, LtPlan> lt_plans;
long long lt_fused = 0;

// The plan of a row-major C (m x n) = op(A) op(B) + bias as cuBLASLt's column-major C^T = op(B)^T op(A)^T + bias
// (the bias runs along the rows of C^T, which is what CUBLASLT_EPILOGUE_BIAS adds). Built once per shape.
LtPlan make_lt_plan(const GemmArgs& g, int how, const float* bias) {
  LtPlan p;
  const bool bf16_data = how == BF16_CONVERT;
  const cudaDataType in_type = bf16_data ? CUDA_R_16BF : CUDA_R_32F;
  const int compute = bf16_data ? CUBLAS_COMPUTE_32F : CUBLAS_COMPUTE_32F_FAST_16BF;
  if (cb.lt_desc_create(&p.desc, compute, CUDA_R_32F) != 0) return p;
  const int32_t opa = g.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, opb = g.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const uint32_t epilogue = LT_EPILOGUE_BIAS;
  if (cb.lt_desc_set(p.desc, LT_DESC_TRANSA, &opa, sizeof(opa)) != 0 ||
      cb.lt_desc_set(p.desc, LT_DESC_TRANSB, &opb, sizeof(opb)) != 0 ||
      cb.lt_desc_set(p.desc, LT_DESC_EPILOGUE, &epilogue, sizeof(epilogue)) != 0 ||
      cb.lt_desc_set(p.desc, LT_DESC_BIAS_POINTER, &bias, sizeof(bias)) != 0)
    return p;
  // stored (column-major) shapes: our B is (rows_b x cols_b) row-major = (cols_b x rows_b) column-major
  const long long rows_a = g.trans_a ? g.k : g.m, cols_a = g.trans_a ? g.m : g.k;
  const long long rows_b = g.trans_b ? g.n : g.k, cols_b = g.trans_b ? g.k : g.n;
  if (cb.lt_layout_create(&p.a, in_type, cols_b, rows_b, g.ldb) != 0 ||
      cb.lt_layout_create(&p.b, in_type, cols_a, rows_a, g.lda) != 0 ||
      cb.lt_layout_create(&p.c, CUDA_R_32F, g.n, g.m, g.ldc) != 0)
    return p;
  LtPref pref = nullptr;
  if (cb.lt_pref_create(&pref) != 0) return p;
  const uint64_t ws = kWorkspaceBytes;
  if (cb.lt_pref_set(pref, LT_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws)) != 0) return p;
  LtHeuristic h[1];
  int found = 0;
  if (cb.lt_heuristic(cb.lt, p.desc, p.a, p.b, p.c, p.c, pref, 1, h, &found) != 0 || found < 1 || h[0].state != 0)
    return p;
  p.algo = h[0].algo;
  p.workspace = h[0].workspace_size;
  p.ok = p.workspace <= kWorkspaceBytes;
  return p;
}

}  // namespace

bool gemm_bias_available() { return cb.lt != nullptr; }

bool gemm_bias(const GemmArgs& g, int precision, const float* bias) {
  if (!cb.lt || precision != PREC_BF16 || g.batch != 1 || g.beta != 0.0f || g.k <= 0 || g.m <= 0 || g.n <= 0)
    return false;
  if (g.m > INT_MAX || g.n > INT_MAX || g.k > INT_MAX) return false;
  const int how = bf16_variant(g);
  const int align = (reinterpret_cast<uintptr_t>(g.a) % 16 == 0 ? 1 : 0) |
                    (reinterpret_cast<uintptr_t>(g.b) % 16 == 0 ? 2 : 0) |
                    (reinterpret_cast<uintptr_t>(g.c) % 16 == 0 ? 4 : 0) |
                    (reinterpret_cast<uintptr_t>(bias) % 16 == 0 ? 16 : 0);
  const ShapeKey key{g.trans_a, g.trans_b, g.m, g.n, g.k, g.lda, g.ldb, g.ldc, 0, 0, 0, 1, align};
  auto it = lt_plans.find({key, how});
  if (it == lt_plans.end()) it = lt_plans.emplace(std::make_pair(key, how), make_lt_plan(g, how, bias)).first;
  const LtPlan& p = it->second;
  if (!p.ok) return false;
  if (cb.lt_desc_set(p.desc, LT_DESC_BIAS_POINTER, &bias, sizeof(bias)) != 0) return false;
  cudaStream_t s = stream();
  const float alpha = g.alpha, beta = 0.0f;
  cublasStatus_t st;
  if (how == BF16_CONVERT) {
    const long long span_a = span_of(g.trans_a ? g.k : g.m, g.trans_a ? g.m : g.k, g.lda, g.stride_a, 1);
    const long long span_b = span_of(g.trans_b ? g.n : g.k, g.trans_b ? g.k : g.n, g.ldb, g.stride_b, 1);
    std::vector<Bf16Copy> now;
    const void* a16 = bf16_operand(g.a, span_a, now, true, s);
    const void* b16 = bf16_operand(g.b, span_b, now, true, s);
    st = cb.lt_matmul(cb.lt, p.desc, &alpha, b16, p.a, a16, p.b, &beta, g.c, p.c, g.c, p.c, &p.algo, cb.lt_workspace,
                      kWorkspaceBytes, s);
    keep_copies(now, g.c, static_cast<size_t>(span_of(g.m, g.n, g.ldc, 0, 1)) * 4);
  } else {
    st = cb.lt_matmul(cb.lt, p.desc, &alpha, g.b, p.a, g.a, p.b, &beta, g.c, p.c, g.c, p.c, &p.algo, cb.lt_workspace,
                      kWorkspaceBytes, s);
    invalidate_kept(g.c, static_cast<size_t>(span_of(g.m, g.n, g.ldc, 0, 1)) * 4);
  }
  if (st != 0) return false;
  lt_fused++;
  return true;
}

long long gemm_bias_count() { return lt_fused; }

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
    release_bf16_copies();  // C is written: a kept copy of it would go stale
    launch_scale_matrices(g.c, g.m, g.n, g.ldc, g.stride_c, g.batch, g.beta, s);
    return;
  }
  const int how = precision == PREC_BF16 ? bf16_variant(g) : 0;
  cublasStatus_t st = gemm_call(g, precision, how, true);
  if (st != 0 && precision == PREC_BF16 && how == BF16_FAST) st = gemm_call(g, precision, BF16_CONVERT, true);
  if (precision != PREC_BF16 || how != BF16_CONVERT)  // no copies made; C may overwrite a kept one
    invalidate_kept(g.c, static_cast<size_t>(span_of(g.m, g.n, g.ldc, g.stride_c, g.batch)) * 4);
  if (st != 0) throw std::runtime_error("cublas: gemm failed with " + status_text(st) + " (" + gemm_text(g) + ")");
}

}  // namespace mk
