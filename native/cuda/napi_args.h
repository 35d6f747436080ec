// Reading N-API call arguments with clear errors. Device pointers travel as JS numbers (exact: addresses are below
// 2^53); 0 stands for "none" (a null optional storage).
#pragma once
#define NAPI_VERSION 8
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "node-api/node_api.h"

namespace mk {

class Args {
 public:
  static constexpr size_t kMax = 40;

  Args(napi_env env, napi_callback_info info, const char* fn) : env_(env), fn_(fn) {
    argc_ = kMax;
    if (napi_get_cb_info(env, info, &argc_, argv_, nullptr, nullptr) != napi_ok) fail("cannot read the arguments");
  }

  void expect(size_t n) const {
    if (argc_ < n) fail("expects " + std::to_string(n) + " arguments, got " + std::to_string(argc_));
  }

  double num(size_t i) const {
    double v;
    if (napi_get_value_double(env_, argv_[i], &v) != napi_ok) fail("argument " + std::to_string(i) + " must be a number");
    return v;
  }

  float f32(size_t i) const { return static_cast<float>(num(i)); }

  // A non-negative integer (sizes, offsets, strides).
  int64_t count(size_t i) const {
    const double v = num(i);
    if (!(v >= 0) || v != std::floor(v) || v > 9007199254740991.0)
      fail("argument " + std::to_string(i) + " must be a non-negative integer, got " + std::to_string(v));
    return static_cast<int64_t>(v);
  }

  int code(size_t i) const { return static_cast<int>(count(i)); }

  bool flag(size_t i) const {
    bool b;
    if (napi_get_value_bool(env_, argv_[i], &b) != napi_ok) fail("argument " + std::to_string(i) + " must be a boolean");
    return b;
  }

  // Device pointer of argument i plus `offset` elements of type T (nullptr when the argument is 0).
  template <typename T>
  T* ptr(size_t i, int64_t offset = 0) const {
    static_assert(!std::is_void<T>::value, "use raw() for untyped pointers");
    T* base = static_cast<T*>(raw(i));
    return base ? base + offset : nullptr;
  }

  void* raw(size_t i) const { return reinterpret_cast<void*>(static_cast<uintptr_t>(count(i))); }

  std::vector<int64_t> counts(size_t i) const {
    uint32_t len = 0;
    if (napi_get_array_length(env_, argv_[i], &len) != napi_ok) fail("argument " + std::to_string(i) + " must be an array");
    std::vector<int64_t> out(len);
    for (uint32_t j = 0; j < len; ++j) {
      napi_value e;
      double v;
      if (napi_get_element(env_, argv_[i], j, &e) != napi_ok || napi_get_value_double(env_, e, &v) != napi_ok ||
          !(v >= 0) || v != std::floor(v))
        fail("argument " + std::to_string(i) + " must be an array of non-negative integers");
      out[j] = static_cast<int64_t>(v);
    }
    return out;
  }

  // The bytes of a typed array argument.
  void* typed(size_t i, size_t& bytes) const {
    napi_typedarray_type type;
    size_t length;
    void* data;
    napi_value buffer;
    size_t byte_offset;
    if (napi_get_typedarray_info(env_, argv_[i], &type, &length, &data, &buffer, &byte_offset) != napi_ok)
      fail("argument " + std::to_string(i) + " must be a typed array");
    if (type != napi_float32_array && type != napi_int32_array)
      fail("argument " + std::to_string(i) + " must be a Float32Array or Int32Array");
    bytes = length * 4;
    return data;
  }

  // The values of a Float64Array argument.
  const double* f64s(size_t i, size_t& length) const {
    napi_typedarray_type type;
    void* data;
    napi_value buffer;
    size_t byte_offset;
    if (napi_get_typedarray_info(env_, argv_[i], &type, &length, &data, &buffer, &byte_offset) != napi_ok ||
        type != napi_float64_array)
      fail("argument " + std::to_string(i) + " must be a Float64Array");
    return static_cast<const double*>(data);
  }

  [[noreturn]] void fail(const std::string& msg) const { throw std::runtime_error(std::string("cuda: ") + fn_ + ": " + msg); }

  napi_env env() const { return env_; }

 private:
  napi_env env_;
  const char* fn_;
  size_t argc_;
  napi_value argv_[kMax];
};

}  // namespace mk
