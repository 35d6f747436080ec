// Pillow's resampling of an RGB image region (see resample.h and src/clip/resize.ts): the ISA-neutral driver and
// its N-API binding `resampleRgb`. The driver finds the source rows the kept output rows read, runs the
// horizontal pass over those rows only (or copies them when the width does not change), then the vertical pass
// over the kept output rows (or nothing when the height does not change), and writes either RGB HWC bytes or,
// with a normalising table, CHW float32 (out[c][y][x] = lut[c * 256 + v]) straight into the caller's buffer.
//
// Single-threaded in the calling thread, scratch per thread (thread_local, grows and is kept): safe to call from
// any number of worker threads at once. The kernel set is chosen once (MULKI_CPU_ISA if set, else the best this
// CPU runs) or per call by name.
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bindings.h"
#include "dispatch.h"
#include "resample.h"

namespace mulki {
namespace {

const ResampleKernels* resample_by_name(const std::string& name) {
  if (name == "generic") return resample_kernels_generic();
  if (name == "avx2") return isa_supported("avx2") ? resample_kernels_avx2() : nullptr;
  if (name == "avx512") return isa_supported("avx512") ? resample_kernels_avx512() : nullptr;
  return nullptr;
}

std::atomic<const ResampleKernels*> auto_kernels{nullptr};

/** MULKI_CPU_ISA if set and runnable, else the best kernel set of this CPU. */
const ResampleKernels* resample_auto() {
  const ResampleKernels* k = auto_kernels.load(std::memory_order_relaxed);
  if (k) return k;
  const char* env = std::getenv("MULKI_CPU_ISA");
  if (env && *env) k = resample_by_name(env);
  if (!k) k = resample_by_name(best_isa());
  if (!k) k = resample_kernels_generic();
  auto_kernels.store(k, std::memory_order_relaxed);
  return k;
}

struct Region {
  i64 x, y, w, h;
};

struct Job {
  const uint8_t* src;
  size_t srcLen;
  i64 srcW, srcH;
  Region region, win;
  bool hasH, hasV;
  ResampleCoeffs h, v;
  i64 rowFirst, rowEnd;  // rows of the region the kept output rows read
};

thread_local std::vector<uint8_t> scratch_rows, scratch_out;

uint8_t* grow(std::vector<uint8_t>& v, size_t bytes) {
  if (v.size() < bytes) v.resize(bytes);
  return v.data();
}

/** The resampled window as RGB bytes: into `dst` when given (win.w * win.h * 3 bytes), else into scratch. */
const uint8_t* run(const ResampleKernels& k, const Job& j, uint8_t* dst) {
  const i64 rowLen = j.win.w * 3;
  const i64 rows = j.rowEnd > j.rowFirst ? j.rowEnd - j.rowFirst : 0;
  uint8_t* tmp = grow(scratch_rows, (size_t)(rows * rowLen + 64));  // slack: the horizontal kernels store 4 bytes
  const i64 stride = j.srcW * 3;
  const uint8_t* first = j.src + (j.region.y + j.rowFirst) * stride + j.region.x * 3;
  if (j.hasH) {
    k.horizontal(first, j.src + j.srcLen, stride, rows, j.h, j.win.x, j.win.w, tmp);
  } else {
    for (i64 r = 0; r < rows; ++r) std::memcpy(tmp + r * rowLen, first + r * stride + j.win.x * 3, (size_t)rowLen);
  }
  if (!j.hasV) {
    if (!dst) return tmp;
    std::memcpy(dst, tmp, (size_t)(j.win.h * rowLen));
    return dst;
  }
  uint8_t* out = dst ? dst : grow(scratch_out, (size_t)(j.win.h * rowLen));
  k.vertical(tmp, rowLen, j.rowFirst, j.v, j.win.y, j.win.h, out);
  return out;
}

/** A typed array argument of one of two element types (napi_uint8_array / napi_float32_array / ...). */
void* typed(Call& c, size_t i, const char* what, napi_typedarray_type want, napi_typedarray_type alt, size_t* len,
            napi_typedarray_type* got, const char* expected) {
  *len = 0;
  napi_value v = c.arg(i);
  if (!v) return nullptr;
  bool is = false;
  napi_is_typedarray(c.env, v, &is);
  napi_typedarray_type type = napi_int8_array;
  void* data = nullptr;
  if (is) napi_get_typedarray_info(c.env, v, &type, len, &data, nullptr, nullptr);
  if (!is || (type != want && type != alt)) {
    c.fail(std::string(what) + " must be " + expected);
    *len = 0;
    return nullptr;
  }
  if (got) *got = type;
  return data;
}

/**
 * Reads and checks one pass's coefficients (bounds, weights, ksize at args i, i+1, i+2; bounds null = no pass)
 * for output indices [o0, o0 + count) over an input of inSize samples. Sets [lo, hi): the inputs they read.
 */
bool coeffs(Call& c, size_t i, const char* pass, i64 o0, i64 count, i64 inSize, ResampleCoeffs* out, i64* lo,
            i64* hi) {
  if (c.is_null(i)) return false;
  const std::string p(pass);
  size_t blen = 0, wlen = 0;
  const int32_t* b = c.i32(i, (p + " bounds").c_str(), &blen);
  const int32_t* w = c.i32(i + 1, (p + " weights").c_str(), &wlen);
  const i64 ksize = c.integer(i + 2, (p + " ksize").c_str(), 1);
  if (c.ok() && ksize > (1 << 24)) c.fail(p + " ksize " + std::to_string(ksize) + " is too large");
  c.extent((p + " bounds").c_str(), blen, 0, 2 * (o0 + count));
  c.extent((p + " weights").c_str(), wlen, 0, (o0 + count) * ksize);
  if (!c.ok()) return false;
  *lo = inSize;
  *hi = 0;
  for (i64 o = o0; o < o0 + count; ++o) {
    const i64 first = b[2 * o], n = b[2 * o + 1];
    if (first < 0 || n < 0 || n > ksize || first + n > inSize) {
      c.fail(p + " output " + std::to_string(o) + " reads inputs [" + std::to_string(first) + ", " +
             std::to_string(first + n) + ") with ksize " + std::to_string(ksize) + ": not inside [0, " +
             std::to_string(inSize) + ")");
      return false;
    }
    if (first < *lo) *lo = first;
    if (first + n > *hi) *hi = first + n;
  }
  *out = ResampleCoeffs{(int32_t)ksize, b, w};
  return true;
}

}  // namespace

/**
 * resampleRgb(src, srcWidth, srcHeight, rx, ry, rw, rh, hBounds, hWeights, hKsize, vBounds, vWeights, vKsize,
 *             wx, wy, ww, wh, dst, dstOffset, lut, isa?) -> the kernel set used
 *
 * src: Uint8Array, RGB HWC, exactly srcWidth * srcHeight * 3 bytes. (rx, ry, rw, rh): the region resampled (as if
 * cropped out first). hBounds / hWeights / hKsize: the horizontal pass's coefficients (Int32Arrays from
 * resize.ts coefficients(rw, outWidth)), or null / null / 0 when the width does not change; v*: the same for the
 * vertical pass (over rh). (wx, wy, ww, wh): the output window kept. dst: with lut null, a Uint8Array receiving
 * ww * wh * 3 RGB bytes at dstOffset; with lut (a Float32Array of 3 x 256 values), a Float32Array receiving the
 * 3 x wh x ww CHW values lut[c * 256 + v] at dstOffset. isa: 'auto' (default), 'avx512', 'avx2' or 'generic'.
 */
napi_value ResampleRgb(napi_env env, napi_callback_info info) {
  Call c(env, info, "resampleRgb", 20);
  size_t srcLen = 0, dstLen = 0, lutLen = 0;
  const uint8_t* src = static_cast<const uint8_t*>(
      typed(c, 0, "src", napi_uint8_array, napi_uint8_clamped_array, &srcLen, nullptr, "a Uint8Array"));
  Job j{};
  j.src = src;
  j.srcLen = srcLen;
  j.srcW = c.integer(1, "srcWidth", 1);
  j.srcH = c.integer(2, "srcHeight", 1);
  j.region = {c.integer(3, "region x"), c.integer(4, "region y"), c.integer(5, "region width", 1),
              c.integer(6, "region height", 1)};
  j.win = {c.integer(13, "window x"), c.integer(14, "window y"), c.integer(15, "window width", 1),
           c.integer(16, "window height", 1)};
  const i64 LIMIT = i64(1) << 30;
  if (c.ok() && (j.srcW > LIMIT || j.srcH > LIMIT || j.srcW * j.srcH * 3 > (i64(1) << 46) || j.win.w > LIMIT ||
                 j.win.h > LIMIT || j.win.x > LIMIT || j.win.y > LIMIT || j.win.w * j.win.h * 3 > (i64(1) << 46)))
    c.fail("sizes too large");
  if (c.ok() && (i64)srcLen != j.srcW * j.srcH * 3)
    c.fail(std::to_string(j.srcW) + "x" + std::to_string(j.srcH) + " RGB needs " + std::to_string(j.srcW * j.srcH * 3) +
           " bytes, got " + std::to_string(srcLen));
  if (c.ok() && (j.region.x + j.region.w > j.srcW || j.region.y + j.region.h > j.srcH))
    c.fail("region is not inside the image");
  i64 hlo = 0, hhi = 0, vlo = 0, vhi = 0;
  if (c.ok()) j.hasH = coeffs(c, 7, "horizontal", j.win.x, j.win.w, j.region.w, &j.h, &hlo, &hhi);
  if (c.ok()) j.hasV = coeffs(c, 10, "vertical", j.win.y, j.win.h, j.region.h, &j.v, &vlo, &vhi);
  if (c.ok() && !j.hasH && j.win.x + j.win.w > j.region.w) c.fail("window is wider than the region (no horizontal pass)");
  if (c.ok() && !j.hasV && j.win.y + j.win.h > j.region.h) c.fail("window is taller than the region (no vertical pass)");
  j.rowFirst = j.hasV ? vlo : j.win.y;
  j.rowEnd = j.hasV ? vhi : j.win.y + j.win.h;

  napi_typedarray_type dstType = napi_uint8_array;
  void* dst = typed(c, 17, "dst", napi_uint8_array, napi_float32_array, &dstLen, &dstType,
                    "a Uint8Array (RGB bytes) or a Float32Array (CHW values, with lut)");
  const i64 dstOff = c.integer(18, "dstOffset");
  const float* lut = nullptr;
  if (c.ok() && !c.is_null(19)) {
    lut = static_cast<const float*>(
        typed(c, 19, "lut", napi_float32_array, napi_float32_array, &lutLen, nullptr, "a Float32Array or null"));
    if (c.ok() && lutLen < 768) c.fail("lut needs 768 values (3 x 256), got " + std::to_string(lutLen));
  }
  if (c.ok() && (lut ? dstType != napi_float32_array : dstType != napi_uint8_array))
    c.fail(lut ? "dst must be a Float32Array when lut is given" : "dst must be a Uint8Array when lut is null");
  c.extent("dst", dstLen, dstOff, j.win.w * j.win.h * 3);

  const ResampleKernels* k = nullptr;
  if (c.ok()) {
    std::string isa = c.argc > 20 && !c.is_null(20) ? c.str(20, "isa") : "auto";
    if (c.ok()) {
      k = isa == "auto" ? resample_auto() : resample_by_name(isa);
      if (!k) c.fail("isa '" + isa + "' is unknown or this CPU cannot run it (expected auto, avx512, avx2 or generic)");
    }
  }
  if (!c.proceed()) return nullptr;

  if (!lut) {
    run(*k, j, static_cast<uint8_t*>(dst) + dstOff);
  } else {
    float table[768];  // a copy: the output may not overwrite the table while it is read
    std::memcpy(table, lut, sizeof table);
    const uint8_t* px = run(*k, j, nullptr);
    const i64 plane = j.win.w * j.win.h;
    float* r = static_cast<float*>(dst) + dstOff;
    float* g = r + plane;
    float* b = g + plane;
    for (i64 i = 0; i < plane; ++i, px += 3) {
      r[i] = table[px[0]];
      g[i] = table[256 + px[1]];
      b[i] = table[512 + px[2]];
    }
  }
  return make_str(env, k->isa);
}

}  // namespace mulki
