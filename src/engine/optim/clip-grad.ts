/** Gradient clipping by global L2 norm: returns the norm and the factor to pass to the optimiser as gradScale. */
import type { Tensor } from '../tensor.js';

export function gradNorm(params: readonly Tensor[]): number {
  let ss = 0;
  for (const p of params) if (p.grad) ss += p.backend.sumSquares(p.grad.storage, p.size);
  return Math.sqrt(ss);
}

export function clipScale(params: readonly Tensor[], maxNorm: number): { norm: number; scale: number } {
  const norm = gradNorm(params);
  if (!Number.isFinite(norm)) return { norm, scale: 1 };
  return { norm, scale: maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1 };
}
