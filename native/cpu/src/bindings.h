// What the N-API bindings share: the argument reader `Call` (types, integer sizes, finite numbers, and the extent
// of every typed array a kernel will touch, so that a bad call throws instead of corrupting memory) and the
// declarations of the exported functions (bind_*.cpp), registered by addon.cpp.
#pragma once
#include <node_api.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "kernels.h"

namespace mulki {

constexpr size_t MAX_ARGS = 32;

/** One JS call: its arguments and the first error found (thrown when the call returns). */
struct Call {
  napi_env env;
  const char* name;
  napi_value argv[MAX_ARGS];
  size_t argc = MAX_ARGS;
  std::string error;

  Call(napi_env e, napi_callback_info info, const char* n, size_t expected) : env(e), name(n) {
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    if (argc < expected) fail("expects " + std::to_string(expected) + " arguments, got " + std::to_string(argc));
  }

  bool ok() const { return error.empty(); }
  void fail(const std::string& msg) {
    if (error.empty()) error = msg;
  }
  /** Throws the pending error (if any); returns true when the call may proceed. */
  bool proceed() {
    if (error.empty()) return true;
    napi_throw_error(env, nullptr, ("cpu." + std::string(name) + ": " + error).c_str());
    return false;
  }

  napi_value arg(size_t i) {
    if (i >= argc) {
      fail("missing argument " + std::to_string(i));
      return nullptr;
    }
    return argv[i];
  }
  bool is_null(size_t i) {
    napi_value v = arg(i);
    if (!v) return true;
    napi_valuetype t;
    napi_typeof(env, v, &t);
    return t == napi_null || t == napi_undefined;
  }
  double number(size_t i, const char* what) {
    napi_value v = arg(i);
    double d = 0;
    if (v && napi_get_value_double(env, v, &d) != napi_ok) fail(std::string(what) + " must be a number");
    return d;
  }
  /** A finite number. */
  double finite(size_t i, const char* what) {
    double d = number(i, what);
    if (ok() && !std::isfinite(d)) fail(std::string(what) + " must be a finite number, got " + num(d));
    return d;
  }
  /** An integer >= lo (sizes, offsets, strides). */
  i64 integer(size_t i, const char* what, i64 lo = 0) {
    double d = number(i, what);
    if (!ok()) return 0;
    if (!(std::floor(d) == d) || std::fabs(d) > 9007199254740991.0) {
      fail(std::string(what) + " must be an integer, got " + num(d));
      return 0;
    }
    if ((i64)d < lo) {
      fail(std::string(what) + " must be >= " + std::to_string(lo) + ", got " + num(d));
      return 0;
    }
    return (i64)d;
  }
  bool flag(size_t i) {
    napi_value v = arg(i);
    bool b = false;
    if (v && napi_get_value_bool(env, v, &b) != napi_ok) fail("argument " + std::to_string(i) + " must be a boolean");
    return b;
  }
  std::string str(size_t i, const char* what) {
    napi_value v = arg(i);
    char buf[64];
    size_t len = 0;
    if (!v || napi_get_value_string_utf8(env, v, buf, sizeof buf, &len) != napi_ok) {
      fail(std::string(what) + " must be a string");
      return "";
    }
    return std::string(buf, len);
  }
  /** A typed array of 32-bit elements: want = 'f' (Float32Array), 'i' (Int32Array) or '*' (either). */
  void* array(size_t i, const char* what, char want, size_t* len, bool* isf32 = nullptr) {
    *len = 0;
    napi_value v = arg(i);
    if (!v) return nullptr;
    bool is = false;
    napi_is_typedarray(env, v, &is);
    if (!is) {
      fail(std::string(what) + " must be a host storage (Float32Array / Int32Array data)");
      return nullptr;
    }
    napi_typedarray_type type;
    void* data = nullptr;
    napi_get_typedarray_info(env, v, &type, len, &data, nullptr, nullptr);
    const bool f = type == napi_float32_array, n = type == napi_int32_array;
    if ((want == 'f' && !f) || (want == 'i' && !n) || (want == '*' && !f && !n)) {
      fail(std::string(what) + (want == 'f' ? " must be an f32 storage" : want == 'i' ? " must be an i32 storage"
                                                                                      : " must be an f32 or i32 storage"));
      *len = 0;
      return nullptr;
    }
    if (isf32) *isf32 = f;
    return data;
  }
  float* f32(size_t i, const char* what, size_t* len) { return static_cast<float*>(array(i, what, 'f', len)); }
  int32_t* i32(size_t i, const char* what, size_t* len) { return static_cast<int32_t*>(array(i, what, 'i', len)); }
  /** Same, or null when the argument is null. */
  float* f32_or_null(size_t i, const char* what, size_t* len) {
    *len = 0;
    return is_null(i) ? nullptr : f32(i, what, len);
  }
  /** An integer list (shape, strides, permutation) of at most MAX_RANK entries. */
  int int_list(size_t i, const char* what, i64* out, i64 lo) {
    napi_value v = arg(i);
    bool is = false;
    if (v) napi_is_array(env, v, &is);
    if (!is) {
      fail(std::string(what) + " must be an array of integers");
      return 0;
    }
    uint32_t n = 0;
    napi_get_array_length(env, v, &n);
    if (n > (uint32_t)MAX_RANK) {
      fail(std::string(what) + " has rank " + std::to_string(n) + " (at most " + std::to_string(MAX_RANK) + ")");
      return 0;
    }
    for (uint32_t j = 0; j < n; ++j) {
      napi_value e;
      napi_get_element(env, v, j, &e);
      double d = 0;
      if (napi_get_value_double(env, e, &d) != napi_ok || std::floor(d) != d || d < (double)lo || d > 9.0e15) {
        fail(std::string(what) + "[" + std::to_string(j) + "] must be an integer >= " + std::to_string(lo));
        return 0;
      }
      out[j] = (i64)d;
    }
    return (int)n;
  }
  /** Elements [off, off + span) must lie inside an array of len elements (nothing to check when span <= 0). */
  void extent(const char* what, size_t len, i64 off, i64 span) {
    if (!ok() || span <= 0) return;
    if (off < 0 || (double)off + (double)span > (double)len)
      fail(std::string(what) + " is too small: the call touches elements [" + std::to_string(off) + ", " +
           std::to_string(off + span) + ") but the storage has " + std::to_string(len));
  }
  static std::string num(double d) {
    char b[32];
    std::snprintf(b, sizeof b, "%.17g", d);
    return b;
  }
};


inline napi_value undef(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}
inline napi_value make_num(napi_env env, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  return v;
}
inline napi_value make_str(napi_env env, const char* s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

#define MULKI_BINDING(name) napi_value name(napi_env env, napi_callback_info info)
// bind_memory.cpp
MULKI_BINDING(Fill);
MULKI_BINDING(Copy);
MULKI_BINDING(Copy2d);
MULKI_BINDING(Permute);
MULKI_BINDING(Cast);
MULKI_BINDING(IndexSelect);
MULKI_BINDING(IndexAdd);
MULKI_BINDING(Im2patch);
MULKI_BINDING(Patch2im);
// bind_math.cpp
MULKI_BINDING(Gemm);
MULKI_BINDING(Binary);
MULKI_BINDING(Unary);
MULKI_BINDING(Affine);
MULKI_BINDING(Axpy);
MULKI_BINDING(SumTo);
MULKI_BINDING(SumRows);
MULKI_BINDING(SumSquares);
MULKI_BINDING(Topk);
MULKI_BINDING(Adamw);
// bind_nn.cpp
MULKI_BINDING(BiasAct);
MULKI_BINDING(ActBackward);
MULKI_BINDING(LayerNorm);
MULKI_BINDING(LayerNormBackward);
MULKI_BINDING(Softmax);
MULKI_BINDING(SoftmaxBackward);
MULKI_BINDING(L2Normalize);
MULKI_BINDING(L2NormalizeBackward);
MULKI_BINDING(Attention);
MULKI_BINDING(AttentionBackward);
MULKI_BINDING(CrossEntropy);
MULKI_BINDING(CrossEntropyBackward);
MULKI_BINDING(KlDiv);
MULKI_BINDING(KlDivBackward);
// resample.cpp
MULKI_BINDING(ResampleRgb);

}  // namespace mulki
