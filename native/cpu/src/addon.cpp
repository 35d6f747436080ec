// The N-API module of the native CPU backend: module info and controls (ISA, threads, peak FMA rate) and the
// table of exported functions (bind_*.cpp). Typed arrays are used in place (zero copy); all calls are synchronous.
#include <uv.h>

#include <chrono>

#include "bindings.h"
#include "dispatch.h"
#include "pool.h"

#ifndef MULKI_CPU_VERSION
#define MULKI_CPU_VERSION "0.0.0"
#endif

namespace mulki {
namespace {

// ---------------------------------------------------------------- module info

napi_value Info(napi_env env, napi_callback_info info) {
  napi_value o;
  napi_create_object(env, &o);
  napi_set_named_property(env, o, "isa", make_str(env, K().isa));
  napi_set_named_property(env, o, "bestIsa", make_str(env, best_isa()));
  napi_set_named_property(env, o, "threads", make_num(env, pool_threads()));
  napi_set_named_property(env, o, "version", make_str(env, MULKI_CPU_VERSION));
  napi_value list;
  napi_create_array(env, &list);
  uint32_t n = 0;
  for (const char* name : {"avx512", "avx2", "generic"})
    if (isa_supported(name)) napi_set_element(env, list, n++, make_str(env, name));
  napi_set_named_property(env, o, "supportedIsas", list);
  return o;
}

napi_value SetIsa(napi_env env, napi_callback_info info) {
  Call c(env, info, "setIsa", 1);
  std::string name = c.str(0, "isa");
  std::string prev = K().isa;
  if (c.ok()) {
    std::string err = select_isa(name);
    if (!err.empty()) c.fail(err);
  }
  if (!c.proceed()) return nullptr;
  return make_str(env, prev.c_str());
}

napi_value SetNumThreads(napi_env env, napi_callback_info info) {
  Call c(env, info, "setNumThreads", 1);
  i64 n = c.integer(0, "threads", 1);
  if (c.ok() && n > 256) c.fail("threads must be at most 256");
  if (!c.proceed()) return nullptr;
  return make_num(env, pool_set_threads((int)n));
}

/**
 * The peak FMA rate of this machine for the kernel set in use: a register-only FMA loop on every pool thread at
 * once, for about `ms` milliseconds. Returns GFLOP/s.
 */
napi_value PeakGflops(napi_env env, napi_callback_info info) {
  Call c(env, info, "peakGflops", 0);
  double ms = c.argc > 0 ? c.finite(0, "ms") : 200.0;
  if (!c.proceed()) return nullptr;
  const Kernels& k = K();
  auto now = [] { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); };
  // calibrate on this thread, then run one loop per thread
  i64 iters = 1 << 16;
  double t0 = now();
  k.fma_loop(iters);
  double dt = now() - t0;
  iters = (i64)((double)iters * (ms * 1e-3) / (dt > 1e-9 ? dt : 1e-9));
  if (iters < (1 << 16)) iters = 1 << 16;
  struct Ctx {
    const Kernels* k;
    i64 iters;
    double flops[256];
  } ctx{&k, iters, {}};
  const int T = pool_threads();
  t0 = now();
  pool_run(T, [](void* p, int64_t t, int) {
    Ctx* cx = static_cast<Ctx*>(p);
    cx->flops[t] = cx->k->fma_loop(cx->iters);
  }, &ctx);
  dt = now() - t0;
  double total = 0;
  for (int t = 0; t < T; ++t) total += ctx.flops[t];
  return make_num(env, total / dt / 1e9);
}

/** Loaded by a worker thread (its own event loop): the worker gets only the functions that run in the calling
 * thread and leave the process-wide state (kernel table, thread pool) alone. */
bool in_worker(napi_env env) {
  uv_loop_t* loop = nullptr;
  return napi_get_uv_event_loop(env, &loop) == napi_ok && loop != uv_default_loop();
}

napi_value Init(napi_env env, napi_value exports) {
  if (in_worker(env)) {
    const napi_property_descriptor fns[] = {
        {"resampleRgb", nullptr, ResampleRgb, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
    };
    napi_define_properties(env, exports, sizeof(fns) / sizeof(fns[0]), fns);
    return exports;
  }
  std::string err = init_dispatch();
  if (!err.empty()) {
    napi_throw_error(env, nullptr, ("mulki cpu backend: " + err).c_str());
    return nullptr;
  }
  const napi_property_descriptor props[] = {
#define FN(name, fn) {name, nullptr, fn, nullptr, nullptr, nullptr, napi_enumerable, nullptr}
      FN("info", Info),
      FN("setIsa", SetIsa),
      FN("setNumThreads", SetNumThreads),
      FN("peakGflops", PeakGflops),
      FN("fill", Fill),
      FN("copy", Copy),
      FN("copy2d", Copy2d),
      FN("permute", Permute),
      FN("cast", Cast),
      FN("gemm", Gemm),
      FN("binary", Binary),
      FN("unary", Unary),
      FN("affine", Affine),
      FN("axpy", Axpy),
      FN("sumTo", SumTo),
      FN("sumRows", SumRows),
      FN("sumSquares", SumSquares),
      FN("biasAct", BiasAct),
      FN("actBackward", ActBackward),
      FN("layerNorm", LayerNorm),
      FN("layerNormBackward", LayerNormBackward),
      FN("softmax", Softmax),
      FN("softmaxBackward", SoftmaxBackward),
      FN("l2Normalize", L2Normalize),
      FN("l2NormalizeBackward", L2NormalizeBackward),
      FN("attention", Attention),
      FN("attentionBackward", AttentionBackward),
      FN("indexSelect", IndexSelect),
      FN("indexAdd", IndexAdd),
      FN("im2patch", Im2patch),
      FN("patch2im", Patch2im),
      FN("crossEntropy", CrossEntropy),
      FN("crossEntropyBackward", CrossEntropyBackward),
      FN("klDiv", KlDiv),
      FN("klDivBackward", KlDivBackward),
      FN("topk", Topk),
      FN("adamw", Adamw),
      FN("resampleRgb", ResampleRgb),
#undef FN
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace
}  // namespace mulki

NAPI_MODULE_INIT() { return mulki::Init(env, exports); }
