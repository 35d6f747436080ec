// The resampling kernels of one ISA (see resample.h): included inside `namespace mulki::resample_<name>` by
// resample_<name>.cpp, after its `#pragma GCC target` and with MULKI_ISA_<NAME> defined (none: generic C++).
// The table at the end is constant-initialised, so loading the addon never executes instructions of this ISA.
//
// Every sum is HALF + sum pixel * weight in uint32 (wrapping, as JavaScript's Math.imul and `| 0` do); integer
// addition is associative modulo 2^32, so the vector versions may group the taps differently and still give the
// bits of the scalar loop. An output is (int32) sum >> 22 (arithmetic) clipped to 0..255; packing with signed then
// unsigned saturation clips the same way.

static constexpr int PREC = 22;
static constexpr uint32_t HALF = 1u << (PREC - 1);

static inline uint8_t clip8(uint32_t s) {
  const int32_t v = (int32_t)s >> PREC;
  return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
}

/** One output pixel of the horizontal pass, scalar: n taps of RGB from p. */
static inline void h_pixel_scalar(const uint8_t* p, const int32_t* k, int64_t n, uint8_t* o) {
  uint32_t s0 = HALF, s1 = HALF, s2 = HALF;
  for (int64_t t = 0; t < n; ++t, p += 3) {
    const uint32_t w = (uint32_t)k[t];
    s0 += (uint32_t)p[0] * w;
    s1 += (uint32_t)p[1] * w;
    s2 += (uint32_t)p[2] * w;
  }
  o[0] = clip8(s0);
  o[1] = clip8(s1);
  o[2] = clip8(s2);
}

#if defined(MULKI_ISA_AVX512)

/** Four taps per step: 12 source bytes -> 16 int32 lanes (R G B 0) x 4, times each tap's weight in its 4 lanes.
 * Masked loads read only the bytes and weights of the taps that exist (and never fault past them). */
static inline void h_pixel(const uint8_t* p, const uint8_t*, const int32_t* k, int64_t n, uint8_t* o) {
  const __m128i shuf = _mm_setr_epi8(0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -1, 9, 10, 11, -1);
  const __m512i dup = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
  __m512i acc = _mm512_setzero_si512();
  int64_t t = 0;
  for (; t + 4 <= n; t += 4, p += 12) {
    const __m128i b = _mm_maskz_loadu_epi8((__mmask16)0x0fff, p);
    const __m512i px = _mm512_cvtepu8_epi32(_mm_shuffle_epi8(b, shuf));
    const __m512i w = _mm512_permutexvar_epi32(dup, _mm512_castsi128_si512(_mm_loadu_si128((const __m128i*)(k + t))));
    acc = _mm512_add_epi32(acc, _mm512_mullo_epi32(px, w));
  }
  if (t < n) {
    const int r = (int)(n - t);
    const __m128i b = _mm_maskz_loadu_epi8((__mmask16)((1u << (3 * r)) - 1), p);
    const __m512i px = _mm512_cvtepu8_epi32(_mm_shuffle_epi8(b, shuf));
    const __m128i w4 = _mm_maskz_loadu_epi32((__mmask8)((1u << r) - 1), k + t);
    const __m512i w = _mm512_permutexvar_epi32(dup, _mm512_castsi128_si512(w4));
    acc = _mm512_add_epi32(acc, _mm512_mullo_epi32(px, w));
  }
  const __m256i s = _mm256_add_epi32(_mm512_castsi512_si256(acc), _mm512_extracti64x4_epi64(acc, 1));
  __m128i a = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
  a = _mm_srai_epi32(_mm_add_epi32(a, _mm_set1_epi32((int)HALF)), PREC);
  a = _mm_packus_epi16(_mm_packs_epi32(a, a), a);
  const uint32_t v = (uint32_t)_mm_cvtsi128_si32(a);
  std::memcpy(o, &v, 4);  // the 4th byte lands in the next pixel (or the caller's slack)
}

#elif defined(MULKI_ISA_AVX2)

/** Two taps per step: 6 source bytes -> 8 int32 lanes (R G B 0) x 2. The 8-byte load must stay before srcEnd;
 * taps left over (an odd count, or the end of the buffer) go one at a time. */
static inline void h_pixel(const uint8_t* p, const uint8_t* end, const int32_t* k, int64_t n, uint8_t* o) {
  const __m128i shuf = _mm_setr_epi8(0, 1, 2, -1, 3, 4, 5, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m256i dup = _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1);
  __m256i acc = _mm256_setzero_si256();
  int64_t t = 0;
  for (; t + 2 <= n && p + 8 <= end; t += 2, p += 6) {
    const __m128i b = _mm_loadl_epi64((const __m128i*)p);
    const __m256i px = _mm256_cvtepu8_epi32(_mm_shuffle_epi8(b, shuf));
    const __m256i w = _mm256_permutevar8x32_epi32(_mm256_castsi128_si256(_mm_loadl_epi64((const __m128i*)(k + t))), dup);
    acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(px, w));
  }
  __m128i a = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  for (; t < n; ++t, p += 3) {
    const int v = (int)p[0] | (int)p[1] << 8 | (int)p[2] << 16;
    a = _mm_add_epi32(a, _mm_mullo_epi32(_mm_cvtepu8_epi32(_mm_cvtsi32_si128(v)), _mm_set1_epi32(k[t])));
  }
  a = _mm_srai_epi32(_mm_add_epi32(a, _mm_set1_epi32((int)HALF)), PREC);
  a = _mm_packus_epi16(_mm_packs_epi32(a, a), a);
  const uint32_t v = (uint32_t)_mm_cvtsi128_si32(a);
  std::memcpy(o, &v, 4);  // the 4th byte lands in the next pixel (or the caller's slack)
}

#else

static inline void h_pixel(const uint8_t* p, const uint8_t*, const int32_t* k, int64_t n, uint8_t* o) {
  h_pixel_scalar(p, k, n, o);
}

#endif

static void horizontal(const uint8_t* src, const uint8_t* srcEnd, int64_t srcStride, int64_t rows,
                       const ResampleCoeffs& c, int64_t x0, int64_t count, uint8_t* out) {
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t* row = src + r * srcStride;
    uint8_t* o = out + r * count * 3;
    for (int64_t i = 0; i < count; ++i, o += 3) {
      const int64_t xx = x0 + i;
      h_pixel(row + (int64_t)c.bounds[2 * xx] * 3, srcEnd, c.weights + xx * c.ksize, c.bounds[2 * xx + 1], o);
    }
  }
}

/** Columns [x, end) of one output row, scalar. */
static inline void v_scalar(const uint8_t* base, int64_t rowLen, const int32_t* k, int64_t n, int64_t x, int64_t end,
                            uint8_t* o) {
  for (; x < end; ++x) {
    uint32_t s = HALF;
    const uint8_t* q = base + x;
    for (int64_t t = 0; t < n; ++t, q += rowLen) s += (uint32_t)*q * (uint32_t)k[t];
    o[x] = clip8(s);
  }
}

#if defined(MULKI_ISA_AVX512)

static inline __m512i v_taps16(const uint8_t* q, int64_t rowLen, const int32_t* k, int64_t n) {
  __m512i acc = _mm512_set1_epi32((int)HALF);
  for (int64_t t = 0; t < n; ++t, q += rowLen)
    acc = _mm512_add_epi32(acc, _mm512_mullo_epi32(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)q)),
                                                   _mm512_set1_epi32(k[t])));
  return acc;
}

static inline __m128i v_pack16(__m512i acc) {
  return _mm512_cvtusepi32_epi8(_mm512_max_epi32(_mm512_srai_epi32(acc, PREC), _mm512_setzero_si512()));
}

static void v_row(const uint8_t* base, int64_t rowLen, const int32_t* k, int64_t n, uint8_t* o) {
  int64_t x = 0;
  for (; x + 64 <= rowLen; x += 64) {
    __m512i a0 = _mm512_set1_epi32((int)HALF), a1 = a0, a2 = a0, a3 = a0;
    const uint8_t* q = base + x;
    for (int64_t t = 0; t < n; ++t, q += rowLen) {
      const __m512i w = _mm512_set1_epi32(k[t]);
      a0 = _mm512_add_epi32(a0, _mm512_mullo_epi32(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)q)), w));
      a1 = _mm512_add_epi32(a1, _mm512_mullo_epi32(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)(q + 16))), w));
      a2 = _mm512_add_epi32(a2, _mm512_mullo_epi32(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)(q + 32))), w));
      a3 = _mm512_add_epi32(a3, _mm512_mullo_epi32(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)(q + 48))), w));
    }
    _mm_storeu_si128((__m128i*)(o + x), v_pack16(a0));
    _mm_storeu_si128((__m128i*)(o + x + 16), v_pack16(a1));
    _mm_storeu_si128((__m128i*)(o + x + 32), v_pack16(a2));
    _mm_storeu_si128((__m128i*)(o + x + 48), v_pack16(a3));
  }
  for (; x + 16 <= rowLen; x += 16) _mm_storeu_si128((__m128i*)(o + x), v_pack16(v_taps16(base + x, rowLen, k, n)));
  if (x < rowLen) {
    const __mmask16 m = (__mmask16)((1u << (rowLen - x)) - 1);
    __m512i acc = _mm512_set1_epi32((int)HALF);
    const uint8_t* q = base + x;
    for (int64_t t = 0; t < n; ++t, q += rowLen)
      acc = _mm512_add_epi32(acc, _mm512_mullo_epi32(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, q)),
                                                     _mm512_set1_epi32(k[t])));
    _mm_mask_storeu_epi8(o + x, m, v_pack16(acc));
  }
}

#elif defined(MULKI_ISA_AVX2)

static inline __m256i v_load8(const uint8_t* q) { return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i*)q)); }

static void v_row(const uint8_t* base, int64_t rowLen, const int32_t* k, int64_t n, uint8_t* o) {
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  int64_t x = 0;
  for (; x + 32 <= rowLen; x += 32) {
    __m256i a0 = _mm256_set1_epi32((int)HALF), a1 = a0, a2 = a0, a3 = a0;
    const uint8_t* q = base + x;
    for (int64_t t = 0; t < n; ++t, q += rowLen) {
      const __m256i w = _mm256_set1_epi32(k[t]);
      a0 = _mm256_add_epi32(a0, _mm256_mullo_epi32(v_load8(q), w));
      a1 = _mm256_add_epi32(a1, _mm256_mullo_epi32(v_load8(q + 8), w));
      a2 = _mm256_add_epi32(a2, _mm256_mullo_epi32(v_load8(q + 16), w));
      a3 = _mm256_add_epi32(a3, _mm256_mullo_epi32(v_load8(q + 24), w));
    }
    // packs / packus work within 128-bit halves: dwords come out as a0[0..3] a1[0..3] a2[0..3] a3[0..3] |
    // a0[4..7] a1[4..7] a2[4..7] a3[4..7]; the permutation puts them back in order.
    const __m256i p01 = _mm256_packs_epi32(_mm256_srai_epi32(a0, PREC), _mm256_srai_epi32(a1, PREC));
    const __m256i p23 = _mm256_packs_epi32(_mm256_srai_epi32(a2, PREC), _mm256_srai_epi32(a3, PREC));
    _mm256_storeu_si256((__m256i*)(o + x), _mm256_permutevar8x32_epi32(_mm256_packus_epi16(p01, p23), order));
  }
  for (; x + 8 <= rowLen; x += 8) {
    __m256i a = _mm256_set1_epi32((int)HALF);
    const uint8_t* q = base + x;
    for (int64_t t = 0; t < n; ++t, q += rowLen) a = _mm256_add_epi32(a, _mm256_mullo_epi32(v_load8(q), _mm256_set1_epi32(k[t])));
    a = _mm256_srai_epi32(a, PREC);
    const __m128i p = _mm_packs_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
    _mm_storel_epi64((__m128i*)(o + x), _mm_packus_epi16(p, p));
  }
  v_scalar(base, rowLen, k, n, x, rowLen, o);
}

#else

static void v_row(const uint8_t* base, int64_t rowLen, const int32_t* k, int64_t n, uint8_t* o) {
  v_scalar(base, rowLen, k, n, 0, rowLen, o);
}

#endif

static void vertical(const uint8_t* tmp, int64_t rowLen, int64_t rowFirst, const ResampleCoeffs& c, int64_t y0,
                     int64_t count, uint8_t* out) {
  for (int64_t i = 0; i < count; ++i) {
    const int64_t yy = y0 + i;
    v_row(tmp + ((int64_t)c.bounds[2 * yy] - rowFirst) * rowLen, rowLen, c.weights + yy * c.ksize, c.bounds[2 * yy + 1],
          out + i * rowLen);
  }
}

static constexpr ResampleKernels table = {MULKI_ISA_NAME, horizontal, vertical};
