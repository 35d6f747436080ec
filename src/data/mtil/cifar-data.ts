/**
 * Shared by the CIFAR-10 and CIFAR-100 readers: batches from the python pickles or the binary version, and the
 * dataset whose raw RGB images are cut out of the planar (RRR..GGG..BBB) 3072-byte records on demand.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { SplitName } from '../dataset.js';
import { NdArray, pyDictGet, pyIntList, readPickleFile } from '../formats/pickle.js';
import { generatedDataset } from './examples.js';
import { requireFile } from './fs.js';

const SIDE = 32;
const RECORD = 3 * SIDE * SIDE;

export interface CifarBatch {
  /** Planar images, RECORD bytes each. */
  planar: Uint8Array;
  labels: number[];
  file: string;
}

/** A python-pickle batch: dict with 'data' (uint8 N x 3072) and the labels under `labelKey`. */
export function readPythonBatch(dataset: string, file: string, labelKey: string): CifarBatch {
  requireFile(dataset, file, 'CIFAR batch');
  const d = readPickleFile(file);
  const data = pyDictGet(d, 'data', file);
  if (!(data instanceof NdArray) || data.dtype !== 'uint8' || data.shape.length !== 2 || data.shape[1] !== RECORD || data.order !== 'C') {
    throw new Error(`${dataset}: ${file}: 'data' must be a uint8 array of shape (N, ${RECORD})`);
  }
  const labels = pyIntList(pyDictGet(d, labelKey, file), `${file}: '${labelKey}'`);
  if (labels.length !== data.shape[0]) {
    throw new Error(`${dataset}: ${file}: ${data.shape[0]} images but ${labels.length} labels`);
  }
  return { planar: data.data as Uint8Array, labels, file };
}

/** A binary batch: records of `labelBytes` label bytes then RECORD pixel bytes; the label is byte `labelAt`. */
export function readBinaryBatch(dataset: string, file: string, labelBytes: number, labelAt: number): CifarBatch {
  requireFile(dataset, file, 'CIFAR batch');
  const bytes = readFileSync(file);
  const rec = labelBytes + RECORD;
  if (bytes.length === 0 || bytes.length % rec !== 0) {
    throw new Error(`${dataset}: ${file}: size ${bytes.length} is not a multiple of the ${rec}-byte record`);
  }
  const n = bytes.length / rec;
  const planar = new Uint8Array(n * RECORD);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    labels.push(bytes[i * rec + labelAt]!);
    planar.set(bytes.subarray(i * rec + labelBytes, (i + 1) * rec), i * RECORD);
  }
  return { planar, labels, file };
}

/** Joins several batches (CIFAR-10's five training files). */
export function concatBatches(batches: CifarBatch[]): CifarBatch {
  if (batches.length === 1) return batches[0]!;
  const planar = new Uint8Array(batches.reduce((a, b) => a + b.planar.length, 0));
  let off = 0;
  for (const b of batches) {
    planar.set(b.planar, off);
    off += b.planar.length;
  }
  return { planar, labels: batches.flatMap((b) => b.labels), file: batches.map((b) => b.file).join(', ') };
}

/** Lines of a names file (binary version), or null when it is absent. */
export function readNamesFile(file: string): string[] | null {
  if (!existsSync(file)) return null;
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

export function cifarDataset(
  meta: { name: string; split: SplitName; classNames: readonly string[]; templates: readonly string[] },
  batch: CifarBatch,
) {
  const { planar, labels, file } = batch;
  return generatedDataset(
    meta,
    labels,
    (i) => {
      const src = planar.subarray(i * RECORD, (i + 1) * RECORD);
      const hwc = new Uint8Array(RECORD);
      const plane = SIDE * SIDE;
      for (let p = 0; p < plane; p++) {
        hwc[3 * p] = src[p]!;
        hwc[3 * p + 1] = src[plane + p]!;
        hwc[3 * p + 2] = src[2 * plane + p]!;
      }
      return { kind: 'raw', image: { width: SIDE, height: SIDE, channels: 3, data: hwc }, name: `${file}#${i}` };
    },
    (i) => `${file}#${i}`,
  );
}
