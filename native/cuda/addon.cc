// The N-API module: one JS function per kernel of the Backend interface (src/engine/backend.ts), plus memory
// management and device information. Argument order follows the TypeScript binding
// (src/engine/backends/cuda/native.ts); that layer checks every bound before calling here.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "allocator.h"
#include "context.h"
#include "cublas_dl.h"
#include "kernels.h"
#include "napi_args.h"

namespace mk {

namespace {

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

napi_value number(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

napi_value string(napi_env env, const std::string& s) {
  napi_value r;
  napi_create_string_utf8(env, s.c_str(), s.size(), &r);
  return r;
}

void set(napi_env env, napi_value obj, const char* key, napi_value v) { napi_set_named_property(env, obj, key, v); }

void need_ready(const Args&) {
  if (!context_ready()) throw std::runtime_error("cuda: the backend is not initialised (init() failed or was not called)");
}

cudaStream_t S() { return stream(); }

// ---- GEMM + bias fusion ----
// The op layer runs a linear layer as gemm(x, W -> y) followed at once by biasAct(y, bias, ...). A bf16 GEMM that
// could take a bias epilogue is therefore held back (not queued) until the next call: if that is a biasAct on its
// output, both run as one cuBLASLt matmul with a bias epilogue (saving a read and a write of y); any other call first
// queues the held GEMM as it was. Every entry point but gemm and biasAct flushes it (see wrap), so nothing can
// observe or reuse its buffers before it is queued. $MULKI_GEMM_EPILOGUE=0 turns this off.
struct PendingGemm {
  bool active = false;
  GemmArgs g;
  int precision = 0;
} pending;
int epilogue_enabled = -1;

void flush_pending() {
  if (!pending.active) return;
  pending.active = false;
  gemm(pending.g, pending.precision);
}

// A bf16 copy of a producer's output for the next GEMM (cublas_dl.h: bf16_shadow_for); kept only if the kernel
// wrote it.
struct Shadow {
  void* buf;
  explicit Shadow(const float* dst, int64_t n) : buf(bf16_shadow_for(dst, n)) {}
  void done(bool wrote) {
    if (buf && !wrote) release_bf16_copies();
  }
};

bool may_defer(const GemmArgs& g, int precision) {
  if (epilogue_enabled < 0) {
    const char* e = std::getenv("MULKI_GEMM_EPILOGUE");
    epilogue_enabled = !(e && e[0] == '0');
  }
  return epilogue_enabled && precision == PREC_BF16 && g.batch == 1 && g.beta == 0.0f && g.k > 0 && g.m > 0 &&
         g.n > 0 && g.ldc == g.n && gemm_bias_available();
}

// ---- setup and memory ----

napi_value Init(napi_env env, Args&) {
  std::string error;
  DeviceInfo info;
  napi_value r;
  napi_create_object(env, &r);
  const bool ok = context_init(error, info);
  napi_value okv;
  napi_get_boolean(env, ok, &okv);
  set(env, r, "ok", okv);
  if (!ok) {
    set(env, r, "error", string(env, error));
    return r;
  }
  set(env, r, "name", string(env, info.name));
  set(env, r, "major", number(env, info.major));
  set(env, r, "minor", number(env, info.minor));
  set(env, r, "multiprocessors", number(env, info.multiprocessors));
  set(env, r, "totalMemory", number(env, static_cast<double>(info.total_memory)));
  set(env, r, "cublas", string(env, info.cublas));
  return r;
}

napi_value Alloc(napi_env env, Args& a) {
  a.expect(1);
  need_ready(a);
  void* p = dev_alloc(static_cast<size_t>(a.count(0)));
  const uintptr_t v = reinterpret_cast<uintptr_t>(p);
  if (v >= (uintptr_t(1) << 53)) throw std::runtime_error("cuda: alloc: device address does not fit a JS number");
  return number(env, static_cast<double>(v));
}

napi_value Free(napi_env env, Args& a) {
  a.expect(1);
  dev_free(a.raw(0));
  return undefined(env);
}

napi_value Trim(napi_env env, Args& a) {
  need_ready(a);
  dev_trim();
  return undefined(env);
}

napi_value Stats(napi_env env, Args&) {
  const AllocStats st = dev_stats();
  napi_value r;
  napi_create_array_with_length(env, 5, &r);
  napi_set_element(env, r, 0, number(env, static_cast<double>(st.live_bytes)));
  napi_set_element(env, r, 1, number(env, static_cast<double>(st.pooled_bytes)));
  napi_set_element(env, r, 2, number(env, static_cast<double>(st.allocations)));
  napi_set_element(env, r, 3, number(env, static_cast<double>(st.live_blocks)));
  return r;
}

napi_value MemInfo(napi_env env, Args& a) {
  need_ready(a);
  size_t free_b = 0, total_b = 0;
  cuda_check(cudaMemGetInfo(&free_b, &total_b), "cudaMemGetInfo");
  napi_value r;
  napi_create_array_with_length(env, 2, &r);
  napi_set_element(env, r, 0, number(env, static_cast<double>(free_b)));
  napi_set_element(env, r, 1, number(env, static_cast<double>(total_b)));
  return r;
}

// upload(ptr, typedArray): host -> device (the host array may be reused as soon as this returns)
napi_value Upload(napi_env env, Args& a) {
  a.expect(2);
  need_ready(a);
  size_t bytes = 0;
  void* host = a.typed(1, bytes);
  if (bytes) cuda_check(cudaMemcpyAsync(a.ptr<char>(0), host, bytes, cudaMemcpyHostToDevice, S()), "upload");
  return undefined(env);
}

// download(ptr, offset, typedArray): device -> host, synchronising
napi_value Download(napi_env env, Args& a) {
  a.expect(3);
  need_ready(a);
  size_t bytes = 0;
  void* host = a.typed(2, bytes);
  if (bytes)
    cuda_check(cudaMemcpyAsync(host, a.ptr<int32_t>(0, a.count(1)), bytes, cudaMemcpyDeviceToHost, S()), "download");
  sync_and_check("download");
  return undefined(env);
}

napi_value Synchronize(napi_env env, Args& a) {
  need_ready(a);
  sync_and_check("synchronize");
  return undefined(env);
}

// fill(ptr, isInt, value, offset, n)
napi_value Fill(napi_env env, Args& a) {
  a.expect(5);
  need_ready(a);
  const int64_t off = a.count(3), n = a.count(4);
  if (a.flag(1)) {
    const double v = a.num(2);
    launch_fill_i32(a.ptr<int32_t>(0, off), static_cast<int32_t>(static_cast<int64_t>(v)), n, S());
  } else {
    launch_fill_f32(a.ptr<float>(0, off), a.f32(2), n, S());
  }
  return undefined(env);
}

// copy(src, srcOff, dst, dstOff, n)
napi_value Copy(napi_env env, Args& a) {
  a.expect(5);
  need_ready(a);
  const int32_t* src = a.ptr<int32_t>(0, a.count(1));
  int32_t* dst = a.ptr<int32_t>(2, a.count(3));
  const int64_t n = a.count(4);
  if (n == 0 || src == dst) return undefined(env);
  const size_t bytes = static_cast<size_t>(n) * 4;
  const bool overlap = src < dst + n && dst < src + n;
  if (overlap) {  // through a temporary, like TypedArray.prototype.set
    Scratch tmp(bytes);
    cuda_check(cudaMemcpyAsync(tmp.as<void>(), src, bytes, cudaMemcpyDeviceToDevice, S()), "copy");
    cuda_check(cudaMemcpyAsync(dst, tmp.as<void>(), bytes, cudaMemcpyDeviceToDevice, S()), "copy");
  } else {
    cuda_check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, S()), "copy");
  }
  return undefined(env);
}

// copy2d(src, srcOff, srcLd, dst, dstOff, dstLd, rows, cols, accumulate)
napi_value Copy2d(napi_env env, Args& a) {
  a.expect(9);
  need_ready(a);
  const int32_t* src = a.ptr<int32_t>(0, a.count(1));
  const int64_t src_ld = a.count(2);
  int32_t* dst = a.ptr<int32_t>(3, a.count(4));
  const int64_t dst_ld = a.count(5), rows = a.count(6), cols = a.count(7);
  const bool acc = a.flag(8);
  if (rows == 0 || cols == 0) return undefined(env);
  if (!acc && src_ld >= cols && dst_ld >= cols) {
    cuda_check(cudaMemcpy2DAsync(dst, static_cast<size_t>(dst_ld) * 4, src, static_cast<size_t>(src_ld) * 4,
                                 static_cast<size_t>(cols) * 4, static_cast<size_t>(rows), cudaMemcpyDeviceToDevice,
                                 S()),
               "copy2d");
  } else {
    launch_copy2d(src, src_ld, dst, dst_ld, rows, cols, acc, S());
  }
  return undefined(env);
}

// permute(src, shape[], perm[], dst)
napi_value Permute(napi_env env, Args& a) {
  a.expect(4);
  need_ready(a);
  const std::vector<int64_t> shape = a.counts(1), perm = a.counts(2);
  const int rank = static_cast<int>(shape.size());
  if (rank > kMaxRank || perm.size() != shape.size()) a.fail("bad rank");
  std::vector<int64_t> stride(rank);
  int64_t st = 1;
  for (int d = rank - 1; d >= 0; --d) {
    stride[d] = st;
    st *= shape[d];
  }
  PermutePlan plan{};
  plan.rank = rank;
  for (int d = 0; d < rank; ++d) {
    plan.dst_shape[d] = shape[perm[d]];
    plan.src_stride[d] = stride[perm[d]];
  }
  launch_permute(a.raw(0), a.raw(3), plan, st, S());
  return undefined(env);
}

// cast(src, dst, n, toInt)
napi_value Cast(napi_env env, Args& a) {
  a.expect(4);
  need_ready(a);
  if (a.flag(3))
    launch_cast_f32_to_i32(a.ptr<float>(0), a.ptr<int32_t>(1), a.count(2), device_error(), S());
  else
    launch_cast_i32_to_f32(a.ptr<int32_t>(0), a.ptr<float>(1), a.count(2), S());
  return undefined(env);
}

// ---- GEMM ----

// gemm(transA, transB, m, n, k, alpha, beta, a, aOff, lda, strideA, b, bOff, ldb, strideB, c, cOff, ldc, strideC,
//      batch, precision)
napi_value Gemm(napi_env env, Args& a) {
  a.expect(21);
  need_ready(a);
  GemmArgs g;
  g.trans_a = a.flag(0);
  g.trans_b = a.flag(1);
  g.m = a.count(2);
  g.n = a.count(3);
  g.k = a.count(4);
  g.alpha = a.f32(5);
  g.beta = a.f32(6);
  g.a = a.ptr<float>(7, a.count(8));
  g.lda = a.count(9);
  g.stride_a = a.count(10);
  g.b = a.ptr<float>(11, a.count(12));
  g.ldb = a.count(13);
  g.stride_b = a.count(14);
  g.c = a.ptr<float>(15, a.count(16));
  g.ldc = a.count(17);
  g.stride_c = a.count(18);
  g.batch = a.count(19);
  const int precision = a.code(20);
  flush_pending();
  if (may_defer(g, precision)) {
    pending.active = true;
    pending.g = g;
    pending.precision = precision;
  } else {
    gemm(g, precision);
  }
  return undefined(env);
}

// gemmPrecision(precision): the backend's GEMM precision, for the kernels that write bf16 copies for the next GEMM
napi_value GemmPrecision(napi_env env, Args& a) {
  a.expect(1);
  set_gemm_precision(a.code(0));
  return undefined(env);
}

// gemmBf16Mode(mode): 0 tune, 1 convert, 2 fast (see cublas_dl.h)
napi_value GemmBf16Mode(napi_env env, Args& a) {
  a.expect(1);
  set_bf16_mode(a.code(0));
  return undefined(env);
}

// gemmTuneStats() -> [shapes tuned, of which FAST]
napi_value GemmTuneStats(napi_env env, Args&) {
  long long shapes = 0, fast = 0;
  bf16_tune_stats(shapes, fast);
  napi_value r;
  napi_create_array_with_length(env, 5, &r);
  napi_set_element(env, r, 0, number(env, static_cast<double>(shapes)));
  napi_set_element(env, r, 1, number(env, static_cast<double>(fast)));
  napi_set_element(env, r, 2, number(env, static_cast<double>(gemm_bias_count())));
  napi_set_element(env, r, 3, number(env, static_cast<double>(bf16_copies_reused())));
  napi_set_element(env, r, 4, number(env, static_cast<double>(bf16_shadows_made())));
  return r;
}

// ---- elementwise ----

// binary(op, a, aStrides[], b, bStrides[], out, outShape[])
napi_value Binary(napi_env env, Args& a) {
  a.expect(7);
  need_ready(a);
  const std::vector<int64_t> sa = a.counts(2), sb = a.counts(4), shape = a.counts(6);
  if (shape.size() > static_cast<size_t>(kMaxRank) || sa.size() != shape.size() || sb.size() != shape.size())
    a.fail("bad rank");
  // Drop size-1 axes and merge neighbours that are contiguous in both inputs.
  BinaryPlan plan{};
  int64_t n = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    n *= shape[d];
    if (shape[d] == 1) continue;
    const int r = plan.rank;
    if (r > 0 && plan.sa[r - 1] == sa[d] * shape[d] && plan.sb[r - 1] == sb[d] * shape[d]) {
      plan.shape[r - 1] *= shape[d];
      plan.sa[r - 1] = sa[d];
      plan.sb[r - 1] = sb[d];
    } else {
      plan.shape[r] = shape[d];
      plan.sa[r] = sa[d];
      plan.sb[r] = sb[d];
      plan.rank++;
    }
  }
  launch_binary(a.code(0), a.ptr<float>(1), a.ptr<float>(3), a.ptr<float>(5), plan, n, S());
  return undefined(env);
}

// unary(op, x, out, n)
napi_value Unary(napi_env env, Args& a) {
  a.expect(4);
  need_ready(a);
  launch_unary(a.code(0), a.ptr<float>(1), a.ptr<float>(2), a.count(3), S());
  return undefined(env);
}

// affine(x, alpha, beta, out, n)
napi_value Affine(napi_env env, Args& a) {
  a.expect(5);
  need_ready(a);
  launch_affine(a.ptr<float>(0), a.f32(1), a.f32(2), a.ptr<float>(3), a.count(4), S());
  return undefined(env);
}

// axpy(alpha, x, xOff, y, yOff, n)
napi_value Axpy(napi_env env, Args& a) {
  a.expect(6);
  need_ready(a);
  launch_axpy(a.f32(0), a.ptr<float>(1, a.count(2)), a.ptr<float>(3, a.count(4)), a.count(5), S());
  return undefined(env);
}

// sumTo(x, xShape[], out, outShape[], accumulate)
napi_value SumTo(napi_env env, Args& a) {
  a.expect(5);
  need_ready(a);
  const std::vector<int64_t> xs = a.counts(1), os = a.counts(3);
  if (xs.size() != os.size() || xs.size() > static_cast<size_t>(kMaxRank)) a.fail("bad rank");
  sum_to(a.ptr<float>(0), xs.data(), os.data(), static_cast<int>(xs.size()), a.ptr<float>(2), a.flag(4), S());
  return undefined(env);
}

// sumRows(x, rows, cols, out, accumulate)
napi_value SumRows(napi_env env, Args& a) {
  a.expect(5);
  need_ready(a);
  launch_sum_rows(a.ptr<float>(0), a.count(1), a.count(2), a.ptr<float>(3), a.flag(4), S());
  return undefined(env);
}

// sumSquares(x, n) -> number (synchronises)
napi_value SumSquares(napi_env env, Args& a) {
  a.expect(2);
  need_ready(a);
  Scratch result(sizeof(double));
  launch_sum_squares(a.ptr<float>(0), a.count(1), result.as<double>(), S());
  double* host = static_cast<double*>(pinned_value());
  cuda_check(cudaMemcpyAsync(host, result.as<double>(), sizeof(double), cudaMemcpyDeviceToHost, S()), "sumSquares");
  sync_and_check("sumSquares");
  return number(env, *host);
}

// scalar(x, index, isInt) -> number (synchronises)
napi_value Scalar(napi_env env, Args& a) {
  a.expect(3);
  need_ready(a);
  void* host = pinned_value();
  cuda_check(cudaMemcpyAsync(host, a.ptr<int32_t>(0, a.count(1)), 4, cudaMemcpyDeviceToHost, S()), "scalar");
  sync_and_check("scalar");
  if (a.flag(2)) return number(env, *static_cast<int32_t*>(host));
  return number(env, *static_cast<float*>(host));
}

// ---- activations ----

// biasAct(x, bias | 0, rows, cols, act, out)
napi_value BiasAct(napi_env env, Args& a) {
  a.expect(6);
  need_ready(a);
  float* x = a.ptr<float>(0);
  const float* bias = a.ptr<float>(1);
  const int64_t rows = a.count(2), cols = a.count(3);
  const int act = a.code(4);
  float* out = a.ptr<float>(5);
  if (pending.active && bias && x == pending.g.c && rows == pending.g.m && cols == pending.g.n &&
      reinterpret_cast<uintptr_t>(bias) % 16 == 0) {
    // the held GEMM wrote x: x = op(A) op(B) + bias in one call, then out = act(x) if that is more than a copy
    const GemmArgs g = pending.g;
    const int precision = pending.precision;
    pending.active = false;
    if (gemm_bias(g, precision, bias)) {
      release_bf16_copies();
      if (act != ACT_NONE || out != x) {
        Shadow sh(out, rows * cols);  // the activation feeds the next GEMM
        sh.done(launch_bias_act(x, nullptr, rows, cols, act, out, S(), sh.buf));
      }
      return undefined(env);
    }
    gemm(g, precision);
  }
  flush_pending();
  release_bf16_copies();  // x is written in place
  Shadow sh(out, rows * cols);
  sh.done(launch_bias_act(x, bias, rows, cols, act, out, S(), sh.buf));
  return undefined(env);
}

// actBackward(act, x, dy, dx, n, accumulate)
napi_value ActBackward(napi_env env, Args& a) {
  a.expect(6);
  need_ready(a);
  Shadow sh(a.ptr<float>(3), a.count(4));  // the gradient feeds the linear layer's two GEMMs
  sh.done(launch_act_backward(a.code(0), a.ptr<float>(1), a.ptr<float>(2), a.ptr<float>(3), a.count(4), a.flag(5),
                              S(), sh.buf));
  return undefined(env);
}

// ---- normalisation ----

// layerNorm(x, gamma | 0, beta | 0, rows, cols, eps, y, mean, rstd)
napi_value LayerNorm(napi_env env, Args& a) {
  a.expect(9);
  need_ready(a);
  Shadow sh(a.ptr<float>(6), a.count(3) * a.count(4));  // the normalised rows feed the next linear layer
  sh.done(launch_layer_norm(a.ptr<float>(0), a.ptr<float>(1), a.ptr<float>(2), a.count(3), a.count(4), a.f32(5),
                            a.ptr<float>(6), a.ptr<float>(7), a.ptr<float>(8), S(), sh.buf));
  return undefined(env);
}

// layerNormBackward(dy, x, gamma | 0, mean, rstd, rows, cols, dx, dgamma | 0, dbeta | 0, accumulate)
napi_value LayerNormBackward(napi_env env, Args& a) {
  a.expect(11);
  need_ready(a);
  launch_layer_norm_backward(a.ptr<float>(0), a.ptr<float>(1), a.ptr<float>(2), a.ptr<float>(3), a.ptr<float>(4),
                             a.count(5), a.count(6), a.ptr<float>(7), a.ptr<float>(8), a.ptr<float>(9), a.flag(10),
                             S());
  return undefined(env);
}

// softmax(x, rows, cols, scale, log, y)
napi_value Softmax(napi_env env, Args& a) {
  a.expect(6);
  need_ready(a);
  launch_softmax(a.ptr<float>(0), a.count(1), a.count(2), a.f32(3), a.flag(4), a.ptr<float>(5), S());
  return undefined(env);
}

// softmaxBackward(y, dy, rows, cols, scale, log, dx, accumulate)
napi_value SoftmaxBackward(napi_env env, Args& a) {
  a.expect(8);
  need_ready(a);
  launch_softmax_backward(a.ptr<float>(0), a.ptr<float>(1), a.count(2), a.count(3), a.f32(4), a.flag(5),
                          a.ptr<float>(6), a.flag(7), S());
  return undefined(env);
}

// l2Normalize(x, rows, cols, eps, y, norms)
napi_value L2Normalize(napi_env env, Args& a) {
  a.expect(6);
  need_ready(a);
  launch_l2_normalize(a.ptr<float>(0), a.count(1), a.count(2), a.f32(3), a.ptr<float>(4), a.ptr<float>(5), S());
  return undefined(env);
}

// l2NormalizeBackward(dy, y, norms, rows, cols, dx, accumulate)
napi_value L2NormalizeBackward(napi_env env, Args& a) {
  a.expect(7);
  need_ready(a);
  launch_l2_normalize_backward(a.ptr<float>(0), a.ptr<float>(1), a.ptr<float>(2), a.count(3), a.count(4),
                               a.ptr<float>(5), a.flag(6), S());
  return undefined(env);
}

// ---- attention ----

// Arguments 0..16: batch, heads, tq, tk, headDim, scale, causal, keyMask | 0, q, qOff, ldq, k, kOff, ldk, v, vOff, ldv
AttnArgs attn_args(const Args& a) {
  AttnArgs p;
  p.batch = a.count(0);
  p.heads = a.count(1);
  p.tq = a.count(2);
  p.tk = a.count(3);
  p.head_dim = a.count(4);
  p.scale = a.f32(5);
  p.causal = a.flag(6);
  p.key_mask = a.ptr<int32_t>(7);
  p.q = a.ptr<float>(8, a.count(9));
  p.ldq = a.count(10);
  p.k = a.ptr<float>(11, a.count(12));
  p.ldk = a.count(13);
  p.v = a.ptr<float>(14, a.count(15));
  p.ldv = a.count(16);
  return p;
}

// attention(...17, out, probs, precision) -> true when the fused kernel ran (probs then holds its scratch)
napi_value Attention(napi_env env, Args& a) {
  a.expect(20);
  need_ready(a);
  const AttnArgs args = attn_args(a);
  Shadow sh(a.ptr<float>(17), args.batch * args.tq * args.heads * args.head_dim);  // feeds the output projection
  bool wrote16 = false;
  const bool fused = attention_forward(args, a.ptr<float>(17), a.ptr<float>(18), a.code(19), S(), sh.buf, &wrote16);
  sh.done(wrote16);
  napi_value r;
  napi_get_boolean(env, fused, &r);
  return r;
}

// attentionBackward(...17, probs, fused, dOut, dq, dqOff, lddq, dk, dkOff, lddk, dv, dvOff, lddv, accumulate,
//                   precision)
napi_value AttentionBackward(napi_env env, Args& a) {
  a.expect(31);
  need_ready(a);
  AttnGrads g;
  g.dq = a.ptr<float>(20, a.count(21));
  g.lddq = a.count(22);
  g.dk = a.ptr<float>(23, a.count(24));
  g.lddk = a.count(25);
  g.dv = a.ptr<float>(26, a.count(27));
  g.lddv = a.count(28);
  g.accumulate = a.flag(29);
  attention_backward(attn_args(a), a.ptr<float>(17), a.flag(18), a.ptr<float>(19), g, a.code(30), S());
  return undefined(env);
}

// ---- indexing ----

// indexSelect(src, outer, n, inner, idx, nIdx, out)
napi_value IndexSelect(napi_env env, Args& a) {
  a.expect(7);
  need_ready(a);
  launch_index_select(a.ptr<float>(0), a.count(1), a.count(2), a.count(3), a.ptr<int32_t>(4), a.count(5),
                      a.ptr<float>(6), device_error(), S());
  return undefined(env);
}

// indexAdd(dOut, outer, n, inner, idx, nIdx, dSrc)
napi_value IndexAdd(napi_env env, Args& a) {
  a.expect(7);
  need_ready(a);
  launch_index_add(a.ptr<float>(0), a.count(1), a.count(2), a.count(3), a.ptr<int32_t>(4), a.count(5),
                   a.ptr<float>(6), device_error(), S());
  return undefined(env);
}

// im2patch(x, batch, channels, height, width, p, out)
napi_value Im2patch(napi_env env, Args& a) {
  a.expect(7);
  need_ready(a);
  launch_im2patch(a.ptr<float>(0), a.count(1), a.count(2), a.count(3), a.count(4), a.count(5), a.ptr<float>(6), S());
  return undefined(env);
}

// patch2im(dPatches, batch, channels, height, width, p, dx, accumulate)
napi_value Patch2im(napi_env env, Args& a) {
  a.expect(8);
  need_ready(a);
  launch_patch2im(a.ptr<float>(0), a.count(1), a.count(2), a.count(3), a.count(4), a.count(5), a.ptr<float>(6),
                  a.flag(7), S());
  return undefined(env);
}

// ---- losses, selection, optimiser ----

// crossEntropy(logits, labels, n, c, smoothing, loss, probs)
napi_value CrossEntropy(napi_env env, Args& a) {
  a.expect(7);
  need_ready(a);
  launch_cross_entropy(a.ptr<float>(0), a.ptr<int32_t>(1), a.count(2), a.count(3), a.f32(4), a.ptr<float>(5),
                       a.ptr<float>(6), device_error(), S());
  return undefined(env);
}

// crossEntropyBackward(probs, labels, n, c, smoothing, dLoss, dLogits, accumulate)
napi_value CrossEntropyBackward(napi_env env, Args& a) {
  a.expect(8);
  need_ready(a);
  launch_cross_entropy_backward(a.ptr<float>(0), a.ptr<int32_t>(1), a.count(2), a.count(3), a.f32(4),
                                a.ptr<float>(5), a.ptr<float>(6), a.flag(7), device_error(), S());
  return undefined(env);
}

// klDiv(student, teacher, n, c, temperature, loss, logP, logQ)
napi_value KlDiv(napi_env env, Args& a) {
  a.expect(8);
  need_ready(a);
  launch_kl_div(a.ptr<float>(0), a.ptr<float>(1), a.count(2), a.count(3), a.f32(4), a.ptr<float>(5), a.ptr<float>(6),
                a.ptr<float>(7), S());
  return undefined(env);
}

// klDivBackward(logP, logQ, n, c, temperature, dLoss, dStudent | 0, dTeacher | 0, accumulate)
napi_value KlDivBackward(napi_env env, Args& a) {
  a.expect(9);
  need_ready(a);
  launch_kl_div_backward(a.ptr<float>(0), a.ptr<float>(1), a.count(2), a.count(3), a.f32(4), a.ptr<float>(5),
                         a.ptr<float>(6), a.ptr<float>(7), a.flag(8), S());
  return undefined(env);
}

// topk(x, rows, cols, k, values, indices)
napi_value Topk(napi_env env, Args& a) {
  a.expect(6);
  need_ready(a);
  launch_topk(a.ptr<float>(0), a.count(1), a.count(2), a.count(3), a.ptr<float>(4), a.ptr<int32_t>(5), S());
  return undefined(env);
}

// adamw(p, g, m, v, n, lr, beta1, beta2, eps, weightDecay, bc1, bc2, gradScale)
napi_value Adamw(napi_env env, Args& a) {
  a.expect(13);
  need_ready(a);
  launch_adamw(a.ptr<float>(0), a.ptr<float>(1), a.ptr<float>(2), a.ptr<float>(3), a.count(4), a.num(5), a.num(6),
               a.num(7), a.num(8), a.num(9), a.num(10), a.num(11), a.num(12), S());
  return undefined(env);
}

// adamwMulti(table: Float64Array of [p, g, m, v, n, weightDecay] per tensor, lr, beta1, beta2, eps, bc1, bc2,
//            gradScale)
napi_value AdamwMulti(napi_env env, Args& a) {
  a.expect(8);
  need_ready(a);
  size_t len = 0;
  const double* t = a.f64s(0, len);
  if (len % 6 != 0) a.fail("the table must hold 6 numbers per tensor");
  std::vector<AdamTensor> ts(len / 6);
  for (size_t i = 0; i < ts.size(); ++i) {
    const double* r = t + 6 * i;
    for (int j = 0; j < 5; ++j) {
      if (!(r[j] >= 0) || r[j] != std::floor(r[j]) || r[j] > 9007199254740991.0) a.fail("bad pointer or size in the table");
    }
    ts[i] = AdamTensor{reinterpret_cast<float*>(static_cast<uintptr_t>(r[0])),
                       reinterpret_cast<const float*>(static_cast<uintptr_t>(r[1])),
                       reinterpret_cast<float*>(static_cast<uintptr_t>(r[2])),
                       reinterpret_cast<float*>(static_cast<uintptr_t>(r[3])), static_cast<int64_t>(r[4]), r[5]};
  }
  launch_adamw_multi(ts.data(), static_cast<int>(ts.size()), a.num(1), a.num(2), a.num(3), a.num(4), a.num(5),
                     a.num(6), a.num(7), S());
  return undefined(env);
}

// ---- registration ----

template <napi_value (*F)(napi_env, Args&)>
napi_value wrap(napi_env env, napi_callback_info info, const char* name) {
  try {
    Args a(env, info, name);
    // The held GEMM (PendingGemm) and the bf16 copies kept for the next GEMM (cublas_dl.cc) survive calls that
    // write no memory (alloc, statistics, settings); a free queues the held GEMM (it may read the block), while the
    // kept copies of a freed block are dropped by the allocator's hook. gemm and biasAct handle both themselves.
    if (F == &Gemm || F == &BiasAct || F == &Alloc || F == &Stats || F == &MemInfo || F == &GemmTuneStats ||
        F == &GemmBf16Mode || F == &GemmPrecision) {
    } else if (F == &Free) {
      flush_pending();
    } else {
      flush_pending();
      release_bf16_copies();
    }
    return F(env, a);
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
    return nullptr;
  }
}

#define MK_FN(js, F) {js, nullptr, [](napi_env e, napi_callback_info i) { return wrap<F>(e, i, js); }, nullptr, nullptr, nullptr, napi_default_jsproperty, nullptr}

napi_value Register(napi_env env, napi_value exports) {
  const napi_property_descriptor fns[] = {
      MK_FN("init", Init),
      MK_FN("alloc", Alloc),
      MK_FN("free", Free),
      MK_FN("trim", Trim),
      MK_FN("stats", Stats),
      MK_FN("memInfo", MemInfo),
      MK_FN("upload", Upload),
      MK_FN("download", Download),
      MK_FN("synchronize", Synchronize),
      MK_FN("fill", Fill),
      MK_FN("copy", Copy),
      MK_FN("copy2d", Copy2d),
      MK_FN("permute", Permute),
      MK_FN("cast", Cast),
      MK_FN("gemm", Gemm),
      MK_FN("gemmBf16Mode", GemmBf16Mode),
      MK_FN("gemmPrecision", GemmPrecision),
      MK_FN("gemmTuneStats", GemmTuneStats),
      MK_FN("binary", Binary),
      MK_FN("unary", Unary),
      MK_FN("affine", Affine),
      MK_FN("axpy", Axpy),
      MK_FN("sumTo", SumTo),
      MK_FN("sumRows", SumRows),
      MK_FN("sumSquares", SumSquares),
      MK_FN("scalar", Scalar),
      MK_FN("biasAct", BiasAct),
      MK_FN("actBackward", ActBackward),
      MK_FN("layerNorm", LayerNorm),
      MK_FN("layerNormBackward", LayerNormBackward),
      MK_FN("softmax", Softmax),
      MK_FN("softmaxBackward", SoftmaxBackward),
      MK_FN("l2Normalize", L2Normalize),
      MK_FN("l2NormalizeBackward", L2NormalizeBackward),
      MK_FN("attention", Attention),
      MK_FN("attentionBackward", AttentionBackward),
      MK_FN("indexSelect", IndexSelect),
      MK_FN("indexAdd", IndexAdd),
      MK_FN("im2patch", Im2patch),
      MK_FN("patch2im", Patch2im),
      MK_FN("crossEntropy", CrossEntropy),
      MK_FN("crossEntropyBackward", CrossEntropyBackward),
      MK_FN("klDiv", KlDiv),
      MK_FN("klDivBackward", KlDivBackward),
      MK_FN("topk", Topk),
      MK_FN("adamw", Adamw),
      MK_FN("adamwMulti", AdamwMulti),
  };
  napi_define_properties(env, exports, sizeof(fns) / sizeof(fns[0]), fns);
  return exports;
}

}  // namespace

}  // namespace mk

NAPI_MODULE_INIT() { return mk::Register(env, exports); }
