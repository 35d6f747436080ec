// What every isa_<name>.cpp includes BEFORE its `#pragma GCC target`: headers included after the pragma would
// have their inline functions compiled for that ISA and possibly shared with baseline code by the linker.
#pragma once
#include <cstdint>
#include <cstddef>
#include <type_traits>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#include "kernels.h"
#include "pool.h"
