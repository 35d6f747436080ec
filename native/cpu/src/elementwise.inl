// Elementwise kernels and sum reductions (included inside the ISA namespace).
// Reductions accumulate in double over a fixed partition of the data (independent of the thread count and of
// timing), so they return the same bits on every run.

/** f applied to every W-lane block of [0, n), the last block masked: f(offset, lanes). */
template <class F>
static inline void for_lanes(i64 n, F&& f) {
  i64 i = 0;
  for (; i + W <= n; i += W) f(i, W);
  if (i < n) f(i, (int)(n - i));
}
static inline vf ld(const float* p, int lanes) { return lanes == W ? vload(p) : vloadn(p, lanes); }
static inline void st(float* p, vf x, int lanes) {
  if (lanes == W) vstore(p, x);
  else vstoren(p, x, lanes);
}

// ---- binary with broadcast strides ----

template <int OP>
static inline vf vbin(vf x, vf y) {
  if constexpr (OP == BIN_ADD) return vadd(x, y);
  else if constexpr (OP == BIN_SUB) return vsub(x, y);
  else if constexpr (OP == BIN_MUL) return vmul(x, y);
  else return vdiv(x, y);
}

template <int OP>
static void binary_row(const float* a, i64 as, const float* b, i64 bs, float* o, i64 n) {
  if (as == 1 && bs == 1) {
    for_lanes(n, [&](i64 i, int l) { st(o + i, vbin<OP>(ld(a + i, l), ld(b + i, l)), l); });
  } else if (as == 1 && bs == 0) {
    const vf y = vset1(*b);
    for_lanes(n, [&](i64 i, int l) { st(o + i, vbin<OP>(ld(a + i, l), y), l); });
  } else if (as == 0 && bs == 1) {
    const vf x = vset1(*a);
    for_lanes(n, [&](i64 i, int l) { st(o + i, vbin<OP>(x, ld(b + i, l)), l); });
  } else {
    for (i64 i = 0; i < n; ++i) {
      float r;
      if constexpr (OP == BIN_ADD) r = a[i * as] + b[i * bs];
      else if constexpr (OP == BIN_SUB) r = a[i * as] - b[i * bs];
      else if constexpr (OP == BIN_MUL) r = a[i * as] * b[i * bs];
      else r = a[i * as] / b[i * bs];
      o[i] = r;
    }
  }
}

template <int OP>
static void binary_op(const float* a, const i64* as0, const float* b, const i64* bs0, float* out, const i64* shape0,
                      int rank0) {
  i64 total = 1;
  for (int d = 0; d < rank0; ++d) total *= shape0[d];
  if (total == 0) return;
  // drop size-1 axes, merge neighbours that are contiguous for both inputs
  i64 shape[MAX_RANK], as[MAX_RANK], bs[MAX_RANK];
  int r = 0;
  for (int d = 0; d < rank0; ++d) {
    if (shape0[d] == 1) continue;
    if (r > 0 && as[r - 1] == as0[d] * shape0[d] && bs[r - 1] == bs0[d] * shape0[d]) {
      shape[r - 1] *= shape0[d];
      as[r - 1] = as0[d];
      bs[r - 1] = bs0[d];
    } else {
      shape[r] = shape0[d];
      as[r] = as0[d];
      bs[r] = bs0[d];
      ++r;
    }
  }
  if (r == 0) {
    shape[0] = 1;
    as[0] = bs[0] = 0;
    r = 1;
  }
  const i64 inner = shape[r - 1], outer = total / inner;
  par_rows(outer, inner, [&](i64 o0, i64 o1, int) {
    for (i64 o = o0; o < o1; ++o) {
      i64 rest = o, ao = 0, bo = 0;
      for (int d = r - 2; d >= 0; --d) {
        const i64 idx = rest % shape[d];
        rest /= shape[d];
        ao += idx * as[d];
        bo += idx * bs[d];
      }
      binary_row<OP>(a + ao, as[r - 1], b + bo, bs[r - 1], out + o * inner, inner);
    }
  });
}

static void binary(int op, const float* a, const i64* as, const float* b, const i64* bs, float* out, const i64* shape,
                   int rank) {
  switch (op) {
    case BIN_ADD: return binary_op<BIN_ADD>(a, as, b, bs, out, shape, rank);
    case BIN_SUB: return binary_op<BIN_SUB>(a, as, b, bs, out, shape, rank);
    case BIN_MUL: return binary_op<BIN_MUL>(a, as, b, bs, out, shape, rank);
    default: return binary_op<BIN_DIV>(a, as, b, bs, out, shape, rank);
  }
}

// ---- unary, affine, axpy ----

template <int OP>
static inline vf vun(vf x) {
  if constexpr (OP == UN_NEG) return vsub(vzero(), x);
  else if constexpr (OP == UN_EXP) return vexp(x);
  else if constexpr (OP == UN_SQRT) return vsqrt(x);
  else if constexpr (OP == UN_RSQRT) return vdiv(vset1(1.0f), vsqrt(x));
  else if constexpr (OP == UN_SQUARE) return vmul(x, x);
  else if constexpr (OP == UN_ABS) return vabs(x);
  else return vdiv(vset1(1.0f), x);
}

template <int OP>
static void unary_op(const float* x, float* out, i64 n) {
  par_range(n, 32768, [&](i64 i0, i64 i1, int) {
    if constexpr (OP == UN_LOG) {
      for (i64 i = i0; i < i1; ++i) out[i] = __builtin_logf(x[i]);
    } else {
      for_lanes(i1 - i0, [&](i64 i, int l) { st(out + i0 + i, vun<OP>(ld(x + i0 + i, l)), l); });
    }
  });
}

static void unary(int op, const float* x, float* out, i64 n) {
  switch (op) {
    case UN_NEG: return unary_op<UN_NEG>(x, out, n);
    case UN_EXP: return unary_op<UN_EXP>(x, out, n);
    case UN_LOG: return unary_op<UN_LOG>(x, out, n);
    case UN_SQRT: return unary_op<UN_SQRT>(x, out, n);
    case UN_RSQRT: return unary_op<UN_RSQRT>(x, out, n);
    case UN_SQUARE: return unary_op<UN_SQUARE>(x, out, n);
    case UN_ABS: return unary_op<UN_ABS>(x, out, n);
    default: return unary_op<UN_RECIP>(x, out, n);
  }
}

static void affine(const float* x, float alpha, float beta, float* out, i64 n) {
  par_range(n, 32768, [&](i64 i0, i64 i1, int) {
    const vf va = vset1(alpha), vb = vset1(beta);
    for_lanes(i1 - i0, [&](i64 i, int l) { st(out + i0 + i, vfma(va, ld(x + i0 + i, l), vb), l); });
  });
}

static void axpy(float alpha, const float* x, float* y, i64 n) {
  par_range(n, 32768, [&](i64 i0, i64 i1, int) {
    const vf va = vset1(alpha);
    for_lanes(i1 - i0, [&](i64 i, int l) { st(y + i0 + i, vfma(va, ld(x + i0 + i, l), ld(y + i0 + i, l)), l); });
  });
}

// ---- reductions ----

/** Sum of n contiguous floats in double, 8 lanes then the lanes in order. */
static double sum_contig(const float* x, i64 n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  i64 i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) acc[l] += (double)x[i + l];
  for (; i < n; ++i) acc[i & 7] += (double)x[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

static double sum_squares(const float* x, i64 n) {
  constexpr i64 CH = 65536;
  const i64 chunks = (n + CH - 1) / CH;
  if (chunks == 0) return 0.0;
  double* part = static_cast<double*>(pool_shared_scratch((size_t)chunks * sizeof(double)));
  auto one = [&](i64 c, int) {
    const float* p = x + c * CH;
    const i64 len = imin(CH, n - c * CH);
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    i64 i = 0;
    for (; i + 8 <= len; i += 8)
      for (int l = 0; l < 8; ++l) acc[l] += (double)p[i + l] * (double)p[i + l];
    for (; i < len; ++i) acc[i & 7] += (double)p[i] * (double)p[i];
    part[c] = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  };
  if (chunks == 1) one(0, 0);
  else parallel(chunks, one);
  double s = 0.0;
  for (i64 c = 0; c < chunks; ++c) s += part[c];
  return s;
}

/** out[c] (+)= sum_r x[r * cols + c] for columns [c0, c1), rows in order, double accumulators. */
static void sum_rows_block(const float* x, i64 rows, i64 cols, i64 c0, i64 c1, float* out, bool acc) {
  double s[64];
  const i64 w = c1 - c0;
  for (i64 j = 0; j < w; ++j) s[j] = 0.0;
  for (i64 r = 0; r < rows; ++r) {
    const float* xr = x + r * cols + c0;
    for (i64 j = 0; j < w; ++j) s[j] += (double)xr[j];
  }
  for (i64 j = 0; j < w; ++j) out[c0 + j] = acc ? (float)((double)out[c0 + j] + s[j]) : (float)s[j];
}

static void sum_rows(const float* x, i64 rows, i64 cols, float* out, bool acc) {
  if (cols <= 0) return;
  constexpr i64 RCH = 4096;
  if (cols < 64 && rows >= 2 * RCH) {
    // few columns, many rows: fixed row chunks give per-chunk partial sums, added in chunk order
    const i64 chunks = (rows + RCH - 1) / RCH;
    double* part = static_cast<double*>(pool_shared_scratch((size_t)(chunks * cols) * sizeof(double)));
    parallel(chunks, [&](i64 c, int) {
      double* s = part + c * cols;
      for (i64 j = 0; j < cols; ++j) s[j] = 0.0;
      const i64 r1 = imin(rows, (c + 1) * RCH);
      for (i64 r = c * RCH; r < r1; ++r)
        for (i64 j = 0; j < cols; ++j) s[j] += (double)x[r * cols + j];
    });
    for (i64 j = 0; j < cols; ++j) {
      double s = 0.0;
      for (i64 c = 0; c < chunks; ++c) s += part[c * cols + j];
      out[j] = acc ? (float)((double)out[j] + s) : (float)s;
    }
    return;
  }
  const i64 blocks = (cols + 63) / 64;
  auto one = [&](i64 bk, int) { sum_rows_block(x, rows, cols, bk * 64, imin(cols, bk * 64 + 64), out, acc); };
  if ((double)rows * (double)cols < 65536.0) {
    for (i64 bk = 0; bk < blocks; ++bk) one(bk, 0);
  } else {
    parallel(blocks, one);
  }
}

/** out[r] (+)= sum of row r (contiguous rows of `cols`). */
static void sum_cols(const float* x, i64 rows, i64 cols, float* out, bool acc) {
  par_rows(rows, cols, [&](i64 r0, i64 r1, int) {
    for (i64 r = r0; r < r1; ++r) {
      const double s = sum_contig(x + r * cols, cols);
      out[r] = acc ? (float)((double)out[r] + s) : (float)s;
    }
  });
}

static void sum_to(const float* x, const i64* xs, float* out, const i64* os, int rank, bool acc) {
  i64 total = 1, nout = 1;
  for (int d = 0; d < rank; ++d) {
    total *= xs[d];
    nout *= os[d];
  }
  if (nout == 0) return;
  if (total == 0) {
    if (!acc)
      for (i64 i = 0; i < nout; ++i) out[i] = 0.0f;
    return;
  }
  // collapse into alternating kept (K) / reduced (R) groups; size-1 axes vanish
  i64 size[MAX_RANK];
  bool red[MAX_RANK];
  int g = 0;
  for (int d = 0; d < rank; ++d) {
    if (xs[d] == 1) continue;
    const bool r = os[d] == 1;
    if (g > 0 && red[g - 1] == r) {
      size[g - 1] *= xs[d];
    } else {
      size[g] = xs[d];
      red[g] = r;
      ++g;
    }
  }
  if (g == 0) {  // a single element
    out[0] = acc ? out[0] + x[0] : x[0];
    return;
  }
  if (g == 1 && !red[0]) {  // nothing reduced
    par_range(total, 32768, [&](i64 i0, i64 i1, int) {
      for (i64 i = i0; i < i1; ++i) out[i] = acc ? out[i] + x[i] : x[i];
    });
    return;
  }
  if (g == 1) {  // everything reduced
    const double s = sum_contig(x, total);
    out[0] = acc ? (float)((double)out[0] + s) : (float)s;
    return;
  }
  if (g == 2 && red[0]) return sum_rows(x, size[0], size[1], out, acc);
  if (g == 2) return sum_cols(x, size[0], size[1], out, acc);
  // general: element strides of the collapsed groups in x
  i64 xstr[MAX_RANK];
  xstr[g - 1] = 1;
  for (int d = g - 2; d >= 0; --d) xstr[d] = xstr[d + 1] * size[d + 1];
  int kd[MAX_RANK], rd[MAX_RANK], nk = 0, nr = 0;
  i64 nred = 1;
  for (int d = 0; d < g; ++d) {
    if (red[d]) {
      rd[nr++] = d;
      nred *= size[d];
    } else {
      kd[nk++] = d;
    }
  }
  // each out element: the sum over the reduced groups in lexicographic order
  par_range(nout, imax(1, 32768 / imax(1, nred)), [&](i64 o0, i64 o1, int) {
    for (i64 o = o0; o < o1; ++o) {
      i64 rest = o, base = 0;
      for (int q = nk - 1; q >= 0; --q) {
        base += (rest % size[kd[q]]) * xstr[kd[q]];
        rest /= size[kd[q]];
      }
      double s = 0.0;
      for (i64 t = 0; t < nred; ++t) {
        i64 rr = t, off = base;
        for (int q = nr - 1; q >= 0; --q) {
          off += (rr % size[rd[q]]) * xstr[rd[q]];
          rr /= size[rd[q]];
        }
        s += (double)x[off];
      }
      out[o] = acc ? (float)((double)out[o] + s) : (float)s;
    }
  });
}
