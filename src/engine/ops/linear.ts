/** Linear layer y = act(x W^T + b) with the bias and activation fused, and its gradients. */
import type { ActKind } from '../backend.js';
import { record } from '../tape.js';
import { releaseNow } from '../memory.js';
import { Tensor, empty } from '../tensor.js';
import { gemm } from './matmul.js';
import { assertShape, common } from './util.js';

/** x: [..., in], weight: [out, in] (PyTorch layout), bias: [out] or null. */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null, act: ActKind = 'none'): Tensor {
  const be = common('linear', x, weight, bias);
  if (weight.rank !== 2) throw new Error(`linear: weight must be 2-D [out, in], got [${weight.shape}]${weight.name ? ` (${weight.name})` : ''}`);
  const [outF, inF] = weight.shape as [number, number];
  if (x.dim(-1) !== inF) throw new Error(`linear: input [${x.shape}] does not match weight [${weight.shape}]${weight.name ? ` (${weight.name})` : ''}`);
  if (bias) assertShape('linear bias', bias, [outF]);
  const rows = x.size / inF;
  const outShape = [...x.shape.slice(0, -1), outF];
  const pre = empty(be, outShape);
  gemm(be, { transA: false, transB: true, m: rows, n: outF, k: inF, a: x.storage, b: weight.storage, c: pre.storage });
  let y = pre;
  if (act === 'none') {
    if (bias) be.biasAct(pre.storage, bias.storage, rows, outF, 'none', pre.storage);
  } else {
    y = empty(be, outShape);
    be.biasAct(pre.storage, bias ? bias.storage : null, rows, outF, act, y.storage);
  }
  const out = record(y, 'linear', [x, weight, bias], (g, sink) => {
    let dPre = g.storage;
    const tmp = act === 'none' ? null : be.alloc('f32', rows * outF);
    if (tmp) {
      be.actBackward(act, pre.storage, g.storage, tmp, rows * outF, false);
      dPre = tmp;
    }
    const tx = sink.target(x);
    if (tx) gemm(be, { transA: false, transB: false, m: rows, n: inF, k: outF, a: dPre, b: weight.storage, c: tx.s, beta: tx.acc ? 1 : 0 });
    const tw = sink.target(weight);
    if (tw) gemm(be, { transA: true, transB: false, m: outF, n: inF, k: rows, a: dPre, b: x.storage, c: tw.s, beta: tw.acc ? 1 : 0 });
    if (bias) {
      const tb = sink.target(bias);
      if (tb) be.sumRows(dPre, rows, outF, tb.s, tb.acc);
    }
    if (tmp) be.release(tmp);
  }, act === 'none' ? undefined : [pre.storage]);
  if (!out.node && act !== 'none') releaseNow(be, pre.storage);
  return out;
}
