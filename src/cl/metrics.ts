/**
 * Continual-learning metrics as pure functions of the accuracy matrix (and the zero-shot row).
 *
 * Notation (as in docs/mtil-protocol.md, 1-based in the formulas, 0-based in the code): T tasks, trained in order;
 * dataset j is the one trained by task j. A[i][j] = top-1 accuracy (percent) on dataset j after training task i.
 * The zero-shot row z[j] (accuracy before any training) is NOT a row of A; it only enters the zero-shot metrics.
 *
 *   Transfer_j = mean_{i<j} A[i][j]                      (j >= 2; undefined for the first dataset)
 *   Transfer   = mean_{j=2..T} Transfer_j                accuracy on datasets not trained yet
 *   Avg_j      = mean_{i=1..T} A[i][j]
 *   Avg        = mean_{j=1..T} Avg_j
 *   Last_j     = A[T][j]
 *   Last       = mean_{j=1..T} Last_j
 *   Forget_j   = max_{j<=i<T} A[i][j] - A[T][j]           (j < T): drop from the best accuracy since it was learnt
 *   Forgetting = mean_{j<T} Forget_j
 *   BWT_j      = A[T][j] - A[j][j]                        (j < T): change since it was just learnt
 *   BWT        = mean_{j<T} BWT_j
 *
 * This follows ZSCL (Zheng et al., ICCV 2023) Table 1: Transfer excludes the zero-shot row and the first dataset
 * (its Transfer cell is "-"), Avg averages the T rows after training, Last is the final row. Applied to the
 * zero-shot model (every row = z) the same formulas give the published zero-shot line: Transfer = mean_{j>=2} z_j,
 * Avg = Last = mean_j z_j (69.4 / 65.3 / 65.3 for ViT-B/16 on MTIL Order I).
 *
 * A run in progress has k < T rows. The same formulas are then applied with T replaced by k where a row index is
 * needed ("so far"): Transfer_j averages the rows i < j that exist, Avg_j the k rows, Last uses row k, and
 * Forgetting / BWT use row k as the final row (datasets j < k). With k = T these are exactly the definitions above.
 * Values that are undefined (no rows, the first dataset's Transfer, Forgetting of a dataset not trained before the
 * final row) are null, so they survive JSON.
 */

/** Per-dataset values (index = dataset column); null where the metric is undefined for that dataset. */
export type PerDataset = (number | null)[];

export interface MatrixMetrics {
  /** Rows present (tasks trained so far) and columns (tasks in the stream). */
  rows: number;
  tasks: number;
  /** True when every task has been trained (rows === tasks): the values are the protocol's, not "so far". */
  complete: boolean;
  transfer: number | null;
  avg: number | null;
  last: number | null;
  forgetting: number | null;
  bwt: number | null;
  perDataset: {
    transfer: PerDataset;
    avg: PerDataset;
    last: PerDataset;
    forgetting: PerDataset;
    bwt: PerDataset;
  };
}

/** Transfer / Avg / Last of the zero-shot model (every row equal to the zero-shot row). */
export interface ZeroShotMetrics {
  transfer: number | null;
  avg: number;
  last: number;
  perDataset: { transfer: PerDataset; avg: PerDataset; last: PerDataset };
}

export interface RunMetrics extends MatrixMetrics {
  zeroShot: ZeroShotMetrics;
}

/** Mean of the defined values; null when there are none. */
export function meanDefined(values: readonly (number | null)[]): number | null {
  let sum = 0;
  let n = 0;
  for (const v of values) {
    if (v === null) continue;
    sum += v;
    n++;
  }
  return n === 0 ? null : sum / n;
}

function checkFinite(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new Error(`${where} must be a finite number, got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * Checks that A has at most `tasks` rows, each of exactly `tasks` finite numbers; `what` names the source in errors.
 * Returns the number of tasks.
 */
export function checkMatrix(matrix: readonly (readonly number[])[], tasks?: number, what = 'accuracy matrix'): number {
  if (!Array.isArray(matrix)) throw new Error(`${what} must be an array of rows`);
  const t = tasks ?? (matrix.length > 0 ? matrix[0]!.length : 0);
  if (!Number.isInteger(t) || t < 1) throw new Error(`${what}: the number of tasks must be a positive integer, got ${t}`);
  if (matrix.length > t) {
    throw new Error(`${what} has ${matrix.length} rows but only ${t} tasks (at most one row per task)`);
  }
  matrix.forEach((row, i) => {
    if (!Array.isArray(row)) throw new Error(`${what}: row ${i} must be an array`);
    if (row.length !== t) {
      throw new Error(`${what} is ragged: row ${i} has ${row.length} values, expected ${t} (one per task)`);
    }
    row.forEach((v, j) => checkFinite(v, `${what}[${i}][${j}]`));
  });
  return t;
}

function checkRow(row: readonly number[], tasks: number, what: string): void {
  if (!Array.isArray(row)) throw new Error(`${what} must be an array`);
  if (row.length !== tasks) throw new Error(`${what} has ${row.length} values, expected ${tasks} (one per task)`);
  row.forEach((v, j) => checkFinite(v, `${what}[${j}]`));
}

/** Transfer_j = mean of A[i][j] over the rows i < j present; null for the first dataset or without rows. */
export function transferPerDataset(matrix: readonly (readonly number[])[], tasks?: number): PerDataset {
  const t = checkMatrix(matrix, tasks);
  const out: PerDataset = [];
  for (let j = 0; j < t; j++) {
    const above: number[] = [];
    for (let i = 0; i < Math.min(j, matrix.length); i++) above.push(matrix[i]![j]!);
    out.push(meanDefined(above));
  }
  return out;
}

/** Avg_j = mean of A[i][j] over all rows present. */
export function avgPerDataset(matrix: readonly (readonly number[])[], tasks?: number): PerDataset {
  const t = checkMatrix(matrix, tasks);
  const out: PerDataset = [];
  for (let j = 0; j < t; j++) out.push(meanDefined(matrix.map((row) => row[j]!)));
  return out;
}

/** Last_j = A[k][j] for the last row k present. */
export function lastPerDataset(matrix: readonly (readonly number[])[], tasks?: number): PerDataset {
  const t = checkMatrix(matrix, tasks);
  const final = matrix[matrix.length - 1];
  return Array.from({ length: t }, (_, j) => (final ? final[j]! : null));
}

/** Forget_j = max_{j<=i<k} A[i][j] - A[k][j] for datasets j < k (k = last row present); null otherwise. */
export function forgettingPerDataset(matrix: readonly (readonly number[])[], tasks?: number): PerDataset {
  const t = checkMatrix(matrix, tasks);
  const k = matrix.length - 1;
  const out: PerDataset = [];
  for (let j = 0; j < t; j++) {
    if (j >= k) {
      out.push(null);
      continue;
    }
    let best = -Infinity;
    for (let i = j; i < k; i++) best = Math.max(best, matrix[i]![j]!);
    out.push(best - matrix[k]![j]!);
  }
  return out;
}

/** BWT_j = A[k][j] - A[j][j] for datasets j < k (k = last row present); null otherwise. */
export function bwtPerDataset(matrix: readonly (readonly number[])[], tasks?: number): PerDataset {
  const t = checkMatrix(matrix, tasks);
  const k = matrix.length - 1;
  return Array.from({ length: t }, (_, j) => (j < k ? matrix[k]![j]! - matrix[j]![j]! : null));
}

export const transfer = (m: readonly (readonly number[])[], tasks?: number) => meanDefined(transferPerDataset(m, tasks));
export const avg = (m: readonly (readonly number[])[], tasks?: number) => meanDefined(avgPerDataset(m, tasks));
export const last = (m: readonly (readonly number[])[], tasks?: number) => meanDefined(lastPerDataset(m, tasks));
export const forgetting = (m: readonly (readonly number[])[], tasks?: number) =>
  meanDefined(forgettingPerDataset(m, tasks));
export const backwardTransfer = (m: readonly (readonly number[])[], tasks?: number) =>
  meanDefined(bwtPerDataset(m, tasks));

/** All matrix metrics at once; `tasks` is required when the matrix may have no rows yet. */
export function matrixMetrics(matrix: readonly (readonly number[])[], tasks?: number): MatrixMetrics {
  const t = checkMatrix(matrix, tasks);
  const perDataset = {
    transfer: transferPerDataset(matrix, t),
    avg: avgPerDataset(matrix, t),
    last: lastPerDataset(matrix, t),
    forgetting: forgettingPerDataset(matrix, t),
    bwt: bwtPerDataset(matrix, t),
  };
  return {
    rows: matrix.length,
    tasks: t,
    complete: matrix.length === t,
    transfer: meanDefined(perDataset.transfer),
    avg: meanDefined(perDataset.avg),
    last: meanDefined(perDataset.last),
    forgetting: meanDefined(perDataset.forgetting),
    bwt: meanDefined(perDataset.bwt),
    perDataset,
  };
}

/** The zero-shot model's metrics: the formulas above with every row equal to z. */
export function zeroShotMetrics(zeroShot: readonly number[]): ZeroShotMetrics {
  if (!Array.isArray(zeroShot) || zeroShot.length < 1) throw new Error('zero-shot row must be a non-empty array');
  checkRow(zeroShot, zeroShot.length, 'zero-shot row');
  const transferRow: PerDataset = zeroShot.map((v, j) => (j === 0 ? null : v));
  return {
    transfer: meanDefined(transferRow),
    avg: meanDefined(zeroShot)!,
    last: meanDefined(zeroShot)!,
    perDataset: { transfer: transferRow, avg: [...zeroShot], last: [...zeroShot] },
  };
}

/** Matrix metrics plus the zero-shot row's; the row and the matrix must have the same number of tasks. */
export function runMetrics(zeroShot: readonly number[], matrix: readonly (readonly number[])[]): RunMetrics {
  if (!Array.isArray(zeroShot)) throw new Error('zero-shot row must be an array');
  checkRow(zeroShot, zeroShot.length, 'zero-shot row');
  if (matrix.length > 0 && Array.isArray(matrix[0]) && matrix[0].length !== zeroShot.length) {
    throw new Error(
      `zero-shot row has ${zeroShot.length} values but the accuracy matrix has ${matrix[0].length} columns`,
    );
  }
  return { ...matrixMetrics(matrix, zeroShot.length), zeroShot: zeroShotMetrics(zeroShot) };
}
