// The caching allocator (see allocator.h).
#include "allocator.h"

#include <unordered_map>
#include <vector>

#include "common.h"
#include "context.h"

namespace mk {

namespace {
std::unordered_map<size_t, std::vector<void*>> free_blocks;  // rounded size -> free blocks
std::unordered_map<void*, size_t> live_blocks;               // block -> rounded size
size_t live_bytes = 0, pooled_bytes = 0, allocations = 0;
void (*free_hook)(const void*, size_t) = nullptr;

std::string mib(size_t b) { return std::to_string(b / (1024 * 1024)) + " MiB"; }
}  // namespace

size_t round_size(size_t bytes) {
  const size_t kSmall = 1 << 20;
  if (bytes <= kSmall) return (bytes + 511) / 512 * 512;
  // Above 1 MiB: steps of 1/8 of the power of two below, so at most 12.5% is wasted.
  int top = 63 - __builtin_clzll(static_cast<unsigned long long>(bytes));
  size_t step = size_t(1) << (top - 3);
  return (bytes + step - 1) / step * step;
}

void* dev_alloc(size_t bytes) {
  if (bytes == 0) return nullptr;
  const size_t r = round_size(bytes);
  auto it = free_blocks.find(r);
  if (it != free_blocks.end() && !it->second.empty()) {
    void* p = it->second.back();
    it->second.pop_back();
    pooled_bytes -= r;
    live_bytes += r;
    live_blocks.emplace(p, r);
    return p;
  }
  void* p = nullptr;
  cudaError_t e = cudaMalloc(&p, r);
  if (e == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();  // clear the error and retry with the pool given back
    dev_trim();
    e = cudaMalloc(&p, r);
  }
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    throw std::runtime_error("cuda: out of device memory allocating " + std::to_string(bytes) + " bytes (" +
                             cudaGetErrorString(e) + "; live " + mib(live_bytes) + ")");
  }
  allocations++;
  live_bytes += r;
  live_blocks.emplace(p, r);
  return p;
}

void dev_free(void* p) {
  if (!p) return;
  auto it = live_blocks.find(p);
  if (it == live_blocks.end()) throw std::runtime_error("cuda: free of a pointer that is not a live block");
  const size_t r = it->second;
  if (free_hook) free_hook(p, r);
  live_blocks.erase(it);
  live_bytes -= r;
  pooled_bytes += r;
  free_blocks[r].push_back(p);
}

void set_free_hook(void (*hook)(const void*, size_t)) { free_hook = hook; }

void dev_trim() {
  if (pooled_bytes == 0) return;
  cuda_check(cudaStreamSynchronize(stream()), "trim: stream synchronize");
  for (auto& kv : free_blocks) {
    for (void* p : kv.second) cuda_check(cudaFree(p), "trim: cudaFree");
    kv.second.clear();
  }
  free_blocks.clear();
  pooled_bytes = 0;
}

AllocStats dev_stats() { return AllocStats{live_bytes, pooled_bytes, allocations, live_blocks.size()}; }

}  // namespace mk
