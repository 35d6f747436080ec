// Multi-head attention, forward and backward (included inside the ISA namespace after gemm.inl).
// One task per (batch, head): S = Q K^T with the GEMM micro-kernels, masked softmax in place in `probs`,
// out = P V. Backward: dP = dOut V^T, dS = P * (dP - rowsum(dP * P)) * scale, dQ = dS K, dK = dS^T Q, dV = P^T dOut.

/**
 * Row i of the attention logits in place: p[j] = softmax_j(scale * s[j]) over the visible keys (j < limit and
 * mask[j] != 0), 0 elsewhere; a row with no visible key is all zeros.
 */
static void masked_softmax_row(float* p, i64 tk, i64 limit, const int32_t* mask, float scale) {
  float mx = -__builtin_inff();
  bool any = false;
  if (mask) {
    for (i64 j = 0; j < limit; ++j)
      if (mask[j] != 0) {
        const float s = p[j] * scale;
        mx = any ? (s > mx ? s : mx) : s;
        any = true;
      }
  } else if (limit > 0) {
    vf m = vset1(-__builtin_inff());
    const vf vs = vset1(scale);
    i64 j = 0;
    for (; j + W <= limit; j += W) m = vmax(m, vmul(vload(p + j), vs));
    float mm = vhmax(m);
    for (; j < limit; ++j) mm = p[j] * scale > mm ? p[j] * scale : mm;
    mx = mm;
    any = true;
  }
  if (!any) {
    for (i64 j = 0; j < tk; ++j) p[j] = 0.0f;
    return;
  }
  const vf vs = vset1(scale), vm = vset1(mx);
  vf sum = vzero();
  i64 j = 0;
  for (; j + W <= limit; j += W) vstore(p + j, vexp(vsub(vmul(vload(p + j), vs), vm)));
  if (j < limit) vstoren(p + j, vexp(vsub(vmul(vloadn(p + j, (int)(limit - j)), vs), vm)), (int)(limit - j));
  if (mask)
    for (j = 0; j < limit; ++j)
      if (mask[j] == 0) p[j] = 0.0f;
  for (j = 0; j + W <= limit; j += W) sum = vadd(sum, vload(p + j));
  if (j < limit) sum = vadd(sum, vloadn(p + j, (int)(limit - j)));
  const vf inv = vset1(1.0f / vhsum(sum));
  for (j = 0; j + W <= limit; j += W) vstore(p + j, vmul(vload(p + j), inv));
  if (j < limit) vstoren(p + j, vmul(vloadn(p + j, (int)(limit - j)), inv), (int)(limit - j));
  for (j = limit; j < tk; ++j) p[j] = 0.0f;
}

/**
 * Runs body(item, next, thread) over the (batch, head) items in runs of consecutive items per task (next = the
 * following item of the same run, or -1): the body prefetches the next item's operands while it computes.
 */
template <class F>
static void for_heads(i64 items, F&& body) {
  const i64 run = imax(1, items / (4 * (i64)pool_threads()));
  parallel((items + run - 1) / run, [&](i64 t, int thread) {
    const i64 i1 = imin(items, (t + 1) * run);
    for (i64 item = t * run; item < i1; ++item) body(item, item + 1 < i1 ? item + 1 : -1, thread);
  });
}

static void attention(const AttnArgs& a, float* out, float* probs) {
  const i64 H = a.heads, D = a.hd, ldo = H * D;
  auto qp = [&](i64 t) { return a.q + (t / H) * a.tq * a.ldq + (t % H) * D; };
  auto kp = [&](i64 t) { return a.k + (t / H) * a.tk * a.ldk + (t % H) * D; };
  auto vp = [&](i64 t) { return a.v + (t / H) * a.tk * a.ldv + (t % H) * D; };
  for_heads(a.batch * H, [&](i64 t, i64 next, int thread) {
    const i64 b = t / H, h = t % H;
    float* P = probs + t * a.tq * a.tk;
    gemm_st(false, true, a.tq, a.tk, D, 1.0f, qp(t), a.ldq, kp(t), a.ldk, 0.0f, P, a.tk, thread,
            next >= 0 ? qp(next) : nullptr, next >= 0 ? kp(next) : nullptr);
    const int32_t* mask = a.keyMask ? a.keyMask + b * a.tk : nullptr;
    for (i64 i = 0; i < a.tq; ++i)
      masked_softmax_row(P + i * a.tk, a.tk, a.causal ? imin(i + 1, a.tk) : a.tk, mask, a.scale);
    gemm_st(false, false, a.tq, D, a.tk, 1.0f, P, a.tk, vp(t), a.ldv, 0.0f, out + b * a.tq * ldo + h * D, ldo, thread,
            nullptr, next >= 0 ? vp(next) : nullptr);
  });
}

static void attention_backward(const AttnArgs& a, const float* probs, const float* dout, float* dq, float* dk,
                               float* dv) {
  const i64 H = a.heads, D = a.hd, ldo = H * D;
  auto qp = [&](i64 t) { return a.q + (t / H) * a.tq * a.ldq + (t % H) * D; };
  auto kp = [&](i64 t) { return a.k + (t / H) * a.tk * a.ldk + (t % H) * D; };
  auto vp = [&](i64 t) { return a.v + (t / H) * a.tk * a.ldv + (t % H) * D; };
  auto dop = [&](i64 t) { return dout + (t / H) * a.tq * ldo + (t % H) * D; };
  auto pp = [&](i64 t) { return probs + t * a.tq * a.tk; };
  for_heads(a.batch * H, [&](i64 t, i64 next, int thread) {
    const i64 b = t / H, h = t % H;
    const bool nx = next >= 0;
    const float* P = pp(t);
    const float* dO = dop(t);
    float* dS = pool_scratch(thread, (size_t)(a.tq * a.tk), 2);
    gemm_st(false, true, a.tq, a.tk, D, 1.0f, dO, ldo, vp(t), a.ldv, 0.0f, dS, a.tk, thread,  // dP
            nx ? dop(next) : nullptr, nx ? vp(next) : nullptr);
    for (i64 i = 0; i < a.tq; ++i) {
      float* s = dS + i * a.tk;
      const float* p = P + i * a.tk;
      vf acc = vzero();
      i64 j = 0;
      for (; j + W <= a.tk; j += W) acc = vfma(vload(s + j), vload(p + j), acc);
      if (j < a.tk) acc = vfma(vloadn(s + j, (int)(a.tk - j)), vloadn(p + j, (int)(a.tk - j)), acc);
      const vf rs = vset1(vhsum(acc)), sc = vset1(a.scale);
      for (j = 0; j + W <= a.tk; j += W) vstore(s + j, vmul(vmul(vload(p + j), vsub(vload(s + j), rs)), sc));
      if (j < a.tk) {
        const int n = (int)(a.tk - j);
        vstoren(s + j, vmul(vmul(vloadn(p + j, n), vsub(vloadn(s + j, n), rs)), sc), n);
      }
    }
    gemm_st(false, false, a.tq, D, a.tk, 1.0f, dS, a.tk, kp(t), a.ldk, 0.0f, dq + b * a.tq * ldo + h * D, ldo, thread,
            nullptr, nx ? kp(next) : nullptr);
    gemm_st(true, false, a.tk, D, a.tq, 1.0f, dS, a.tk, qp(t), a.ldq, 0.0f, dk + b * a.tk * ldo + h * D, ldo, thread,
            nullptr, nx ? qp(next) : nullptr);
    gemm_st(true, false, a.tk, D, a.tq, 1.0f, P, a.tk, dO, ldo, 0.0f, dv + b * a.tk * ldo + h * D, ldo, thread,
            nx ? pp(next) : nullptr, nullptr);
  });
}
