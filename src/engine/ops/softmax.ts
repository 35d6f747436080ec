/** Softmax and log-softmax over the last axis (of x * scale), with gradients. */
import { record } from '../tape.js';
import { Tensor, empty } from '../tensor.js';
import { common } from './util.js';

function softmaxOp(x: Tensor, scale: number, log: boolean): Tensor {
  const op = log ? 'logSoftmax' : 'softmax';
  const be = common(op, x);
  const cols = x.dim(-1);
  const rows = x.size / cols;
  const y = empty(be, x.shape);
  be.softmax(x.storage, rows, cols, scale, log, y.storage);
  return record(y, op, [x], (g, sink) => {
    const t = sink.target(x);
    if (t) be.softmaxBackward(y.storage, g.storage, rows, cols, scale, log, t.s, t.acc);
  });
}

export const softmax = (x: Tensor, scale = 1): Tensor => softmaxOp(x, scale, false);
export const logSoftmax = (x: Tensor, scale = 1): Tensor => softmaxOp(x, scale, true);
