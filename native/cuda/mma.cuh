// Warp-level bf16 tensor-core MMA (mma.sync.m16n8k16, fp32 accumulation) and the bf16 packing helpers of the fused
// attention kernels. The register layouts are the ones the PTX ISA documents ("Matrix Fragments for
// mma.m16n8k16 with floating point type"), with g = lane / 4 and t = lane % 4:
//   A (16 x 16, row-major), 4 registers of two bf16 each (low half = lower column):
//     a[0] = A[g][2t, 2t+1]   a[1] = A[g+8][2t, 2t+1]   a[2] = A[g][2t+8, 2t+9]   a[3] = A[g+8][2t+8, 2t+9]
//   B (16 x 8, k x n), 2 registers:  b[0] = B[2t, 2t+1][g]   b[1] = B[2t+8, 2t+9][g]
//   C, D (16 x 8, fp32):  c[0] = C[g][2t]  c[1] = C[g][2t+1]  c[2] = C[g+8][2t]  c[3] = C[g+8][2t+1]
// So the accumulators of two adjacent n-tiles (16 x 16) are, packed to bf16, the A operand of a next product with
// k = those 16 columns (FlashAttention-2's register reuse of P).
// The CPU emulation (emu/) runs the same layout through a warp-wide collective, so a kernel that indexes these
// fragments wrongly fails its tests there too.
#pragma once
#include <cuda_bf16.h>

#include <cstdint>

#include "common.h"

namespace mk {

// Two floats rounded to bf16 (nearest even), packed: lo in the low 16 bits.
__device__ inline uint32_t pack_bf16x2(float lo, float hi) {
#if defined(MK_EMULATION)
  const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return static_cast<uint32_t>(v.x.bits) | (static_cast<uint32_t>(v.y.bits) << 16);
#else
  const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<const uint32_t*>(&v);
#endif
}

__device__ inline uint16_t bf16_bits(float f) {
#if defined(MK_EMULATION)
  return __float2bfloat16_rn(f).bits;
#else
  return __bfloat16_as_ushort(__float2bfloat16_rn(f));
#endif
}

__device__ inline float bf16_lo(uint32_t packed) { return __uint_as_float(packed << 16); }
__device__ inline float bf16_hi(uint32_t packed) { return __uint_as_float(packed & 0xffff0000u); }

// 32-bit load of two adjacent bf16 (index even) from shared memory.
__device__ inline uint32_t ld_bf16x2(const uint16_t* p) { return *reinterpret_cast<const uint32_t*>(p); }

#if defined(MK_EMULATION)
struct EmuMmaLane {
  uint32_t a[4];
  uint32_t b[2];
  float c[4];
};
void emu_mma_bf16_16816(void* const* lanes);  // emu/mma.cc
#endif

// c (16 x 8) += a (16 x 16) * b (16 x 8), one warp; every lane of the warp must execute it.
__device__ inline void mma_bf16_16816(float* c, const uint32_t* a, const uint32_t* b) {
#if defined(MK_EMULATION)
  EmuMmaLane d;
  for (int i = 0; i < 4; ++i) d.a[i] = a[i];
  d.b[0] = b[0];
  d.b[1] = b[1];
  for (int i = 0; i < 4; ++i) d.c[i] = c[i];
  ::emu::warp_collective(&d, &emu_mma_bf16_16816);
  for (int i = 0; i < 4; ++i) c[i] = d.c[i];
#else
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
}

// The dynamic shared memory of a kernel launch (the launch's third configuration argument).
#if defined(MK_EMULATION)
#define MK_DYNAMIC_SMEM(name) unsigned char* name = static_cast<unsigned char*>(::emu::dynamic_smem())
#else
#define MK_DYNAMIC_SMEM(name) extern __shared__ __align__(16) unsigned char name[]
#endif

}  // namespace mk
