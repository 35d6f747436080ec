// N-API bindings of the fused layer kernels: activations, normalisations, softmax, attention, losses.
#include "bindings.h"
#include "dispatch.h"

namespace mulki {

// ---------------------------------------------------------------- activations, norms, softmax

napi_value BiasAct(napi_env env, napi_callback_info info) {
  Call c(env, info, "biasAct", 6);
  size_t lx, lb, lo;
  float* x = c.f32(0, "x", &lx);
  float* bias = c.f32_or_null(1, "bias", &lb);
  i64 rows = c.integer(2, "rows"), cols = c.integer(3, "cols"), kind = c.integer(4, "kind");
  float* o = c.f32(5, "out", &lo);
  if (c.ok() && kind > ACT_RELU) c.fail("unknown activation " + std::to_string(kind));
  c.extent("x", lx, 0, rows * cols);
  if (bias && rows > 0) c.extent("bias", lb, 0, cols);
  c.extent("out", lo, 0, rows * cols);
  if (!c.proceed()) return nullptr;
  K().bias_act(x, bias, rows, cols, (int)kind, o);
  return undef(env);
}

napi_value ActBackward(napi_env env, napi_callback_info info) {
  Call c(env, info, "actBackward", 6);
  size_t lx, ldy, ldx;
  i64 kind = c.integer(0, "kind");
  float* x = c.f32(1, "x", &lx);
  float* dy = c.f32(2, "dy", &ldy);
  float* dx = c.f32(3, "dx", &ldx);
  i64 n = c.integer(4, "n");
  bool acc = c.flag(5);
  if (c.ok() && kind > ACT_RELU) c.fail("unknown activation " + std::to_string(kind));
  c.extent("x", lx, 0, n);
  c.extent("dy", ldy, 0, n);
  c.extent("dx", ldx, 0, n);
  if (!c.proceed()) return nullptr;
  K().act_backward((int)kind, x, dy, dx, n, acc);
  return undef(env);
}

napi_value LayerNorm(napi_env env, napi_callback_info info) {
  Call c(env, info, "layerNorm", 9);
  size_t lx, lg, lbt, ly, lm, lr;
  float* x = c.f32(0, "x", &lx);
  float* gamma = c.f32_or_null(1, "gamma", &lg);
  float* beta = c.f32_or_null(2, "beta", &lbt);
  i64 rows = c.integer(3, "rows"), cols = c.integer(4, "cols", 1);
  float eps = (float)c.number(5, "eps");
  if (c.ok() && !(eps >= 0)) c.fail("eps must be >= 0, got " + Call::num(eps));
  float* y = c.f32(6, "y", &ly);
  float* mean = c.f32(7, "mean", &lm);
  float* rstd = c.f32(8, "rstd", &lr);
  c.extent("x", lx, 0, rows * cols);
  if (gamma && rows > 0) c.extent("gamma", lg, 0, cols);
  if (beta && rows > 0) c.extent("beta", lbt, 0, cols);
  c.extent("y", ly, 0, rows * cols);
  c.extent("mean", lm, 0, rows);
  c.extent("rstd", lr, 0, rows);
  if (!c.proceed()) return nullptr;
  K().layer_norm(x, gamma, beta, rows, cols, eps, y, mean, rstd);
  return undef(env);
}

napi_value LayerNormBackward(napi_env env, napi_callback_info info) {
  Call c(env, info, "layerNormBackward", 11);
  size_t ldy, lx, lg, lm, lr, ldx, ldg, ldb;
  float* dy = c.f32(0, "dy", &ldy);
  float* x = c.f32(1, "x", &lx);
  float* gamma = c.f32_or_null(2, "gamma", &lg);
  float* mean = c.f32(3, "mean", &lm);
  float* rstd = c.f32(4, "rstd", &lr);
  i64 rows = c.integer(5, "rows"), cols = c.integer(6, "cols", 1);
  float* dx = c.f32(7, "dx", &ldx);
  float* dgamma = c.f32_or_null(8, "dgamma", &ldg);
  float* dbeta = c.f32_or_null(9, "dbeta", &ldb);
  bool acc = c.flag(10);
  c.extent("dy", ldy, 0, rows * cols);
  c.extent("x", lx, 0, rows * cols);
  if (gamma) c.extent("gamma", lg, 0, cols);
  c.extent("mean", lm, 0, rows);
  c.extent("rstd", lr, 0, rows);
  c.extent("dx", ldx, 0, rows * cols);
  if (dgamma) c.extent("dgamma", ldg, 0, cols);
  if (dbeta) c.extent("dbeta", ldb, 0, cols);
  if (!c.proceed()) return nullptr;
  if (rows == 0) {
    for (i64 j = 0; j < cols; ++j) {
      if (dgamma) dgamma[j] = 0.0f;
      if (dbeta) dbeta[j] = 0.0f;
    }
    return undef(env);
  }
  K().layer_norm_backward(dy, x, gamma, mean, rstd, rows, cols, dx, dgamma, dbeta, acc);
  return undef(env);
}

napi_value Softmax(napi_env env, napi_callback_info info) {
  Call c(env, info, "softmax", 6);
  size_t lx, ly;
  float* x = c.f32(0, "x", &lx);
  i64 rows = c.integer(1, "rows"), cols = c.integer(2, "cols", 1);
  float scale = (float)c.finite(3, "scale");
  bool log = c.flag(4);
  float* y = c.f32(5, "y", &ly);
  c.extent("x", lx, 0, rows * cols);
  c.extent("y", ly, 0, rows * cols);
  if (!c.proceed()) return nullptr;
  K().softmax(x, rows, cols, scale, log, y);
  return undef(env);
}

napi_value SoftmaxBackward(napi_env env, napi_callback_info info) {
  Call c(env, info, "softmaxBackward", 8);
  size_t ly, ldy, ldx;
  float* y = c.f32(0, "y", &ly);
  float* dy = c.f32(1, "dy", &ldy);
  i64 rows = c.integer(2, "rows"), cols = c.integer(3, "cols", 1);
  float scale = (float)c.finite(4, "scale");
  bool log = c.flag(5);
  float* dx = c.f32(6, "dx", &ldx);
  bool acc = c.flag(7);
  c.extent("y", ly, 0, rows * cols);
  c.extent("dy", ldy, 0, rows * cols);
  c.extent("dx", ldx, 0, rows * cols);
  if (!c.proceed()) return nullptr;
  K().softmax_backward(y, dy, rows, cols, scale, log, dx, acc);
  return undef(env);
}

napi_value L2Normalize(napi_env env, napi_callback_info info) {
  Call c(env, info, "l2Normalize", 6);
  size_t lx, ly, ln;
  float* x = c.f32(0, "x", &lx);
  i64 rows = c.integer(1, "rows"), cols = c.integer(2, "cols");
  float eps = (float)c.number(3, "eps");
  if (c.ok() && !(eps >= 0)) c.fail("eps must be >= 0, got " + Call::num(eps));
  float* y = c.f32(4, "y", &ly);
  float* norms = c.f32(5, "norms", &ln);
  c.extent("x", lx, 0, rows * cols);
  c.extent("y", ly, 0, rows * cols);
  c.extent("norms", ln, 0, rows);
  if (!c.proceed()) return nullptr;
  K().l2_normalize(x, rows, cols, eps, y, norms);
  return undef(env);
}

napi_value L2NormalizeBackward(napi_env env, napi_callback_info info) {
  Call c(env, info, "l2NormalizeBackward", 7);
  size_t ldy, ly, ln, ldx;
  float* dy = c.f32(0, "dy", &ldy);
  float* y = c.f32(1, "y", &ly);
  float* norms = c.f32(2, "norms", &ln);
  i64 rows = c.integer(3, "rows"), cols = c.integer(4, "cols");
  float* dx = c.f32(5, "dx", &ldx);
  bool acc = c.flag(6);
  c.extent("dy", ldy, 0, rows * cols);
  c.extent("y", ly, 0, rows * cols);
  c.extent("norms", ln, 0, rows);
  c.extent("dx", ldx, 0, rows * cols);
  if (!c.proceed()) return nullptr;
  K().l2_normalize_backward(dy, y, norms, rows, cols, dx, acc);
  return undef(env);
}

// ---------------------------------------------------------------- attention

/** Parses the 17 AttentionParams arguments starting at `i`. */
static AttnArgs attn_args(Call& c, size_t i) {
  AttnArgs a{};
  size_t lm = 0, lq, lk, lv;
  a.batch = c.integer(i + 0, "batch");
  a.heads = c.integer(i + 1, "heads");
  a.tq = c.integer(i + 2, "tq");
  a.tk = c.integer(i + 3, "tk");
  a.hd = c.integer(i + 4, "headDim");
  a.scale = (float)c.finite(i + 5, "scale");
  a.causal = c.flag(i + 6);
  int32_t* mask = c.is_null(i + 7) ? nullptr : c.i32(i + 7, "keyMask", &lm);
  float* q = c.f32(i + 8, "q", &lq);
  i64 qo = c.integer(i + 9, "qOff");
  a.ldq = c.integer(i + 10, "ldq");
  float* k = c.f32(i + 11, "k", &lk);
  i64 ko = c.integer(i + 12, "kOff");
  a.ldk = c.integer(i + 13, "ldk");
  float* v = c.f32(i + 14, "v", &lv);
  i64 vo = c.integer(i + 15, "vOff");
  a.ldv = c.integer(i + 16, "ldv");
  const i64 width = a.heads * a.hd;
  if (c.ok() && a.causal && a.tq != a.tk)
    c.fail("causal attention needs tq == tk (got " + std::to_string(a.tq) + " and " + std::to_string(a.tk) + ")");
  if (c.ok() && (a.ldq < width || a.ldk < width || a.ldv < width))
    c.fail("ldq, ldk, ldv must be >= heads * headDim = " + std::to_string(width));
  if (a.batch > 0 && width > 0) {
    if (a.tq > 0) c.extent("q", lq, qo, (a.batch * a.tq - 1) * a.ldq + width);
    if (a.tk > 0) {
      c.extent("k", lk, ko, (a.batch * a.tk - 1) * a.ldk + width);
      c.extent("v", lv, vo, (a.batch * a.tk - 1) * a.ldv + width);
    }
  }
  if (mask) c.extent("keyMask", lm, 0, a.batch * a.tk);
  if (c.ok()) {
    a.keyMask = mask;
    a.q = q + qo;
    a.k = k + ko;
    a.v = v + vo;
  }
  return a;
}

napi_value Attention(napi_env env, napi_callback_info info) {
  Call c(env, info, "attention", 19);
  AttnArgs a = attn_args(c, 0);
  size_t lo, lp;
  float* out = c.f32(17, "out", &lo);
  float* probs = c.f32(18, "probs", &lp);
  c.extent("out", lo, 0, a.batch * a.tq * a.heads * a.hd);
  c.extent("probs", lp, 0, a.batch * a.heads * a.tq * a.tk);
  if (!c.proceed()) return nullptr;
  if (a.batch * a.heads * a.tq == 0) return undef(env);
  K().attention(a, out, probs);
  return undef(env);
}

napi_value AttentionBackward(napi_env env, napi_callback_info info) {
  Call c(env, info, "attentionBackward", 22);
  AttnArgs a = attn_args(c, 0);
  size_t lp, ldo, ldq, ldk, ldv;
  float* probs = c.f32(17, "probs", &lp);
  float* dout = c.f32(18, "dOut", &ldo);
  float* dq = c.f32(19, "dq", &ldq);
  float* dk = c.f32(20, "dk", &ldk);
  float* dv = c.f32(21, "dv", &ldv);
  const i64 width = a.heads * a.hd;
  c.extent("probs", lp, 0, a.batch * a.heads * a.tq * a.tk);
  c.extent("dOut", ldo, 0, a.batch * a.tq * width);
  c.extent("dq", ldq, 0, a.batch * a.tq * width);
  c.extent("dk", ldk, 0, a.batch * a.tk * width);
  c.extent("dv", ldv, 0, a.batch * a.tk * width);
  if (!c.proceed()) return nullptr;
  if (a.batch * a.heads == 0 || a.hd == 0) return undef(env);
  K().attention_backward(a, probs, dout, dq, dk, dv);
  return undef(env);
}

// ---------------------------------------------------------------- losses

static void check_labels(Call& c, const int32_t* labels, i64 n, i64 classes) {
  if (!c.ok()) return;
  for (i64 r = 0; r < n; ++r)
    if (labels[r] >= classes) {
      c.fail("labels[" + std::to_string(r) + "] = " + std::to_string(labels[r]) + " is out of range for " +
             std::to_string(classes) + " classes (a label < 0 means ignore)");
      return;
    }
}

napi_value CrossEntropy(napi_env env, napi_callback_info info) {
  Call c(env, info, "crossEntropy", 7);
  size_t lx, ll, lloss, lp;
  float* logits = c.f32(0, "logits", &lx);
  int32_t* labels = c.i32(1, "labels", &ll);
  i64 n = c.integer(2, "n"), classes = c.integer(3, "c", 1);
  float smoothing = (float)c.number(4, "smoothing");
  if (c.ok() && !(smoothing >= 0 && smoothing <= 1))
    c.fail("label smoothing must be in [0, 1], got " + Call::num(smoothing));
  float* loss = c.f32(5, "loss", &lloss);
  float* probs = c.f32(6, "probs", &lp);
  c.extent("logits", lx, 0, n * classes);
  c.extent("labels", ll, 0, n);
  c.extent("loss", lloss, 0, n);
  c.extent("probs", lp, 0, n * classes);
  check_labels(c, labels, n, classes);
  if (!c.proceed()) return nullptr;
  K().cross_entropy(logits, labels, n, classes, smoothing, loss, probs);
  return undef(env);
}

napi_value CrossEntropyBackward(napi_env env, napi_callback_info info) {
  Call c(env, info, "crossEntropyBackward", 8);
  size_t lp, ll, ldl, ldx;
  float* probs = c.f32(0, "probs", &lp);
  int32_t* labels = c.i32(1, "labels", &ll);
  i64 n = c.integer(2, "n"), classes = c.integer(3, "c", 1);
  float smoothing = (float)c.number(4, "smoothing");
  if (c.ok() && !(smoothing >= 0 && smoothing <= 1))
    c.fail("label smoothing must be in [0, 1], got " + Call::num(smoothing));
  float* dloss = c.f32(5, "dLoss", &ldl);
  float* dlogits = c.f32(6, "dLogits", &ldx);
  bool acc = c.flag(7);
  c.extent("probs", lp, 0, n * classes);
  c.extent("labels", ll, 0, n);
  c.extent("dLoss", ldl, 0, n);
  c.extent("dLogits", ldx, 0, n * classes);
  check_labels(c, labels, n, classes);
  if (!c.proceed()) return nullptr;
  K().cross_entropy_backward(probs, labels, n, classes, smoothing, dloss, dlogits, acc);
  return undef(env);
}

napi_value KlDiv(napi_env env, napi_callback_info info) {
  Call c(env, info, "klDiv", 8);
  size_t ls, lt, ll, lp, lq;
  float* s = c.f32(0, "student", &ls);
  float* t = c.f32(1, "teacher", &lt);
  i64 n = c.integer(2, "n"), classes = c.integer(3, "c", 1);
  float T = (float)c.number(4, "temperature");
  float* loss = c.f32(5, "loss", &ll);
  float* logp = c.f32(6, "logP", &lp);
  float* logq = c.f32(7, "logQ", &lq);
  if (c.ok() && !(T > 0.0f && std::isfinite(T)))
    c.fail("temperature must be a positive finite number, got " + Call::num(T));
  c.extent("student", ls, 0, n * classes);
  c.extent("teacher", lt, 0, n * classes);
  c.extent("loss", ll, 0, n);
  c.extent("logP", lp, 0, n * classes);
  c.extent("logQ", lq, 0, n * classes);
  if (!c.proceed()) return nullptr;
  K().kl_div(s, t, n, classes, T, loss, logp, logq);
  return undef(env);
}

napi_value KlDivBackward(napi_env env, napi_callback_info info) {
  Call c(env, info, "klDivBackward", 9);
  size_t lp, lq, ldl, lds, ldt;
  float* logp = c.f32(0, "logP", &lp);
  float* logq = c.f32(1, "logQ", &lq);
  i64 n = c.integer(2, "n"), classes = c.integer(3, "c", 1);
  float T = (float)c.number(4, "temperature");
  if (c.ok() && !(T > 0.0f && std::isfinite(T)))
    c.fail("temperature must be a positive finite number, got " + Call::num(T));
  float* dloss = c.f32(5, "dLoss", &ldl);
  float* ds = c.f32_or_null(6, "dStudent", &lds);
  float* dt = c.f32_or_null(7, "dTeacher", &ldt);
  bool acc = c.flag(8);
  c.extent("logP", lp, 0, n * classes);
  c.extent("logQ", lq, 0, n * classes);
  c.extent("dLoss", ldl, 0, n);
  if (ds) c.extent("dStudent", lds, 0, n * classes);
  if (dt) c.extent("dTeacher", ldt, 0, n * classes);
  if (!c.proceed()) return nullptr;
  if (ds || dt) K().kl_div_backward(logp, logq, n, classes, T, dloss, ds, dt, acc);
  return undef(env);
}

}  // namespace mulki
