/**
 * `mulki data check`: looks for every MTIL dataset under a data root, loads both splits, compares the counts with
 * the protocol (assets/mtil/*.json), and checks that a few sampled image files exist. Returns a report naming what
 * is missing or unreadable, and formats it for the terminal.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageDataset } from './dataset.js';
import { mtilInfo } from './mtil/info.js';
import type { MtilReader, MtilSplit } from './mtil/reader.js';
import { EXTRA_DATASETS, MTIL_DATASETS } from './mtil/registry.js';

export type DatasetStatus = 'ok' | 'missing' | 'problem';

export interface SplitCheck {
  expected: number;
  found: number | null;
}

export interface DatasetCheck {
  name: string;
  status: DatasetStatus;
  /** Where the dataset was looked for (the candidate folders under the root). */
  folders: string[];
  train: SplitCheck;
  test: SplitCheck;
  classes: SplitCheck;
  /** Image files checked for existence. */
  sampled: number;
  problems: string[];
}

export interface DataCheckReport {
  root: string;
  datasets: DatasetCheck[];
  /** True when every checked dataset is ok. */
  ok: boolean;
}

export interface DataCheckOptions {
  /** Image files per split to check for existence (default 3: first, middle, last). */
  sample?: number;
  /** Check CIFAR10 as well (default false: it is not part of MTIL). */
  includeExtra?: boolean;
  /** Only these readers (default: all MTIL datasets). */
  readers?: readonly MtilReader[];
}

/** Indices spread over [0, n): first, last and evenly in between. */
function sampleIndices(n: number, k: number): number[] {
  if (n === 0 || k <= 0) return [];
  if (k === 1) return [0];
  const out = new Set<number>();
  for (let j = 0; j < k; j++) out.add(Math.round((j * (n - 1)) / (k - 1)));
  return [...out];
}

function checkImages(ds: ImageDataset, k: number, problems: string[]): number {
  let checked = 0;
  for (const i of sampleIndices(ds.length, k)) {
    const src = ds.source(i);
    if (src.kind !== 'file') continue;
    checked++;
    if (!existsSync(src.path)) problems.push(`${ds.split}: image file missing: ${src.path}`);
    else if (statSync(src.path).size === 0) problems.push(`${ds.split}: image file is empty: ${src.path}`);
  }
  return checked;
}

export function checkDataset(root: string, reader: MtilReader, opts: DataCheckOptions = {}): DatasetCheck {
  const info = mtilInfo(reader.key);
  const sample = opts.sample ?? 3;
  const result: DatasetCheck = {
    name: reader.name,
    status: 'ok',
    folders: reader.folders.map((f) => join(root, f)),
    train: { expected: info.counts.train, found: null },
    test: { expected: info.counts.test, found: null },
    classes: { expected: info.counts.classes, found: null },
    sampled: 0,
    problems: [],
  };
  if (!result.folders.some((f) => existsSync(f))) {
    result.status = 'missing';
    result.problems.push(`not found: ${result.folders.join(' or ')}`);
    return result;
  }
  for (const split of ['train', 'test'] as MtilSplit[]) {
    let ds: ImageDataset;
    try {
      ds = reader.load(root, split);
    } catch (e) {
      result.problems.push(`${split}: ${(e as Error).message}`);
      continue;
    }
    result[split].found = ds.length;
    if (ds.length !== result[split].expected) {
      result.problems.push(`${split}: ${ds.length} images, the protocol has ${result[split].expected}`);
    }
    if (result.classes.found === null) {
      result.classes.found = ds.classNames.length;
      if (ds.classNames.length !== info.counts.classes) {
        result.problems.push(`${ds.classNames.length} classes, the protocol has ${info.counts.classes}`);
      }
    }
    try {
      result.sampled += checkImages(ds, sample, result.problems);
    } catch (e) {
      result.problems.push(`${split}: ${(e as Error).message}`);
    }
  }
  if (result.problems.length) result.status = 'problem';
  return result;
}

/** Checks every MTIL dataset under `root`. */
export function checkDatasets(root: string, opts: DataCheckOptions = {}): DataCheckReport {
  const readers = opts.readers ?? [...MTIL_DATASETS, ...(opts.includeExtra ? EXTRA_DATASETS : [])];
  const datasets = readers.map((r) => checkDataset(root, r, opts));
  return { root, datasets, ok: datasets.every((d) => d.status === 'ok') };
}

function count(c: SplitCheck): string {
  if (c.found === null) return `?/${c.expected}`;
  return c.found === c.expected ? String(c.found) : `${c.found}/${c.expected}`;
}

/** A terminal-friendly summary: one line per dataset, then the problems. */
export function formatDataCheck(report: DataCheckReport): string {
  const width = Math.max(...report.datasets.map((d) => d.name.length), 7);
  const lines = [`Data check of ${report.root}:`];
  for (const d of report.datasets) {
    const head = `  ${d.status.padEnd(9)}${d.name.padEnd(width + 2)}`;
    if (d.status === 'missing') {
      lines.push(`${head}${d.problems[0]}`);
      continue;
    }
    lines.push(`${head}train ${count(d.train)}  test ${count(d.test)}  classes ${count(d.classes)}  (${d.sampled} image files checked)`);
    for (const p of d.problems) lines.push(`${' '.repeat(11 + width + 2)}- ${p}`);
  }
  const ready = report.datasets.filter((d) => d.status === 'ok').length;
  const missing = report.datasets.filter((d) => d.status === 'missing').length;
  lines.push(
    `${ready} of ${report.datasets.length} datasets ready` +
      (missing ? `, ${missing} missing` : '') +
      (report.datasets.length - ready - missing ? `, ${report.datasets.length - ready - missing} with problems` : '') +
      '. Layouts: docs/datasets.md',
  );
  return lines.join('\n');
}
