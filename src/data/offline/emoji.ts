/**
 * Noto emoji (Google's set, Apache 2.0 / OFL) from the npm package `emoji-datasource-google`: 64x64 PNGs, one per
 * emoji, named by code point. Names, tags, group and subgroup come from `emojibase-data` (English, CLDR
 * annotations), matched by code point ignoring U+FE0F. Skin-tone variants are left out: one image per emoji.
 *
 * Also the shared emoji vocabulary: `emojibaseIndex()` (any code point -> name, tags, group, subgroup, base emoji)
 * and `emojiCategory()`, the plain word for a subgroup ("animal", "vehicle", ...) that corpus captions and the
 * Twemoji task's class names both use.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageDir } from './package-dir.js';
import { cropToInk, decodeRgba, fitSquare, type RgbaImage } from './raster.js';

export const NOTO_LICENCE = 'Apache-2.0 (Noto Emoji images, via emoji-datasource-google; the package itself is MIT)';
export const EMOJIBASE_LICENCE = 'MIT (emojibase-data; annotations from Unicode CLDR, Unicode licence)';

/** Code point key used to match emoji across packages: lowercase hex joined by '-', without U+FE0F. */
export function emojiKey(hexcode: string): string {
  return hexcode
    .toLowerCase()
    .split(/[-_\s]+/)
    .filter((p) => p !== '' && p !== 'fe0f')
    .join('-');
}

export interface EmojibaseEntry {
  key: string;
  hexcode: string;
  /** CLDR short name, e.g. "dog face" (curly apostrophes straightened). */
  label: string;
  tags: string[];
  /** Group key, e.g. "animals-nature"; '' when emojibase gives none (regional indicators, components). */
  group: string;
  /** Subgroup key, e.g. "animal-mammal"; '' when none. */
  subgroup: string;
  /** For a skin-tone variant: the key of its base emoji; else null. */
  baseKey: string | null;
  /** Skin tone 1..5 (or several for multi-person emoji) for a variant; else null. */
  tone: number | number[] | null;
}

interface RawEmojibase {
  label: string;
  hexcode: string;
  tags?: string[];
  group?: number;
  subgroup?: number;
  tone?: number | number[];
  skins?: RawEmojibase[];
}

interface RawMessages {
  groups: { key: string; message: string; order: number }[];
  subgroups: { key: string; message: string; order: number }[];
}

let indexCache: Map<string, EmojibaseEntry> | null = null;

/** Straightens typographic quotes so names tokenize like plain text. */
export function plainText(s: string): string {
  return s.replace(/[\u2018\u2019\u02bc]/g, "'").replace(/[\u201c\u201d]/g, '"').replace(/\s+/g, ' ').trim();
}

function readJson<T>(file: string, pkg: string): T {
  if (!existsSync(file)) throw new Error(`${pkg}: ${file} is missing; reinstall it with: npm install ${pkg}`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new Error(`${pkg}: ${file} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Every emoji emojibase knows (skin-tone variants included), by `emojiKey`. */
export function emojibaseIndex(): Map<string, EmojibaseEntry> {
  if (indexCache) return indexCache;
  const dir = join(packageDir('emojibase-data', 'emojibase-data'), 'en');
  const data = readJson<RawEmojibase[]>(join(dir, 'data.json'), 'emojibase-data');
  const messages = readJson<RawMessages>(join(dir, 'messages.json'), 'emojibase-data');
  if (!Array.isArray(data) || !Array.isArray(messages.groups) || !Array.isArray(messages.subgroups)) {
    throw new Error(`emojibase-data: ${dir}/data.json or messages.json does not have the expected shape`);
  }
  const groupKey = new Map(messages.groups.map((g) => [g.order, g.key]));
  const subgroupKey = new Map(messages.subgroups.map((g) => [g.order, g.key]));
  const index = new Map<string, EmojibaseEntry>();
  const add = (e: RawEmojibase, base: RawEmojibase | null) => {
    const key = emojiKey(e.hexcode);
    const src = base ?? e;
    index.set(key, {
      key,
      hexcode: e.hexcode,
      label: plainText(e.label),
      tags: (src.tags ?? []).map(plainText),
      group: groupKey.get((e.group ?? src.group) as number) ?? '',
      subgroup: subgroupKey.get((e.subgroup ?? src.subgroup) as number) ?? '',
      baseKey: base ? emojiKey(base.hexcode) : null,
      tone: e.tone ?? null,
    });
  };
  for (const e of data) {
    if (typeof e.hexcode !== 'string' || typeof e.label !== 'string') continue;
    add(e, null);
    for (const s of e.skins ?? []) add(s, e);
  }
  indexCache = index;
  return index;
}

/**
 * Plain category words for emoji subgroups, used in captions ("an emoji of an animal") and as the Twemoji task's
 * class names. Subgroups without a natural word map to null.
 */
const CATEGORY_BY_SUBGROUP: Record<string, string> = {
  'face-smiling': 'face',
  'face-affection': 'face',
  'face-tongue': 'face',
  'face-hand': 'face',
  'face-neutral-skeptical': 'face',
  'face-sleepy': 'face',
  'face-unwell': 'face',
  'face-hat': 'face',
  'face-glasses': 'face',
  'face-concerned': 'face',
  'face-negative': 'face',
  'face-costume': 'face',
  'cat-face': 'face',
  'monkey-face': 'face',
  heart: 'heart',
  'hand-fingers-open': 'hand',
  'hand-fingers-partial': 'hand',
  'hand-single-finger': 'hand',
  'hand-fingers-closed': 'hand',
  hands: 'hand',
  'hand-prop': 'hand',
  'body-parts': 'body part',
  person: 'person',
  'person-gesture': 'person',
  'person-role': 'person',
  'person-fantasy': 'person',
  'person-activity': 'person',
  'person-sport': 'person',
  'person-resting': 'person',
  family: 'person',
  'animal-mammal': 'animal',
  'animal-bird': 'animal',
  'animal-amphibian': 'animal',
  'animal-reptile': 'animal',
  'animal-marine': 'animal',
  'animal-bug': 'animal',
  'plant-flower': 'plant',
  'plant-other': 'plant',
  'food-fruit': 'food',
  'food-vegetable': 'food',
  'food-prepared': 'food',
  'food-asian': 'food',
  'food-marine': 'food',
  'food-sweet': 'food',
  drink: 'drink',
  dishware: 'dishware',
  'place-map': 'map',
  'place-geographic': 'landscape',
  'place-building': 'building',
  'place-religious': 'building',
  'transport-ground': 'vehicle',
  'transport-water': 'vehicle',
  'transport-air': 'vehicle',
  time: 'clock',
  'sky-weather': 'weather',
  'award-medal': 'medal',
  sport: 'sport',
  game: 'game',
  clothing: 'clothing',
  'musical-instrument': 'musical instrument',
  computer: 'computer',
  'book-paper': 'book',
  money: 'money',
  mail: 'mail',
  writing: 'writing tool',
  tool: 'tool',
  medical: 'medical item',
  household: 'household item',
  'transport-sign': 'sign',
  warning: 'sign',
  arrow: 'arrow',
  zodiac: 'symbol',
  religion: 'symbol',
  'av-symbol': 'symbol',
  gender: 'symbol',
  math: 'symbol',
  punctuation: 'symbol',
  currency: 'symbol',
  'other-symbol': 'symbol',
  keycap: 'symbol',
  alphanum: 'symbol',
  geometric: 'shape',
  flag: 'flag',
  'country-flag': 'flag',
  'subdivision-flag': 'flag',
};

/** The plain category word of an emoji subgroup ("animal", "vehicle", ...), or null. */
export function emojiCategory(subgroup: string): string | null {
  return CATEGORY_BY_SUBGROUP[subgroup] ?? null;
}

export interface NotoEmoji {
  /** "noto:<key>". */
  id: string;
  key: string;
  name: string;
  tags: string[];
  group: string;
  subgroup: string;
  /** The 64x64 PNG. */
  file: string;
}

interface RawDatasource {
  name?: string;
  unified: string;
  image: string;
  short_names?: string[];
  category?: string;
  subcategory?: string;
  has_img_google?: boolean;
}

/** Every Noto emoji with an image (skin-tone variants left out), in emoji-datasource order. */
export function listNotoEmoji(): NotoEmoji[] {
  const dir = packageDir('emoji-datasource-google', 'Noto emoji');
  const list = readJson<RawDatasource[]>(join(dir, 'emoji.json'), 'emoji-datasource-google');
  const imgDir = join(dir, 'img', 'google', '64');
  if (!existsSync(imgDir)) {
    throw new Error(`Noto emoji: ${imgDir} is missing: emoji-datasource-google is incomplete; reinstall it with: npm install emoji-datasource-google`);
  }
  const index = emojibaseIndex();
  const out: NotoEmoji[] = [];
  for (const e of list) {
    if (!e.has_img_google || typeof e.image !== 'string') continue;
    const key = emojiKey(e.unified);
    const eb = index.get(key);
    const shortNames = (e.short_names ?? []).map((s) => s.replace(/_/g, ' '));
    const name = eb?.label ?? plainText((e.name ?? shortNames[0] ?? key).toLowerCase());
    const tags = [...new Set([...(eb?.tags ?? []), ...shortNames].map((t) => t.toLowerCase()))].filter((t) => t !== name);
    out.push({
      id: `noto:${key}`,
      key,
      name,
      tags,
      group: eb?.group ?? slug(e.category ?? ''),
      subgroup: eb?.subgroup ?? e.subcategory ?? '',
      file: join(imgDir, e.image),
    });
  }
  if (!out.length) throw new Error(`Noto emoji: no emoji with images listed in ${join(dir, 'emoji.json')}`);
  return out;
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z]+/g, '-').replace(/^-|-$/g, '');
}

/** The emoji's image as RGBA, cropped to its ink and fitted into a box x box square. */
export async function loadNotoEmoji(item: NotoEmoji, box = 64, margin = 0.04): Promise<RgbaImage> {
  if (!existsSync(item.file)) {
    throw new Error(`Noto emoji ${item.name}: ${item.file} is missing; reinstall it with: npm install emoji-datasource-google`);
  }
  return fitSquare(cropToInk(await decodeRgba(item.file)), box, margin);
}
