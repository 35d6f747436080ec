import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  avg,
  backwardTransfer,
  forgetting,
  last,
  matrixMetrics,
  runMetrics,
  transfer,
  transferPerDataset,
  zeroShotMetrics,
} from '../../src/cl/metrics.js';

/*
 * Hand-computed 4x4 example. Rows: after task i (1..4); columns: dataset j (1..4), trained in that order.
 *
 *            d1   d2   d3   d4
 *   zero     20   48   42   30
 *   after 1  80   50   40   30
 *   after 2  85   90   44   34
 *   after 3  66   84   60   38
 *   after 4  60   81   56   70
 *
 * Transfer_j = mean_{i<j} A[i][j]:
 *   d1: undefined (null)   d2: 50   d3: (40+44)/2 = 42   d4: (30+34+38)/3 = 34
 *   Transfer = (50+42+34)/3 = 126/3 = 42
 * Avg_j = mean over the 4 rows:
 *   d1: (80+85+66+60)/4 = 291/4 = 72.75   d2: (50+90+84+81)/4 = 305/4 = 76.25
 *   d3: (40+44+60+56)/4 = 200/4 = 50      d4: (30+34+38+70)/4 = 172/4 = 43
 *   Avg = (72.75+76.25+50+43)/4 = 242/4 = 60.5
 * Last_j = row 4 = 60, 81, 56, 70;  Last = 267/4 = 66.75
 * Forgetting_j = max_{j<=i<4} A[i][j] - A[4][j], j < 4:
 *   d1: max(80,85,66) - 60 = 25   d2: max(90,84) - 81 = 9   d3: 60 - 56 = 4   d4: undefined
 *   Forgetting = (25+9+4)/3 = 38/3 = 12.666...
 * BWT_j = A[4][j] - A[j][j], j < 4:
 *   d1: 60-80 = -20   d2: 81-90 = -9   d3: 56-60 = -4;   BWT = -33/3 = -11
 * Zero-shot model: Transfer = (48+42+30)/3 = 40, Avg = Last = (20+48+42+30)/4 = 35
 */
const Z = [20, 48, 42, 30];
const A = [
  [80, 50, 40, 30],
  [85, 90, 44, 34],
  [66, 84, 60, 38],
  [60, 81, 56, 70],
];

const close = (actual: number | null, expected: number, msg?: string) => {
  assert.ok(actual !== null, `${msg ?? 'value'} is null, expected ${expected}`);
  assert.ok(Math.abs(actual - expected) < 1e-9, `${msg ?? 'value'}: ${actual} != ${expected}`);
};

test('4x4 hand-computed example: summary metrics', () => {
  close(transfer(A), 42, 'transfer');
  close(avg(A), 60.5, 'avg');
  close(last(A), 66.75, 'last');
  close(forgetting(A), 38 / 3, 'forgetting');
  close(backwardTransfer(A), -11, 'bwt');
});

test('4x4 hand-computed example: per-dataset metrics', () => {
  const m = matrixMetrics(A);
  assert.equal(m.complete, true);
  assert.equal(m.rows, 4);
  assert.equal(m.tasks, 4);
  assert.deepEqual(m.perDataset.transfer, [null, 50, 42, 34]);
  assert.deepEqual(m.perDataset.avg, [72.75, 76.25, 50, 43]);
  assert.deepEqual(m.perDataset.last, [60, 81, 56, 70]);
  assert.deepEqual(m.perDataset.forgetting, [25, 9, 4, null]);
  assert.deepEqual(m.perDataset.bwt, [-20, -9, -4, null]);
});

test('zero-shot metrics and runMetrics', () => {
  const z = zeroShotMetrics(Z);
  close(z.transfer, 40);
  close(z.avg, 35);
  close(z.last, 35);
  assert.deepEqual(z.perDataset.transfer, [null, 48, 42, 30]);
  const r = runMetrics(Z, A);
  close(r.transfer, 42);
  close(r.zeroShot.transfer, 40);
});

test('the published zero-shot ViT-B/16 MTIL row gives the published 69.4 / 65.3 / 65.3', () => {
  const published = [24.3, 88.4, 68.2, 44.6, 54.9, 71.0, 88.5, 59.4, 89.0, 64.7, 65.2];
  const z = zeroShotMetrics(published);
  assert.equal(z.transfer!.toFixed(1), '69.4');
  assert.equal(z.avg.toFixed(1), '65.3');
  assert.equal(z.last.toFixed(1), '65.3');
});

test('partial matrix (run in progress): metrics "so far"', () => {
  // rows after tasks 1 and 2 of 4
  const m = matrixMetrics(A.slice(0, 2), 4);
  assert.equal(m.complete, false);
  assert.equal(m.rows, 2);
  // transfer: d2: 50, d3: (40+44)/2 = 42, d4: (30+34)/2 = 32 -> 124/3
  assert.deepEqual(m.perDataset.transfer, [null, 50, 42, 32]);
  close(m.transfer, 124 / 3);
  // avg: d1 82.5, d2 70, d3 42, d4 32 -> 226.5/4
  close(m.avg, 56.625);
  close(m.last, (85 + 90 + 44 + 34) / 4);
  // only d1 was trained before the latest row: forgetting 80-85 = -5 (it improved), bwt 85-80 = +5
  assert.deepEqual(m.perDataset.forgetting, [-5, null, null, null]);
  assert.deepEqual(m.perDataset.bwt, [5, null, null, null]);
});

test('one row: no forgetting yet; no rows: everything undefined', () => {
  const one = matrixMetrics([A[0]!], 4);
  assert.equal(one.forgetting, null);
  assert.equal(one.bwt, null);
  close(one.transfer, (50 + 40 + 30) / 3);
  const none = runMetrics(Z, []);
  assert.equal(none.rows, 0);
  assert.equal(none.complete, false);
  assert.equal(none.transfer, null);
  assert.equal(none.avg, null);
  assert.equal(none.last, null);
  assert.deepEqual(none.perDataset.transfer, [null, null, null, null]);
  close(none.zeroShot.avg, 35);
});

test('clear errors for ragged matrices and mismatched lengths', () => {
  assert.throws(() => transfer([[1, 2, 3], [1, 2]]), /ragged: row 1 has 2 values, expected 3/);
  assert.throws(() => avg([[1, 2], [1, 2], [1, 2]]), /3 rows but only 2 tasks/);
  assert.throws(() => last([[1, Number.NaN]]), /\[0\]\[1\] must be a finite number/);
  assert.throws(() => runMetrics([1, 2, 3], A), /zero-shot row has 3 values but the accuracy matrix has 4 columns/);
  assert.throws(() => transferPerDataset([]), /number of tasks must be a positive integer/);
  assert.throws(() => matrixMetrics(A, 5), /row 0 has 4 values, expected 5/);
});
