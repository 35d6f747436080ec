/** Layer norm and L2 normalisation over the last axis, with gradients. */
import { record } from '../tape.js';
import { releaseNow, scratch } from '../memory.js';
import { Tensor, empty } from '../tensor.js';
import { assertShape, common } from './util.js';

/** y = (x - mean) / sqrt(var + eps) * gamma + beta over the last axis. */
export function layerNorm(x: Tensor, gamma: Tensor | null, beta: Tensor | null, eps = 1e-5): Tensor {
  const be = common('layerNorm', x, gamma, beta);
  const cols = x.dim(-1);
  const rows = x.size / cols;
  if (gamma) assertShape('layerNorm gamma', gamma, [cols]);
  if (beta) assertShape('layerNorm beta', beta, [cols]);
  const y = empty(be, x.shape);
  const mean = scratch(be, rows);
  const rstd = scratch(be, rows);
  be.layerNorm(x.storage, gamma?.storage ?? null, beta?.storage ?? null, rows, cols, eps, y.storage, mean, rstd);
  const out = record(y, 'layerNorm', [x, gamma, beta], (g, sink) => {
    const tx = sink.target(x);
    const needG = !!gamma?.requiresGrad;
    const needB = !!beta?.requiresGrad;
    const dg = needG ? be.alloc('f32', cols) : null;
    const db = needB ? be.alloc('f32', cols) : null;
    let dx = tx?.s ?? null;
    let tmpDx = false;
    if (!dx) {
      dx = be.alloc('f32', rows * cols);
      tmpDx = true;
    }
    be.layerNormBackward(g.storage, x.storage, gamma?.storage ?? null, mean, rstd, rows, cols, dx, dg, db, tx?.acc ?? false);
    if (tmpDx) be.release(dx);
    if (dg) {
      sink.add(gamma!, new Tensor(dg, [cols], be));
      be.release(dg);
    }
    if (db) {
      sink.add(beta!, new Tensor(db, [cols], be));
      be.release(db);
    }
  }, [mean, rstd]);
  if (!out.node) {
    releaseNow(be, mean);
    releaseNow(be, rstd);
  }
  return out;
}

/** x / max(||x||, eps) over the last axis. */
export function l2Normalize(x: Tensor, eps = 1e-12): Tensor {
  const be = common('l2Normalize', x);
  const cols = x.dim(-1);
  const rows = x.size / cols;
  const y = empty(be, x.shape);
  const norms = scratch(be, rows);
  be.l2Normalize(x.storage, rows, cols, eps, y.storage, norms);
  const out = record(y, 'l2Normalize', [x], (g, sink) => {
    const t = sink.target(x);
    if (t) be.l2NormalizeBackward(g.storage, y.storage, norms, rows, cols, t.s, t.acc);
  }, [norms]);
  if (!out.node) releaseNow(be, norms);
  return out;
}
