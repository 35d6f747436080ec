// Shared by every file of the CUDA addon: error checking, launch sizing, the device error record and the
// small warp/block reduction helpers the row kernels use.
#pragma once
#include <cuda_runtime.h>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace mk {

// Throws a C++ exception (turned into a JS Error by the N-API layer) when a CUDA call fails.
inline void cuda_check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    throw std::runtime_error(std::string("cuda: ") + what + ": " + cudaGetErrorName(e) + " (" +
                             cudaGetErrorString(e) + ")");
  }
}

// After a kernel launch: reports a bad launch configuration (or an earlier asynchronous fault) at once. With
// MULKI_CUDA_SYNC=1 it also waits for the kernel, so that a fault names the kernel that caused it (debugging).
void launch_check(const char* kernel);

// Errors found by kernels on the device (an index out of range, a label >= classes). The first one wins; the
// host reads the record at the next synchronising call and throws.
struct DeviceError {
  int code;        // 0 = none, else one of the ERR_ codes
  int pad;
  long long value; // the offending value
  long long limit; // the bound it broke
};
enum : int { ERR_NONE = 0, ERR_INDEX_SELECT = 1, ERR_INDEX_ADD = 2, ERR_CE_LABEL = 3, ERR_CE_BW_LABEL = 4, ERR_CAST = 5 };

#if defined(__CUDACC__)  // device helpers: only in .cu files
__device__ inline void report_error(DeviceError* err, int code, long long value, long long limit) {
  if (atomicCAS(&err->code, 0, code) == 0) {
    err->value = value;
    err->limit = limit;
  }
}

#endif

constexpr int kThreads = 256;

// Blocks for a grid-stride loop over n elements (capped: each thread then handles several).
inline unsigned blocks_for(int64_t n, int threads = kThreads) {
  int64_t b = (n + threads - 1) / threads;
  if (b < 1) b = 1;
  if (b > 65536) b = 65536;
  return static_cast<unsigned>(b);
}

// Blocks when each block handles `per_block` rows (one warp per row, kThreads/32 rows per block).
inline unsigned blocks_for_rows(int64_t rows, int rows_per_block = kThreads / 32) {
  int64_t b = (rows + rows_per_block - 1) / rows_per_block;
  if (b < 1) b = 1;
  if (b > 2147483647LL) throw std::runtime_error("cuda: too many rows for one launch");
  return static_cast<unsigned>(b);
}

// Kernels whose index arithmetic (divisions) matters use 32-bit indices when the sizes allow: 64-bit integer
// division is a long software sequence on the GPU.
inline bool fits_int32(int64_t n) { return n < (int64_t(1) << 30); }

#if defined(__CUDACC__)
#define MK_GRID_STRIDE_T(I, i, n)                                                 \
  for (I i = static_cast<I>(blockIdx.x) * static_cast<I>(blockDim.x) + static_cast<I>(threadIdx.x); i < (n); \
       i += static_cast<I>(blockDim.x) * static_cast<I>(gridDim.x))
#define MK_GRID_STRIDE(i, n)                                                          \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)

template <typename T>
__device__ inline T warp_sum(T v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ inline float warp_max(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Sum over the whole block (blockDim.x a multiple of 32, at most 1024). Every thread gets the result.
template <typename T>
__device__ inline T block_sum(T v) {
  __shared__ T partial[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warp_sum(v);
  __syncthreads();  // partial[] may still be read by a previous call
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  T t = lane < warps ? partial[lane] : T(0);
  return warp_sum(t);
}

#endif  // __CUDACC__

}  // namespace mk
