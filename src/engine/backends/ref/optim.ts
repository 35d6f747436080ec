/**
 * AdamW step of the ref backend (torch.optim.AdamW with the bias corrections passed in), per element, in float64:
 *   g = gradScale * grad
 *   m = beta1 m + (1 - beta1) g,   v = beta2 v + (1 - beta2) g^2
 *   p = p - lr * wd * p                                  (decoupled weight decay)
 *   p = p - lr * (m / bc1) / (sqrt(v / bc2) + eps)
 * The gradient storage is read, never written.
 */
import type { Storage } from '../../backend.js';
import { f32, fail, finite, span } from './check.js';

export function adamw(p: Storage, g: Storage, m: Storage, v: Storage, n: number, lr: number, beta1: number,
  beta2: number, eps: number, weightDecay: number, bc1: number, bc2: number, gradScale: number): void {
  const k = 'adamw';
  const P = f32(k, 'p', p);
  const G = f32(k, 'g', g);
  const M = f32(k, 'm', m);
  const V = f32(k, 'v', v);
  for (const [name, s] of [['p', p], ['g', g], ['m', m], ['v', v]] as const) span(k, name, s, 0, n);
  for (const [name, x] of [['lr', lr], ['beta1', beta1], ['beta2', beta2], ['eps', eps],
    ['weightDecay', weightDecay], ['gradScale', gradScale]] as const) finite(k, name, x);
  if (!(bc1 > 0 && bc1 <= 1) || !(bc2 > 0 && bc2 <= 1)) {
    fail(k, `bias corrections must be in (0, 1] (1 - beta^t with t >= 1), got bc1 ${bc1}, bc2 ${bc2}`);
  }
  const decay = 1 - lr * weightDecay;
  for (let i = 0; i < n; i++) {
    const gi = gradScale * G[i]!;
    const mi = beta1 * M[i]! + (1 - beta1) * gi;
    const vi = beta2 * V[i]! + (1 - beta2) * gi * gi;
    M[i] = mi;
    V[i] = vi;
    P[i] = P[i]! * decay - (lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + eps);
  }
}
