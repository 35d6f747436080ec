/**
 * Row-wise losses of the ref backend, over n x c logits, computed in float64 from log-softmax values.
 *
 * Cross-entropy with label smoothing eps, as torch.nn.functional.cross_entropy(label_smoothing=eps) per row:
 * the target is t_c = (1 - eps) [c = y] + eps / c, and loss = -sum_c t_c log p_c
 * = (1 - eps) (-log p_y) + eps * mean_c(-log p_c). Its gradient w.r.t. the logits is p - t.
 *
 * Distillation KL with temperature T: p = softmax(teacher / T), q = softmax(student / T),
 * loss = T^2 sum_c p (log p - log q), with 0 log 0 = 0.
 */
import type { Storage } from '../../backend.js';
import { count, f32, fail, i32, span } from './check.js';

function checkLabels(kernel: string, labels: Storage, n: number, c: number): Int32Array {
  const L = i32(kernel, 'labels', labels);
  span(kernel, 'labels', labels, 0, n);
  for (let r = 0; r < n; r++) {
    if (L[r]! >= c) fail(kernel, `labels[${r}] = ${L[r]} is out of range for ${c} classes (a label < 0 means ignore)`);
  }
  return L;
}

function checkSmoothing(kernel: string, smoothing: number): void {
  if (!(smoothing >= 0 && smoothing <= 1)) fail(kernel, `label smoothing must be in [0, 1], got ${smoothing}`);
}

export function crossEntropy(logits: Storage, labels: Storage, n: number, c: number, smoothing: number,
  loss: Storage, probs: Storage): void {
  const k = 'crossEntropy';
  count(k, 'n', n);
  count(k, 'c', c);
  checkSmoothing(k, smoothing);
  const X = f32(k, 'logits', logits);
  const L = checkLabels(k, labels, n, c);
  const LOSS = f32(k, 'loss', loss);
  const P = f32(k, 'probs', probs);
  span(k, 'logits', logits, 0, n * c);
  span(k, 'loss', loss, 0, n);
  span(k, 'probs', probs, 0, n * c);
  for (let r = 0; r < n; r++) {
    const o = r * c;
    let max = -Infinity;
    for (let j = 0; j < c; j++) max = Math.max(max, X[o + j]!);
    let sum = 0;
    for (let j = 0; j < c; j++) sum += Math.exp(X[o + j]! - max);
    const lse = max + Math.log(sum); // log sum_j exp(x_j); log p_j = x_j - lse
    let sumNegLogP = 0;
    for (let j = 0; j < c; j++) {
      P[o + j] = Math.exp(X[o + j]! - lse);
      sumNegLogP += lse - X[o + j]!;
    }
    const y = L[r]!;
    LOSS[r] = y < 0 ? 0 : (1 - smoothing) * (lse - X[o + y]!) + (smoothing * sumNegLogP) / c;
  }
}

export function crossEntropyBackward(probs: Storage, labels: Storage, n: number, c: number, smoothing: number,
  dLoss: Storage, dLogits: Storage, accumulate: boolean): void {
  const k = 'crossEntropyBackward';
  count(k, 'n', n);
  count(k, 'c', c);
  checkSmoothing(k, smoothing);
  const P = f32(k, 'probs', probs);
  const L = checkLabels(k, labels, n, c);
  const DL = f32(k, 'dLoss', dLoss);
  const DX = f32(k, 'dLogits', dLogits);
  span(k, 'probs', probs, 0, n * c);
  span(k, 'dLoss', dLoss, 0, n);
  span(k, 'dLogits', dLogits, 0, n * c);
  const off = smoothing / c;
  for (let r = 0; r < n; r++) {
    const o = r * c;
    const y = L[r]!;
    const g = DL[r]!;
    for (let j = 0; j < c; j++) {
      const t = (j === y ? 1 - smoothing : 0) + off;
      const d = y < 0 ? 0 : g * (P[o + j]! - t);
      DX[o + j] = accumulate ? DX[o + j]! + d : d;
    }
  }
}

/** log-softmax of src[o .. o+c) / T into dst (float64 scratch). */
function logSoftmax(src: Float32Array, o: number, c: number, invT: number, dst: Float64Array): void {
  let max = -Infinity;
  for (let j = 0; j < c; j++) max = Math.max(max, src[o + j]! * invT);
  let sum = 0;
  for (let j = 0; j < c; j++) sum += Math.exp(src[o + j]! * invT - max);
  const lse = max + Math.log(sum);
  for (let j = 0; j < c; j++) dst[j] = src[o + j]! * invT - lse;
}

function checkTemperature(kernel: string, t: number): void {
  if (!(t > 0 && Number.isFinite(t))) fail(kernel, `temperature must be a positive finite number, got ${t}`);
}

export function klDiv(student: Storage, teacher: Storage, n: number, c: number, temperature: number, loss: Storage,
  logP: Storage, logQ: Storage): void {
  const k = 'klDiv';
  count(k, 'n', n);
  count(k, 'c', c);
  checkTemperature(k, temperature);
  const S = f32(k, 'student', student);
  const T = f32(k, 'teacher', teacher);
  const LOSS = f32(k, 'loss', loss);
  const LP = f32(k, 'logP', logP);
  const LQ = f32(k, 'logQ', logQ);
  for (const [name, s] of [['student', student], ['teacher', teacher], ['logP', logP], ['logQ', logQ]] as const) {
    span(k, name, s, 0, n * c);
  }
  span(k, 'loss', loss, 0, n);
  const lp = new Float64Array(c);
  const lq = new Float64Array(c);
  const invT = 1 / temperature;
  for (let r = 0; r < n; r++) {
    const o = r * c;
    logSoftmax(T, o, c, invT, lp);
    logSoftmax(S, o, c, invT, lq);
    let kl = 0;
    for (let j = 0; j < c; j++) {
      const p = Math.exp(lp[j]!);
      if (p > 0) kl += p * (lp[j]! - lq[j]!);
      LP[o + j] = lp[j]!;
      LQ[o + j] = lq[j]!;
    }
    LOSS[r] = temperature * temperature * kl;
  }
}

export function klDivBackward(logP: Storage, logQ: Storage, n: number, c: number, temperature: number,
  dLoss: Storage, dStudent: Storage | null, dTeacher: Storage | null, accumulate: boolean): void {
  const k = 'klDivBackward';
  count(k, 'n', n);
  count(k, 'c', c);
  checkTemperature(k, temperature);
  const LP = f32(k, 'logP', logP);
  const LQ = f32(k, 'logQ', logQ);
  const DL = f32(k, 'dLoss', dLoss);
  const DS = dStudent ? f32(k, 'dStudent', dStudent) : null;
  const DT = dTeacher ? f32(k, 'dTeacher', dTeacher) : null;
  span(k, 'logP', logP, 0, n * c);
  span(k, 'logQ', logQ, 0, n * c);
  span(k, 'dLoss', dLoss, 0, n);
  if (dStudent) span(k, 'dStudent', dStudent, 0, n * c);
  if (dTeacher) span(k, 'dTeacher', dTeacher, 0, n * c);
  for (let r = 0; r < n; r++) {
    const o = r * c;
    const g = DL[r]! * temperature;
    if (DS) {
      for (let j = 0; j < c; j++) {
        const d = g * (Math.exp(LQ[o + j]!) - Math.exp(LP[o + j]!));
        DS[o + j] = accumulate ? DS[o + j]! + d : d;
      }
    }
    if (DT) {
      // kl = sum_c p (log p - log q); d/dteacher_c = T * p_c ((log p_c - log q_c) - kl) (times dLoss).
      let kl = 0;
      for (let j = 0; j < c; j++) {
        const p = Math.exp(LP[o + j]!);
        if (p > 0) kl += p * (LP[o + j]! - LQ[o + j]!);
      }
      for (let j = 0; j < c; j++) {
        const p = Math.exp(LP[o + j]!);
        const d = p > 0 ? g * p * (LP[o + j]! - LQ[o + j]! - kl) : 0;
        DT[o + j] = accumulate ? DT[o + j]! + d : d;
      }
    }
  }
}
