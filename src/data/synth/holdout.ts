/**
 * What the pre-training corpus must never contain, because MTIL-Offline tests on it.
 *
 * - Open Clip Art: seven whole top-level categories are held out (animals, buildings, food, people, plants, tools,
 *   transportation); the ClipArt task draws its classes from them. A drawing filed (even through a symbolic link)
 *   under a held-out category is held out. The corpus also drops any other drawing that shares a file name with a
 *   held-out drawing (the library holds re-uploads of one picture under several folders) or whose 64-bit
 *   difference hash is within `NEAR_DUPLICATE_BITS` of a held-out drawing's.
 * - Twemoji, MNIST, Fashion-MNIST and Quick, Draw!: never read by the corpus builder at all.
 */
import { basename } from 'node:path';
import type { ClipArt } from '../offline/clipart.js';
import type { RgbaImage } from '../offline/raster.js';
import { resizeRgba } from '../offline/raster.js';

export const CLIPART_HELDOUT_CATEGORIES: readonly string[] = ['animals', 'buildings', 'food', 'people', 'plants', 'tools', 'transportation'];

/** Sources the corpus never reads (downstream-only). */
export const DOWNSTREAM_ONLY_SOURCES: readonly string[] = ['twemoji', 'mnist', 'fashion-mnist', 'quickdraw'];

/**
 * Largest relative ink difference (percent, on 16 x 16 thumbnails) at which two drawings count as the same
 * picture. Re-uploads of one drawing measure 0-5; distinct drawings of similar subjects mostly 10 or more.
 */
export const NEAR_DUPLICATE_PERCENT = 6;

/** ClipArt task classes: a class holds the drawings filed under one of its folders and none of its exclusions. */
export interface ClipArtClass {
  name: string;
  folders: readonly string[];
  exclude: readonly string[];
}

export const CLIPART_TASK_CLASSES: readonly ClipArtClass[] = [
  { name: 'animal', folders: ['animals/'], exclude: [] },
  { name: 'building', folders: ['buildings/'], exclude: ['buildings/furniture/'] },
  { name: 'food', folders: ['food/'], exclude: [] },
  { name: 'person', folders: ['people/'], exclude: ['people/clothing/', 'people/bodypart/'] },
  { name: 'plant', folders: ['plants/'], exclude: [] },
  { name: 'tool', folders: ['tools/'], exclude: [] },
  { name: 'vehicle', folders: ['transportation/vehicles/', 'transportation/boating/'], exclude: [] },
];

/** Whether a drawing is filed under a held-out category. */
export function isHeldOutClipArt(item: Pick<ClipArt, 'categories'>): boolean {
  return item.categories.some((c) => CLIPART_HELDOUT_CATEGORIES.includes(c));
}

/** The ClipArt task class of a drawing (index into CLIPART_TASK_CLASSES), or -1 when none or ambiguous. */
export function clipArtTaskClass(item: Pick<ClipArt, 'paths'>): number {
  const hits = new Set<number>();
  CLIPART_TASK_CLASSES.forEach((c, k) => {
    for (const p of item.paths) {
      if (c.folders.some((f) => p.startsWith(f)) && !c.exclude.some((f) => p.startsWith(f))) hits.add(k);
    }
  });
  return hits.size === 1 ? [...hits][0]! : -1;
}

/** File names (lowercase) of every path of the held-out drawings. */
export function heldOutFileNames(items: readonly Pick<ClipArt, 'categories' | 'paths'>[]): Set<string> {
  const names = new Set<string>();
  for (const it of items) if (isHeldOutClipArt(it)) for (const p of it.paths) names.add(basename(p).toLowerCase());
  return names;
}

/** Whether any path of a drawing has one of the given file names. */
export function sharesFileName(item: Pick<ClipArt, 'paths'>, names: ReadonlySet<string>): boolean {
  return item.paths.some((p) => names.has(basename(p).toLowerCase()));
}

/** Side of the ink thumbnails compared for near-duplicates. */
export const THUMBNAIL_SIDE = 16;

/** An ink map (255 - luma on white) of a drawing shrunk to THUMBNAIL_SIDE, and its total ink. */
export interface InkThumbnail {
  ink: Uint8Array;
  total: number;
}

export function inkThumbnail(img: RgbaImage): InkThumbnail {
  const n = THUMBNAIL_SIDE * THUMBNAIL_SIDE;
  const small = resizeRgba(img, THUMBNAIL_SIDE, THUMBNAIL_SIDE);
  const ink = new Uint8Array(n);
  let total = 0;
  for (let p = 0; p < n; p++) {
    const a = small.data[p * 4 + 3]! / 255;
    const l = 0.299 * small.data[p * 4]! + 0.587 * small.data[p * 4 + 1]! + 0.114 * small.data[p * 4 + 2]!;
    ink[p] = Math.round(255 - (l * a + 255 * (1 - a)));
    total += ink[p]!;
  }
  return { ink, total };
}

/** Relative ink difference in percent: 100 x sum|a - b| / (sum a + sum b); 0 = the same picture. */
export function inkDifference(a: InkThumbnail, b: InkThumbnail): number {
  const t = a.total + b.total;
  if (t === 0) return 0;
  let s = 0;
  for (let i = 0; i < a.ink.length; i++) s += Math.abs(a.ink[i]! - b.ink[i]!);
  return (100 * s) / t;
}

/** Thumbnails of held-out drawings, for near-duplicate look-ups. */
export class NearDuplicateIndex {
  private readonly thumbs: InkThumbnail[] = [];

  add(t: InkThumbnail): void {
    this.thumbs.push(t);
  }

  get size(): number {
    return this.thumbs.length;
  }

  /** Whether some stored thumbnail differs from t by at most `percent` (NEAR_DUPLICATE_PERCENT). */
  has(t: InkThumbnail, percent = NEAR_DUPLICATE_PERCENT): boolean {
    for (const u of this.thumbs) {
      // |sum a - sum b| bounds sum |a - b| from below: skip thumbnails whose total ink is too different.
      const t2 = t.total + u.total;
      if (t2 > 0 && (100 * Math.abs(t.total - u.total)) / t2 > percent) continue;
      if (inkDifference(t, u) <= percent) return true;
    }
    return false;
  }
}
