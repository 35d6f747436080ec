// Pillow's 8-bit resampling (libImaging/Resample.c, ImagingResample) for RGB images, bit for bit the algorithm of
// src/clip/resize.ts: separable passes, horizontal first into an 8-bit image, then vertical; every output is
// (2^21 + sum pixel * weight) >> 22 clipped to 0..255, summed in wrapping 32-bit integers (JavaScript's
// Math.imul / `| 0`). The fixed-point coefficients come from the caller (resize.ts computes them), so both
// implementations use the very same weights.
//
// Kernels exist once per ISA (resample_generic.cpp, resample_avx2.cpp, resample_avx512.cpp: resample_body.inl
// under `#pragma GCC target`); resample.cpp holds the ISA-neutral driver (row range, scratch, pass order, the
// normalising output) and the N-API binding. Nothing here uses the addon's thread pool or its kernel table: a
// call runs in the calling thread only, so worker threads may use it.
//
// This header is included by the ISA-specific files: it must stay free of inline code.
#pragma once
#include <cstddef>
#include <cstdint>

namespace mulki {

/** Fixed-point filter coefficients of one pass: per output index o, the first input index bounds[2o], the tap
 * count bounds[2o + 1] (<= ksize) and the weights weights[o * ksize + t]. */
struct ResampleCoeffs {
  int32_t ksize;
  const int32_t* bounds;
  const int32_t* weights;
};

struct ResampleKernels {
  const char* isa;
  /**
   * Horizontal pass over `rows` rows of interleaved RGB: row r starts at src + r * srcStride (bytes), and output
   * pixel x0 + i (i < count) of each row goes to out + (r * count + i) * 3. `srcEnd` is the end of the readable
   * source memory (no load goes past it). `out` must have 16 bytes of slack after its last pixel.
   */
  void (*horizontal)(const uint8_t* src, const uint8_t* srcEnd, int64_t srcStride, int64_t rows,
                     const ResampleCoeffs& c, int64_t x0, int64_t count, uint8_t* out);
  /**
   * Vertical pass: rows of `rowLen` bytes; input row j is tmp + (j - rowFirst) * rowLen; output row y0 + i
   * (i < count) goes to out + i * rowLen.
   */
  void (*vertical)(const uint8_t* tmp, int64_t rowLen, int64_t rowFirst, const ResampleCoeffs& c, int64_t y0,
                   int64_t count, uint8_t* out);
};

const ResampleKernels* resample_kernels_generic();
/** Null when the build has no kernels of that ISA (not x86-64). */
const ResampleKernels* resample_kernels_avx2();
const ResampleKernels* resample_kernels_avx512();

}  // namespace mulki
