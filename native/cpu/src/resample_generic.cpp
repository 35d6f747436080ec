// The generic resampling kernels (plain scalar C++ for the baseline ISA of the build): run on every CPU, and are
// the reference the vector versions are tested against.
#include <cstring>

#include "resample.h"

#define MULKI_ISA_NAME "generic"
namespace mulki {
namespace resample_generic {
#include "resample_body.inl"
}  // namespace resample_generic
const ResampleKernels* resample_kernels_generic() { return &resample_generic::table; }
}  // namespace mulki
