/**
 * Which examples go into which batch, as a pure function of (seed, batch number), so that any batch can be
 * recomputed without replaying the ones before it (resumed runs) and worker scheduling cannot change anything.
 *
 * Training: the example stream is epoch 0's permutation, then epoch 1's, ... (each a seeded shuffle of the whole
 * dataset); batch t holds stream positions [tB, tB + B), so every batch is full and a fixed number of iterations
 * runs over a dataset of any size (one smaller than a batch simply wraps within the batch).
 * Evaluation: batch t holds examples [tB, min(N, tB + B)) in order; the last batch may be partial.
 */
import { Rng } from '../engine/rng.js';

/** One slot of a batch: the dataset example and the epoch it belongs to (for its augmentation RNG). */
export interface Slot {
  index: number;
  epoch: number;
}

const TAG_EPOCH = 0x45504f43; // 'EPOC'
const TAG_EXAMPLE = 0x45584d50; // 'EXMP'
export const TAG_FEWSHOT = 0x46455753; // 'FEWS'

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * An Rng whose whole 128-bit state is a hash of the given integers: independent streams for every (seed, tag,
 * a, b) without the collisions a 32-bit seed would have over millions of examples.
 */
export function keyedRng(...key: number[]): Rng {
  const words: number[] = [];
  for (let w = 0; w < 4; w++) {
    let h = fmix32(0x9e3779b9 ^ Math.imul(w + 1, 0x632be5ab));
    for (const k of key) {
      const lo = k >>> 0;
      const hi = Math.floor(k / 4294967296) >>> 0;
      h = fmix32((h ^ lo) + 0x7f4a7c15);
      if (hi !== 0) h = fmix32((h ^ hi) + 0x165667b1);
    }
    words.push(h);
  }
  if ((words[0]! | words[1]! | words[2]! | words[3]!) === 0) words[0] = 1;
  return Rng.fromState([...words, NaN]);
}

/** The augmentation RNG of one example in one epoch (the same wherever and whenever it is computed). */
export function exampleRng(seed: number, epoch: number, index: number): Rng {
  return keyedRng(seed, TAG_EXAMPLE, epoch, index);
}

/** The seeded shuffle of epoch `epoch`: a permutation of 0..n-1. */
export function epochPermutation(seed: number, epoch: number, n: number): Int32Array {
  const rng = keyedRng(seed, TAG_EPOCH, epoch);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** Computes batches' slots, keeping the last few epoch permutations. */
export class Schedule {
  private perms = new Map<number, Int32Array>();

  constructor(
    readonly length: number,
    readonly batchSize: number,
    readonly seed: number,
    readonly shuffle: boolean,
  ) {}

  /** Number of batches in one pass over the data (the last one partial when not shuffling). */
  get batchesPerEpoch(): number {
    return Math.ceil(this.length / this.batchSize);
  }

  /** The slots of batch t. */
  slots(t: number): Slot[] {
    const B = this.batchSize;
    const N = this.length;
    const out: Slot[] = [];
    if (!this.shuffle) {
      for (let p = t * B; p < Math.min(N, (t + 1) * B); p++) out.push({ index: p, epoch: 0 });
      return out;
    }
    for (let p = t * B; p < (t + 1) * B; p++) {
      const epoch = Math.floor(p / N);
      out.push({ index: this.permutation(epoch)[p - epoch * N]!, epoch });
    }
    return out;
  }

  private permutation(epoch: number): Int32Array {
    let p = this.perms.get(epoch);
    if (!p) {
      p = epochPermutation(this.seed, epoch, this.length);
      // A batch spans at most ceil(B / N) + 1 epochs; keep that many (and at least two).
      const keep = Math.ceil(this.batchSize / this.length) + 2;
      while (this.perms.size >= keep) this.perms.delete(this.perms.keys().next().value!);
      this.perms.set(epoch, p);
    }
    return p;
  }
}
