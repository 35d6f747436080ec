/**
 * Finite-difference gradient check through the autograd tape: L(x) = sum(w * f(x)) for a fixed random w;
 * analytic gradients from backward() against central differences of L, on a sample of elements per input.
 */
import type { Backend } from '../../src/engine/backend.js';
import { tensor } from '../../src/engine/ops/create.js';
import { mul } from '../../src/engine/ops/elementwise.js';
import { sum } from '../../src/engine/ops/reduce.js';
import { Rng } from '../../src/engine/rng.js';
import { backward, noGrad } from '../../src/engine/tape.js';
import { scope } from '../../src/engine/memory.js';
import type { Tensor } from '../../src/engine/tensor.js';

export interface GradInput {
  shape: number[];
  /** Values (default: standard normal). */
  data?: Float32Array;
  /** Not differentiated (e.g. a mask), still passed to f. */
  constant?: boolean;
}

export interface GradcheckResult {
  worst: number;
  where: string;
}

/**
 * Returns the worst |analytic - numeric| / (atol + rtol-scale) ratio; a ratio <= 1 passes. Scale per input:
 * max(|numeric|) over the sampled elements.
 */
export function gradcheck(be: Backend, inputs: GradInput[], f: (xs: Tensor[]) => Tensor,
  opts: { seed?: number; h?: number; samples?: number; rtol?: number; atol?: number } = {}): GradcheckResult {
  const rng = new Rng(opts.seed ?? 1);
  const h = opts.h ?? 1e-2;
  const samples = opts.samples ?? 12;
  const rtol = opts.rtol ?? 2e-2;
  const atol = opts.atol ?? 1e-3;
  const values = inputs.map((inp) => inp.data ?? Float32Array.from({ length: inp.shape.reduce((a, b) => a * b, 1) }, () => rng.normal()));
  let outShape: readonly number[] = [];
  noGrad(() => scope(() => {
    outShape = f(values.map((v, i) => tensor(v, inputs[i]!.shape, { device: be }))).shape;
  }));
  const w = Float32Array.from({ length: outShape.reduce((a, b) => a * b, 1) }, () => rng.normal());

  const lossAt = (vals: Float32Array[]): number => noGrad(() => scope(() => {
    const xs = vals.map((v, i) => tensor(v, inputs[i]!.shape, { device: be }));
    return sum(mul(f(xs), tensor(w, outShape, { device: be }))).item();
  }));

  // Analytic gradients.
  const params = values.map((v, i) => tensor(v, inputs[i]!.shape, { device: be, requiresGrad: !inputs[i]!.constant }));
  scope(() => {
    const L = sum(mul(f(params), tensor(w, outShape, { device: be })));
    backward(L);
  });
  let worst = 0;
  let where = '';
  inputs.forEach((inp, i) => {
    if (inp.constant) return;
    const grad = params[i]!.grad ? (params[i]!.grad!.toArray() as Float32Array) : new Float32Array(values[i]!.length);
    const n = values[i]!.length;
    const idx = n <= samples ? Array.from({ length: n }, (_, k) => k) : Array.from({ length: samples }, () => rng.int(n));
    const num: number[] = [];
    for (const k of idx) {
      const plus = values.map((v) => v.slice());
      const minus = values.map((v) => v.slice());
      plus[i]![k]! += h;
      minus[i]![k]! -= h;
      num.push((lossAt(plus) - lossAt(minus)) / (2 * h));
    }
    const scale = Math.max(...num.map(Math.abs), 1e-3);
    idx.forEach((k, j) => {
      const r = Math.abs(grad[k]! - num[j]!) / (atol + rtol * scale);
      if (r > worst) {
        worst = r;
        where = `input ${i} element ${k}: analytic ${grad[k]} numeric ${num[j]}`;
      }
    });
  });
  return { worst, where };
}
