// Run-time choice of the kernel set (ISA) and of the thread count.
#pragma once
#include <string>

#include "kernels.h"

namespace mulki {

/** The kernel set in use. */
const Kernels& K();
/** "avx512", "avx2" or "generic": the best this CPU supports. */
const char* best_isa();
/** Whether this CPU (and this build) can run the named ISA. */
bool isa_supported(const std::string& name);
/** Selects an ISA by name; returns an error message, or "" on success. */
std::string select_isa(const std::string& name);
/**
 * Initial choice: MULKI_CPU_ISA if set (an error if unknown or unsupported), else the best one; threads from
 * MULKI_NUM_THREADS if set, else the CPUs this process may run on. Returns an error message or "".
 */
std::string init_dispatch();

}  // namespace mulki
