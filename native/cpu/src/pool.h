// The persistent thread pool every kernel runs on.
//
// pool_run(n, fn, ctx) runs fn(ctx, task, thread) for task = 0..n-1 and returns when all are done. The calling
// thread takes part (thread id 0); workers have ids 1..threads-1. Tasks are handed out dynamically (an atomic
// counter), so a kernel must make each task's result independent of which thread runs it: that keeps every
// kernel deterministic whatever the timing. Workers spin briefly after a job, then sleep on a futex.
//
// This header is included by the ISA-specific files: it must stay free of inline code.
#pragma once
#include <cstddef>
#include <cstdint>

namespace mulki {

typedef void (*TaskFn)(void* ctx, int64_t task, int thread);

/** Runs tasks [0, n) on the pool; returns when every task is done. Runs inline when n <= 1 or one thread. */
void pool_run(int64_t n, TaskFn fn, void* ctx);
/** Number of threads that take part in pool_run (the caller included). */
int pool_threads();
/** Sets the number of threads that take part (>= 1); spawns workers as needed. Returns the value set. */
int pool_set_threads(int n);
/** Per-thread scratch (64-byte aligned, at least `floats` floats), slot in [0, 4). Grows, never shrinks. */
float* pool_scratch(int thread, size_t floats, int slot);
/** A caller-owned scratch buffer of at least `bytes` bytes (only from outside pool tasks). */
void* pool_shared_scratch(size_t bytes);

}  // namespace mulki
