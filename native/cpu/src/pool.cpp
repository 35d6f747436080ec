// The persistent thread pool (see pool.h).
//
// Protocol. The caller publishes a job (fn, ctx, n), opens it (state = 0) and bumps `generation`. A worker that
// sees a new generation joins the job by incrementing the active count in `state` with a CAS that fails once the
// job is closed; it then takes tasks from `next_task` until none are left and decrements the count. The caller
// takes tasks too, then closes the job (sets the CLOSED bit, so that no late worker can join) and waits until
// the active count is zero. A worker that wakes late simply finds the job closed and goes back to waiting, so
// the caller never waits for a sleeping thread to wake up.
#include "pool.h"

#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MULKI_RELAX() _mm_pause()
#else
#define MULKI_RELAX() std::atomic_signal_fence(std::memory_order_seq_cst)
#endif

namespace mulki {
namespace {

constexpr uint32_t CLOSED = 0x80000000u;
constexpr int MAX_THREADS = 256;

struct Job {
  TaskFn fn = nullptr;
  void* ctx = nullptr;
  int64_t n = 0;
};

Job job;
alignas(64) std::atomic<int64_t> next_task{0};
alignas(64) std::atomic<uint32_t> state{CLOSED};
alignas(64) std::atomic<uint32_t> generation{0};
alignas(64) std::atomic<int> sleepers{0};
std::atomic<int> participants{1};
int spawned = 0;  // workers started (ids 1..spawned)
std::mutex run_mutex;
std::mutex spawn_mutex;

/** How long a worker spins for the next job before it sleeps (MULKI_SPIN_US, default 100 µs). */
std::chrono::microseconds spin_time() {
  static const long us = [] {
    const char* s = std::getenv("MULKI_SPIN_US");
    long v = s ? std::atol(s) : 100;
    return v < 0 ? 0 : v;
  }();
  return std::chrono::microseconds(us);
}

void run_tasks(int thread) {
  for (;;) {
    int64_t t = next_task.fetch_add(1, std::memory_order_relaxed);
    if (t >= job.n) break;
    job.fn(job.ctx, t, thread);
  }
}

void worker(int id, uint32_t seen) {
  for (;;) {
    uint32_t g = generation.load(std::memory_order_acquire);
    if (g == seen) {
      auto until = std::chrono::steady_clock::now() + spin_time();
      int spins = 0;
      while ((g = generation.load(std::memory_order_acquire)) == seen) {
        MULKI_RELAX();
        if (++spins < 256) continue;
        spins = 0;
        if (std::chrono::steady_clock::now() < until) continue;
        sleepers.fetch_add(1, std::memory_order_seq_cst);
        if (generation.load(std::memory_order_seq_cst) == seen) generation.wait(seen, std::memory_order_seq_cst);
        sleepers.fetch_sub(1, std::memory_order_seq_cst);
        until = std::chrono::steady_clock::now() + spin_time();
      }
    }
    seen = g;
    if (id >= participants.load(std::memory_order_relaxed)) continue;
    uint32_t s = state.load(std::memory_order_relaxed);
    bool joined = false;
    while (!(s & CLOSED)) {
      if (state.compare_exchange_weak(s, s + 1, std::memory_order_acquire, std::memory_order_relaxed)) {
        joined = true;
        break;
      }
    }
    if (!joined) continue;
    run_tasks(id);
    state.fetch_sub(1, std::memory_order_release);
  }
}

struct Scratch {
  void* p[5] = {};
  size_t cap[5] = {};
  ~Scratch() {
    for (void* q : p) std::free(q);
  }
  void* get(int slot, size_t bytes) {
    if (cap[slot] < bytes) {
      std::free(p[slot]);
      size_t want = ((bytes + bytes / 4) + 63) / 64 * 64;
      p[slot] = std::aligned_alloc(64, want);
      if (!p[slot]) {
        std::fprintf(stderr, "mulki cpu backend: out of memory allocating %zu bytes of scratch\n", want);
        std::abort();
      }
      cap[slot] = want;
    }
    return p[slot];
  }
};

thread_local Scratch tls_scratch;

}  // namespace

void pool_run(int64_t n, TaskFn fn, void* ctx) {
  if (n <= 0) return;
  if (n == 1 || participants.load(std::memory_order_relaxed) <= 1) {
    for (int64_t t = 0; t < n; ++t) fn(ctx, t, 0);
    return;
  }
  // Several Node threads may load the addon: one job at a time on the pool, the others run inline.
  std::unique_lock<std::mutex> lock(run_mutex, std::try_to_lock);
  if (!lock.owns_lock()) {
    for (int64_t t = 0; t < n; ++t) fn(ctx, t, 0);
    return;
  }
  job.fn = fn;
  job.ctx = ctx;
  job.n = n;
  next_task.store(0, std::memory_order_relaxed);
  state.store(0, std::memory_order_release);
  generation.fetch_add(1, std::memory_order_seq_cst);
  if (sleepers.load(std::memory_order_seq_cst) > 0) generation.notify_all();
  run_tasks(0);
  state.fetch_or(CLOSED, std::memory_order_acq_rel);
  int spins = 0;
  while ((state.load(std::memory_order_acquire) & ~CLOSED) != 0) {
    MULKI_RELAX();
    if (++spins > 4096) std::this_thread::yield();
  }
}

int pool_threads() { return participants.load(std::memory_order_relaxed); }

int pool_set_threads(int n) {
  if (n < 1) n = 1;
  if (n > MAX_THREADS) n = MAX_THREADS;
  std::lock_guard<std::mutex> g(spawn_mutex);
  while (spawned < n - 1) {
    ++spawned;
    std::thread(worker, spawned, generation.load(std::memory_order_acquire)).detach();
  }
  participants.store(n, std::memory_order_relaxed);
  return n;
}

float* pool_scratch(int /*thread*/, size_t floats, int slot) {
  return static_cast<float*>(tls_scratch.get(slot & 3, floats * sizeof(float) + 64));
}

void* pool_shared_scratch(size_t bytes) { return tls_scratch.get(4, bytes + 64); }

}  // namespace mulki
