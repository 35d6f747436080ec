// One short-vector type `vf` of W floats per ISA, and the few operations the kernels need.
// Included INSIDE the ISA namespace of isa_<name>.cpp, after its `#pragma GCC target`, with MULKI_ISA_AVX512 or
// MULKI_ISA_AVX2 defined (or neither: the generic build, 4 lanes of the compiler's portable vector extensions).
//
// vexp is a Cephes-style exp (range reduction by ln 2, degree-6 polynomial, ~1 ulp): 0 below -87.34, +inf above
// 88.72, NaN stays NaN.

#if defined(MULKI_ISA_AVX512)

typedef __m512 vf;
constexpr int W = 16;
static inline vf vzero() { return _mm512_setzero_ps(); }
static inline vf vset1(float x) { return _mm512_set1_ps(x); }
static inline vf vload(const float* p) { return _mm512_loadu_ps(p); }
static inline void vstore(float* p, vf x) { _mm512_storeu_ps(p, x); }
static inline __mmask16 vmask(int n) { return (__mmask16)((1u << n) - 1u); }
/** Loads the first n (< W) lanes, zero elsewhere; never touches memory past p + n. */
static inline vf vloadn(const float* p, int n) { return _mm512_maskz_loadu_ps(vmask(n), p); }
static inline void vstoren(float* p, vf x, int n) { _mm512_mask_storeu_ps(p, vmask(n), x); }
static inline vf vadd(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline vf vsub(vf a, vf b) { return _mm512_sub_ps(a, b); }
static inline vf vmul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static inline vf vdiv(vf a, vf b) { return _mm512_div_ps(a, b); }
/** a * b + c */
static inline vf vfma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
static inline vf vmax(vf a, vf b) { return _mm512_max_ps(a, b); }
static inline vf vmin(vf a, vf b) { return _mm512_min_ps(a, b); }
static inline vf vsqrt(vf a) { return _mm512_sqrt_ps(a); }
static inline vf vabs(vf a) { return _mm512_abs_ps(a); }
static inline float vhsum(vf a) { return _mm512_reduce_add_ps(a); }
static inline float vhmax(vf a) { return _mm512_reduce_max_ps(a); }
/** x >= 0 ? a : b, lane-wise */
static inline vf vselect_nonneg(vf x, vf a, vf b) {
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ), b, a);
}
/** x > 0 ? a : 0 */
static inline vf vselect_pos(vf x, vf a) {
  return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ), a);
}
static inline vf vexp(vf x) {
  const vf hi = vset1(88.7228f), lo = vset1(-87.3365f);
  vf xc = vmin(vmax(x, lo), hi);
  vf n = _mm512_roundscale_ps(vmul(xc, vset1(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  vf r = vfma(n, vset1(-0.693359375f), xc);
  r = vfma(n, vset1(2.12194440e-4f), r);
  vf p = vset1(1.9875691500E-4f);
  p = vfma(p, r, vset1(1.3981999507E-3f));
  p = vfma(p, r, vset1(8.3334519073E-3f));
  p = vfma(p, r, vset1(4.1665795894E-2f));
  p = vfma(p, r, vset1(1.6666665459E-1f));
  p = vfma(p, r, vset1(5.0000001201E-1f));
  p = vfma(p, vmul(r, r), vadd(r, vset1(1.0f)));
  vf y = _mm512_scalef_ps(p, n);
  y = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ), y, vzero());
  y = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, hi, _CMP_GT_OQ), y, vset1(__builtin_inff()));
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), y, x);
}


/** dst[p * ldd + j] = src[j * lds + p] for j, p < W (a W x W block transpose). */
static inline void vtranspose(const float* src, i64 lds, float* dst, i64 ldd) {
  __m512 r[16], t[16];
  for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + i * lds);
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {
    const __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 1]);
    const __m512d c = _mm512_castps_pd(t[4 * i + 2]), d = _mm512_castps_pd(t[4 * i + 3]);
    r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < 4; ++i) {
      t[8 * h + i] = _mm512_shuffle_f32x4(r[8 * h + i], r[8 * h + 4 + i], 0x88);
      t[8 * h + 4 + i] = _mm512_shuffle_f32x4(r[8 * h + i], r[8 * h + 4 + i], 0xdd);
    }
  for (int i = 0; i < 8; ++i) {
    _mm512_storeu_ps(dst + i * ldd, _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88));
    _mm512_storeu_ps(dst + (8 + i) * ldd, _mm512_shuffle_f32x4(t[i], t[8 + i], 0xdd));
  }
}

#elif defined(MULKI_ISA_AVX2)

typedef __m256 vf;
constexpr int W = 8;
static inline vf vzero() { return _mm256_setzero_ps(); }
static inline vf vset1(float x) { return _mm256_set1_ps(x); }
static inline vf vload(const float* p) { return _mm256_loadu_ps(p); }
static inline void vstore(float* p, vf x) { _mm256_storeu_ps(p, x); }
static inline __m256i vmask(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline vf vloadn(const float* p, int n) { return _mm256_maskload_ps(p, vmask(n)); }
static inline void vstoren(float* p, vf x, int n) { _mm256_maskstore_ps(p, vmask(n), x); }
static inline vf vadd(vf a, vf b) { return _mm256_add_ps(a, b); }
static inline vf vsub(vf a, vf b) { return _mm256_sub_ps(a, b); }
static inline vf vmul(vf a, vf b) { return _mm256_mul_ps(a, b); }
static inline vf vdiv(vf a, vf b) { return _mm256_div_ps(a, b); }
static inline vf vfma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
static inline vf vmax(vf a, vf b) { return _mm256_max_ps(a, b); }
static inline vf vmin(vf a, vf b) { return _mm256_min_ps(a, b); }
static inline vf vsqrt(vf a) { return _mm256_sqrt_ps(a); }
static inline vf vabs(vf a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
static inline float vhsum(vf a) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
static inline float vhmax(vf a) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
static inline vf vselect_nonneg(vf x, vf a, vf b) {
  return _mm256_blendv_ps(b, a, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ));
}
static inline vf vselect_pos(vf x, vf a) { return _mm256_and_ps(a, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ)); }
static inline vf vexp(vf x) {
  const vf hi = vset1(88.7228f), lo = vset1(-87.3365f);
  vf xc = vmin(vmax(x, lo), hi);
  vf n = _mm256_round_ps(vmul(xc, vset1(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  vf r = vfma(n, vset1(-0.693359375f), xc);
  r = vfma(n, vset1(2.12194440e-4f), r);
  vf p = vset1(1.9875691500E-4f);
  p = vfma(p, r, vset1(1.3981999507E-3f));
  p = vfma(p, r, vset1(8.3334519073E-3f));
  p = vfma(p, r, vset1(4.1665795894E-2f));
  p = vfma(p, r, vset1(1.6666665459E-1f));
  p = vfma(p, r, vset1(5.0000001201E-1f));
  p = vfma(p, vmul(r, r), vadd(r, vset1(1.0f)));
  // 2^n in two halves so that n = 128 (x near 88.72) does not overflow the exponent field
  __m256i ni = _mm256_cvtps_epi32(n);
  __m256i h = _mm256_srai_epi32(ni, 1);
  vf s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(h, _mm256_set1_epi32(127)), 23));
  vf s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(ni, h), _mm256_set1_epi32(127)), 23));
  vf y = vmul(vmul(p, s1), s2);
  y = _mm256_blendv_ps(y, vzero(), _mm256_cmp_ps(x, lo, _CMP_LT_OQ));
  y = _mm256_blendv_ps(y, vset1(__builtin_inff()), _mm256_cmp_ps(x, hi, _CMP_GT_OQ));
  return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}


/** dst[p * ldd + j] = src[j * lds + p] for j, p < W (a W x W block transpose). */
static inline void vtranspose(const float* src, i64 lds, float* dst, i64 ldd) {
  __m256 r[8], t[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * lds);
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 2; ++i) {
    r[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    r[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xee);
    r[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    r[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xee);
  }
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_ps(dst + i * ldd, _mm256_permute2f128_ps(r[i], r[4 + i], 0x20));
    _mm256_storeu_ps(dst + (4 + i) * ldd, _mm256_permute2f128_ps(r[i], r[4 + i], 0x31));
  }
}

#else  // generic: 4-lane vectors of the GCC / clang vector extensions (SSE2 on x86-64, NEON on arm64)

typedef float vf __attribute__((vector_size(16)));
typedef int32_t vi __attribute__((vector_size(16)));
constexpr int W = 4;
static inline vf vzero() { return vf{0.0f, 0.0f, 0.0f, 0.0f}; }
static inline vf vset1(float x) { return vf{x, x, x, x}; }
static inline vf vload(const float* p) {
  vf v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
static inline void vstore(float* p, vf x) { __builtin_memcpy(p, &x, sizeof x); }
static inline vf vloadn(const float* p, int n) {
  vf v = vzero();
  for (int i = 0; i < n; ++i) v[i] = p[i];
  return v;
}
static inline void vstoren(float* p, vf x, int n) {
  for (int i = 0; i < n; ++i) p[i] = x[i];
}
/** m ? a : b lane-wise, m a comparison result (all ones / all zeros per lane) */
static inline vf vblend(vi m, vf a, vf b) { return (vf)(((vi)a & m) | ((vi)b & ~m)); }
static inline vf vadd(vf a, vf b) { return a + b; }
static inline vf vsub(vf a, vf b) { return a - b; }
static inline vf vmul(vf a, vf b) { return a * b; }
static inline vf vdiv(vf a, vf b) { return a / b; }
static inline vf vfma(vf a, vf b, vf c) { return a * b + c; }
static inline vf vmax(vf a, vf b) { return vblend(a > b, a, b); }
static inline vf vmin(vf a, vf b) { return vblend(a < b, a, b); }
static inline vf vsqrt(vf a) {
  return vf{__builtin_sqrtf(a[0]), __builtin_sqrtf(a[1]), __builtin_sqrtf(a[2]), __builtin_sqrtf(a[3])};
}
static inline vf vabs(vf a) { return (vf)((vi)a & vi{0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff}); }
static inline float vhsum(vf a) { return (a[0] + a[1]) + (a[2] + a[3]); }
static inline float vhmax(vf a) {
  const float x = a[0] > a[1] ? a[0] : a[1], y = a[2] > a[3] ? a[2] : a[3];
  return x > y ? x : y;
}
static inline vf vselect_nonneg(vf x, vf a, vf b) { return vblend(x >= vzero(), a, b); }
static inline vf vselect_pos(vf x, vf a) { return vblend(x > vzero(), a, vzero()); }
static inline vf vexp(vf x) {
  const vf hi = vset1(88.7228f), lo = vset1(-87.3365f);
  const vf xc = vmin(vmax(x, lo), hi);
  const vf magic = vset1(12582912.0f);  // 1.5 * 2^23: adding and subtracting it rounds to the nearest integer
  const vf n = (vmul(xc, vset1(1.44269504088896341f)) + magic) - magic;
  vf r = vfma(n, vset1(-0.693359375f), xc);
  r = vfma(n, vset1(2.12194440e-4f), r);
  vf p = vset1(1.9875691500E-4f);
  p = vfma(p, r, vset1(1.3981999507E-3f));
  p = vfma(p, r, vset1(8.3334519073E-3f));
  p = vfma(p, r, vset1(4.1665795894E-2f));
  p = vfma(p, r, vset1(1.6666665459E-1f));
  p = vfma(p, r, vset1(5.0000001201E-1f));
  p = vfma(p, vmul(r, r), vadd(r, vset1(1.0f)));
  const vi ni = __builtin_convertvector(n, vi);
  const vi h = ni >> 1;  // 2^n in two halves, so that n = 128 does not overflow the exponent field
  const vi e127 = vi{127, 127, 127, 127};
  const vf s1 = (vf)((h + e127) << 23), s2 = (vf)((ni - h + e127) << 23);
  vf y = p * s1 * s2;
  y = vblend(x < lo, vzero(), y);
  y = vblend(x > hi, vset1(__builtin_inff()), y);
  return vblend(x != x, x, y);
}

#if defined(__clang__) || __GNUC__ >= 12
#define MULKI_SHUFFLE(a, b, i, j, k, l) __builtin_shufflevector(a, b, i, j, k, l)
#else
#define MULKI_SHUFFLE(a, b, i, j, k, l) __builtin_shuffle(a, b, vi{i, j, k, l})
#endif

/** dst[p * ldd + j] = src[j * lds + p] for j, p < W (a W x W block transpose). */
static inline void vtranspose(const float* src, i64 lds, float* dst, i64 ldd) {
  const vf r0 = vload(src), r1 = vload(src + lds), r2 = vload(src + 2 * lds), r3 = vload(src + 3 * lds);
  const vf t0 = MULKI_SHUFFLE(r0, r1, 0, 4, 1, 5), t1 = MULKI_SHUFFLE(r0, r1, 2, 6, 3, 7);
  const vf t2 = MULKI_SHUFFLE(r2, r3, 0, 4, 1, 5), t3 = MULKI_SHUFFLE(r2, r3, 2, 6, 3, 7);
  vstore(dst, MULKI_SHUFFLE(t0, t2, 0, 1, 4, 5));
  vstore(dst + ldd, MULKI_SHUFFLE(t0, t2, 2, 3, 6, 7));
  vstore(dst + 2 * ldd, MULKI_SHUFFLE(t1, t3, 0, 1, 4, 5));
  vstore(dst + 3 * ldd, MULKI_SHUFFLE(t1, t3, 2, 3, 6, 7));
}

#endif

/** 1 / (1 + exp(-x)) */
static inline vf vsigmoid(vf x) { return vdiv(vset1(1.0f), vadd(vset1(1.0f), vexp(vsub(vzero(), x)))); }

/**
 * The standard normal CDF Phi(x) = 0.5 * erfc(-x / sqrt 2), with the erfc approximation of Numerical Recipes
 * (erfcc, Chebyshev fit, relative error < 1.2e-7 on the whole line): accurate in both tails.
 */
static inline vf vphi(vf x) {
  vf z = vmul(vabs(x), vset1(0.70710678118654752f));
  vf t = vdiv(vset1(1.0f), vfma(vset1(0.5f), z, vset1(1.0f)));
  vf p = vset1(0.17087277f);
  p = vfma(p, t, vset1(-0.82215223f));
  p = vfma(p, t, vset1(1.48851587f));
  p = vfma(p, t, vset1(-1.13520398f));
  p = vfma(p, t, vset1(0.27886807f));
  p = vfma(p, t, vset1(-0.18628806f));
  p = vfma(p, t, vset1(0.09678418f));
  p = vfma(p, t, vset1(0.37409196f));
  p = vfma(p, t, vset1(1.00002368f));
  p = vfma(p, t, vset1(-1.26551223f));
  vf e = vmul(t, vexp(vsub(p, vmul(z, z))));  // erfc(|x| / sqrt 2)
  vf half = vmul(vset1(0.5f), e);
  return vselect_nonneg(x, vsub(vset1(1.0f), half), half);
}
