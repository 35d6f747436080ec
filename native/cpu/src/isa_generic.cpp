// The generic kernels: the same code as the AVX ones with 4-lane vectors of the compiler's portable vector
// extensions, compiled for the baseline ISA of the build (SSE2 on x86-64, NEON on arm64). Runs on every CPU.
#include "isa_prelude.h"

#define MULKI_ISA_NAME "generic"
namespace mulki {
namespace isa_generic {
#include "isa_body.inl"
}  // namespace isa_generic
const Kernels* kernels_generic() { return &isa_generic::table; }
}  // namespace mulki
