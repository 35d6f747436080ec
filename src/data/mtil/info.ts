/**
 * The shipped description of each MTIL dataset (assets/mtil/<key>.json): canonical name, prompt templates (the
 * first is the training template), the protocol's train/test/class counts, and the class names where the protocol
 * hard-codes them (datasets whose names come from their own files omit them).
 */
import { assetPath, readJsonAsset } from '../../assets.js';

export interface MtilInfo {
  name: string;
  counts: { train: number; test: number; classes: number };
  classNamesSource: string;
  classNames?: string[];
  templates: string[];
  /** Expected sorted class folders (Caltech101, EuroSAT). */
  folders?: string[];
  /** Images per folder in the full dataset, aligned with `folders`. */
  imagesPerFolder?: number[];
}

const cache = new Map<string, MtilInfo>();

export function mtilInfo(key: string): MtilInfo {
  const hit = cache.get(key);
  if (hit) return hit;
  const file = assetPath('mtil', `${key}.json`);
  const info = readJsonAsset<MtilInfo>('mtil', `${key}.json`);
  const bad = (what: string): never => {
    throw new Error(`asset ${file}: ${what}`);
  };
  if (typeof info.name !== 'string' || !info.name) bad('missing "name"');
  if (!Array.isArray(info.templates) || info.templates.length === 0) bad('"templates" must be a non-empty list');
  for (const t of info.templates) {
    if (typeof t !== 'string' || !t.includes('{c}')) bad(`template ${JSON.stringify(t)} has no {c}`);
  }
  const c = info.counts;
  if (!c || ![c.train, c.test, c.classes].every((n) => Number.isInteger(n) && n > 0)) bad('"counts" needs train, test, classes');
  if (info.classNames !== undefined) {
    if (!Array.isArray(info.classNames) || info.classNames.some((n) => typeof n !== 'string')) bad('"classNames" must be strings');
    if (info.classNames.length !== c.classes) bad(`${info.classNames.length} class names, counts.classes is ${c.classes}`);
  }
  if (info.folders && info.imagesPerFolder && info.folders.length !== info.imagesPerFolder.length) {
    bad('"folders" and "imagesPerFolder" differ in length');
  }
  cache.set(key, info);
  return info;
}

/** The shipped class names of a dataset whose protocol hard-codes them. */
export function shippedClassNames(key: string): string[] {
  const info = mtilInfo(key);
  if (!info.classNames) throw new Error(`asset ${assetPath('mtil', `${key}.json`)}: no "classNames"`);
  return info.classNames;
}

/** ZSCL's label clean-up for names read from dataset files: '_' becomes a space. */
export function underscoreToSpace(s: string): string {
  return s.replace(/_/g, ' ');
}
