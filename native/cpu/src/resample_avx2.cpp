// The AVX2 resampling kernels, compiled for that ISA with a target pragma and chosen at run time (resample.cpp)
// only on CPUs that have it. Everything included before the pragma is declaration-only or ISA-neutral.
#include <cstring>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "resample.h"

#if defined(__x86_64__)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,bmi,bmi2,popcnt"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,bmi,bmi2,popcnt")
#endif
#define MULKI_ISA_AVX2 1
#define MULKI_ISA_NAME "avx2"
namespace mulki {
namespace resample_avx2 {
#include "resample_body.inl"
}  // namespace resample_avx2
}  // namespace mulki
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
namespace mulki {
const ResampleKernels* resample_kernels_avx2() { return &resample_avx2::table; }
}  // namespace mulki
#else
namespace mulki {
const ResampleKernels* resample_kernels_avx2() { return nullptr; }
}  // namespace mulki
#endif
