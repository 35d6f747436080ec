// Reductions: sumRows (bias gradient), sumTo (the backward of broadcasting), sumSquares (gradient norms).
#include <vector>

#include "allocator.h"
#include "colsum.cuh"
#include "kernels.h"

namespace mk {

struct RowMajorValue {
  const float* x;
  int64_t cols;
  __device__ float operator()(int64_t r, int64_t c) const { return x[r * cols + c]; }
};

// Partial column sums with float4 loads (cols % 4 == 0, x 16-byte aligned): blocks of 32 x 4 columns x 8 row
// threads, each summing a chunk of rows (4 rows in flight per thread) into one partial row per chunk.
__global__ void col_partial_vec_kernel(const float* x, int64_t rows, int64_t cols, int64_t rows_per_chunk,
                                       float* partial) {
  __shared__ float4 sh[8][32];
  const int64_t n4 = cols / 4;
  const int64_t c4 = static_cast<int64_t>(blockIdx.x) * 32 + threadIdx.x;
  const int64_t r0 = static_cast<int64_t>(blockIdx.y) * rows_per_chunk;
  const int64_t r1 = r0 + rows_per_chunk < rows ? r0 + rows_per_chunk : rows;
  float4 acc = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
  if (c4 < n4) {
    const float4* xv = reinterpret_cast<const float4*>(x) + c4;
    int64_t r = r0 + threadIdx.y;
    for (; r + 24 < r1; r += 32) {
      const float4 a = xv[r * n4], b = xv[(r + 8) * n4], c = xv[(r + 16) * n4], d = xv[(r + 24) * n4];
      acc.x += (a.x + b.x) + (c.x + d.x);
      acc.y += (a.y + b.y) + (c.y + d.y);
      acc.z += (a.z + b.z) + (c.z + d.z);
      acc.w += (a.w + b.w) + (c.w + d.w);
    }
    for (; r < r1; r += 8) {
      const float4 a = xv[r * n4];
      acc.x += a.x;
      acc.y += a.y;
      acc.z += a.z;
      acc.w += a.w;
    }
  }
  sh[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && c4 < n4) {
    float4 t = sh[0][threadIdx.x];
#pragma unroll
    for (int j = 1; j < 8; ++j) {
      const float4 u = sh[j][threadIdx.x];
      t.x += u.x;
      t.y += u.y;
      t.z += u.z;
      t.w += u.w;
    }
    reinterpret_cast<float4*>(partial + static_cast<int64_t>(blockIdx.y) * cols)[c4] = t;
  }
}

void launch_sum_rows(const float* x, int64_t rows, int64_t cols, float* out, bool accumulate, cudaStream_t s) {
  if (cols > 0 && rows > 0 && cols % 4 == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0) {
    const int64_t col_blocks = (cols / 4 + 31) / 32;
    if (col_blocks > 65535 * 1024LL) throw std::runtime_error("cuda: sumRows: too many columns");
    const auto [chunks, rows_per_chunk] = plan_col_chunks(rows, col_blocks, 65535);
    Scratch partial(static_cast<size_t>(chunks * cols) * sizeof(float));
    dim3 grid(static_cast<unsigned>(col_blocks), static_cast<unsigned>(chunks));
    col_partial_vec_kernel<<<grid, dim3(32, 8), 0, s>>>(x, rows, cols, rows_per_chunk, partial.as<float>());
    launch_check("sumRows");
    col_final_kernel<<<blocks_for(cols), kThreads, 0, s>>>(partial.as<float>(), chunks, cols, out, accumulate);
    launch_check("sumRows");
    return;
  }
  column_sums(RowMajorValue{x, cols}, rows, cols, out, accumulate, s, "sumRows");
}

struct SumToPlan {
  int kept_rank;
  int64_t kept_shape[kMaxRank];
  int64_t kept_stride[kMaxRank];  // x strides of the kept axes (out is contiguous over them, in order)
  int red_rank;
  int64_t red_shape[kMaxRank];
  int64_t red_stride[kMaxRank];
};

// One block per output element (grid-stride over outputs); the block's threads stride over the reduced indices.
__global__ void sum_to_kernel(const float* x, float* out, SumToPlan plan, int64_t n_out, int64_t n_red, bool acc) {
  for (int64_t o = blockIdx.x; o < n_out; o += gridDim.x) {
    int64_t rem = o, base = 0;
#pragma unroll
    for (int d = kMaxRank - 1; d >= 0; --d) {
      if (d < plan.kept_rank) {
        base += (rem % plan.kept_shape[d]) * plan.kept_stride[d];
        rem /= plan.kept_shape[d];
      }
    }
    float t = 0.0f;
    for (int64_t r = threadIdx.x; r < n_red; r += blockDim.x) {
      int64_t rr = r, off = 0;
#pragma unroll
      for (int d = kMaxRank - 1; d >= 0; --d) {
        if (d < plan.red_rank) {
          off += (rr % plan.red_shape[d]) * plan.red_stride[d];
          rr /= plan.red_shape[d];
        }
      }
      t += x[base + off];
    }
    t = block_sum(t);
    if (threadIdx.x == 0) out[o] = acc ? out[o] + t : t;
  }
}

void sum_to(const float* x, const int64_t* x_shape, const int64_t* out_shape, int rank, float* out, bool accumulate,
            cudaStream_t s) {
  // Strides of contiguous x, then the axes with size > 1, adjacent axes of the same kind merged.
  std::vector<int64_t> stride(rank);
  int64_t st = 1, n_x = 1, n_out = 1;
  for (int d = rank - 1; d >= 0; --d) {
    stride[d] = st;
    st *= x_shape[d];
    n_x *= x_shape[d];
    n_out *= out_shape[d];
  }
  if (n_out == 0) return;
  struct Axis {
    int64_t size, stride;
    bool reduced;
  };
  std::vector<Axis> axes;
  for (int d = 0; d < rank; ++d) {
    if (x_shape[d] == 1) continue;
    const bool reduced = out_shape[d] == 1;
    if (!axes.empty() && axes.back().reduced == reduced) {
      axes.back().size *= x_shape[d];
      axes.back().stride = stride[d];
    } else {
      axes.push_back(Axis{x_shape[d], stride[d], reduced});
    }
  }
  int64_t n_red = n_x == 0 ? 0 : n_x / n_out;
  bool any_reduced = false;
  for (const Axis& a : axes) any_reduced = any_reduced || a.reduced;
  if (n_x == 0) {  // reducing an empty tensor: zeros
    if (!accumulate) launch_fill_f32(out, 0.0f, n_out, s);
    return;
  }
  if (!any_reduced) {  // same shape up to size-1 axes: a copy
    if (accumulate)
      launch_axpy(1.0f, x, out, n_out, s);
    else
      cuda_check(cudaMemcpyAsync(out, x, static_cast<size_t>(n_out) * sizeof(float), cudaMemcpyDeviceToDevice, s),
                 "sumTo: copy");
    return;
  }
  if (axes.size() == 2 && axes[0].reduced && !axes[1].reduced) {  // (R, K) -> (K): column sums
    launch_sum_rows(x, axes[0].size, axes[1].size, out, accumulate, s);
    return;
  }
  SumToPlan plan{};
  for (const Axis& a : axes) {
    if (a.reduced) {
      plan.red_shape[plan.red_rank] = a.size;
      plan.red_stride[plan.red_rank] = a.stride;
      plan.red_rank++;
    } else {
      plan.kept_shape[plan.kept_rank] = a.size;
      plan.kept_stride[plan.kept_rank] = a.stride;
      plan.kept_rank++;
    }
  }
  int threads = 256;
  if (n_red < 256) threads = static_cast<int>((n_red + 31) / 32 * 32);
  const unsigned blocks = static_cast<unsigned>(n_out < 65536 * 4 ? n_out : 65536 * 4);
  sum_to_kernel<<<blocks, threads, 0, s>>>(x, out, plan, n_out, n_red, accumulate);
  launch_check("sumTo");
}

__global__ void sum_squares_partial_kernel(const float* x, int64_t n, double* partial) {
  double t = 0.0;
  MK_GRID_STRIDE(i, n) {
    const double v = x[i];
    t += v * v;
  }
  t = block_sum(t);
  if (threadIdx.x == 0) partial[blockIdx.x] = t;
}

__global__ void sum_final_kernel(const double* partial, int64_t count, double* result) {
  double t = 0.0;
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) t += partial[i];
  t = block_sum(t);
  if (threadIdx.x == 0) *result = t;
}

void launch_sum_squares(const float* x, int64_t n, double* result, cudaStream_t s) {
  const unsigned blocks = n > 0 ? (blocks_for(n) < 1024 ? blocks_for(n) : 1024) : 0;
  Scratch partial((blocks > 0 ? blocks : 1) * sizeof(double));
  if (blocks > 0) {
    sum_squares_partial_kernel<<<blocks, kThreads, 0, s>>>(x, n, partial.as<double>());
    launch_check("sumSquares");
  }
  sum_final_kernel<<<1, kThreads, 0, s>>>(partial.as<double>(), blocks, result);
  launch_check("sumSquares");
}

}  // namespace mk
