// Stream-ordered caching allocator. All device work goes to one stream, so a block freed here can be handed to
// the next allocation at once: any kernel that still reads it was queued earlier on the same stream and runs
// first. Blocks are kept per rounded size; a training step that repeats the same shapes reaches a steady state
// with no cudaMalloc at all.
#pragma once
#include <cstddef>
#include <cstdint>

namespace mk {

struct AllocStats {
  size_t live_bytes;    // held by blocks in use
  size_t pooled_bytes;  // held by free blocks kept for reuse
  size_t allocations;   // cudaMalloc calls so far
  size_t live_blocks;
};

// Size a request of `bytes` is rounded up to (the pool key).
size_t round_size(size_t bytes);

// A device block of at least `bytes` (nullptr for 0). Throws on out-of-memory, after giving the pool back once.
void* dev_alloc(size_t bytes);
// Returns a block to the pool. Unknown pointers throw (a double free or a foreign pointer).
void dev_free(void* p);
// Called by dev_free with each block (start, rounded size) before it goes back to the pool (one hook: the GEMM's
// cache of bf16 operand copies, which must forget a freed source).
void set_free_hook(void (*hook)(const void* p, size_t bytes));
// Gives every pooled block back to the driver (waits for the stream first).
void dev_trim();
AllocStats dev_stats();

// Scratch memory for the duration of one host call; freed (stream-ordered) when it goes out of scope.
class Scratch {
 public:
  explicit Scratch(size_t bytes) : p_(dev_alloc(bytes)) {}
  ~Scratch() {
    try {
      dev_free(p_);
    } catch (...) {
    }
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <typename T>
  T* as() const {
    return static_cast<T*>(p_);
  }

 private:
  void* p_;
};

}  // namespace mk
