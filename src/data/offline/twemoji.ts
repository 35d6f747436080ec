/**
 * Twemoji (graphics CC-BY 4.0, Twitter/X and contributors; jdecked's fork) from the npm package `@twemoji/svg`:
 * 3,700+ SVGs (36x36 view box) named by code point ("1f436.svg"). Names, tags, group and subgroup come from
 * emojibase-data, matched by code point ignoring U+FE0F; files emojibase does not know are left out.
 *
 * In MulKI's offline benchmark Twemoji is downstream-only: its images never enter the pre-training corpus.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { emojibaseIndex, emojiKey } from './emoji.js';
import { packageDir } from './package-dir.js';
import { renderSvg, type RgbaImage } from './raster.js';

export const TWEMOJI_LICENCE = 'CC-BY-4.0 (Twemoji graphics, Copyright Twitter, Inc. and other contributors; @twemoji/svg package MIT)';

export interface Twemoji {
  /** "twemoji:<key>". */
  id: string;
  /** Code point key (emojiKey): lowercase, '-'-joined, without fe0f. */
  key: string;
  /** Key of the base emoji for a skin-tone variant; else the same as key. */
  baseKey: string;
  name: string;
  tags: string[];
  group: string;
  subgroup: string;
  skinTone: boolean;
  file: string;
}

export interface TwemojiOptions {
  /** Keep skin-tone variants too (default false). */
  skinTones?: boolean;
}

export function twemojiDir(): string {
  return packageDir('@twemoji/svg', 'Twemoji');
}

/** Every Twemoji SVG that emojibase names, sorted by key. */
export function listTwemoji(opts: TwemojiOptions = {}): Twemoji[] {
  const dir = twemojiDir();
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.svg'));
  } catch (e) {
    throw new Error(`Twemoji: cannot list ${dir}: ${(e as Error).message}; reinstall it with: npm install @twemoji/svg`);
  }
  if (!files.length) throw new Error(`Twemoji: no SVG files in ${dir}; reinstall it with: npm install @twemoji/svg`);
  const index = emojibaseIndex();
  const out: Twemoji[] = [];
  const seen = new Set<string>();
  for (const f of files.sort()) {
    const key = emojiKey(f.slice(0, -4));
    const eb = index.get(key);
    if (!eb || seen.has(key)) continue;
    const skinTone = eb.baseKey !== null;
    if (skinTone && !opts.skinTones) continue;
    seen.add(key);
    out.push({
      id: `twemoji:${key}`,
      key,
      baseKey: eb.baseKey ?? key,
      name: eb.label,
      tags: eb.tags,
      group: eb.group,
      subgroup: eb.subgroup,
      skinTone,
      file: join(dir, f),
    });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The emoji rendered into a box x box RGBA square. */
export function renderTwemoji(item: Pick<Twemoji, 'file' | 'name'>, box = 64, margin = 0.04): RgbaImage {
  if (!existsSync(item.file)) throw new Error(`Twemoji ${item.name}: ${item.file} is missing; reinstall it with: npm install @twemoji/svg`);
  return renderSvg(readFileSync(item.file, 'utf8'), box, { name: item.file, margin });
}
