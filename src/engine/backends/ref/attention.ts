/**
 * Multi-head scaled-dot-product attention of the ref backend (see AttentionParams), one (batch, head) at a time:
 *   s_ij = scale * q_i . k_j        over the keys j that query i may see (causal: j <= i; keyMask[b, j] != 0)
 *   p_ij = softmax_j(s_ij)          hidden keys get p = 0; a row with no visible key is all zeros
 *   out_i = sum_j p_ij v_j
 * Backward, with dP_ij = dOut_i . v_j and dS_ij = p_ij (dP_ij - sum_j' p_ij' dP_ij'):
 *   dv_j = sum_i p_ij dOut_i,  dq_i = scale * sum_j dS_ij k_j,  dk_j = scale * sum_i dS_ij q_i
 * Dot products and sums are float64.
 */
import type { AttentionParams, Storage } from '../../backend.js';
import { count, f32, fail, finite, i32, matrix, span } from './check.js';

interface Views {
  Q: Float32Array;
  K: Float32Array;
  V: Float32Array;
  mask: Int32Array | null;
  width: number; // heads * headDim
}

function check(kernel: string, p: AttentionParams): Views {
  const { batch, heads, tq, tk, headDim } = p;
  for (const [name, v] of [['batch', batch], ['heads', heads], ['tq', tq], ['tk', tk], ['headDim', headDim]] as const) {
    count(kernel, name, v);
  }
  finite(kernel, 'scale', p.scale);
  if (p.causal && tq !== tk) fail(kernel, `causal attention needs tq == tk, got tq ${tq} and tk ${tk}`);
  const width = heads * headDim;
  const Q = f32(kernel, 'q', p.q);
  const K = f32(kernel, 'k', p.k);
  const V = f32(kernel, 'v', p.v);
  // (batch, t, width) with row stride ld is a batch of t x width matrices with matrix stride t * ld.
  matrix(kernel, 'q', p.q, p.qOff, tq, width, p.ldq, batch, tq * p.ldq);
  matrix(kernel, 'k', p.k, p.kOff, tk, width, p.ldk, batch, tk * p.ldk);
  matrix(kernel, 'v', p.v, p.vOff, tk, width, p.ldv, batch, tk * p.ldv);
  let mask: Int32Array | null = null;
  if (p.keyMask) {
    mask = i32(kernel, 'keyMask', p.keyMask);
    span(kernel, 'keyMask', p.keyMask, 0, batch * tk);
  }
  return { Q, K, V, mask, width };
}

function visible(p: AttentionParams, mask: Int32Array | null, b: number, i: number, j: number): boolean {
  if (p.causal && j > i) return false;
  return mask === null || mask[b * p.tk + j] !== 0;
}

export function attention(p: AttentionParams, out: Storage, probs: Storage): void {
  const k = 'attention';
  const { Q, K, V, mask, width } = check(k, p);
  const { batch, heads, tq, tk, headDim: D, scale } = p;
  const O = f32(k, 'out', out);
  const P = f32(k, 'probs', probs);
  span(k, 'out', out, 0, batch * tq * width);
  span(k, 'probs', probs, 0, batch * heads * tq * tk);
  const s = new Float64Array(tk);
  const acc = new Float64Array(D);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < tq; i++) {
        const qi = p.qOff + (b * tq + i) * p.ldq + h * D;
        const pRow = ((b * heads + h) * tq + i) * tk;
        // Scores of the visible keys and their max.
        let max = -Infinity;
        for (let j = 0; j < tk; j++) {
          if (!visible(p, mask, b, i, j)) continue;
          const kj = p.kOff + (b * tk + j) * p.ldk + h * D;
          let dot = 0;
          for (let d = 0; d < D; d++) dot += Q[qi + d]! * K[kj + d]!;
          s[j] = scale * dot;
          if (s[j]! > max) max = s[j]!;
        }
        // Softmax over the visible keys (hidden keys, and rows with none visible, get 0).
        let sum = 0;
        for (let j = 0; j < tk; j++) {
          s[j] = visible(p, mask, b, i, j) ? Math.exp(s[j]! - max) : 0;
          sum += s[j]!;
        }
        acc.fill(0);
        for (let j = 0; j < tk; j++) {
          const pij = sum > 0 ? s[j]! / sum : 0;
          P[pRow + j] = pij;
          if (pij === 0) continue;
          const vj = p.vOff + (b * tk + j) * p.ldv + h * D;
          for (let d = 0; d < D; d++) acc[d]! += pij * V[vj + d]!;
        }
        const oi = (b * tq + i) * width + h * D;
        for (let d = 0; d < D; d++) O[oi + d] = acc[d]!;
      }
    }
  }
}

export function attentionBackward(p: AttentionParams, probs: Storage, dOut: Storage, dq: Storage, dk: Storage,
  dv: Storage): void {
  const k = 'attentionBackward';
  const { Q, K, V, width } = check(k, p);
  const { batch, heads, tq, tk, headDim: D, scale } = p;
  const P = f32(k, 'probs', probs);
  const DO = f32(k, 'dOut', dOut);
  const DQ = f32(k, 'dq', dq);
  const DK = f32(k, 'dk', dk);
  const DV = f32(k, 'dv', dv);
  span(k, 'probs', probs, 0, batch * heads * tq * tk);
  span(k, 'dOut', dOut, 0, batch * tq * width);
  span(k, 'dq', dq, 0, batch * tq * width);
  span(k, 'dk', dk, 0, batch * tk * width);
  span(k, 'dv', dv, 0, batch * tk * width);
  const dP = new Float64Array(tk);
  const gq = new Float64Array(D);
  const gk = new Float64Array(tk * D);
  const gv = new Float64Array(tk * D);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      gk.fill(0);
      gv.fill(0);
      for (let i = 0; i < tq; i++) {
        const qi = p.qOff + (b * tq + i) * p.ldq + h * D;
        const oi = (b * tq + i) * width + h * D;
        const pRow = ((b * heads + h) * tq + i) * tk;
        // dP_ij = dOut_i . v_j, and dv_j += p_ij dOut_i.
        let pdp = 0;
        for (let j = 0; j < tk; j++) {
          const pij = P[pRow + j]!;
          const vj = p.vOff + (b * tk + j) * p.ldv + h * D;
          let dot = 0;
          for (let d = 0; d < D; d++) {
            dot += DO[oi + d]! * V[vj + d]!;
            gv[j * D + d]! += pij * DO[oi + d]!;
          }
          dP[j] = dot;
          pdp += pij * dot;
        }
        // dS_ij = p_ij (dP_ij - sum_j p_ij dP_ij); dq_i = scale sum_j dS_ij k_j; dk_j += scale dS_ij q_i.
        gq.fill(0);
        for (let j = 0; j < tk; j++) {
          const ds = P[pRow + j]! * (dP[j]! - pdp);
          if (ds === 0) continue;
          const kj = p.kOff + (b * tk + j) * p.ldk + h * D;
          for (let d = 0; d < D; d++) {
            gq[d]! += ds * K[kj + d]!;
            gk[j * D + d]! += ds * Q[qi + d]!;
          }
        }
        for (let d = 0; d < D; d++) DQ[oi + d] = scale * gq[d]!;
      }
      for (let j = 0; j < tk; j++) {
        const kj = (b * tk + j) * width + h * D;
        for (let d = 0; d < D; d++) {
          DK[kj + d] = scale * gk[j * D + d]!;
          DV[kj + d] = gv[j * D + d]!;
        }
      }
    }
  }
}
