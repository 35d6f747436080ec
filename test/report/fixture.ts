/** Results objects for the report tests: an MTIL-shaped run, complete or in progress. */
import { finalizeResults, type RunResults, type RunResultsInput } from '../../src/cl/results.js';

export const MTIL_ORDER_I = [
  'Aircraft', 'Caltech101', 'CIFAR100', 'DTD', 'EuroSAT', 'Flowers',
  'Food', 'MNIST', 'OxfordPet', 'StanfordCars', 'SUN397',
];

/** Published zero-shot ViT-B/16 accuracies on MTIL Order I. */
export const ZERO_SHOT = [24.3, 88.4, 68.2, 44.6, 54.9, 71.0, 88.5, 59.4, 89.0, 64.7, 65.2];

/**
 * A plausible continual-learning matrix: before training a dataset, accuracy drifts a little below zero-shot;
 * training it lifts it towards `peak`; afterwards it decays by `decay` per task. Deterministic.
 */
export function syntheticMatrix(zeroShot: readonly number[], rows: number, peak = 92, decay = 1.5): number[][] {
  const T = zeroShot.length;
  const out: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const row: number[] = [];
    for (let j = 0; j < T; j++) {
      const z = zeroShot[j]!;
      let v: number;
      if (j > i) v = z - 0.4 * (i + 1) - (j % 3) * 0.3; // not trained yet
      else v = Math.max(z, peak - (j % 4)) - decay * (i - j); // trained at task j
      row.push(Math.round(Math.min(100, Math.max(0, v)) * 100) / 100);
    }
    out.push(row);
  }
  return out;
}

export function makeResults(overrides: Partial<RunResultsInput> = {}): RunResults {
  const tasks = overrides.tasks ?? MTIL_ORDER_I;
  const zeroShot = overrides.zeroShot ?? ZERO_SHOT.slice(0, tasks.length);
  const matrix = overrides.matrix ?? syntheticMatrix(zeroShot, tasks.length);
  const input: RunResultsInput = {
    mulkiVersion: '0.1.0',
    gitCommit: '6463928abcdef0123456789abcdef0123456789a',
    startedAt: '2025-03-01T10:00:00.000Z',
    finishedAt: matrix.length === tasks.length ? '2025-03-01T13:25:10.000Z' : null,
    config: { model: 'ViT-B/16', method: { name: 'mulki', tau: 2 }, stream: { order: 'I', iterations: 1000 } },
    seeds: { run: 1, split: 42 },
    method: 'mulki',
    model: 'ViT-B/16 (openai)',
    stream: 'MTIL Order I',
    tasks,
    zeroShot,
    matrix,
    wallTime: { perTaskSeconds: matrix.map((_, i) => 600 + 37 * i), totalSeconds: 12310 },
    cost: { teacherForwards: 1_408_000, extraStorageBytes: 598_641_152 },
    notes: ['synthetic results for the report tests'],
    ...overrides,
  };
  return finalizeResults(input, 'fixture');
}
