// GEMM for one ISA (included inside the ISA namespace, after simd.h and parallel.inl).
//
// C = alpha * op(A) op(B) + beta * C, BLIS style:
//   for each column block (NC) of the tile:
//     for each k block (KC, the same split for every tile, so results do not depend on the tiling):
//       pack B block (KC x NC) into panels of NR columns (zero-padded)      -> stays in L2
//       for each row block (MC): (transposed A only) pack A into panels of MR rows
//         for each A panel (MR x KC, stays in L1), for each B panel: micro-kernel MR x NR; the C tile is
//         prefetched when the kernel starts and updated once per k block
// The micro-kernel keeps an MR x NV vector tile of accumulators in registers. It reads A either packed /
// column-major (A(i, p) = a[p * stride + i]) or row-major through MR row pointers (no packing needed: the MR rows
// stay in L1 while the kernel sweeps the B block), and B packed or row-major with masked edge loads (the
// small-GEMM path: packing costs more than it saves when the other dimension is small).
// Every element of C sums its k products in the same order (ascending k inside each KC block, KC blocks in
// order) whatever the tiling, the threads or the packing: the result is deterministic.

#if defined(MULKI_ISA_AVX512)
constexpr int GEMM_MR = 6, GEMM_NV = 4;
#elif defined(MULKI_ISA_AVX2)
constexpr int GEMM_MR = 6, GEMM_NV = 2;
#else
constexpr int GEMM_MR = 6, GEMM_NV = 2;
#endif
constexpr int GEMM_NR = GEMM_NV * W;
constexpr i64 GEMM_KC = 384;
constexpr i64 GEMM_MC = 16 * GEMM_MR;
constexpr i64 GEMM_NC = 384;  // a multiple of every GEMM_NR; KC x NC floats (576 KB) stay in a 1 MB L2

/**
 * One micro-tile: C[0..R) x [0..ncols) = alpha * sum_p A(i, p) B(p, j) + beta * C (beta ignored when !readc).
 * A(i, p) = AROWS ? a[i * as + p] : a[p * as + i].  B(p, j) = b[p * ldb + j]; the last of the NV vectors holds
 * `lastn` valid columns (BMASK: load only those; otherwise B is padded).
 */
template <int R, int NVV, bool BMASK, bool AROWS>
static void ukernel(i64 kc, const float* a, i64 as, const float* b, i64 ldb, int lastn, float* c, i64 ldc,
                    float alpha, float beta, bool readc) {
  vf acc[R][NVV];
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i)
    for (int q = 0; q < NVV * W; q += 16) __builtin_prefetch(c + i * ldc + q, 1, 3);
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < NVV; ++v) acc[i][v] = vzero();
  for (i64 p = 0; p < kc; ++p) {
    vf bv[NVV];
#pragma GCC unroll 8
    for (int v = 0; v < NVV; ++v) bv[v] = (BMASK && v == NVV - 1) ? vloadn(b + v * W, lastn) : vload(b + v * W);
    b += ldb;
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      vf av = vset1(AROWS ? a[i * as + p] : a[i]);
#pragma GCC unroll 8
      for (int v = 0; v < NVV; ++v) acc[i][v] = vfma(av, bv[v], acc[i][v]);
    }
    if (!AROWS) a += as;
  }
  const vf va = vset1(alpha), vb = vset1(beta);
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) {
    float* cr = c + i * ldc;
#pragma GCC unroll 8
    for (int v = 0; v < NVV; ++v) {
      vf r = vmul(acc[i][v], va);
      if (v == NVV - 1 && lastn < W) {
        if (readc) r = vfma(vloadn(cr + v * W, lastn), vb, r);
        vstoren(cr + v * W, r, lastn);
      } else {
        if (readc) r = vfma(vload(cr + v * W), vb, r);
        vstore(cr + v * W, r);
      }
    }
  }
}

typedef void (*UKernel)(i64, const float*, i64, const float*, i64, int, float*, i64, float, float, bool);

template <int R, int V, bool BM, bool AR>
struct PickV {
  static UKernel get(int nv) {
    if (nv == V) return &ukernel<R, V, BM, AR>;
    if constexpr (V > 1) return PickV<R, V - 1, BM, AR>::get(nv);
    return nullptr;
  }
};
template <int R, bool BM, bool AR>
struct PickR {
  static UKernel get(int r, int nv) {
    if (r == R) return PickV<R, GEMM_NV, BM, AR>::get(nv);
    if constexpr (R > 1) return PickR<R - 1, BM, AR>::get(r, nv);
    return nullptr;
  }
};

struct UKernelTable {
  UKernel k[2][2][GEMM_MR + 1][GEMM_NV + 1];
  UKernelTable() {
    for (int r = 1; r <= GEMM_MR; ++r)
      for (int v = 1; v <= GEMM_NV; ++v) {
        k[0][0][r][v] = PickR<GEMM_MR, false, false>::get(r, v);
        k[0][1][r][v] = PickR<GEMM_MR, false, true>::get(r, v);
        k[1][0][r][v] = PickR<GEMM_MR, true, false>::get(r, v);
        k[1][1][r][v] = PickR<GEMM_MR, true, true>::get(r, v);
      }
  }
};
/** Built on first use (never at load time: this code may not run on the CPU that loads the addon). */
static const UKernelTable& ukernel_table() {
  static const UKernelTable t;
  return t;
}

/**
 * Packs rows [i0, i0+mc) x k [p0, p0+kc) of a transposed A (A(i, p) = a[p * lda + i]) into panels of MR rows:
 * panel q at dst + q*MR*kc, laid out [p][i]. Row p of the stored A holds the mc values of every panel: it is
 * read once, in order (one page per p), and each panel gets its MR values. (A row-major A is not packed: the
 * micro-kernel reads its MR rows in place.)
 */
static void pack_a_t(const float* a, i64 lda, i64 i0, i64 mc, i64 p0, i64 kc, float* dst) {
  for (i64 p = 0; p < kc; ++p) {
    const float* s = a + (p0 + p) * lda + i0;
    float* d = dst + p * GEMM_MR;
    for (i64 ir = 0; ir < mc; ir += GEMM_MR, d += GEMM_MR * kc) {
      const i64 r = imin(GEMM_MR, mc - ir);
      if constexpr (W >= GEMM_MR) {
        vstoren(d, vloadn(s + ir, (int)r), (int)r);
      } else {
        for (i64 i = 0; i < r; ++i) d[i] = s[ir + i];
      }
    }
  }
}

/**
 * Packs k [p0, p0+kc) x columns [j0, j0+nc) of op(B) into panels of NR columns; panel q starts at dst + q*NR*kc
 * and has row stride ceil(width/W)*W (the last panel is narrower), zero-padded to that width.
 */
static void pack_b(bool transB, const float* b, i64 ldb, i64 p0, i64 kc, i64 j0, i64 nc, float* dst) {
  for (i64 jr = 0; jr < nc; jr += GEMM_NR) {
    const i64 w = imin(GEMM_NR, nc - jr);
    const i64 rs = (w + W - 1) / W * W;
    float* d = dst + jr * kc;
    if (!transB) {  // B(p, j) = b[p * ldb + j]
      const float* s = b + p0 * ldb + j0 + jr;
      if (w == GEMM_NR) {
        for (i64 p = 0; p < kc; ++p, s += ldb, d += GEMM_NR)
#pragma GCC unroll 8
          for (int v = 0; v < GEMM_NV; ++v) vstore(d + v * W, vload(s + v * W));
      } else {
        for (i64 p = 0; p < kc; ++p, s += ldb, d += rs) {
          for (i64 j = 0; j < w; ++j) d[j] = s[j];
          for (i64 j = w; j < rs; ++j) d[j] = 0.0f;
        }
      }
    } else {  // B(p, j) = b[j * ldb + p]: W x W block transposes, scalar edges, zero padding
      const float* s = b + (j0 + jr) * ldb + p0;
      const i64 wf = w / W * W, kf = kc / W * W;
      for (i64 j = 0; j < wf; j += W)
        for (i64 pb = 0; pb < kf; pb += W) vtranspose(s + j * ldb + pb, ldb, d + pb * rs + j, rs);
      for (i64 j = 0; j < wf; ++j)
        for (i64 p = kf; p < kc; ++p) d[p * rs + j] = s[j * ldb + p];
      for (i64 j = wf; j < w; ++j)
        for (i64 p = 0; p < kc; ++p) d[p * rs + j] = s[j * ldb + p];
      for (i64 p = 0; p < kc; ++p)
        for (i64 j = w; j < rs; ++j) d[p * rs + j] = 0.0f;
    }
  }
}

/** How many k blocks, and their size (all but the last equal): the same for every tile of a product. */
static inline i64 gemm_kc(i64 k) {
  const i64 nk = (k + GEMM_KC - 1) / GEMM_KC;
  return nk <= 1 ? k : (k + nk - 1) / nk;
}

/** C = beta * C (beta = 0 writes zeros without reading C). */
static void scale_c(float* c, i64 ldc, i64 m, i64 n, float beta) {
  for (i64 i = 0; i < m; ++i) {
    float* r = c + i * ldc;
    if (beta == 0.0f)
      for (i64 j = 0; j < n; ++j) r[j] = 0.0f;
    else if (beta != 1.0f)
      for (i64 j = 0; j < n; ++j) r[j] *= beta;
  }
}

/** out[r] = x . ys[r] for r < R (contiguous vectors of n): x is loaded once for all R. */
template <int R>
static inline void multidot(const float* x, const float* const* ys, i64 n, float* out) {
  vf s0[R], s1[R];
  for (int r = 0; r < R; ++r) s0[r] = s1[r] = vzero();
  i64 i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    const vf x0 = vload(x + i), x1 = vload(x + i + W);
    for (int r = 0; r < R; ++r) {
      s0[r] = vfma(x0, vload(ys[r] + i), s0[r]);
      s1[r] = vfma(x1, vload(ys[r] + i + W), s1[r]);
    }
  }
  for (; i + W <= n; i += W) {
    const vf x0 = vload(x + i);
    for (int r = 0; r < R; ++r) s0[r] = vfma(x0, vload(ys[r] + i), s0[r]);
  }
  if (i < n) {
    const int l = (int)(n - i);
    const vf x0 = vloadn(x + i, l);
    for (int r = 0; r < R; ++r) s1[r] = vfma(x0, vloadn(ys[r] + i, l), s1[r]);
  }
  for (int r = 0; r < R; ++r) out[r] = vhsum(vadd(s0[r], s1[r]));
}

static void multidot_n(const float* x, const float* const* ys, i64 count, i64 n, float* out) {
  switch (count) {
    case 1: return multidot<1>(x, ys, n, out);
    case 2: return multidot<2>(x, ys, n, out);
    case 3: return multidot<3>(x, ys, n, out);
    default: return multidot<4>(x, ys, n, out);
  }
}

/** Contiguous copy of row/column `idx` of a strided matrix: v[p] = base[p * stride]. */
static const float* gather(const float* base, i64 stride, i64 n, float* tmp) {
  if (stride == 1) return base;
  for (i64 p = 0; p < n; ++p) tmp[p] = base[p * stride];
  return tmp;
}

/** Asks for a strided block (rows x cols floats, row stride ld) to be brought into L1 (L1) or L2 (!L1). */
template <bool L1 = true>
static inline void prefetch_block(const float* p, i64 rows, i64 cols, i64 ld) {
  for (i64 r = 0; r < rows; ++r) {
    for (i64 c = 0; c < cols; c += 16) __builtin_prefetch(p + r * ld + c, 0, L1 ? 3 : 2);
    __builtin_prefetch(p + r * ld + cols - 1, 0, L1 ? 3 : 2);
  }
}

/** Up to this many rows (columns), a product whose long operand is contiguous along k is done as dot products. */
constexpr i64 GEMM_DOT_MAX = 4;

/**
 * One GEMM as dot products along k: when m (or n) is tiny and B (or A) is contiguous along k. Packing would cost
 * about as much as the product then, and each element of the long operand is read once, straight from memory.
 * (From 5 rows on, packing and the micro-kernel win: measured on m, n = 8, 12, 16.)
 */
static bool gemm_dot_ok(const GemmArgs& g) {
  return (g.m <= GEMM_DOT_MAX && g.transB) || (g.n <= GEMM_DOT_MAX && !g.transA);
}

/** C = alpha * s + beta * C for one element (C not read when beta = 0). */
static inline void store_c(const GemmArgs& g, float* cp, float s) {
  *cp = g.beta == 0.0f ? g.alpha * s : g.alpha * s + g.beta * *cp;
}

/** Rows [i0, i1) x columns [j0, j1) of one product as dot products along k (the short span is <= GEMM_DOT_MAX). */
static void gemm_dot(const GemmArgs& g, const float* A, const float* B, float* C, i64 i0, i64 i1, i64 j0, i64 j1,
                     int thread) {
  const i64 k = g.k;
  float* tmp = pool_scratch(thread, (size_t)(GEMM_DOT_MAX * k), 0);
  const float* v[GEMM_DOT_MAX];
  float s[4];
  if (g.m <= GEMM_DOT_MAX && g.transB) {  // the rows of op(A), 4 at a time, against each row j of B
    for (i64 i = i0; i < i1; ++i) v[i - i0] = g.transA ? gather(A + i, g.lda, k, tmp + (i - i0) * k) : A + i * g.lda;
    for (i64 j = j0; j < j1; ++j)
      for (i64 i = i0; i < i1; i += 4) {
        const i64 cnt = imin(4, i1 - i);
        multidot_n(B + j * g.ldb, v + (i - i0), cnt, k, s);
        for (i64 q = 0; q < cnt; ++q) store_c(g, C + (i + q) * g.ldc + j, s[q]);
      }
  } else {  // each row i of A against the columns of op(B), 4 at a time
    for (i64 j = j0; j < j1; ++j) v[j - j0] = g.transB ? B + j * g.ldb : gather(B + j, g.ldb, k, tmp + (j - j0) * k);
    for (i64 i = i0; i < i1; ++i)
      for (i64 j = j0; j < j1; j += 4) {
        const i64 cnt = imin(4, j1 - j);
        multidot_n(A + i * g.lda, v + (j - j0), cnt, k, s);
        for (i64 q = 0; q < cnt; ++q) store_c(g, C + i * g.ldc + j + q, s[q]);
      }
  }
}

/**
 * With row-major A and transposed B, the last columns of C, when they would fill less than a quarter of a
 * vector (n mod NR in 1..W/4), are dot products instead of a nearly empty micro-panel. Decided on the whole n
 * (not the tile), so the result does not depend on the tiling.
 */
static inline i64 gemm_dot_tail(const GemmArgs& g) {
  if (g.transA || !g.transB) return 0;
  const i64 t = g.n % GEMM_NR;
  return t <= W / 4 ? t : 0;
}

/** Dot-product columns [j0, j1) (at most 4) of rows [m0, m1): row-major A, transposed B. */
static void gemm_tail_cols(const GemmArgs& g, const float* A, const float* B, float* C, i64 m0, i64 m1, i64 j0,
                           i64 j1) {
  const float* v[4];
  float s[4];
  for (i64 j = j0; j < j1; ++j)
    for (i64 i = m0; i < m1; i += 4) {
      const i64 cnt = imin(4, m1 - i);
      for (i64 q = 0; q < cnt; ++q) v[q] = A + (i + q) * g.lda;
      multidot_n(B + j * g.ldb, v, cnt, g.k, s);
      for (i64 q = 0; q < cnt; ++q) store_c(g, C + (i + q) * g.ldc + j, s[q]);
    }
}

/**
 * Rows [m0, m1) x columns [n0, n1) of one product (A, B, C are the batch item's matrices), on one thread.
 * nextA / nextB (optional): the operands of the product this thread computes next; their cache lines are
 * requested a few at a time, one share per row panel, while this one is computed.
 */
static void gemm_tile(const GemmArgs& g, const float* A, const float* B, float* C, i64 m0, i64 m1, i64 n0, i64 n1,
                      int thread, const float* nextA = nullptr, const float* nextB = nullptr) {
  const i64 k = g.k;
  if (m1 <= m0 || n1 <= n0) return;
  if (k == 0 || g.alpha == 0.0f) {
    scale_c(C + m0 * g.ldc + n0, g.ldc, m1 - m0, n1 - n0, g.beta);
    return;
  }
  if (gemm_dot_ok(g)) {
    gemm_dot(g, A, B, C, m0, m1, n0, n1, thread);
    return;
  }
  const i64 tail0 = imax(n0, g.n - gemm_dot_tail(g));  // columns from here on are dot products
  const i64 n1main = imin(n1, tail0);
  const i64 mt = m1 - m0, nt = n1main - n0;
  const i64 kcb = gemm_kc(k);
  const bool packB = g.transB || mt > 16 * GEMM_MR;
  const bool packA = g.transA && nt > 2 * GEMM_NR;
  float* pa = packA ? pool_scratch(thread, (size_t)(GEMM_MC * kcb), 0) : nullptr;
  float* pb = packB ? pool_scratch(thread, (size_t)(GEMM_NC * kcb), 1) : nullptr;
  const UKernelTable& ukernels = ukernel_table();
  const i64 panels = (mt + GEMM_MR - 1) / GEMM_MR;
  for (i64 jc = n0; jc < n1main; jc += GEMM_NC) {
    const i64 nc = imin(GEMM_NC, n1main - jc);
    for (i64 pc = 0; pc < k; pc += kcb) {
      const i64 kc = imin(kcb, k - pc);
      const bool first = pc == 0;
      const float beta = first ? g.beta : 1.0f;
      const bool readc = !(first && g.beta == 0.0f);
      if (packB) pack_b(g.transB, B, g.ldb, pc, kc, jc, nc, pb);
      for (i64 ic = m0; ic < m1; ic += GEMM_MC) {
        const i64 mc = imin(GEMM_MC, m1 - ic);
        if (packA) pack_a_t(A, g.lda, ic, mc, pc, kc, pa);
        for (i64 ir = 0; ir < mc; ir += GEMM_MR) {
          const int r = (int)imin(GEMM_MR, mc - ir);
          if ((nextA || nextB) && jc == n0 && first) {  // share q of `panels` of the next product's operands
            const i64 q = (ic - m0 + ir) / GEMM_MR;
            if (nextA) {
              const i64 a0 = g.m * q / panels, a1 = g.m * (q + 1) / panels;
              if (g.transA) prefetch_block<false>(nextA + a0, k, a1 - a0, g.lda);
              else prefetch_block<false>(nextA + a0 * g.lda, a1 - a0, k, g.lda);
            }
            if (nextB) {
              const i64 b0 = g.n * q / panels, b1 = g.n * (q + 1) / panels;
              if (g.transB) prefetch_block<false>(nextB + b0 * g.ldb, b1 - b0, k, g.ldb);
              else prefetch_block<false>(nextB + b0, k, b1 - b0, g.ldb);
            }
          }
          const float* ap;
          i64 as;
          bool arows = false;
          if (packA) {
            ap = pa + ir * kc;
            as = GEMM_MR;
          } else if (g.transA) {
            ap = A + pc * g.lda + ic + ir;
            as = g.lda;
          } else {
            ap = A + (ic + ir) * g.lda + pc;
            as = g.lda;
            arows = true;
          }
          float* cp = C + (ic + ir) * g.ldc + jc;
          for (i64 jr = 0; jr < nc; jr += GEMM_NR) {
            const i64 w = imin(GEMM_NR, nc - jr);
            const int nv = (int)((w + W - 1) / W);
            const int lastn = (int)(w - (nv - 1) * W);
            const float* bp;
            i64 ldbp;
            bool bmask = false;
            if (packB) {
              bp = pb + jr * kc;
              ldbp = nv * W;
            } else {
              bp = B + pc * g.ldb + jc + jr;
              ldbp = g.ldb;
              bmask = lastn < W;
            }
            ukernels.k[bmask][arows][r][nv](kc, ap, as, bp, ldbp, lastn, cp + jr, g.ldc, g.alpha, beta, readc);
          }
        }
      }
    }
  }
  if (n1 > n1main) gemm_tail_cols(g, A, B, C, m0, m1, n1main, n1);
}

/**
 * A whole product on the calling thread (used inside other parallel kernels, e.g. attention); nextA / nextB:
 * operands of the same shape needed next, prefetched into L2 along the way (optional).
 */
static void gemm_st(bool transA, bool transB, i64 m, i64 n, i64 k, float alpha, const float* a, i64 lda,
                    const float* b, i64 ldb, float beta, float* c, i64 ldc, int thread, const float* nextA = nullptr,
                    const float* nextB = nullptr) {
  GemmArgs g{transA, transB, m, n, k, alpha, beta, a, lda, 0, b, ldb, 0, c, ldc, 0, 1};
  gemm_tile(g, a, b, c, 0, m, 0, n, thread, nextA, nextB);
}

/**
 * The public batched GEMM. Work is cut into tasks = (batch item, row range, column range); the ranges are
 * multiples of MR / NR, about 3 tasks per thread when the batch alone does not provide them, and none so small
 * that a thread's wake-up would cost more than it saves.
 */
static void gemm(const GemmArgs& g) {
  if (g.m <= 0 || g.n <= 0 || g.batch <= 0) return;
  const double work = (double)g.m * (double)g.n * (double)(g.k > 0 ? g.k : 1);
  const int T = pool_threads();
  i64 gm = 1, gn = 1;
  i64 unitM = gemm_dot_ok(g) ? 1 : GEMM_MR, unitN = gemm_dot_ok(g) ? 1 : GEMM_NR;
  const double min_tile_work = 1 << 17;
  if (g.batch < 3 * T && T > 1) {
    const i64 want = (3 * T + g.batch - 1) / g.batch;
    i64 tiles = (i64)(work / min_tile_work);
    tiles = imax(1, imin(want, tiles));
    if (gemm_dot_ok(g)) {  // split the long side
      if (g.m <= GEMM_DOT_MAX && g.transB) gn = imin(tiles, g.n);
      else gm = imin(tiles, g.m);
    } else {
      // A tile packs its own part of B, and of A when A is transposed (row-major A is read in place). Column
      // tiles repack nothing of a row-major A; with a transposed A, split the longer side (less repacking).
      // Whole NC column blocks when there are enough of them; the other side only when the first runs out.
      const i64 mu = (g.m + GEMM_MR - 1) / GEMM_MR, nu = (g.n + GEMM_NR - 1) / GEMM_NR;
      const i64 nb = (g.n + GEMM_NC - 1) / GEMM_NC;
      if (g.transA && g.m >= g.n) {
        gm = imin(tiles, mu);
        gn = imin((tiles + gm - 1) / gm, nu);
      } else if (nb >= tiles) {
        gn = imin(nb, 4 * tiles);
        unitN = GEMM_NC;
      } else {
        gn = imin(tiles, nu);
        gm = imin((tiles + gn - 1) / gn, mu);
      }
    }
  }
  auto range = [](i64 len, i64 unit, i64 parts, i64 idx, i64* lo, i64* hi) {
    const i64 units = (len + unit - 1) / unit;
    *lo = imin(len, units * idx / parts * unit);
    *hi = imin(len, units * (idx + 1) / parts * unit);
  };
  const i64 per_item = gm * gn;
  auto task = [&](i64 t, int thread) {
    const i64 item = t / per_item, rest = t % per_item;
    i64 m0, m1, n0, n1;
    range(g.m, unitM, gm, rest / gn, &m0, &m1);
    range(g.n, unitN, gn, rest % gn, &n0, &n1);
    gemm_tile(g, g.a + item * g.strideA, g.b + item * g.strideB, g.c + item * g.strideC, m0, m1, n0, n1, thread);
  };
  if (work * (double)g.batch < 32768.0) {
    for (i64 t = 0; t < g.batch * per_item; ++t) task(t, 0);
    return;
  }
  if (per_item == 1 && g.batch > 1) {
    // whole products per task, in runs of consecutive items: while one item is computed, the next one's
    // operands are on their way into L2
    const i64 run = imax(1, g.batch / (4 * (i64)T));
    parallel((g.batch + run - 1) / run, [&](i64 t, int thread) {
      const i64 i1 = imin(g.batch, (t + 1) * run);
      for (i64 item = t * run; item < i1; ++item) {
        const bool more = item + 1 < i1 && g.m * g.k <= 16384 && g.n * g.k <= 16384;
        gemm_tile(g, g.a + item * g.strideA, g.b + item * g.strideB, g.c + item * g.strideC, 0, g.m, 0, g.n, thread,
                  more ? g.a + (item + 1) * g.strideA : nullptr, more ? g.b + (item + 1) * g.strideB : nullptr);
      }
    });
    return;
  }
  parallel(g.batch * per_item, task);
}
