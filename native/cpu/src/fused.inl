// Fused row-wise kernels: activations, layer norm, softmax, l2 normalisation, losses, AdamW
// (included inside the ISA namespace after elementwise.inl). Rows are independent, except the parameter
// gradients of layer norm, which are summed over fixed chunks of rows and then over the chunks in order.

// ---- activations ----

static constexpr float GELU_K = 0.7978845608028654f;  // sqrt(2 / pi)
static constexpr float GELU_C = 0.044715f;
static constexpr float QUICK_K = 1.702f;
static constexpr float INV_SQRT_2PI = 0.3989422804014327f;

template <int KIND>
static inline vf vact(vf x) {
  if constexpr (KIND == ACT_NONE) return x;
  else if constexpr (KIND == ACT_RELU) return vselect_pos(x, x);
  else if constexpr (KIND == ACT_GELU) return vmul(x, vphi(x));
  else if constexpr (KIND == ACT_GELU_TANH) {
    // 0.5 x (1 + tanh u) = x * sigmoid(2u), u = k (x + c x^3)
    const vf u = vmul(vset1(GELU_K), vfma(vmul(vset1(GELU_C), vmul(x, x)), x, x));
    return vmul(x, vsigmoid(vadd(u, u)));
  } else {
    return vmul(x, vsigmoid(vmul(vset1(QUICK_K), x)));
  }
}

/** act'(x) */
template <int KIND>
static inline vf vact_grad(vf x) {
  if constexpr (KIND == ACT_NONE) return vset1(1.0f);
  else if constexpr (KIND == ACT_RELU) return vselect_pos(x, vset1(1.0f));
  else if constexpr (KIND == ACT_GELU) {
    // Phi(x) + x phi(x)
    const vf pdf = vmul(vset1(INV_SQRT_2PI), vexp(vmul(vset1(-0.5f), vmul(x, x))));
    return vfma(x, pdf, vphi(x));
  } else if constexpr (KIND == ACT_GELU_TANH) {
    // s + 2 x s (1 - s) k (1 + 3 c x^2), s = sigmoid(2u)
    const vf x2 = vmul(x, x);
    const vf u = vmul(vset1(GELU_K), vfma(vmul(vset1(GELU_C), x2), x, x));
    const vf s = vsigmoid(vadd(u, u));
    const vf du = vmul(vset1(GELU_K), vfma(vset1(3.0f * GELU_C), x2, vset1(1.0f)));
    const vf t = vmul(vmul(vadd(x, x), vmul(s, vsub(vset1(1.0f), s))), du);
    return vadd(s, t);
  } else {
    const vf s = vsigmoid(vmul(vset1(QUICK_K), x));
    return vfma(vmul(vset1(QUICK_K), x), vmul(s, vsub(vset1(1.0f), s)), s);
  }
}

template <int KIND>
static void bias_act_k(float* x, const float* bias, i64 rows, i64 cols, float* out) {
  par_rows(rows, cols, [&](i64 r0, i64 r1, int) {
    for (i64 r = r0; r < r1; ++r) {
      float* xr = x + r * cols;
      float* orow = out + r * cols;
      for_lanes(cols, [&](i64 j, int l) {
        vf v = ld(xr + j, l);
        if (bias) {
          v = vadd(v, ld(bias + j, l));
          st(xr + j, v, l);
        }
        if (KIND != ACT_NONE || orow != xr) st(orow + j, vact<KIND>(v), l);
      });
    }
  });
}

static void bias_act(float* x, const float* bias, i64 rows, i64 cols, int kind, float* out) {
  switch (kind) {
    case ACT_NONE: return bias_act_k<ACT_NONE>(x, bias, rows, cols, out);
    case ACT_GELU: return bias_act_k<ACT_GELU>(x, bias, rows, cols, out);
    case ACT_GELU_TANH: return bias_act_k<ACT_GELU_TANH>(x, bias, rows, cols, out);
    case ACT_QUICK_GELU: return bias_act_k<ACT_QUICK_GELU>(x, bias, rows, cols, out);
    default: return bias_act_k<ACT_RELU>(x, bias, rows, cols, out);
  }
}

template <int KIND>
static void act_backward_k(const float* x, const float* dy, float* dx, i64 n, bool acc) {
  par_range(n, 16384, [&](i64 i0, i64 i1, int) {
    for_lanes(i1 - i0, [&](i64 i, int l) {
      const i64 o = i0 + i;
      vf g = vmul(vact_grad<KIND>(ld(x + o, l)), ld(dy + o, l));
      if (KIND == ACT_RELU) g = vselect_pos(ld(x + o, l), ld(dy + o, l));
      if (acc) g = vadd(ld(dx + o, l), g);
      st(dx + o, g, l);
    });
  });
}

static void act_backward(int kind, const float* x, const float* dy, float* dx, i64 n, bool acc) {
  switch (kind) {
    case ACT_NONE: return act_backward_k<ACT_NONE>(x, dy, dx, n, acc);
    case ACT_GELU: return act_backward_k<ACT_GELU>(x, dy, dx, n, acc);
    case ACT_GELU_TANH: return act_backward_k<ACT_GELU_TANH>(x, dy, dx, n, acc);
    case ACT_QUICK_GELU: return act_backward_k<ACT_QUICK_GELU>(x, dy, dx, n, acc);
    default: return act_backward_k<ACT_RELU>(x, dy, dx, n, acc);
  }
}

// ---- row helpers ----

static inline float row_sum(const float* x, i64 n) {
  vf s0 = vzero(), s1 = vzero();
  i64 i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    s0 = vadd(s0, vload(x + i));
    s1 = vadd(s1, vload(x + i + W));
  }
  for (; i + W <= n; i += W) s0 = vadd(s0, vload(x + i));
  if (i < n) s1 = vadd(s1, vloadn(x + i, (int)(n - i)));
  return vhsum(vadd(s0, s1));
}

static inline float row_dot(const float* x, const float* y, i64 n) {
  vf s0 = vzero(), s1 = vzero();
  i64 i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    s0 = vfma(vload(x + i), vload(y + i), s0);
    s1 = vfma(vload(x + i + W), vload(y + i + W), s1);
  }
  for (; i + W <= n; i += W) s0 = vfma(vload(x + i), vload(y + i), s0);
  if (i < n) s1 = vfma(vloadn(x + i, (int)(n - i)), vloadn(y + i, (int)(n - i)), s1);
  return vhsum(vadd(s0, s1));
}

static inline float row_max_scaled(const float* x, i64 n, float scale) {
  const vf vs = vset1(scale);
  vf m = vset1(-__builtin_inff());
  i64 i = 0;
  for (; i + W <= n; i += W) m = vmax(m, vmul(vload(x + i), vs));
  float r = vhmax(m);
  for (; i < n; ++i) r = x[i] * scale > r ? x[i] * scale : r;
  return r;
}

/** y = exp(scale * x - shift) row-wise (y may be null: only the sum); returns the sum of the exponentials. */
static inline float row_exp(const float* x, i64 n, float scale, float shift, float* y) {
  const vf vs = vset1(scale), vm = vset1(shift);
  vf s = vzero();
  for_lanes(n, [&](i64 i, int l) {
    vf e = vexp(vsub(vmul(ld(x + i, l), vs), vm));
    if (l < W) e = vloadn((const float*)&e, l);  // keep padding lanes out of the sum
    s = vadd(s, e);
    if (y) st(y + i, e, l);
  });
  return vhsum(s);
}

static inline void row_scale(float* y, i64 n, float s) {
  const vf v = vset1(s);
  for_lanes(n, [&](i64 i, int l) { st(y + i, vmul(ld(y + i, l), v), l); });
}

// ---- layer norm ----

static void layer_norm(const float* x, const float* gamma, const float* beta, i64 rows, i64 cols, float eps, float* y,
                       float* mean, float* rstd) {
  par_rows(rows, cols, [&](i64 r0, i64 r1, int) {
    for (i64 r = r0; r < r1; ++r) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      const float mu = row_sum(xr, cols) / (float)cols;
      const vf vmu = vset1(mu);
      vf s = vzero();
      for_lanes(cols, [&](i64 j, int l) {
        vf d = vsub(ld(xr + j, l), vmu);
        if (l < W) d = vloadn((const float*)&d, l);
        s = vfma(d, d, s);
      });
      const float rs = 1.0f / __builtin_sqrtf(vhsum(s) / (float)cols + eps);
      mean[r] = mu;
      rstd[r] = rs;
      const vf vr = vset1(rs);
      for_lanes(cols, [&](i64 j, int l) {
        vf v = vmul(vsub(ld(xr + j, l), vmu), vr);
        if (gamma) v = vmul(v, ld(gamma + j, l));
        if (beta) v = vadd(v, ld(beta + j, l));
        st(yr + j, v, l);
      });
    }
  });
}

static void layer_norm_backward(const float* dy, const float* x, const float* gamma, const float* mean,
                                const float* rstd, i64 rows, i64 cols, float* dx, float* dgamma, float* dbeta,
                                bool acc) {
  constexpr i64 RCH = 128;  // rows per partial sum of dgamma / dbeta
  const bool params = dgamma || dbeta;
  const i64 chunks = (rows + RCH - 1) / RCH;
  double* part = params ? static_cast<double*>(pool_shared_scratch((size_t)(chunks * cols * 2) * sizeof(double)))
                        : nullptr;
  auto chunk = [&](i64 c, int) {
    double* pg = params ? part + c * cols * 2 : nullptr;
    double* pbb = params ? pg + cols : nullptr;
    if (params)
      for (i64 j = 0; j < 2 * cols; ++j) pg[j] = 0.0;
    const i64 r1 = imin(rows, (c + 1) * RCH);
    for (i64 r = c * RCH; r < r1; ++r) {
      const float* xr = x + r * cols;
      const float* dyr = dy + r * cols;
      float* dxr = dx + r * cols;
      const vf vmu = vset1(mean[r]), vr = vset1(rstd[r]);
      vf sg = vzero(), sgx = vzero();
      for_lanes(cols, [&](i64 j, int l) {
        const vf xh = vmul(vsub(ld(xr + j, l), vmu), vr);
        vf gj = ld(dyr + j, l);
        if (gamma) gj = vmul(gj, ld(gamma + j, l));
        sg = vadd(sg, gj);  // padding lanes of a partial load are 0
        sgx = vfma(gj, xh, sgx);
      });
      const vf a = vset1(vhsum(sg) / (float)cols), b = vset1(vhsum(sgx) / (float)cols);
      for_lanes(cols, [&](i64 j, int l) {
        const vf xh = vmul(vsub(ld(xr + j, l), vmu), vr);
        vf gj = ld(dyr + j, l);
        if (gamma) gj = vmul(gj, ld(gamma + j, l));
        vf d = vmul(vr, vsub(vsub(gj, a), vmul(xh, b)));
        if (acc) d = vadd(ld(dxr + j, l), d);
        st(dxr + j, d, l);
      });
      if (params) {
        const float mu = mean[r], rs = rstd[r];
        for (i64 j = 0; j < cols; ++j) {
          pg[j] += (double)(dyr[j] * ((xr[j] - mu) * rs));
          pbb[j] += (double)dyr[j];
        }
      }
    }
  };
  if ((double)rows * (double)cols < 32768.0) {
    for (i64 c = 0; c < chunks; ++c) chunk(c, 0);
  } else {
    parallel(chunks, chunk);
  }
  if (!params) return;
  par_range(cols, 256, [&](i64 j0, i64 j1, int) {
    for (i64 j = j0; j < j1; ++j) {
      double sg = 0.0, sb = 0.0;
      for (i64 c = 0; c < chunks; ++c) {
        sg += part[c * cols * 2 + j];
        sb += part[c * cols * 2 + cols + j];
      }
      if (dgamma) dgamma[j] = (float)sg;
      if (dbeta) dbeta[j] = (float)sb;
    }
  });
}

// ---- softmax ----

static void softmax(const float* x, i64 rows, i64 cols, float scale, bool log, float* y) {
  par_rows(rows, cols, [&](i64 r0, i64 r1, int) {
    for (i64 r = r0; r < r1; ++r) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      const float mx = row_max_scaled(xr, cols, scale);
      if (mx == -__builtin_inff()) {  // every value -inf (a fully masked row): zeros, or -inf for log
        for (i64 j = 0; j < cols; ++j) yr[j] = log ? -__builtin_inff() : 0.0f;
        continue;
      }
      const float s = row_exp(xr, cols, scale, mx, log ? nullptr : yr);  // y may alias x
      if (!log) {
        row_scale(yr, cols, 1.0f / s);
      } else {
        const vf shift = vset1(mx + __builtin_logf(s)), vs = vset1(scale);
        for_lanes(cols, [&](i64 j, int l) { st(yr + j, vsub(vmul(ld(xr + j, l), vs), shift), l); });
      }
    }
  });
}

static void softmax_backward(const float* y, const float* dy, i64 rows, i64 cols, float scale, bool log, float* dx,
                             bool acc) {
  par_rows(rows, cols, [&](i64 r0, i64 r1, int) {
    for (i64 r = r0; r < r1; ++r) {
      const float* yr = y + r * cols;
      const float* dyr = dy + r * cols;
      float* dxr = dx + r * cols;
      const vf vs = vset1(scale);
      if (!log) {  // dx = scale * y * (dy - sum(dy * y))
        const vf s = vset1(row_dot(yr, dyr, cols));
        for_lanes(cols, [&](i64 j, int l) {
          vf d = vmul(vs, vmul(ld(yr + j, l), vsub(ld(dyr + j, l), s)));
          if (acc) d = vadd(ld(dxr + j, l), d);
          st(dxr + j, d, l);
        });
      } else {  // dx = scale * (dy - exp(y) * sum(dy))
        const vf s = vset1(row_sum(dyr, cols));
        for_lanes(cols, [&](i64 j, int l) {
          vf d = vmul(vs, vsub(ld(dyr + j, l), vmul(vexp(ld(yr + j, l)), s)));
          if (acc) d = vadd(ld(dxr + j, l), d);
          st(dxr + j, d, l);
        });
      }
    }
  });
}

// ---- l2 normalisation ----

static void l2_normalize(const float* x, i64 rows, i64 cols, float eps, float* y, float* norms) {
  par_rows(rows, cols, [&](i64 r0, i64 r1, int) {
    for (i64 r = r0; r < r1; ++r) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      float nrm = __builtin_sqrtf(row_dot(xr, xr, cols));
      if (!(nrm > eps)) nrm = eps;
      norms[r] = nrm;
      const vf vn = vset1(nrm);
      for_lanes(cols, [&](i64 j, int l) { st(yr + j, vdiv(ld(xr + j, l), vn), l); });
    }
  });
}

static void l2_normalize_backward(const float* dy, const float* y, const float* norms, i64 rows, i64 cols, float* dx,
                                  bool acc) {
  par_rows(rows, cols, [&](i64 r0, i64 r1, int) {
    for (i64 r = r0; r < r1; ++r) {
      const float* yr = y + r * cols;
      const float* dyr = dy + r * cols;
      float* dxr = dx + r * cols;
      // a row whose norm was clamped to eps has ||y|| < 1 and is a plain scaling: dx = dy / eps (as ref)
      const float yy = row_dot(yr, yr, cols);
      const vf d = vset1(yy < 1.0f - 1e-3f ? 0.0f : row_dot(yr, dyr, cols)), vn = vset1(norms[r]);
      for_lanes(cols, [&](i64 j, int l) {
        vf g = vdiv(vsub(ld(dyr + j, l), vmul(ld(yr + j, l), d)), vn);
        if (acc) g = vadd(ld(dxr + j, l), g);
        st(dxr + j, g, l);
      });
    }
  });
}

// ---- losses ----

static void cross_entropy(const float* logits, const int32_t* labels, i64 n, i64 c, float smoothing, float* loss,
                          float* probs) {
  par_rows(n, c, [&](i64 r0, i64 r1, int) {
    for (i64 r = r0; r < r1; ++r) {
      const float* xr = logits + r * c;
      float* pr = probs + r * c;
      const float mx = row_max_scaled(xr, c, 1.0f);
      const float s = row_exp(xr, c, 1.0f, mx, pr);
      row_scale(pr, c, 1.0f / s);
      const int32_t y = labels[r];
      if (y < 0) {
        loss[r] = 0.0f;
        continue;
      }
      const float lse = mx + __builtin_logf(s);
      float l = (1.0f - smoothing) * (lse - xr[y]);
      if (smoothing != 0.0f) l += smoothing * (lse - row_sum(xr, c) / (float)c);
      loss[r] = l;
    }
  });
}

static void cross_entropy_backward(const float* probs, const int32_t* labels, i64 n, i64 c, float smoothing,
                                   const float* dloss, float* dlogits, bool acc) {
  par_rows(n, c, [&](i64 r0, i64 r1, int) {
    for (i64 r = r0; r < r1; ++r) {
      const float* pr = probs + r * c;
      float* dr = dlogits + r * c;
      const int32_t y = labels[r];
      if (y < 0) {
        if (!acc)
          for (i64 j = 0; j < c; ++j) dr[j] = 0.0f;
        continue;
      }
      const float d = dloss[r], off = smoothing / (float)c;
      const float old = acc ? dr[y] : 0.0f;
      const vf vd = vset1(d), voff = vset1(off);
      for_lanes(c, [&](i64 j, int l) {
        vf g = vmul(vd, vsub(ld(pr + j, l), voff));
        if (acc) g = vadd(ld(dr + j, l), g);
        st(dr + j, g, l);
      });
      const float gy = d * (pr[y] - ((1.0f - smoothing) + off));
      dr[y] = acc ? old + gy : gy;
    }
  });
}

/** logp = log_softmax(x / T) of one row; returns nothing, writes c values. */
static inline void log_softmax_t(const float* x, i64 c, float invT, float* out) {
  const float mx = row_max_scaled(x, c, invT);
  const float s = row_exp(x, c, invT, mx, nullptr);
  const vf shift = vset1(mx + __builtin_logf(s)), vs = vset1(invT);
  for_lanes(c, [&](i64 j, int l) { st(out + j, vsub(vmul(ld(x + j, l), vs), shift), l); });
}

static void kl_div(const float* student, const float* teacher, i64 n, i64 c, float T, float* loss, float* logp,
                   float* logq) {
  const float invT = 1.0f / T;
  par_rows(n, c, [&](i64 r0, i64 r1, int) {
    for (i64 r = r0; r < r1; ++r) {
      float* lp = logp + r * c;
      float* lq = logq + r * c;
      log_softmax_t(teacher + r * c, c, invT, lp);
      log_softmax_t(student + r * c, c, invT, lq);
      vf s = vzero();
      for_lanes(c, [&](i64 j, int l) {
        const vf a = ld(lp + j, l), p = vexp(a);
        vf t = vselect_pos(p, vmul(p, vsub(a, ld(lq + j, l))));  // 0 log 0 = 0
        if (l < W) t = vloadn((const float*)&t, l);
        s = vadd(s, t);
      });
      loss[r] = T * T * vhsum(s);
    }
  });
}

static void kl_div_backward(const float* logp, const float* logq, i64 n, i64 c, float T, const float* dloss,
                            float* dstudent, float* dteacher, bool acc) {
  par_rows(n, c, [&](i64 r0, i64 r1, int) {
    for (i64 r = r0; r < r1; ++r) {
      const float* lp = logp + r * c;
      const float* lq = logq + r * c;
      const vf f = vset1(dloss[r] * T);
      if (dstudent) {
        float* ds = dstudent + r * c;
        for_lanes(c, [&](i64 j, int l) {
          vf g = vmul(f, vsub(vexp(ld(lq + j, l)), vexp(ld(lp + j, l))));
          if (acc) g = vadd(ld(ds + j, l), g);
          st(ds + j, g, l);
        });
      }
      if (dteacher) {
        float* dt = dteacher + r * c;
        vf s = vzero();
        for_lanes(c, [&](i64 j, int l) {
          const vf a = ld(lp + j, l), p = vexp(a);
          vf t = vselect_pos(p, vmul(p, vsub(a, ld(lq + j, l))));  // 0 log 0 = 0
          if (l < W) t = vloadn((const float*)&t, l);
          s = vadd(s, t);
        });
        const vf kl = vset1(vhsum(s));
        for_lanes(c, [&](i64 j, int l) {
          const vf a = ld(lp + j, l), p = vexp(a);
          vf g = vselect_pos(p, vmul(f, vmul(p, vsub(vsub(a, ld(lq + j, l)), kl))));
          if (acc) g = vadd(ld(dt + j, l), g);
          st(dt + j, g, l);
        });
      }
    }
  });
}

// ---- optimiser ----

static void adamw(float* p, const float* g, float* m, float* v, i64 n, float lr, float beta1, float beta2, float eps,
                  float wd, float bc1, float bc2, float gscale) {
  par_range(n, 16384, [&](i64 i0, i64 i1, int) {
    const vf b1 = vset1(beta1), b2 = vset1(beta2), ob1 = vset1(1.0f - beta1), ob2 = vset1(1.0f - beta2);
    const vf gs = vset1(gscale), decay = vset1(-lr * wd), vlr = vset1(lr), vbc1 = vset1(bc1), vbc2 = vset1(bc2),
             veps = vset1(eps);
    for_lanes(i1 - i0, [&](i64 i, int l) {
      const i64 o = i0 + i;
      const vf gv = vmul(ld(g + o, l), gs);
      const vf mv = vfma(b1, ld(m + o, l), vmul(ob1, gv));
      const vf vv = vfma(b2, ld(v + o, l), vmul(ob2, vmul(gv, gv)));
      vf pv = ld(p + o, l);
      pv = vfma(decay, pv, pv);
      const vf upd = vdiv(vdiv(mv, vbc1), vadd(vsqrt(vdiv(vv, vbc2)), veps));
      pv = vsub(pv, vmul(vlr, upd));
      st(m + o, mv, l);
      st(v + o, vv, l);
      st(p + o, pv, l);
    });
  });
}
