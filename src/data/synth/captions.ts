/**
 * Caption writing for the corpus: English articles and plurals, readable names for emoji annotations, and the
 * caption templates of drawn objects (emoji and clip art) for each rendering style. Every caption says what the
 * picture shows and how (a photo, a sketch, a silhouette, a blurry image...), in the varied phrasings of CLIP's
 * prompt templates, so that the downstream prompts ("a doodle of a {c}", "a black and white photo of a {c}") meet
 * familiar words.
 */
import type { Rng } from '../../engine/rng.js';

/** Words ending in s that are singular. */
const SINGULAR_S = new Set([
  'bus', 'cactus', 'octopus', 'dress', 'glass', 'grass', 'chess', 'lotus', 'compass', 'circus', 'walrus', 'virus',
  'iris', 'gas', 'atlas', 'canvas', 'hibiscus', 'asparagus', 'abacus', 'platypus', 'hippopotamus', 'bonus', 'cross',
  'kiss', 'mass', 'moss', 'boss', 'harness', 'princess', 'goddess', 'waitress', 'actress', 'lens', 'yes', 'plus',
  'minus', 'status', 'us', 'gps', 'sos', 'dns', 'os', 'mrs', 'ms', 'this', 'is', 'his', 'has', 'was', 'chorus',
  'census', 'papyrus', 'pancreas', 'news', 'mathematics', 'physics', 'aries', 'pisces', 'ophiuchus', 'taurus',
  'genius', 'tennis', 'bonsais', 'carcass', 'fitness', 'address', 'process', 'express', 'progress', 'dinosaurus',
]);

/** Whether a name reads as plural ("jeans", "red chopsticks"). */
export function isPlural(name: string): boolean {
  const last = name.trim().toLowerCase().split(/\s+/).pop() ?? '';
  if (!/^[a-z']+s$/.test(last) || last.length < 3) return false;
  if (SINGULAR_S.has(last) || /(ss|us|is|ous|ics)$/.test(last)) return false;
  return true;
}

/** "a" or "an" for a word. */
export function indefinite(word: string): 'a' | 'an' {
  const w = word.trim().toLowerCase();
  if (/^(8|11|18)(\b|\D)/.test(w)) return 'an';
  if (/^[0-9]/.test(w)) return 'a';
  if (/^(uni|use|usu|uti|ura|euro|eu|one|once|ufo|u-|ukulele|ewe)/.test(w)) return 'a';
  if (/^(hour|honest|honou?r|heir)/.test(w)) return 'an';
  if (/^[aeiou]/.test(w)) return 'an';
  if (/^[fhlmnrsx]$/.test(w) || /^[fhlmnrsx]\b/.test(w)) return 'an'; // letters read aloud: "an x"
  return 'a';
}

/** The name with an article: "a dog", "an apple", "jeans", "the flag of Japan". */
export function withArticle(name: string): string {
  const n = name.trim();
  if (/^(a|an|the|some|two|three|four|five)\s/i.test(n)) return n;
  if (/^flag of /i.test(n)) return `the ${n}`;
  if (isPlural(n)) return n;
  return `${indefinite(n)} ${n}`;
}

/** Emoji annotations made readable: "flag: Japan" -> "flag of Japan", "keycap: 1" -> "keycap 1". */
export function readableName(name: string): string {
  let n = name.replace(/\s+/g, ' ').trim();
  const flag = /^flag:\s*(.+)$/i.exec(n);
  if (flag) return `flag of ${flag[1]}`;
  n = n.replace(/:\s*/g, ' ');
  return n.trim();
}

export type ObjectStyle =
  | 'clean'
  | 'color'
  | 'gray'
  | 'on-black'
  | 'inverted'
  | 'lowres'
  | 'sketch'
  | 'sketch-inverted'
  | 'silhouette'
  | 'line-art';

export type ObjectKind = 'emoji' | 'clip art';

/** What a drawn object shows. */
export interface Concept {
  /** Readable names, the first the main one. */
  names: string[];
  tags: string[];
  /** Plain category word ("animal"), or null. */
  category: string | null;
  kind: ObjectKind;
}

const COLOR_MEDIA: Record<ObjectKind, string[]> = {
  emoji: ['a photo of', 'an emoji of', 'an icon of', 'a picture of', 'a cartoon of', 'an illustration of', 'art of', 'a rendition of', 'a drawing of'],
  'clip art': ['clip art of', 'a drawing of', 'an illustration of', 'a picture of', 'a cartoon of', 'a photo of', 'art of', 'a rendition of'],
};

const STYLE_MEDIA: Record<Exclude<ObjectStyle, 'clean' | 'color'>, string[]> = {
  gray: ['a black and white photo of', 'a black and white picture of', 'a grayscale image of', 'a black and white drawing of', 'a photo of'],
  'on-black': ['a photo of', 'a black and white photo of', 'a product photo of', 'a grayscale photo of', 'a dark photo of'],
  inverted: ['an inverted image of', 'a negative photo of', 'a black and white photo of', 'an inverted drawing of'],
  lowres: ['a blurry photo of', 'a low resolution photo of', 'a pixelated photo of', 'a blurry picture of', 'a low resolution image of', 'a photo of'],
  sketch: ['a sketch of', 'a drawing of', 'a doodle of', 'a line drawing of', 'an outline drawing of', 'a black and white drawing of', 'a simple drawing of'],
  'sketch-inverted': ['a white line drawing of', 'a chalk drawing of', 'a drawing of', 'a sketch of', 'an inverted sketch of'],
  silhouette: ['a silhouette of', 'a black and white silhouette of', 'the shape of', 'a stencil of'],
  'line-art': ['a line drawing of', 'a black and white icon of', 'an outline of', 'a drawing of', 'a sketch of', 'a doodle of'],
};

/** Extra phrasings particular to a style, with {n} for the name with its article. */
const STYLE_EXTRAS: Partial<Record<ObjectStyle, string[]>> = {
  'on-black': ['{n} on a black background.', 'a black and white photo of {n} on a dark background.'],
  inverted: ['{n} in inverted colours.', 'a negative image of {n}.'],
  lowres: ['a small blurry image of {n}.', 'a low resolution picture of {n}.'],
  sketch: ['a doodle of {n}.', 'a simple sketch of {n}.', 'a pencil sketch of {n}.'],
  'sketch-inverted': ['a drawing of {n} in white lines on black.'],
  silhouette: ['the outline of {n} filled in.', 'a silhouette of {n}.'],
  'line-art': ['a doodle of {n}.', 'a black outline drawing of {n}.'],
};

function pick<T>(rng: Rng, a: readonly T[]): T {
  return a[rng.int(a.length)]!;
}

/** The media phrases ("a sketch of") that fit a style. */
export function mediaFor(style: ObjectStyle, kind: ObjectKind): string[] {
  return style === 'clean' || style === 'color' ? COLOR_MEDIA[kind] : STYLE_MEDIA[style];
}

/**
 * `count` different captions for one image of a concept in a style. The first always has the form
 * "<medium> of <a name>." with the main name; the others are drawn from the template pool.
 */
export function objectCaptions(c: Concept, style: ObjectStyle, rng: Rng, count: number): string[] {
  if (!c.names.length) throw new Error('objectCaptions: a concept needs at least one name');
  const media = mediaFor(style, c.kind);
  const main = c.names[0]!;
  const name = () => (c.names.length > 1 && rng.uniform() < 0.3 ? pick(rng, c.names.slice(1)) : main);
  const out: string[] = [`${pick(rng, media)} ${withArticle(main)}.`];
  const pool: (() => string)[] = [
    () => `${pick(rng, media)} ${withArticle(name())}.`,
    () => `${pick(rng, media)} the ${name()}.`,
    () => `${withArticle(name())}.`,
    () => name(),
    () => `${withArticle(name())} ${c.kind === 'emoji' ? pick(rng, ['emoji', 'icon']) : pick(rng, ['clip art', 'drawing'])}.`,
  ];
  if (c.category) {
    const cat = c.category;
    pool.push(
      () => `${pick(rng, media)} ${withArticle(name())}, a type of ${cat}.`,
      () => `${pick(rng, media)} ${withArticle(cat)}.`,
      () => `${withArticle(cat)}: ${name()}.`,
    );
  }
  if (c.tags.length) {
    pool.push(() => {
      const tags = rng.shuffle([...c.tags]).slice(0, 1 + rng.int(Math.min(4, c.tags.length)));
      return rng.uniform() < 0.5 ? `${name()}: ${tags.join(', ')}` : `${pick(rng, media)} ${withArticle(name())} (${tags.join(', ')}).`;
    });
  }
  for (const t of STYLE_EXTRAS[style] ?? []) pool.push(() => t.replace('{n}', withArticle(name())));
  return fillCaptions(out, pool, rng, count);
}

/** Adds captions from the pool (in random order, retrying a few times on duplicates) until there are `count`. */
export function fillCaptions(first: string[], pool: readonly (() => string)[], rng: Rng, count: number): string[] {
  const out = first.map(tidy);
  const seen = new Set(out);
  for (let tries = 0; out.length < count && tries < count * 8; tries++) {
    const c = tidy(pool[rng.int(pool.length)]!());
    if (!seen.has(c)) {
      seen.add(c);
      out.push(c);
    }
  }
  return out.slice(0, Math.max(1, count));
}

/** Single spaces, no space before punctuation, no doubled full stops. */
export function tidy(s: string): string {
  return s.replace(/\s+/g, ' ').replace(/\s+([,.:;!?)])/g, '$1').replace(/\.\.+$/, '.').trim();
}
