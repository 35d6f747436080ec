// N-API bindings of the data-movement kernels: fill, copies, permute, casts, gathers / scatters, patches.
#include "bindings.h"
#include "dispatch.h"

namespace mulki {

// ---------------------------------------------------------------- memory

napi_value Fill(napi_env env, napi_callback_info info) {
  Call c(env, info, "fill", 4);
  size_t len;
  bool isf = false;
  void* x = c.array(0, "storage", '*', &len, &isf);
  double value = c.number(1, "value");
  i64 off = c.integer(2, "offset"), size = c.integer(3, "size");
  c.extent("storage", len, off, size);
  if (c.ok() && !isf && !(std::isfinite(value) && std::trunc(value) == value))
    c.fail("value " + Call::num(value) + " is not an integer (i32 storage)");
  if (!c.proceed()) return nullptr;
  uint32_t bits;
  if (isf) {
    float f = (float)value;
    std::memcpy(&bits, &f, 4);
  } else {
    int32_t v = 0;
    // truncation toward zero, then modulo 2^32 (JavaScript ToInt32, as an Int32Array store does)
    if (std::isfinite(value)) {
      double t = std::trunc(value), m = std::fmod(t, 4294967296.0);
      if (m < 0) m += 4294967296.0;
      v = (int32_t)(uint32_t)m;
    }
    std::memcpy(&bits, &v, 4);
  }
  fill_u32(static_cast<uint32_t*>(x) + off, bits, size);
  return undef(env);
}

napi_value Copy(napi_env env, napi_callback_info info) {
  Call c(env, info, "copy", 5);
  size_t ls, ld;
  bool fs = false, fd = false;
  void* s = c.array(0, "src", '*', &ls, &fs);
  i64 so = c.integer(1, "srcOff");
  void* d = c.array(2, "dst", '*', &ld, &fd);
  i64 dof = c.integer(3, "dstOff"), size = c.integer(4, "size");
  if (c.ok() && fs != fd) c.fail("src and dst must have the same dtype");
  c.extent("src", ls, so, size);
  c.extent("dst", ld, dof, size);
  if (!c.proceed()) return nullptr;
  if (size > 0) copy_bytes(static_cast<uint32_t*>(d) + dof, static_cast<const uint32_t*>(s) + so, (size_t)size * 4);
  return undef(env);
}

napi_value Copy2d(napi_env env, napi_callback_info info) {
  Call c(env, info, "copy2d", 9);
  size_t ls, ld;
  bool fs = false, fd = false;
  void* s = c.array(0, "src", '*', &ls, &fs);
  i64 so = c.integer(1, "srcOff"), sld = c.integer(2, "srcLd");
  void* d = c.array(3, "dst", '*', &ld, &fd);
  i64 dof = c.integer(4, "dstOff"), dld = c.integer(5, "dstLd");
  i64 rows = c.integer(6, "rows"), cols = c.integer(7, "cols");
  bool acc = c.flag(8);
  if (c.ok() && fs != fd) c.fail("src and dst must have the same dtype");
  if (rows > 0 && cols > 0) {
    c.extent("src", ls, so, (rows - 1) * sld + cols);
    c.extent("dst", ld, dof, (rows - 1) * dld + cols);
  }
  if (!c.proceed()) return nullptr;
  if (rows == 0 || cols == 0) return undef(env);
  if (fs)
    copy2d_f32(static_cast<const float*>(s) + so, sld, static_cast<float*>(d) + dof, dld, rows, cols, acc);
  else
    copy2d_i32(static_cast<const int32_t*>(s) + so, sld, static_cast<int32_t*>(d) + dof, dld, rows, cols, acc);
  return undef(env);
}

napi_value Permute(napi_env env, napi_callback_info info) {
  Call c(env, info, "permute", 4);
  size_t ls, ld;
  bool fs = false, fd = false;
  void* s = c.array(0, "src", '*', &ls, &fs);
  i64 shape[MAX_RANK], perm64[MAX_RANK];
  int rank = c.int_list(1, "shape", shape, 0);
  int prank = c.int_list(2, "perm", perm64, 0);
  void* d = c.array(3, "dst", '*', &ld, &fd);
  int perm[MAX_RANK];
  if (c.ok() && fs != fd) c.fail("src and dst must have the same dtype");
  if (c.ok() && prank != rank)
    c.fail("perm has " + std::to_string(prank) + " entries for a shape of rank " + std::to_string(rank));
  if (c.ok()) {
    bool seen[MAX_RANK] = {};
    for (int i = 0; i < rank; ++i) {
      if (perm64[i] >= rank || seen[perm64[i]]) {
        c.fail("perm is not a permutation of 0.." + std::to_string(rank - 1));
        break;
      }
      seen[perm64[i]] = true;
      perm[i] = (int)perm64[i];
    }
  }
  i64 total = 1;
  for (int i = 0; i < rank; ++i) total *= shape[i];
  c.extent("src", ls, 0, total);
  c.extent("dst", ld, 0, total);
  if (!c.proceed()) return nullptr;
  permute_u32(static_cast<const uint32_t*>(s), shape, perm, rank, static_cast<uint32_t*>(d));
  return undef(env);
}

napi_value Cast(napi_env env, napi_callback_info info) {
  Call c(env, info, "cast", 3);
  size_t ls, ld;
  bool fs = false, fd = false;
  void* s = c.array(0, "src", '*', &ls, &fs);
  void* d = c.array(1, "dst", '*', &ld, &fd);
  i64 n = c.integer(2, "size");
  c.extent("src", ls, 0, n);
  c.extent("dst", ld, 0, n);
  if (c.ok() && fs && !fd) {
    const float* x = static_cast<const float*>(s);
    for (i64 i = 0; i < n; ++i) {
      const double t = std::trunc((double)x[i]);
      if (!(t >= -2147483648.0 && t <= 2147483647.0)) {
        c.fail("src element " + std::to_string(i) + " (" + Call::num(x[i]) + ") is not representable as i32");
        break;
      }
    }
  }
  if (!c.proceed()) return nullptr;
  if (fs && !fd) cast_f32_i32(static_cast<const float*>(s), static_cast<int32_t*>(d), n);
  else if (!fs && fd) cast_i32_f32(static_cast<const int32_t*>(s), static_cast<float*>(d), n);
  else if (n > 0) copy_bytes(d, s, (size_t)n * 4);
  return undef(env);
}

// ---------------------------------------------------------------- indexing

/** Every index in [0, n); otherwise an error naming the first bad one. */
static void check_indices(Call& c, const int32_t* idx, i64 nIdx, i64 n, const char* what) {
  if (!c.ok()) return;
  for (i64 j = 0; j < nIdx; ++j)
    if (idx[j] < 0 || idx[j] >= n) {
      c.fail(std::string(what) + "[" + std::to_string(j) + "] = " + std::to_string(idx[j]) + " is out of range [0, " +
             std::to_string(n) + ")");
      return;
    }
}

napi_value IndexSelect(napi_env env, napi_callback_info info) {
  Call c(env, info, "indexSelect", 7);
  size_t ls, li, lo;
  bool fs = false, fo = false;
  void* src = c.array(0, "src", '*', &ls, &fs);
  i64 outer = c.integer(1, "outer"), n = c.integer(2, "n"), inner = c.integer(3, "inner");
  int32_t* idx = c.i32(4, "idx", &li);
  i64 nIdx = c.integer(5, "nIdx");
  void* out = c.array(6, "out", '*', &lo, &fo);
  if (c.ok() && fs != fo) c.fail("src and out must have the same dtype");
  c.extent("src", ls, 0, outer * n * inner);
  c.extent("idx", li, 0, nIdx);
  c.extent("out", lo, 0, outer * nIdx * inner);
  check_indices(c, idx, nIdx, n, "idx");
  if (!c.proceed()) return nullptr;
  if (outer * nIdx * inner > 0)
    index_select_u32(static_cast<const uint32_t*>(src), outer, n, inner, idx, nIdx, static_cast<uint32_t*>(out));
  return undef(env);
}

napi_value IndexAdd(napi_env env, napi_callback_info info) {
  Call c(env, info, "indexAdd", 7);
  size_t lo, li, ls;
  bool fo = false, fs = false;
  void* dout = c.array(0, "dOut", '*', &lo, &fo);
  i64 outer = c.integer(1, "outer"), n = c.integer(2, "n"), inner = c.integer(3, "inner");
  int32_t* idx = c.i32(4, "idx", &li);
  i64 nIdx = c.integer(5, "nIdx");
  void* dsrc = c.array(6, "dSrc", '*', &ls, &fs);
  if (c.ok() && fs != fo) c.fail("dOut and dSrc must have the same dtype");
  c.extent("dOut", lo, 0, outer * nIdx * inner);
  c.extent("idx", li, 0, nIdx);
  c.extent("dSrc", ls, 0, outer * n * inner);
  check_indices(c, idx, nIdx, n, "idx");
  if (!c.proceed()) return nullptr;
  if (outer * nIdx * inner == 0) return undef(env);
  if (fo)
    index_add_f32(static_cast<const float*>(dout), outer, n, inner, idx, nIdx, static_cast<float*>(dsrc));
  else
    index_add_i32(static_cast<const int32_t*>(dout), outer, n, inner, idx, nIdx, static_cast<int32_t*>(dsrc));
  return undef(env);
}

static void check_patches(Call& c, i64 height, i64 width, i64 p) {
  if (c.ok() && (height % p != 0 || width % p != 0))
    c.fail("image size " + std::to_string(height) + "x" + std::to_string(width) + " is not a multiple of the patch size " +
           std::to_string(p));
}

napi_value Im2patch(napi_env env, napi_callback_info info) {
  Call c(env, info, "im2patch", 7);
  size_t lx, lo;
  float* x = c.f32(0, "x", &lx);
  i64 batch = c.integer(1, "batch"), ch = c.integer(2, "channels"), h = c.integer(3, "height"),
      w = c.integer(4, "width"), p = c.integer(5, "p", 1);
  float* out = c.f32(6, "out", &lo);
  check_patches(c, h, w, p);
  c.extent("x", lx, 0, batch * ch * h * w);
  c.extent("out", lo, 0, batch * ch * h * w);
  if (!c.proceed()) return nullptr;
  if (batch * ch * h * w > 0) im2patch(x, batch, ch, h, w, p, out);
  return undef(env);
}

napi_value Patch2im(napi_env env, napi_callback_info info) {
  Call c(env, info, "patch2im", 8);
  size_t lp, lx;
  float* dp = c.f32(0, "dPatches", &lp);
  i64 batch = c.integer(1, "batch"), ch = c.integer(2, "channels"), h = c.integer(3, "height"),
      w = c.integer(4, "width"), p = c.integer(5, "p", 1);
  float* dx = c.f32(6, "dx", &lx);
  bool acc = c.flag(7);
  check_patches(c, h, w, p);
  c.extent("dPatches", lp, 0, batch * ch * h * w);
  c.extent("dx", lx, 0, batch * ch * h * w);
  if (!c.proceed()) return nullptr;
  if (batch * ch * h * w > 0) patch2im(dp, batch, ch, h, w, p, dx, acc);
  return undef(env);
}

}  // namespace mulki
