/**
 * Multi-head scaled-dot-product attention on (batch, time, heads * headDim) tensors, with causal and key-padding
 * masks; fused into one kernel per direction. The forward fills a (batch, heads, tq, tk) scratch (the softmax
 * probabilities, or whatever the backend keeps instead: see Backend.attention) that the backward pass reads.
 */
import type { AttentionParams, Storage } from '../backend.js';
import { releaseNow, scratch } from '../memory.js';
import { record } from '../tape.js';
import { Tensor, empty } from '../tensor.js';
import { assertI32, common } from './util.js';

export interface AttentionOptions {
  heads: number;
  causal?: boolean;
  /** i32 [batch, tk]: 1 = attend, 0 = padding. */
  keyMask?: Tensor | null;
  /** Defaults to 1/sqrt(headDim). */
  scale?: number;
}

/** q: [B, Tq, W], k and v: [B, Tk, W]; returns [B, Tq, W]. */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions): Tensor {
  const be = common('attention', q, k, v);
  if (q.rank !== 3 || k.rank !== 3 || v.rank !== 3) throw new Error(`attention: expected 3-D q, k, v, got [${q.shape}], [${k.shape}], [${v.shape}]`);
  const [B, Tq, W] = q.shape as [number, number, number];
  const Tk = k.dim(1);
  if (k.dim(0) !== B || v.dim(0) !== B || k.dim(2) !== W || v.dim(2) !== W || v.dim(1) !== Tk) {
    throw new Error(`attention: shapes q [${q.shape}], k [${k.shape}], v [${v.shape}] do not agree`);
  }
  const p = params(be, B, Tq, Tk, W, opts, q.storage, 0, W, k.storage, 0, W, v.storage, 0, W);
  const { out, probs } = forward(be, p, B, Tq, W);
  const res = record(out, 'attention', [q, k, v], (g, sink) => {
    const direct = (t: Tensor): Storage | null => {
      const tgt = sink.target(t);
      return tgt && !tgt.acc ? tgt.s : null;
    };
    // Targets that can be overwritten are written in place; others go through temporaries.
    const dq = direct(q), dk = direct(k), dv = direct(v);
    const tq = dq ?? be.alloc('f32', B * Tq * W);
    const tk = dk ?? be.alloc('f32', B * Tk * W);
    const tv = dv ?? be.alloc('f32', B * Tk * W);
    be.attentionBackward(p, probs, g.storage, tq, tk, tv);
    for (const [t, d, tmp] of [[q, dq, tq], [k, dk, tk], [v, dv, tv]] as const) {
      if (d) continue;
      if (t.requiresGrad) sink.add(t, new Tensor(tmp, t.shape, be));
      be.release(tmp);
    }
  }, [probs]);
  if (!res.node) releaseNow(be, probs);
  return res;
}

/** qkv: [B, T, 3W] holding q, k, v side by side in each row (one fused input projection); returns [B, T, W]. */
export function attentionPacked(qkv: Tensor, opts: AttentionOptions): Tensor {
  const be = common('attention', qkv);
  if (qkv.rank !== 3 || qkv.dim(2) % 3 !== 0) throw new Error(`attentionPacked: expected [B, T, 3W], got [${qkv.shape}]`);
  const [B, T, W3] = qkv.shape as [number, number, number];
  const W = W3 / 3;
  const s = qkv.storage;
  const p = params(be, B, T, T, W, opts, s, 0, W3, s, W, W3, s, 2 * W, W3);
  const { out, probs } = forward(be, p, B, T, W);
  const res = record(out, 'attention', [qkv], (g, sink) => {
    const tgt = sink.target(qkv);
    if (!tgt) return;
    if (be.attentionBackwardInto) {
      // straight into the three column blocks of the packed gradient
      be.attentionBackwardInto(p, probs, g.storage, { dq: tgt.s, dqOff: 0, ldq: W3, dk: tgt.s, dkOff: W, ldk: W3,
        dv: tgt.s, dvOff: 2 * W, ldv: W3 }, tgt.acc);
      return;
    }
    const n = B * T * W;
    const dq = be.alloc('f32', n), dk = be.alloc('f32', n), dv = be.alloc('f32', n);
    be.attentionBackward(p, probs, g.storage, dq, dk, dv);
    // Scatter the three gradients back into their column blocks of the packed rows.
    [dq, dk, dv].forEach((d, i) => {
      be.copy2d(d, 0, W, tgt.s, i * W, W3, B * T, W, tgt.acc);
      be.release(d);
    });
  }, [probs]);
  if (!res.node) releaseNow(be, probs);
  return res;
}

function params(be: ReturnType<typeof common>, B: number, Tq: number, Tk: number, W: number, opts: AttentionOptions,
  q: Storage, qOff: number, ldq: number, k: Storage, kOff: number, ldk: number, v: Storage, vOff: number, ldv: number): AttentionParams {
  const heads = opts.heads;
  if (!Number.isInteger(heads) || heads < 1 || W % heads !== 0) throw new Error(`attention: width ${W} is not divisible by ${heads} heads`);
  const headDim = W / heads;
  if (opts.causal && Tq !== Tk) throw new Error(`attention: causal mask needs tq == tk, got ${Tq} and ${Tk}`);
  if (opts.keyMask) {
    assertI32('attention keyMask', opts.keyMask, be);
    if (opts.keyMask.size !== B * Tk) throw new Error(`attention: keyMask [${opts.keyMask.shape}] must be [${B}, ${Tk}]`);
  }
  return {
    batch: B, heads, tq: Tq, tk: Tk, headDim, scale: opts.scale ?? 1 / Math.sqrt(headDim),
    causal: !!opts.causal, keyMask: opts.keyMask?.storage ?? null,
    q, qOff, ldq, k, kOff, ldk, v, vOff, ldv,
  };
}

function forward(be: ReturnType<typeof common>, p: AttentionParams, B: number, Tq: number, W: number): { out: Tensor; probs: Storage } {
  const out = empty(be, [B, Tq, W]);
  const probs = scratch(be, B * p.heads * Tq * p.tk);
  be.attention(p, out.storage, probs);
  return { out, probs };
}
