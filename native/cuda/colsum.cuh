// Column sums out[c] (+)= sum_r f(r, c) over a rows x cols grid of values, deterministic, in two passes:
// blocks of 32 columns x 8 row-threads sum a chunk of rows each into a partial row, then one thread per column
// adds the partial rows. Used by sumRows, sumTo and the layer-norm parameter gradients.
#pragma once
#include "allocator.h"
#include "common.h"

namespace mk {

template <class F>
__global__ void col_partial_kernel(F f, int64_t rows, int64_t cols, int64_t rows_per_chunk, float* partial) {
  __shared__ float sh[8][33];
  const int64_t c = static_cast<int64_t>(blockIdx.x) * 32 + threadIdx.x;
  const int64_t r0 = static_cast<int64_t>(blockIdx.y) * rows_per_chunk;
  const int64_t r1 = r0 + rows_per_chunk < rows ? r0 + rows_per_chunk : rows;
  float acc = 0.0f;
  if (c < cols) {
    for (int64_t r = r0 + threadIdx.y; r < r1; r += 8) acc += f(r, c);
  }
  sh[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && c < cols) {
    float t = 0.0f;
#pragma unroll
    for (int j = 0; j < 8; ++j) t += sh[j][threadIdx.x];
    partial[static_cast<int64_t>(blockIdx.y) * cols + c] = t;
  }
}

static __global__ void col_final_kernel(const float* partial, int64_t chunks, int64_t cols, float* out, bool acc) {
  MK_GRID_STRIDE(c, cols) {
    float t = 0.0f;
    for (int64_t k = 0; k < chunks; ++k) t += partial[k * cols + c];
    out[c] = acc ? out[c] + t : t;
  }
}

// How the rows are cut into chunks (grid.y) for col_blocks column blocks: at least 64 rows per chunk, about 2048
// blocks in all, at most max_chunks chunks.
struct ColChunks {
  int64_t chunks;
  int64_t rows_per_chunk;
};
static inline ColChunks plan_col_chunks(int64_t rows, int64_t col_blocks, int64_t max_chunks) {
  int64_t chunks = (rows + 63) / 64;
  const int64_t want = (2048 + col_blocks - 1) / col_blocks;
  if (chunks > want) chunks = want;
  if (chunks > max_chunks) chunks = max_chunks;
  if (chunks < 1) chunks = 1;
  const int64_t rows_per_chunk = (rows + chunks - 1) / chunks;
  return {(rows + rows_per_chunk - 1) / rows_per_chunk, rows_per_chunk};
}

template <class F>
void column_sums(F f, int64_t rows, int64_t cols, float* out, bool acc, cudaStream_t s, const char* what) {
  if (cols <= 0) return;
  if (rows <= 0) {  // an empty sum: zeros (or nothing to add)
    if (!acc) cuda_check(cudaMemsetAsync(out, 0, static_cast<size_t>(cols) * sizeof(float), s), what);
    return;
  }
  const int64_t col_blocks = (cols + 31) / 32;
  if (col_blocks > 2147483647LL) throw std::runtime_error(std::string("cuda: ") + what + ": too many columns");
  const auto [chunks, rows_per_chunk] = plan_col_chunks(rows, col_blocks, 1024);
  Scratch partial(static_cast<size_t>(chunks * cols) * sizeof(float));
  dim3 grid(static_cast<unsigned>(col_blocks), static_cast<unsigned>(chunks));
  col_partial_kernel<F><<<grid, dim3(32, 8), 0, s>>>(f, rows, cols, rows_per_chunk, partial.as<float>());
  launch_check(what);
  col_final_kernel<<<blocks_for(cols), kThreads, 0, s>>>(partial.as<float>(), chunks, cols, out, acc);
  launch_check(what);
}

}  // namespace mk
