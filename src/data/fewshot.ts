/**
 * Few-shot sampling: k examples per class, chosen by a seeded shuffle of each class's examples. The result is a
 * sorted list of dataset indices, ready for `subset(ds, indices)`. Each class draws from its own RNG stream
 * (seed, class), so adding or relabelling other classes does not change a class's pick.
 */
import type { ImageDataset } from './dataset.js';
import { keyedRng, TAG_FEWSHOT } from './schedule.js';

export interface FewShotOptions {
  /** Keep every example of a class that has fewer than k (default: such a class is an error). */
  allowFewer?: boolean;
}

export function fewShotIndices(ds: ImageDataset, k: number, seed: number, opts: FewShotOptions = {}): number[] {
  if (!Number.isInteger(k) || k <= 0) throw new Error(`fewShotIndices(${ds.name}/${ds.split}): k must be a positive integer, got ${k}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`fewShotIndices(${ds.name}/${ds.split}): seed must be an integer in [0, 2^32), got ${seed}`);
  }
  const C = ds.classNames.length;
  const byClass: number[][] = Array.from({ length: C }, () => []);
  for (let i = 0; i < ds.length; i++) {
    const l = ds.label(i);
    if (!Number.isInteger(l) || l < 0 || l >= C) {
      throw new Error(`fewShotIndices: dataset ${ds.name}/${ds.split} example #${i} has label ${l}, outside [0, ${C})`);
    }
    byClass[l]!.push(i);
  }
  const picked: number[] = [];
  for (let c = 0; c < C; c++) {
    const members = byClass[c]!;
    if (members.length < k && !opts.allowFewer) {
      throw new Error(
        `fewShotIndices: dataset ${ds.name}/${ds.split} class ${c} ('${ds.classNames[c]}') has ${members.length} examples, fewer than k = ${k} (pass allowFewer to keep them all)`,
      );
    }
    const rng = keyedRng(seed, TAG_FEWSHOT, c);
    const take = Math.min(k, members.length);
    // Partial Fisher-Yates: the first `take` entries become a uniform random sample.
    for (let i = 0; i < take; i++) {
      const j = i + rng.int(members.length - i);
      const t = members[i]!;
      members[i] = members[j]!;
      members[j] = t;
      picked.push(members[i]!);
    }
  }
  return picked.sort((a, b) => a - b);
}
