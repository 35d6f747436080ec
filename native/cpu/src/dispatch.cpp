// Run-time ISA detection and selection (see dispatch.h).
#include "dispatch.h"

#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "pool.h"

namespace mulki {
namespace {

std::atomic<const Kernels*> current{nullptr};

bool cpu_has_avx512() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma") &&
         __builtin_cpu_supports("avx2");
#else
  return false;
#endif
}

bool cpu_has_avx2() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

const Kernels* table_for(const std::string& name) {
  if (name == "avx512") return kernels_avx512();
  if (name == "avx2") return kernels_avx2();
  if (name == "generic") return kernels_generic();
  return nullptr;
}

int default_threads() {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
#endif
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

}  // namespace

const Kernels& K() { return *current.load(std::memory_order_relaxed); }

const char* best_isa() {
  if (cpu_has_avx512() && kernels_avx512()) return "avx512";
  if (cpu_has_avx2() && kernels_avx2()) return "avx2";
  return "generic";
}

bool isa_supported(const std::string& name) {
  if (name == "generic") return true;
  if (name == "avx2") return cpu_has_avx2() && kernels_avx2();
  if (name == "avx512") return cpu_has_avx512() && kernels_avx512();
  return false;
}

std::string select_isa(const std::string& name) {
  if (!table_for(name) && name != "avx2" && name != "avx512")
    return "unknown ISA '" + name + "' (expected avx512, avx2 or generic)";
  if (!isa_supported(name)) return "this CPU (or this build) cannot run the '" + name + "' kernels";
  current.store(table_for(name), std::memory_order_relaxed);
  return "";
}

std::string init_dispatch() {
  if (!current.load()) current.store(table_for(best_isa()));
  const char* env = std::getenv("MULKI_CPU_ISA");
  if (env && *env) {
    std::string err = select_isa(env);
    if (!err.empty()) return "MULKI_CPU_ISA=" + std::string(env) + ": " + err;
  }
  int threads = default_threads();
  const char* nt = std::getenv("MULKI_NUM_THREADS");
  if (nt && *nt) {
    char* end = nullptr;
    long v = std::strtol(nt, &end, 10);
    if (!end || *end != '\0' || v < 1 || v > 256)
      return "MULKI_NUM_THREADS=" + std::string(nt) + ": expected an integer from 1 to 256";
    threads = (int)v;
  }
  if (pool_threads() == 1 && threads > 1) pool_set_threads(threads);
  return "";
}

}  // namespace mulki
