// The N-API module: one JS function per kernel of the Backend interface (src/engine/backend.ts), plus memory
// management and device information. Argument order follows the TypeScript binding
// (src/engine/backends/cuda/native.ts); that layer checks every bound before calling here.
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
  napi_create_array_with_length(env, 4, &r);
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
  gemm(g, a.code(20));
  return undefined(env);
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
  launch_bias_act(a.ptr<float>(0), a.ptr<float>(1), a.count(2), a.count(3), a.code(4), a.ptr<float>(5), S());
  return undefined(env);
}

// actBackward(act, x, dy, dx, n, accumulate)
napi_value ActBackward(napi_env env, Args& a) {
  a.expect(6);
  need_ready(a);
  launch_act_backward(a.code(0), a.ptr<float>(1), a.ptr<float>(2), a.ptr<float>(3), a.count(4), a.flag(5), S());
  return undefined(env);
}

// ---- normalisation ----

// layerNorm(x, gamma | 0, beta | 0, rows, cols, eps, y, mean, rstd)
napi_value LayerNorm(napi_env env, Args& a) {
  a.expect(9);
  need_ready(a);
  launch_layer_norm(a.ptr<float>(0), a.ptr<float>(1), a.ptr<float>(2), a.count(3), a.count(4), a.f32(5),
                    a.ptr<float>(6), a.ptr<float>(7), a.ptr<float>(8), S());
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

// attention(...17, out, probs, precision)
napi_value Attention(napi_env env, Args& a) {
  a.expect(20);
  need_ready(a);
  attention_forward(attn_args(a), a.ptr<float>(17), a.ptr<float>(18), a.code(19), S());
  return undefined(env);
}

// attentionBackward(...17, probs, dOut, dq, dk, dv, precision)
napi_value AttentionBackward(napi_env env, Args& a) {
  a.expect(23);
  need_ready(a);
  attention_backward(attn_args(a), a.ptr<float>(17), a.ptr<float>(18), a.ptr<float>(19), a.ptr<float>(20),
                     a.ptr<float>(21), a.code(22), S());
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

// ---- registration ----

template <napi_value (*F)(napi_env, Args&)>
napi_value wrap(napi_env env, napi_callback_info info, const char* name) {
  try {
    Args a(env, info, name);
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
  };
  napi_define_properties(env, exports, sizeof(fns) / sizeof(fns[0]), fns);
  return exports;
}

}  // namespace

}  // namespace mk

NAPI_MODULE_INIT() { return mk::Register(env, exports); }
