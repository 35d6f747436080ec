// The AVX-512 kernels (avx512f/bw/dq/vl + fma), compiled for that ISA with a target pragma and chosen at run
// time by dispatch.cpp only on CPUs that have it.
#include "isa_prelude.h"

#if defined(__x86_64__)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c,bmi,bmi2,lzcnt,popcnt"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c,bmi,bmi2,lzcnt,popcnt")
#endif
#define MULKI_ISA_AVX512 1
#define MULKI_ISA_NAME "avx512"
namespace mulki {
namespace isa_avx512 {
#include "isa_body.inl"
}  // namespace isa_avx512
}  // namespace mulki
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
namespace mulki {
const Kernels* kernels_avx512() { return &isa_avx512::table; }
}  // namespace mulki
#else
namespace mulki {
const Kernels* kernels_avx512() { return nullptr; }
}  // namespace mulki
#endif
