/**
 * ZSCL's random 80/20 train/test splits of Caltech101, EuroSAT and SUN397, shipped as data (assets/splits/, made by
 * scripts/make-splits.py with a real PyTorch): the permutation drawn by torch.utils.data.random_split with
 * torch.Generator().manual_seed(42). Train = permutation[:nTrain], test = the rest, each in permutation order,
 * over the dataset order described in the asset's "order" field.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { assetPath, readJsonAsset } from '../../assets.js';
import type { MtilSplit } from './reader.js';

export interface SplitAsset {
  dataset: string;
  n: number;
  nTrain: number;
  nTest: number;
  seed: number;
  method: string;
  order: string;
  matchesZSCL: boolean;
  torch: string;
  permutationFile: string;
  permutationEncoding: string;
  checksumText: string;
  sha256: { train: string; test: string };
}

export interface ZsclSplit {
  meta: SplitAsset;
  train: Uint32Array;
  test: Uint32Array;
}

const cache = new Map<string, ZsclSplit>();

/** sha256 of the indices in decimal joined by ',' (the checksum make-splits.py records). */
export function indexListSha256(indices: ArrayLike<number>): string {
  const h = createHash('sha256');
  const chunk: string[] = [];
  for (let i = 0; i < indices.length; i++) {
    chunk.push(String(indices[i]));
    if (chunk.length === 4096) {
      h.update(chunk.join(',') + (i + 1 < indices.length ? ',' : ''));
      chunk.length = 0;
    }
  }
  if (chunk.length) h.update(chunk.join(','));
  return h.digest('hex');
}

/** Loads and verifies (permutation, sizes, checksums) the shipped split `key` ('caltech101', 'eurosat', 'sun397'). */
export function loadZsclSplit(key: string): ZsclSplit {
  const hit = cache.get(key);
  if (hit) return hit;
  const jsonPath = assetPath('splits', `${key}.json`);
  const meta = readJsonAsset<SplitAsset>('splits', `${key}.json`);
  const bad = (what: string): never => {
    throw new Error(`split asset ${jsonPath}: ${what}`);
  };
  if (!Number.isInteger(meta.n) || meta.nTrain + meta.nTest !== meta.n) bad('n must equal nTrain + nTest');
  const binPath = assetPath('splits', meta.permutationFile);
  if (!existsSync(binPath)) bad(`missing permutation file ${binPath}`);
  let raw: Buffer;
  try {
    raw = gunzipSync(readFileSync(binPath));
  } catch (e) {
    return bad(`cannot gunzip ${binPath}: ${(e as Error).message}`);
  }
  if (raw.length !== 4 * meta.n) bad(`${binPath} holds ${raw.length / 4} indices, expected ${meta.n}`);
  const perm = new Uint32Array(meta.n);
  const seen = new Uint8Array(meta.n);
  for (let i = 0; i < meta.n; i++) {
    const v = raw.readUInt32LE(4 * i);
    if (v >= meta.n || seen[v]) bad(`${binPath} is not a permutation of 0..${meta.n - 1} (index ${i}: ${v})`);
    seen[v] = 1;
    perm[i] = v;
  }
  const train = perm.subarray(0, meta.nTrain);
  const test = perm.subarray(meta.nTrain);
  if (indexListSha256(train) !== meta.sha256.train) bad('train indices do not match the recorded sha256');
  if (indexListSha256(test) !== meta.sha256.test) bad('test indices do not match the recorded sha256');
  const split = { meta, train, test };
  cache.set(key, split);
  return split;
}

/**
 * The indices (into the full dataset order) of one split. `n` is the number of examples found on disk: ZSCL's
 * split only applies to the complete dataset, so a different count is an error that says so.
 */
export function zsclSplitIndices(key: string, dataset: string, where: string, n: number, split: MtilSplit): Uint32Array {
  const s = loadZsclSplit(key);
  if (n !== s.meta.n) {
    throw new Error(
      `${dataset}: found ${n} images under ${where}, but ZSCL's train/test split (assets/splits/${key}.json) is for ` +
        `the complete dataset of ${s.meta.n}; the copy is incomplete or differs from the official one`,
    );
  }
  return split === 'train' ? s.train : s.test;
}
