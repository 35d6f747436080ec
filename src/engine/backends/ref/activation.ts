/**
 * Activations of the ref backend (forward with the fused bias add, and backward), evaluated in float64:
 *   gelu        x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2))            (exact, as torch 'none' approximation)
 *   gelu_tanh   0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))     (torch approximate='tanh')
 *   quick_gelu  x * sigmoid(1.702 x)                                 (OpenAI CLIP)
 *   relu        max(x, 0), gradient 0 at x = 0 (as torch)
 */
import type { ActKind, Storage } from '../../backend.js';
import { count, f32, fail, span } from './check.js';
import { erf } from './erf.js';

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 0.3989422804014327; // 1 / sqrt(2 pi)
const SQRT_2_OVER_PI = 0.7978845608028654; // sqrt(2 / pi)
const GELU_TANH_C = 0.044715;
const QUICK_GELU_C = 1.702;

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** act(x) for one value. */
export function activate(kind: ActKind, x: number): number {
  switch (kind) {
    case 'none': return x;
    case 'gelu': return 0.5 * x * (1 + erf(x * SQRT1_2));
    case 'gelu_tanh': return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + GELU_TANH_C * x * x * x)));
    case 'quick_gelu': return x * sigmoid(QUICK_GELU_C * x);
    case 'relu': return x > 0 ? x : 0;
    default: return fail('biasAct', `unknown activation '${kind as string}'`);
  }
}

/** act'(x) for one value. */
export function activationSlope(kind: ActKind, x: number): number {
  switch (kind) {
    case 'none': return 1;
    case 'gelu': return 0.5 * (1 + erf(x * SQRT1_2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
    case 'gelu_tanh': {
      const t = Math.tanh(SQRT_2_OVER_PI * (x + GELU_TANH_C * x * x * x));
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_TANH_C * x * x);
    }
    case 'quick_gelu': {
      const s = sigmoid(QUICK_GELU_C * x);
      return s + QUICK_GELU_C * x * s * (1 - s);
    }
    case 'relu': return x > 0 ? 1 : 0;
    default: return fail('actBackward', `unknown activation '${kind as string}'`);
  }
}

export function biasAct(x: Storage, bias: Storage | null, rows: number, cols: number, kind: ActKind,
  out: Storage): void {
  const X = f32('biasAct', 'x', x);
  const O = f32('biasAct', 'out', out);
  count('biasAct', 'rows', rows);
  count('biasAct', 'cols', cols);
  const n = rows * cols;
  span('biasAct', 'x', x, 0, n);
  span('biasAct', 'out', out, 0, n);
  if (bias) {
    const Bs = f32('biasAct', 'bias', bias);
    span('biasAct', 'bias', bias, 0, cols);
    for (let r = 0; r < rows; r++) {
      const xr = r * cols;
      for (let c = 0; c < cols; c++) X[xr + c]! += Bs[c]!;
    }
  }
  // act reads the stored (float32-rounded) pre-activation, the same value actBackward will see.
  if (kind === 'none') {
    if (O !== X) O.set(X.subarray(0, n));
    return;
  }
  activate(kind, 0); // rejects an unknown kind before the loop
  for (let i = 0; i < n; i++) O[i] = activate(kind, X[i]!);
}

export function actBackward(kind: ActKind, x: Storage, dy: Storage, dx: Storage, n: number,
  accumulate: boolean): void {
  const X = f32('actBackward', 'x', x);
  const DY = f32('actBackward', 'dy', dy);
  const DX = f32('actBackward', 'dx', dx);
  span('actBackward', 'x', x, 0, n);
  span('actBackward', 'dy', dy, 0, n);
  span('actBackward', 'dx', dx, 0, n);
  activationSlope(kind, 0);
  for (let i = 0; i < n; i++) {
    const g = activationSlope(kind, X[i]!) * DY[i]!;
    DX[i] = accumulate ? DX[i]! + g : g;
  }
}
