// Kernels that only move data (fill, copies, permute, casts, gathers/scatters, patches): one version for every
// ISA, compiled for the baseline; the compiler vectorises their inner loops where it can.
#include <cmath>
#include <cstring>
#include <type_traits>

#include "kernels.h"
#include "pool.h"

namespace mulki {
namespace {
#include "parallel.inl"
}  // namespace

void fill_u32(uint32_t* x, uint32_t value, i64 n) {
  par_range(n, 65536, [&](i64 i0, i64 i1, int) {
    for (i64 i = i0; i < i1; ++i) x[i] = value;
  });
}

void copy_bytes(void* dst, const void* src, size_t bytes) {
  const char* s = static_cast<const char*>(src);
  char* d = static_cast<char*>(dst);
  const bool overlap = s < d + bytes && d < s + bytes;
  if (overlap || bytes < (1u << 20)) {
    std::memmove(d, s, bytes);
    return;
  }
  par_range((i64)bytes, 1 << 18, [&](i64 b0, i64 b1, int) { std::memcpy(d + b0, s + b0, (size_t)(b1 - b0)); });
}

template <class T>
static void copy2d_t(const T* src, i64 srcLd, T* dst, i64 dstLd, i64 rows, i64 cols, bool acc) {
  // rows are copied in order, on one thread, when destination rows overlap (dstLd < cols) or when the source
  // and destination blocks share memory (as a row-by-row loop would do)
  const T* sEnd = src + (rows - 1) * srcLd + cols;
  const T* dEnd = dst + (rows - 1) * dstLd + cols;
  const bool serial = dstLd < cols || (src < dEnd && dst < sEnd);
  par_range(rows, serial ? rows : imax(1, 32768 / imax(1, cols)), [&](i64 r0, i64 r1, int) {
    for (i64 r = r0; r < r1; ++r) {
      const T* s = src + r * srcLd;
      T* d = dst + r * dstLd;
      if (acc)
        for (i64 c = 0; c < cols; ++c) d[c] += s[c];
      else
        std::memmove(d, s, (size_t)cols * sizeof(T));
    }
  });
}

void copy2d_f32(const float* src, i64 srcLd, float* dst, i64 dstLd, i64 rows, i64 cols, bool acc) {
  copy2d_t(src, srcLd, dst, dstLd, rows, cols, acc);
}
void copy2d_i32(const int32_t* src, i64 srcLd, int32_t* dst, i64 dstLd, i64 rows, i64 cols, bool acc) {
  copy2d_t(src, srcLd, dst, dstLd, rows, cols, acc);
}

void permute_u32(const uint32_t* src, const i64* shape, const int* perm, int rank, uint32_t* dst) {
  i64 total = 1;
  for (int d = 0; d < rank; ++d) total *= shape[d];
  if (total == 0) return;
  i64 sstride[MAX_RANK];
  if (rank > 0) sstride[rank - 1] = 1;
  for (int d = rank - 2; d >= 0; --d) sstride[d] = sstride[d + 1] * shape[d + 1];
  // out axes: size and source stride; drop size-1 axes, merge neighbours contiguous in the source
  i64 os[MAX_RANK], ss[MAX_RANK];
  int r = 0;
  for (int d = 0; d < rank; ++d) {
    const i64 n = shape[perm[d]], s = sstride[perm[d]];
    if (n == 1) continue;
    if (r > 0 && ss[r - 1] == s * n) {
      os[r - 1] *= n;
      ss[r - 1] = s;
    } else {
      os[r] = n;
      ss[r] = s;
      ++r;
    }
  }
  if (r <= 1) {  // the identity after collapsing
    copy_bytes(dst, src, (size_t)total * 4);
    return;
  }
  i64 dstr[MAX_RANK];
  dstr[r - 1] = 1;
  for (int d = r - 2; d >= 0; --d) dstr[d] = dstr[d + 1] * os[d + 1];
  if (ss[r - 1] == 1) {  // contiguous runs along the last out axis
    const i64 inner = os[r - 1], outer = total / inner;
    par_rows(outer, inner, [&](i64 o0, i64 o1, int) {
      for (i64 o = o0; o < o1; ++o) {
        i64 rest = o, so = 0;
        for (int d = r - 2; d >= 0; --d) {
          so += (rest % os[d]) * ss[d];
          rest /= os[d];
        }
        std::memcpy(dst + o * inner, src + so, (size_t)inner * 4);
      }
    });
    return;
  }
  // the source's unit-stride axis is out axis q < r-1: blocked 2-D transposes of (q, last) for every other index
  int q = 0;
  for (int d = 0; d < r; ++d)
    if (ss[d] == 1) q = d;
  const i64 nq = os[q], nl = os[r - 1];
  const i64 outer = total / (nq * nl);
  constexpr i64 B = 32;
  const i64 bq = (nq + B - 1) / B, bl = (nl + B - 1) / B;
  par_range(outer * bq * bl, 1, [&](i64 t0, i64 t1, int) {
    for (i64 t = t0; t < t1; ++t) {
      const i64 o = t / (bq * bl), blk = t % (bq * bl);
      const i64 q0 = (blk / bl) * B, l0 = (blk % bl) * B;
      i64 rest = o, so = 0, doff = 0;
      for (int d = r - 2; d >= 0; --d) {
        if (d == q) continue;
        const i64 idx = rest % os[d];
        rest /= os[d];
        so += idx * ss[d];
        doff += idx * dstr[d];
      }
      const i64 q1 = q0 + B < nq ? q0 + B : nq, l1 = l0 + B < nl ? l0 + B : nl;
      for (i64 l = l0; l < l1; ++l)
        for (i64 iq = q0; iq < q1; ++iq) dst[doff + iq * dstr[q] + l] = src[so + iq + l * ss[r - 1]];
    }
  });
}

void cast_f32_i32(const float* src, int32_t* dst, i64 n) {
  par_range(n, 65536, [&](i64 i0, i64 i1, int) {
    for (i64 i = i0; i < i1; ++i) {
      const float x = src[i];
      if (!std::isfinite(x)) {
        dst[i] = 0;
        continue;
      }
      const double t = std::trunc((double)x);
      if (t > -2147483648.0 && t < 2147483648.0) {
        dst[i] = (int32_t)t;
      } else {  // JavaScript ToInt32: modulo 2^32
        double m = std::fmod(t, 4294967296.0);
        if (m < 0) m += 4294967296.0;
        dst[i] = (int32_t)(uint32_t)m;
      }
    }
  });
}

void cast_i32_f32(const int32_t* src, float* dst, i64 n) {
  par_range(n, 65536, [&](i64 i0, i64 i1, int) {
    for (i64 i = i0; i < i1; ++i) dst[i] = (float)src[i];
  });
}

void index_select_u32(const uint32_t* src, i64 outer, i64 n, i64 inner, const int32_t* idx, i64 nIdx, uint32_t* out) {
  par_rows(outer * nIdx, inner, [&](i64 t0, i64 t1, int) {
    for (i64 t = t0; t < t1; ++t) {
      const i64 o = t / nIdx, j = t % nIdx;
      std::memcpy(out + t * inner, src + (o * n + idx[j]) * inner, (size_t)inner * 4);
    }
  });
}

template <class T>
static void index_add_t(const T* dout, i64 outer, i64 n, i64 inner, const int32_t* idx, i64 nIdx, T* dsrc) {
  // each task owns (outer index, block of columns) and adds the rows in index order: duplicates are safe and
  // the order of the additions is fixed
  constexpr i64 CB = 64;
  const i64 cblocks = (inner + CB - 1) / CB;
  auto task = [&](i64 t, int) {
    const i64 o = t / cblocks, c0 = (t % cblocks) * CB, c1 = c0 + CB < inner ? c0 + CB : inner;
    for (i64 j = 0; j < nIdx; ++j) {
      const T* s = dout + (o * nIdx + j) * inner;
      T* d = dsrc + (o * n + idx[j]) * inner;
      for (i64 c = c0; c < c1; ++c) d[c] += s[c];
    }
  };
  const i64 tasks = outer * cblocks;
  if ((double)outer * (double)nIdx * (double)inner < 32768.0) {
    for (i64 t = 0; t < tasks; ++t) task(t, 0);
  } else {
    parallel(tasks, task);
  }
}

void index_add_f32(const float* dout, i64 outer, i64 n, i64 inner, const int32_t* idx, i64 nIdx, float* dsrc) {
  index_add_t(dout, outer, n, inner, idx, nIdx, dsrc);
}
void index_add_i32(const int32_t* dout, i64 outer, i64 n, i64 inner, const int32_t* idx, i64 nIdx, int32_t* dsrc) {
  index_add_t(dout, outer, n, inner, idx, nIdx, dsrc);
}

void im2patch(const float* x, i64 batch, i64 channels, i64 height, i64 width, i64 p, float* out) {
  const i64 ph = height / p, pw = width / p, np = ph * pw, pd = channels * p * p;
  par_rows(batch * np, pd, [&](i64 t0, i64 t1, int) {
    for (i64 t = t0; t < t1; ++t) {
      const i64 b = t / np, py = (t % np) / pw, px = t % pw;
      float* o = out + t * pd;
      for (i64 c = 0; c < channels; ++c)
        for (i64 r = 0; r < p; ++r)
          std::memcpy(o + (c * p + r) * p, x + ((b * channels + c) * height + py * p + r) * width + px * p,
                      (size_t)p * 4);
    }
  });
}

void patch2im(const float* dp, i64 batch, i64 channels, i64 height, i64 width, i64 p, float* dx, bool acc) {
  const i64 ph = height / p, pw = width / p, np = ph * pw, pd = channels * p * p;
  par_rows(batch * np, pd, [&](i64 t0, i64 t1, int) {
    for (i64 t = t0; t < t1; ++t) {
      const i64 b = t / np, py = (t % np) / pw, px = t % pw;
      const float* s = dp + t * pd;
      for (i64 c = 0; c < channels; ++c)
        for (i64 r = 0; r < p; ++r) {
          const float* sr = s + (c * p + r) * p;
          float* d = dx + ((b * channels + c) * height + py * p + r) * width + px * p;
          if (acc)
            for (i64 k = 0; k < p; ++k) d[k] += sr[k];
          else
            std::memcpy(d, sr, (size_t)p * 4);
        }
    }
  });
}

}  // namespace mulki
