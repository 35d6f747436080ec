/**
 * Row-wise losses on logits: cross-entropy with label smoothing (PyTorch semantics) and distillation KL with
 * temperature. Both return the per-row loss [N]; reduce with sum/mean (or use the *Mean helpers).
 */
import { releaseNow, scratch } from '../memory.js';
import { record } from '../tape.js';
import { Tensor, empty } from '../tensor.js';
import { mean } from './reduce.js';
import { scale } from './elementwise.js';
import { sum } from './reduce.js';
import { assertI32, assertShape, common } from './util.js';

/** logits [N, C], labels i32 [N] (label < 0: ignored, loss 0). Returns [N]. */
export function crossEntropyRows(logits: Tensor, labels: Tensor, smoothing = 0): Tensor {
  const be = common('crossEntropy', logits);
  assertI32('crossEntropy', labels, be);
  if (logits.rank !== 2) throw new Error(`crossEntropy: logits must be [N, C], got [${logits.shape}]`);
  const [N, C] = logits.shape as [number, number];
  if (labels.size !== N) throw new Error(`crossEntropy: ${labels.size} labels for ${N} rows`);
  if (!(smoothing >= 0 && smoothing < 1)) throw new Error(`crossEntropy: label smoothing must be in [0, 1), got ${smoothing}`);
  const loss = empty(be, [N]);
  const probs = scratch(be, N * C);
  be.crossEntropy(logits.storage, labels.storage, N, C, smoothing, loss.storage, probs);
  const out = record(loss, 'crossEntropy', [logits], (g, sink) => {
    const t = sink.target(logits);
    if (t) be.crossEntropyBackward(probs, labels.storage, N, C, smoothing, g.storage, t.s, t.acc);
  }, [probs]);
  if (!out.node) releaseNow(be, probs);
  return out;
}

/** Mean cross-entropy over the rows whose label is not ignored (PyTorch reduction='mean'). */
export function crossEntropy(logits: Tensor, labels: Tensor, smoothing = 0): Tensor {
  const rows = crossEntropyRows(logits, labels, smoothing);
  const lab = labels.hostInts();
  let count = 0;
  for (let i = 0; i < lab.length; i++) if (lab[i]! >= 0) count++;
  if (count === labels.size) return mean(rows);
  return scale(sum(rows), 1 / Math.max(count, 1));
}

/** T^2 * KL(softmax(teacher/T) || softmax(student/T)) per row: [N]. Both inputs [N, C]. */
export function klDivRows(student: Tensor, teacher: Tensor, temperature = 1): Tensor {
  const be = common('klDiv', student, teacher);
  if (student.rank !== 2) throw new Error(`klDiv: logits must be [N, C], got [${student.shape}]`);
  assertShape('klDiv teacher', teacher, student.shape);
  if (!(temperature > 0)) throw new Error(`klDiv: temperature must be > 0, got ${temperature}`);
  const [N, C] = student.shape as [number, number];
  const loss = empty(be, [N]);
  const logP = scratch(be, N * C);
  const logQ = scratch(be, N * C);
  be.klDiv(student.storage, teacher.storage, N, C, temperature, loss.storage, logP, logQ);
  const out = record(loss, 'klDiv', [student, teacher], (g, sink) => {
    const ts = sink.target(student);
    const tt = sink.target(teacher);
    if (ts && tt && ts.acc !== tt.acc) {
      be.klDivBackward(logP, logQ, N, C, temperature, g.storage, ts.s, null, ts.acc);
      be.klDivBackward(logP, logQ, N, C, temperature, g.storage, null, tt.s, tt.acc);
    } else if (ts || tt) {
      be.klDivBackward(logP, logQ, N, C, temperature, g.storage, ts?.s ?? null, tt?.s ?? null, (ts ?? tt)!.acc);
    }
  }, [logP, logQ]);
  if (!out.node) {
    releaseNow(be, logP);
    releaseNow(be, logQ);
  }
  return out;
}

/** Batch-mean distillation KL (sum over classes, mean over rows), scaled by T^2. */
export function klDiv(student: Tensor, teacher: Tensor, temperature = 1): Tensor {
  return mean(klDivRows(student, teacher, temperature));
}
