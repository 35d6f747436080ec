/**
 * Task streams: an ordered list of tasks (a dataset with train/test splits and its per-task training settings).
 * The stream's dataset order gives the columns of the accuracy matrix.
 */
import type { ImageDataset } from '../data/dataset.js';

export interface Task {
  /** Dataset name (a column of the accuracy matrix). */
  name: string;
  train: ImageDataset;
  test: ImageDataset;
  /** Held-out validation split (hyperparameter selection), when the benchmark defines one. */
  val?: ImageDataset;
  iterations: number;
  lr: number;
  batchSize: number;
  /** Linear warm-up steps before the cosine decay. */
  warmup: number;
  /**
   * Steps between weight-average snapshots for the weight-ensemble methods (ZSCL, MulKI's connections) when their
   * `avgEvery` option is left at 0. Absent: 100, ZSCL's period on MTIL (10 snapshots in a 1000-step task).
   */
  snapshotEvery?: number;
}

export interface Stream {
  name: string;
  tasks: Task[];
}

/** Per-task training settings and their overrides. */
export interface TaskSettings {
  iterations: number;
  lr: number;
  batchSize: number;
}

export function checkStream(s: Stream): Stream {
  if (s.tasks.length === 0) throw new Error(`stream ${s.name}: no tasks`);
  const seen = new Set<string>();
  for (const t of s.tasks) {
    if (seen.has(t.name)) throw new Error(`stream ${s.name}: dataset ${t.name} appears twice`);
    seen.add(t.name);
    if (!(t.iterations >= 0) || !Number.isInteger(t.iterations)) throw new Error(`stream ${s.name}: task ${t.name}: iterations must be a non-negative integer`);
    if (!(t.lr > 0)) throw new Error(`stream ${s.name}: task ${t.name}: lr must be > 0`);
    if (!(t.batchSize >= 1)) throw new Error(`stream ${s.name}: task ${t.name}: batch size must be >= 1`);
    if (t.train.classNames.length !== t.test.classNames.length) {
      throw new Error(`stream ${s.name}: task ${t.name}: train and test splits have different class lists`);
    }
    if (t.train.templates.length === 0) throw new Error(`stream ${s.name}: task ${t.name}: no prompt templates`);
  }
  return s;
}
