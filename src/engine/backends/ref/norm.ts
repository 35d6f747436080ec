/**
 * Row-wise normalisations of the ref backend: layer norm, softmax / log-softmax and L2 normalisation, each with
 * its backward pass. Row statistics (means, variances, sums, dot products) are accumulated in float64.
 */
import type { Storage } from '../../backend.js';
import { count, f32, fail, finite, span } from './check.js';

function rowsCols(kernel: string, rows: number, cols: number): void {
  count(kernel, 'rows', rows);
  count(kernel, 'cols', cols);
}

// ---------------------------------------------------------------------------------------------------------------
// Layer norm: y = (x - mean) * rstd * gamma + beta, rstd = 1 / sqrt(var + eps), var the biased (1/cols) variance.

export function layerNorm(x: Storage, gamma: Storage | null, beta: Storage | null, rows: number, cols: number,
  eps: number, y: Storage, mean: Storage, rstd: Storage): void {
  const k = 'layerNorm';
  rowsCols(k, rows, cols);
  if (!(eps >= 0)) fail(k, `eps must be >= 0, got ${eps}`);
  const X = f32(k, 'x', x);
  const Y = f32(k, 'y', y);
  const M = f32(k, 'mean', mean);
  const R = f32(k, 'rstd', rstd);
  const G = gamma ? f32(k, 'gamma', gamma) : null;
  const Bt = beta ? f32(k, 'beta', beta) : null;
  span(k, 'x', x, 0, rows * cols);
  span(k, 'y', y, 0, rows * cols);
  span(k, 'mean', mean, 0, rows);
  span(k, 'rstd', rstd, 0, rows);
  if (gamma) span(k, 'gamma', gamma, 0, cols);
  if (beta) span(k, 'beta', beta, 0, cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += X[o + c]!;
    const mu = sum / cols;
    let sq = 0;
    for (let c = 0; c < cols; c++) {
      const d = X[o + c]! - mu;
      sq += d * d;
    }
    const rs = 1 / Math.sqrt(sq / cols + eps);
    for (let c = 0; c < cols; c++) {
      const xhat = (X[o + c]! - mu) * rs;
      Y[o + c] = (G ? xhat * G[c]! : xhat) + (Bt ? Bt[c]! : 0);
    }
    M[r] = mu;
    R[r] = rs;
  }
}

/**
 * With xhat = (x - mean) * rstd and g = dy * gamma:
 *   dx = rstd * (g - mean_c(g) - xhat * mean_c(g * xhat)),  dgamma = sum_r dy * xhat,  dbeta = sum_r dy.
 */
export function layerNormBackward(dy: Storage, x: Storage, gamma: Storage | null, mean: Storage, rstd: Storage,
  rows: number, cols: number, dx: Storage, dgamma: Storage | null, dbeta: Storage | null,
  accumulate: boolean): void {
  const k = 'layerNormBackward';
  rowsCols(k, rows, cols);
  const DY = f32(k, 'dy', dy);
  const X = f32(k, 'x', x);
  const M = f32(k, 'mean', mean);
  const R = f32(k, 'rstd', rstd);
  const DX = f32(k, 'dx', dx);
  const G = gamma ? f32(k, 'gamma', gamma) : null;
  const DG = dgamma ? f32(k, 'dgamma', dgamma) : null;
  const DB = dbeta ? f32(k, 'dbeta', dbeta) : null;
  for (const [name, s, n] of [['dy', dy, rows * cols], ['x', x, rows * cols], ['dx', dx, rows * cols],
    ['mean', mean, rows], ['rstd', rstd, rows]] as const) span(k, name, s, 0, n);
  if (gamma) span(k, 'gamma', gamma, 0, cols);
  if (dgamma) span(k, 'dgamma', dgamma, 0, cols);
  if (dbeta) span(k, 'dbeta', dbeta, 0, cols);
  const dgSum = new Float64Array(DG ? cols : 0);
  const dbSum = new Float64Array(DB ? cols : 0);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const mu = M[r]!;
    const rs = R[r]!;
    let gMean = 0;
    let gxMean = 0;
    for (let c = 0; c < cols; c++) {
      const xhat = (X[o + c]! - mu) * rs;
      const g = G ? DY[o + c]! * G[c]! : DY[o + c]!;
      gMean += g;
      gxMean += g * xhat;
      if (DG) dgSum[c]! += DY[o + c]! * xhat;
      if (DB) dbSum[c]! += DY[o + c]!;
    }
    gMean /= cols;
    gxMean /= cols;
    for (let c = 0; c < cols; c++) {
      const xhat = (X[o + c]! - mu) * rs;
      const g = G ? DY[o + c]! * G[c]! : DY[o + c]!;
      const d = rs * (g - gMean - xhat * gxMean);
      DX[o + c] = accumulate ? DX[o + c]! + d : d;
    }
  }
  if (DG) DG.set(dgSum.subarray(0, cols));
  if (DB) DB.set(dbSum.subarray(0, cols));
}

// ---------------------------------------------------------------------------------------------------------------
// Softmax of z = x * scale:  y = exp(z - max) / sum exp(z - max),  or log y = z - max - log(sum exp(z - max)).
// A row whose values are all -Infinity (fully masked) gives zeros (log: -Infinity) rather than NaN.

export function softmax(x: Storage, rows: number, cols: number, scale: number, log: boolean, y: Storage): void {
  const k = 'softmax';
  rowsCols(k, rows, cols);
  finite(k, 'scale', scale);
  const X = f32(k, 'x', x);
  const Y = f32(k, 'y', y);
  span(k, 'x', x, 0, rows * cols);
  span(k, 'y', y, 0, rows * cols);
  for (let r = 0; r < rows; r++) softmaxRow(X, Y, r * cols, cols, scale, log);
}

/** Softmax (or log-softmax) of src[o .. o+cols) * scale into dst[o .. o+cols). */
function softmaxRow(src: Float32Array, dst: Float32Array, o: number, cols: number, scale: number,
  log: boolean): void {
  let max = -Infinity;
  for (let c = 0; c < cols; c++) max = Math.max(max, src[o + c]! * scale);
  if (max === -Infinity) {
    dst.fill(log ? -Infinity : 0, o, o + cols);
    return;
  }
  let sum = 0;
  for (let c = 0; c < cols; c++) sum += Math.exp(src[o + c]! * scale - max);
  if (log) {
    const lse = Math.log(sum);
    for (let c = 0; c < cols; c++) dst[o + c] = src[o + c]! * scale - max - lse;
  } else {
    for (let c = 0; c < cols; c++) dst[o + c] = Math.exp(src[o + c]! * scale - max) / sum;
  }
}

/**
 * softmax:      dx = scale * y * (dy - sum_c dy * y)
 * log-softmax:  dx = scale * (dy - exp(y) * sum_c dy)
 */
export function softmaxBackward(y: Storage, dy: Storage, rows: number, cols: number, scale: number, log: boolean,
  dx: Storage, accumulate: boolean): void {
  const k = 'softmaxBackward';
  rowsCols(k, rows, cols);
  finite(k, 'scale', scale);
  const Y = f32(k, 'y', y);
  const DY = f32(k, 'dy', dy);
  const DX = f32(k, 'dx', dx);
  span(k, 'y', y, 0, rows * cols);
  span(k, 'dy', dy, 0, rows * cols);
  span(k, 'dx', dx, 0, rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let s = 0;
    for (let c = 0; c < cols; c++) s += log ? DY[o + c]! : DY[o + c]! * Y[o + c]!;
    for (let c = 0; c < cols; c++) {
      const d = log
        ? scale * (DY[o + c]! - Math.exp(Y[o + c]!) * s)
        : scale * Y[o + c]! * (DY[o + c]! - s);
      DX[o + c] = accumulate ? DX[o + c]! + d : d;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// L2 normalisation: y = x / max(||x||, eps), norms = max(||x||, eps) (torch.nn.functional.normalize).

export function l2Normalize(x: Storage, rows: number, cols: number, eps: number, y: Storage, norms: Storage): void {
  const k = 'l2Normalize';
  rowsCols(k, rows, cols);
  if (!(eps >= 0)) fail(k, `eps must be >= 0, got ${eps}`);
  const X = f32(k, 'x', x);
  const Y = f32(k, 'y', y);
  const N = f32(k, 'norms', norms);
  span(k, 'x', x, 0, rows * cols);
  span(k, 'y', y, 0, rows * cols);
  span(k, 'norms', norms, 0, rows);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let sq = 0;
    for (let c = 0; c < cols; c++) sq += X[o + c]! * X[o + c]!;
    const norm = Math.max(Math.sqrt(sq), eps);
    for (let c = 0; c < cols; c++) Y[o + c] = X[o + c]! / norm;
    N[r] = norm;
  }
}

/** ||y||^2 below this means the norm was clamped to eps (then ||y|| = ||x|| / eps < 1; otherwise ||y|| = 1). */
const CLAMPED_BELOW = 1 - 1e-3;

/**
 * Unclamped rows: dx = (dy - y * (y . dy)) / norm. Rows whose norm was clamped to eps are a plain scaling:
 * dx = dy / eps. The kernel has no eps argument, so a clamped row is recognised by ||y||^2 < 1 - 1e-3.
 */
export function l2NormalizeBackward(dy: Storage, y: Storage, norms: Storage, rows: number, cols: number,
  dx: Storage, accumulate: boolean): void {
  const k = 'l2NormalizeBackward';
  rowsCols(k, rows, cols);
  const DY = f32(k, 'dy', dy);
  const Y = f32(k, 'y', y);
  const N = f32(k, 'norms', norms);
  const DX = f32(k, 'dx', dx);
  span(k, 'dy', dy, 0, rows * cols);
  span(k, 'y', y, 0, rows * cols);
  span(k, 'dx', dx, 0, rows * cols);
  span(k, 'norms', norms, 0, rows);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let yy = 0;
    let ydy = 0;
    for (let c = 0; c < cols; c++) {
      yy += Y[o + c]! * Y[o + c]!;
      ydy += Y[o + c]! * DY[o + c]!;
    }
    const proj = yy < CLAMPED_BELOW ? 0 : ydy;
    const inv = 1 / N[r]!;
    for (let c = 0; c < cols; c++) {
      const d = (DY[o + c]! - Y[o + c]! * proj) * inv;
      DX[o + c] = accumulate ? DX[o + c]! + d : d;
    }
  }
}
