/**
 * The shared loop of the drawn-object sources (Noto emoji, OpenMoji, clip art): for each item, load its drawing once
 * at the working size, then emit `variants` images of it, the first plain and centred, the others in random
 * styles, each with captions written for its style.
 */
import { readJsonAsset } from '../../assets.js';
import type { RgbaImage } from '../offline/raster.js';
import { objectCaptions, type Concept } from './captions.js';
import { pickObjectStyle, renderObject } from './object-styles.js';
import { entryRng, type SourceContext } from './source.js';

export interface ObjectItem {
  id: string;
  concept: Concept;
  allowFlip: boolean;
  /** The drawing at the working size (square RGBA). */
  load(work: number): Promise<RgbaImage> | RgbaImage;
  /** A line-art version, where the source has one. */
  lineArt?: (work: number) => RgbaImage;
}

export async function runObjects(source: string, items: readonly ObjectItem[], variants: number, ctx: SourceContext): Promise<void> {
  if (!Number.isInteger(variants) || variants < 1) throw new Error(`${source}: variants per item must be a positive integer, got ${variants}`);
  for (const item of items) {
    let obj: RgbaImage;
    try {
      obj = await item.load(ctx.work);
    } catch (e) {
      ctx.skip(item.id, (e as Error).message);
      continue;
    }
    let line: RgbaImage | null | undefined;
    for (let v = 0; v < variants; v++) {
      const rng = entryRng(ctx, source, item.id, v);
      let style = pickObjectStyle(rng, v, item.lineArt !== undefined);
      if (style === 'line-art') {
        if (line === undefined) {
          try {
            line = item.lineArt!(ctx.work);
          } catch {
            line = null;
          }
        }
        if (line === null) style = 'sketch';
      }
      const image = renderObject(obj, style, rng, { size: ctx.size, allowFlip: item.allowFlip, lineArt: line ?? undefined });
      const captions = objectCaptions(item.concept, style, rng, ctx.captions);
      ctx.emit({ id: `${item.id}#${v}`, source, item: item.id, style, captions, image });
    }
  }
}

const NO_FLIP = /\b(left|right|arrow|keycap|letter|flag|sign|text|number|digit|clock|o'clock|input|symbol|button|[a-z]?\d+)\b/i;

/** Whether a drawing may be mirrored: not when it holds text, digits, directions or flags. */
export function mayFlip(...words: string[]): boolean {
  return !words.some((w) => NO_FLIP.test(w));
}

let aliasCache: Map<string, string[]> | null = null;

/** Extra everyday names for some emoji annotations (assets/offline/emoji-aliases.json). */
export function emojiAliases(): Map<string, string[]> {
  if (aliasCache) return aliasCache;
  const asset = readJsonAsset<{ aliases?: Record<string, unknown> }>('offline', 'emoji-aliases.json');
  if (!asset.aliases || typeof asset.aliases !== 'object') throw new Error('asset offline/emoji-aliases.json: missing "aliases" object');
  const m = new Map<string, string[]>();
  for (const [k, v] of Object.entries(asset.aliases)) {
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
      throw new Error(`asset offline/emoji-aliases.json: aliases of "${k}" must be a list of strings`);
    }
    m.set(k.toLowerCase(), v as string[]);
  }
  aliasCache = m;
  return m;
}

/** Main name first, then its aliases, without repeats. */
export function namesWithAliases(name: string): string[] {
  const extra = emojiAliases().get(name.toLowerCase()) ?? [];
  return [...new Set([name, ...extra])];
}
