// CPU emulation of the CUDA runtime (see README.md): memory calls on host memory, and kernel launches that run
// each block's threads as fibers on one OS thread. A fiber runs until it finishes or waits at a barrier
// (__syncthreads, or a warp shuffle); when every live thread of a warp waits at a shuffle the scheduler exchanges
// their values, when every live thread of the block waits at __syncthreads it releases them all.
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

#include "cuda_runtime.h"

uint3 threadIdx, blockIdx;
dim3 blockDim, gridDim;

// ---- fibers ----

// Saves the callee-saved registers on the current stack, stores the stack pointer in *from, switches to `to`.
extern "C" void emu_switch(void** from, void* to);
asm(R"(
.text
.globl emu_switch
.type emu_switch,@function
emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
.size emu_switch, .-emu_switch
)");

namespace {

enum State { RUNNABLE, AT_BLOCK_BARRIER, AT_WARP_BARRIER, AT_WARP_COLLECTIVE, DONE };

struct Fiber {
  void* sp = nullptr;
  State state = DONE;
  uint3 tid{0, 0, 0};
  unsigned char shuffle_in[8];
  unsigned char shuffle_out[8];
  int shuffle_bytes = 0;
  int shuffle_xor = 0;
  void* collective_data = nullptr;
  void (*collective_fn)(void* const*) = nullptr;
};

constexpr size_t kStackBytes = 128 * 1024;
std::vector<Fiber> fibers;
std::vector<char*> stacks;
void* scheduler_sp = nullptr;
Fiber* current = nullptr;
const std::function<void()>* kernel_body = nullptr;
cudaError_t last_error = cudaSuccess;
std::vector<unsigned char> dyn_smem;  // the launch's dynamic shared memory

extern "C" void emu_fiber_entry() {
  (*kernel_body)();
  current->state = DONE;
  emu_switch(&current->sp, scheduler_sp);
  std::abort();  // a finished fiber is never resumed
}

void* initial_stack(char* stack) {
  uintptr_t top = (reinterpret_cast<uintptr_t>(stack) + kStackBytes) & ~uintptr_t(15);
  void** sp = reinterpret_cast<void**>(top);
  *--sp = nullptr;                                         // return address of emu_fiber_entry (never used)
  *--sp = reinterpret_cast<void*>(&emu_fiber_entry);       // where emu_switch's `ret` goes
  for (int i = 0; i < 6; ++i) *--sp = nullptr;             // rbp rbx r12 r13 r14 r15
  return sp;
}

void yield_to_scheduler() { emu_switch(&current->sp, scheduler_sp); }

void run_block(unsigned nthreads) {
  for (unsigned i = 0; i < nthreads; ++i) {
    Fiber& f = fibers[i];
    f.state = RUNNABLE;
    f.tid = uint3{i % blockDim.x, (i / blockDim.x) % blockDim.y, i / (blockDim.x * blockDim.y)};
    f.sp = initial_stack(stacks[i]);
  }
  for (;;) {
    for (unsigned i = 0; i < nthreads; ++i) {
      Fiber& f = fibers[i];
      if (f.state != RUNNABLE) continue;
      current = &f;
      threadIdx = f.tid;
      emu_switch(&scheduler_sp, f.sp);
    }
    bool all_done = true, released = false;
    for (unsigned i = 0; i < nthreads; ++i) all_done = all_done && fibers[i].state == DONE;
    if (all_done) return;
    // Warps whose live lanes all wait at a shuffle exchange their values; warps whose lanes all wait at a
    // collective (an mma) run it.
    for (unsigned w = 0; w * 32 < nthreads; ++w) {
      const unsigned lo = w * 32, hi = lo + 32 < nthreads ? lo + 32 : nthreads;
      bool all_at_shuffle = true, all_at_collective = true, any = false;
      unsigned live = 0;
      for (unsigned i = lo; i < hi; ++i) {
        if (fibers[i].state == DONE) continue;
        any = true;
        live++;
        all_at_shuffle = all_at_shuffle && fibers[i].state == AT_WARP_BARRIER;
        all_at_collective = all_at_collective && fibers[i].state == AT_WARP_COLLECTIVE;
      }
      if (any && all_at_collective) {
        if (live != 32) {
          std::fprintf(stderr, "emu: a warp-wide operation (mma) with %u of 32 lanes live in block (%u, %u, %u)\n", live,
                       blockIdx.x, blockIdx.y, blockIdx.z);
          std::abort();
        }
        void* lanes[32];
        for (unsigned i = lo; i < hi; ++i) {
          lanes[i - lo] = fibers[i].collective_data;
          if (fibers[i].collective_fn != fibers[lo].collective_fn) {
            std::fprintf(stderr, "emu: lanes of a warp wait at different warp-wide operations\n");
            std::abort();
          }
        }
        fibers[lo].collective_fn(lanes);
        for (unsigned i = lo; i < hi; ++i) fibers[i].state = RUNNABLE;
        released = true;
        continue;
      }
      if (!any || !all_at_shuffle) continue;
      for (unsigned i = lo; i < hi; ++i) {
        Fiber& f = fibers[i];
        if (f.state == DONE) continue;
        const unsigned src = lo + ((i - lo) ^ static_cast<unsigned>(f.shuffle_xor));
        const Fiber& from = src < hi && fibers[src].state == AT_WARP_BARRIER ? fibers[src] : f;
        std::memcpy(f.shuffle_out, from.shuffle_in, f.shuffle_bytes);
      }
      for (unsigned i = lo; i < hi; ++i) {
        if (fibers[i].state != DONE) fibers[i].state = RUNNABLE;
      }
      released = true;
    }
    if (!released) {
      bool all_at_barrier = true;
      for (unsigned i = 0; i < nthreads; ++i) {
        if (fibers[i].state != DONE && fibers[i].state != AT_BLOCK_BARRIER) all_at_barrier = false;
      }
      if (!all_at_barrier) {
        std::fprintf(stderr, "emu: deadlock in block (%u, %u, %u): threads wait at different barriers\n", blockIdx.x,
                     blockIdx.y, blockIdx.z);
        std::abort();
      }
      for (unsigned i = 0; i < nthreads; ++i) {
        if (fibers[i].state == AT_BLOCK_BARRIER) fibers[i].state = RUNNABLE;
      }
    }
  }
}

}  // namespace

namespace emu {

void* dynamic_smem() { return dyn_smem.data(); }

void warp_collective(void* lane_data, void (*fn)(void* const* lanes)) {
  Fiber* self = current;
  self->collective_data = lane_data;
  self->collective_fn = fn;
  self->state = AT_WARP_COLLECTIVE;
  yield_to_scheduler();
}

void launch(dim3 grid, dim3 block, size_t shmem, const std::function<void()>& body) {
  const unsigned long long nthreads = 1ull * block.x * block.y * block.z;
  if (nthreads == 0 || nthreads > 1024 || grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.y > 65535 ||
      grid.z > 65535) {
    last_error = cudaErrorInvalidConfiguration;
    return;
  }
  while (fibers.size() < nthreads) {
    fibers.emplace_back();
    stacks.push_back(static_cast<char*>(std::malloc(kStackBytes)));
  }
  kernel_body = &body;
  // Garbage, as on the device (a kernel that reads shared memory it did not write should fail its tests).
  dyn_smem.assign(shmem + 16, 0xff);
  blockDim = block;
  gridDim = grid;
  for (unsigned z = 0; z < grid.z; ++z)
    for (unsigned y = 0; y < grid.y; ++y)
      for (unsigned x = 0; x < grid.x; ++x) {
        blockIdx = uint3{x, y, z};
        run_block(static_cast<unsigned>(nthreads));
      }
  kernel_body = nullptr;
  current = nullptr;
}

void sync_block() {
  current->state = AT_BLOCK_BARRIER;
  yield_to_scheduler();
}

void shuffle_xor(const void* in, void* out, int bytes, int lane_xor) {
  Fiber* self = current;
  std::memcpy(self->shuffle_in, in, bytes);
  self->shuffle_bytes = bytes;
  self->shuffle_xor = lane_xor;
  self->state = AT_WARP_BARRIER;
  yield_to_scheduler();
  std::memcpy(out, self->shuffle_out, bytes);
}

}  // namespace emu

// ---- runtime API on host memory ----

const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    default: return "cudaErrorUnknown";
  }
}

const char* cudaGetErrorString(cudaError_t e) {
  return e == cudaErrorInvalidConfiguration ? "invalid configuration argument (CPU emulation)"
                                            : "(CPU emulation)";
}

cudaError_t cudaGetLastError() {
  const cudaError_t e = last_error;
  last_error = cudaSuccess;
  return e;
}

cudaError_t cudaGetDeviceCount(int* count) {
  *count = 1;
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int) { return cudaSuccess; }

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int) {
  std::memset(prop, 0, sizeof(*prop));
  std::snprintf(prop->name, sizeof(prop->name), "mulki CPU emulation of CUDA");
  prop->major = 9;
  prop->minor = 0;
  prop->multiProcessorCount = 1;
  prop->totalGlobalMem = size_t(16) << 30;
  return cudaSuccess;
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned) {
  *stream = reinterpret_cast<cudaStream_t>(&last_error);  // any non-null handle
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }

cudaError_t cudaMalloc(void** p, size_t bytes) {
  *p = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
  return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}

cudaError_t cudaFree(void* p) {
  std::free(p);
  return cudaSuccess;
}

cudaError_t cudaMallocHost(void** p, size_t bytes) { return cudaMalloc(p, bytes); }

cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
  *total_bytes = size_t(16) << 30;
  *free_bytes = size_t(8) << 30;
  return cudaSuccess;
}

cudaError_t cudaMemset(void* p, int value, size_t bytes) {
  std::memset(p, value, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void* p, int value, size_t bytes, cudaStream_t) { return cudaMemset(p, value, bytes); }

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind, cudaStream_t) {
  std::memmove(dst, src, bytes);
  return cudaSuccess;
}

namespace {
struct EmuEvent {
  double ms;
};
double now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}
}  // namespace

cudaError_t cudaEventCreate(cudaEvent_t* e) {
  *e = reinterpret_cast<cudaEvent_t>(new EmuEvent{0.0});
  return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t e) {
  delete reinterpret_cast<EmuEvent*>(e);
  return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t) {
  reinterpret_cast<EmuEvent*>(e)->ms = now_ms();
  return cudaSuccess;
}
cudaError_t cudaEventSynchronize(cudaEvent_t) { return cudaSuccess; }
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  *ms = static_cast<float>(reinterpret_cast<EmuEvent*>(end)->ms - reinterpret_cast<EmuEvent*>(start)->ms);
  return cudaSuccess;
}

cudaError_t cudaMemcpy2DAsync(void* dst, size_t dpitch, const void* src, size_t spitch, size_t width, size_t height,
                              cudaMemcpyKind, cudaStream_t) {
  if (width > dpitch || width > spitch) return cudaErrorInvalidValue;  // as the real one
  for (size_t r = 0; r < height; ++r) {
    std::memmove(static_cast<char*>(dst) + r * dpitch, static_cast<const char*>(src) + r * spitch, width);
  }
  return cudaSuccess;
}
