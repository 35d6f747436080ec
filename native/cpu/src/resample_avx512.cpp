// The AVX-512 resampling kernels (avx512f/bw/dq/vl), compiled for that ISA with a target pragma and chosen at run
// time (resample.cpp) only on CPUs that have it. Everything included before the pragma is declaration-only or
// ISA-neutral.
#include <cstring>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "resample.h"

#if defined(__x86_64__)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,bmi,bmi2,popcnt"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,bmi,bmi2,popcnt")
#endif
#define MULKI_ISA_AVX512 1
#define MULKI_ISA_NAME "avx512"
namespace mulki {
namespace resample_avx512 {
#include "resample_body.inl"
}  // namespace resample_avx512
}  // namespace mulki
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
namespace mulki {
const ResampleKernels* resample_kernels_avx512() { return &resample_avx512::table; }
}  // namespace mulki
#else
namespace mulki {
const ResampleKernels* resample_kernels_avx512() { return nullptr; }
}  // namespace mulki
#endif
