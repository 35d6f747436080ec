// The body of one ISA's kernel set: included inside `namespace mulki::isa_<name>` by isa_<name>.cpp, after its
// `#pragma GCC target` and with MULKI_ISA_<NAME> defined. No static initialisation that runs code here: the
// table below is constant-initialised, so loading the addon never executes instructions of this ISA.
#include "simd.h"
#include "parallel.inl"
#include "gemm.inl"
#include "attention.inl"
#include "elementwise.inl"
#include "fused.inl"

static volatile float fma_sink;

/** 12 independent vector FMA chains (enough to cover the FMA latency on every x86 core). */
static double fma_loop(i64 iters) {
  vf acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = vset1(0.001f * (float)i);
  const vf a = vset1(0.999f), b = vset1(0.0001f);
  for (i64 it = 0; it < iters; ++it)
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = vfma(acc[i], a, b);
  vf s = acc[0];
  for (int i = 1; i < 12; ++i) s = vadd(s, acc[i]);
  fma_sink = vhsum(s);
  return (double)iters * 12.0 * W * 2.0;
}

static constexpr Kernels table = {
    MULKI_ISA_NAME,     gemm,           attention,       attention_backward,     binary,
    unary,              affine,         axpy,            sum_to,                 sum_rows,
    sum_squares,        bias_act,       act_backward,    layer_norm,             layer_norm_backward,
    softmax,            softmax_backward, l2_normalize,  l2_normalize_backward,  cross_entropy,
    cross_entropy_backward, kl_div,     kl_div_backward, adamw,           fma_loop,
};
