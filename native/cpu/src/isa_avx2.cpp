// The AVX2 + FMA kernels, compiled for that ISA with a target pragma and chosen at run time by dispatch.cpp only
// on CPUs that have it.
#include "isa_prelude.h"

#if defined(__x86_64__)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,bmi,bmi2,lzcnt,popcnt"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,bmi,bmi2,lzcnt,popcnt")
#endif
#define MULKI_ISA_AVX2 1
#define MULKI_ISA_NAME "avx2"
namespace mulki {
namespace isa_avx2 {
#include "isa_body.inl"
}  // namespace isa_avx2
}  // namespace mulki
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
namespace mulki {
const Kernels* kernels_avx2() { return &isa_avx2::table; }
}  // namespace mulki
#else
namespace mulki {
const Kernels* kernels_avx2() { return nullptr; }
}  // namespace mulki
#endif
