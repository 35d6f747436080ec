// CPU emulation (see README.md): mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 as a warp-wide collective.
// Each lane's registers are placed into the 16 x 16 A, 16 x 8 B and 16 x 8 C tiles by the layout the PTX ISA
// documents (the one native/cuda/mma.cuh describes), the product is formed in fp32, and D is handed back by the
// same layout. Every element of A, B and C must come from exactly one lane (checked).
#include <cstdio>
#include <cstdlib>

#include "mma.cuh"

namespace mk {

void emu_mma_bf16_16816(void* const* lanes) {
  float A[16][16], B[16][8], C[16][8];
  int seen_a[16][16] = {}, seen_b[16][8] = {}, seen_c[16][8] = {};
  for (int lane = 0; lane < 32; ++lane) {
    const EmuMmaLane& d = *static_cast<const EmuMmaLane*>(lanes[lane]);
    const int g = lane >> 2, t = lane & 3;
    const int ar[4] = {g, g + 8, g, g + 8}, ac[4] = {2 * t, 2 * t, 2 * t + 8, 2 * t + 8};
    for (int r = 0; r < 4; ++r) {
      A[ar[r]][ac[r]] = bf16_lo(d.a[r]);
      A[ar[r]][ac[r] + 1] = bf16_hi(d.a[r]);
      seen_a[ar[r]][ac[r]]++;
      seen_a[ar[r]][ac[r] + 1]++;
    }
    const int bk[2] = {2 * t, 2 * t + 8};
    for (int r = 0; r < 2; ++r) {
      B[bk[r]][g] = bf16_lo(d.b[r]);
      B[bk[r] + 1][g] = bf16_hi(d.b[r]);
      seen_b[bk[r]][g]++;
      seen_b[bk[r] + 1][g]++;
    }
    const int cr[4] = {g, g, g + 8, g + 8}, cc[4] = {2 * t, 2 * t + 1, 2 * t, 2 * t + 1};
    for (int r = 0; r < 4; ++r) {
      C[cr[r]][cc[r]] = d.c[r];
      seen_c[cr[r]][cc[r]]++;
    }
  }
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j)
      if (seen_a[i][j] != 1 || (j < 8 && (seen_b[i][j] != 1 || seen_c[i][j] != 1))) {
        std::fprintf(stderr, "emu: mma fragment layout does not cover the tiles exactly once\n");
        std::abort();
      }
  float D[16][8];
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 8; ++j) {
      float acc = C[i][j];
      for (int k = 0; k < 16; ++k) acc += A[i][k] * B[k][j];
      D[i][j] = acc;
    }
  for (int lane = 0; lane < 32; ++lane) {
    EmuMmaLane& d = *static_cast<EmuMmaLane*>(lanes[lane]);
    const int g = lane >> 2, t = lane & 3;
    d.c[0] = D[g][2 * t];
    d.c[1] = D[g][2 * t + 1];
    d.c[2] = D[g + 8][2 * t];
    d.c[3] = D[g + 8][2 * t + 1];
  }
}

}  // namespace mk
