/** Standalone activations (GELU exact and tanh, QuickGELU, ReLU) and their gradients. */
import type { ActKind } from '../backend.js';
import { record } from '../tape.js';
import { Tensor, empty } from '../tensor.js';
import { common } from './util.js';

export function activation(x: Tensor, kind: ActKind): Tensor {
  const be = common(kind, x);
  if (kind === 'none') return x;
  const n = x.size;
  const out = empty(be, x.shape);
  be.biasAct(x.storage, null, 1, n, kind, out.storage);
  return record(out, kind, [x], (g, sink) => {
    const t = sink.target(x);
    if (t) be.actBackward(kind, x.storage, g.storage, t.s, n, t.acc);
  });
}

export const gelu = (x: Tensor): Tensor => activation(x, 'gelu');
export const geluTanh = (x: Tensor): Tensor => activation(x, 'gelu_tanh');
export const quickGelu = (x: Tensor): Tensor => activation(x, 'quick_gelu');
export const relu = (x: Tensor): Tensor => activation(x, 'relu');
