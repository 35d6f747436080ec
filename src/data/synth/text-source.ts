/**
 * Corpus sources of rendered text: digits ("the digit 7", "the number seven", 'the number: "7 - seven"'), two-digit
 * numbers, letters and words, in the system fonts, in printed colours, MNIST-like white strokes on black, dark ink
 * on paper, or blurry low resolution. Words are the one-word emoji names and the category words, so reading
 * and seeing meet.
 */
import { emojiCategory, listNotoEmoji } from '../offline/emoji.js';
import { fillCaptions, indefinite } from './captions.js';
import { describeFace, textFonts, type FontFace } from './fonts.js';
import { entryRng, selectItems, type CorpusSource, type SourceContext } from './source.js';
import { pickTextStyle, renderText, type RenderedText, type TextStyle } from './text-render.js';
import type { Rng } from '../../engine/rng.js';

export const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const TEENS = ['ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

/** English words for 0..99. */
export function numberWords(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 99) throw new Error(`numberWords: ${n} is outside 0..99`);
  if (n < 10) return DIGIT_WORDS[n]!;
  if (n < 20) return TEENS[n - 10]!;
  return TENS[Math.floor(n / 10)]! + (n % 10 ? `-${DIGIT_WORDS[n % 10]}` : '');
}

function pick<T>(rng: Rng, a: readonly T[]): T {
  return a[rng.int(a.length)]!;
}

/** Phrases about the look of a rendered text, with {t} for the text's description ("the number 7"). */
function styleCaptions(r: RenderedText, t: string, bare: string): string[] {
  switch (r.style) {
    case 'mnist':
      return [`a white ${bare} on a black background.`, `a black and white photo of ${t}.`, `${t} in white on black.`, `a blurry black and white photo of ${t}.`];
    case 'ink':
      return [`${t} written in black.`, `a black and white photo of ${t}.`, `a black ${bare} on a white background.`, `a grayscale photo of ${t}.`];
    case 'print':
      return [`a ${r.fg!.name} ${bare} on a ${r.bg!.name} background.`, `${t} in ${r.fg!.name}.`, `${t} printed in ${r.fg!.name} on ${r.bg!.name}.`];
    case 'lowres':
      return [`a blurry photo of ${t}.`, `a low resolution photo of ${t}.`, `a blurry ${r.fg!.name} ${bare}.`, `a pixelated image of ${t}.`];
  }
}

function fontCaption(face: FontFace, t: string): string[] {
  const d = describeFace(face);
  return d ? [`${t} in ${d}.`] : [];
}

interface TextItem {
  id: string;
  text: string;
  short: boolean;
  /** First caption and the pool of other captions, given the rendering. */
  captions(r: RenderedText, face: FontFace, rng: Rng): { first: string; pool: string[] };
}

function digitItem(d: number, k: number): TextItem {
  const w = DIGIT_WORDS[d]!;
  return {
    id: `digit:${d}:${k}`,
    text: String(d),
    short: true,
    captions(r, face, rng) {
      const first = pick(rng, [`the digit ${d}.`, `the number ${d}.`, `the number: "${d}".`, `the number ${w}.`]);
      const t = pick(rng, [`the number ${d}`, `the digit ${d}`, `the number ${w}`, `the number: "${d}"`]);
      return {
        first,
        pool: [
          `the digit ${d}.`, `the number ${d}.`, `the number ${w}.`, `${d}`, w, `the number: "${d}".`, `${d} - ${w}`,
          `the number: "${d} - ${w}".`, `a photo of the number: "${d}".`, `a photo of the number ${w}.`, `the digit ${w}.`,
          `a picture of the number ${d}.`, `a photo of the number: "${d} - ${w}".`, `${indefinite(String(d))} ${d}.`,
          ...styleCaptions(r, t, String(d)), ...fontCaption(face, t),
        ],
      };
    },
  };
}

function numberItem(n: number, k: number): TextItem {
  const w = numberWords(n);
  return {
    id: `number:${n}:${k}`,
    text: String(n),
    short: true,
    captions(r, face, rng) {
      const t = pick(rng, [`the number ${n}`, `the number ${w}`]);
      return {
        first: `the number ${n}.`,
        pool: [`${n}`, w, `the number ${w}.`, `the number: "${n}".`, `a photo of the number ${n}.`, `${n} - ${w}`, ...styleCaptions(r, t, String(n)), ...fontCaption(face, t)],
      };
    },
  };
}

function letterItem(ch: string, k: number): TextItem {
  const upper = ch === ch.toUpperCase();
  const kind = upper ? 'capital' : 'lowercase';
  return {
    id: `letter:${ch}:${k}`,
    text: ch,
    short: true,
    captions(r, face, rng) {
      const t = pick(rng, [`the letter ${ch}`, `the ${kind} letter ${ch}`]);
      return {
        first: `the letter ${ch}.`,
        pool: [`the ${kind} letter ${ch}.`, `${upper ? 'an uppercase' : 'a lowercase'} ${ch}.`, `"${ch}"`, ch, `the letter "${ch}".`, ...styleCaptions(r, t, ch), ...fontCaption(face, t)],
      };
    },
  };
}

function wordItem(word: string, k: number, rngCase: number): TextItem {
  const shown = rngCase < 0.6 ? word : rngCase < 0.8 ? word[0]!.toUpperCase() + word.slice(1) : word.toUpperCase();
  return {
    id: `word:${word}:${k}`,
    text: shown,
    short: false,
    captions(r, face, rng) {
      const t = pick(rng, [`the word ${word}`, `the word "${word}"`, `text that says ${word}`]);
      return {
        first: `the word ${word}.`,
        pool: [`text that says ${word}.`, `the word "${word}".`, `"${word}"`, word, `a sign that says ${word}.`, `the text "${word}".`, `a picture of the word ${word}.`, ...styleCaptions(r, t, `word ${word}`), ...fontCaption(face, t)],
      };
    },
  };
}

/** One-word emoji names and the category words (sorted, unique). */
export function corpusWords(): string[] {
  const words = new Set<string>();
  for (const e of listNotoEmoji()) {
    if (/^[a-z]{3,12}$/.test(e.name)) words.add(e.name);
    const c = emojiCategory(e.subgroup);
    if (c && /^[a-z ]{3,20}$/.test(c)) words.add(c);
  }
  return [...words].sort();
}

async function runText(source: string, items: readonly TextItem[], ctx: SourceContext, weights?: Record<TextStyle, number>): Promise<void> {
  const fonts = textFonts();
  for (const item of items) {
    const rng = entryRng(ctx, source, item.id, 0);
    const face = fonts[rng.int(fonts.length)]!;
    const style = pickTextStyle(rng, weights);
    const r = renderText(item.text, face, style, rng, ctx.size, ctx.work, item.short);
    const { first, pool } = item.captions(r, face, rng);
    const captions = fillCaptions([first], pool.map((p) => () => p), rng, ctx.captions);
    ctx.emit({ id: `${item.id}#0`, source, item: item.id, style, captions, image: r.image });
  }
}

export interface DigitSourceOptions {
  /** Images per digit (default 600). */
  perDigit?: number;
}

export function digitSource(opts: DigitSourceOptions = {}): CorpusSource {
  const per = opts.perDigit ?? 600;
  return {
    name: 'digits',
    licence: 'generated (fonts: DejaVu (Bitstream Vera licence), Liberation (OFL-1.1), GNU FreeFont (GPL-3.0 with font exception), Noto (OFL-1.1))',
    description: `digits 0-9 rendered in system fonts, ${per} per digit, MNIST-like and printed styles`,
    async run(ctx) {
      const items: TextItem[] = [];
      for (let k = 0; k < per; k++) for (let d = 0; d < 10; d++) items.push(digitItem(d, k));
      await runText('digits', selectItems(items, ctx.maxItems, ctx.seed, 'digits'), ctx, { print: 0.25, mnist: 0.35, ink: 0.25, lowres: 0.15 });
    },
  };
}

export interface TextSourceOptions {
  /** Images per two-digit number 10..99 (default 8). */
  perNumber?: number;
  /** Images per letter a-z, A-Z (default 12). */
  perLetter?: number;
  /** Images per word (default 3). */
  perWord?: number;
}

export function textSource(opts: TextSourceOptions = {}): CorpusSource {
  const perNumber = opts.perNumber ?? 8;
  const perLetter = opts.perLetter ?? 12;
  const perWord = opts.perWord ?? 3;
  return {
    name: 'text',
    licence: 'generated (fonts as for digits; words from emojibase-data names, MIT)',
    description: `numbers 10-99 (${perNumber} each), letters (${perLetter} each) and one-word emoji names (${perWord} each) rendered in system fonts`,
    async run(ctx) {
      const items: TextItem[] = [];
      for (let k = 0; k < perNumber; k++) for (let n = 10; n < 100; n++) items.push(numberItem(n, k));
      const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
      for (let k = 0; k < perLetter; k++) for (const ch of letters) items.push(letterItem(ch, k));
      const words = corpusWords();
      for (let k = 0; k < perWord; k++) {
        for (const w of words) items.push(wordItem(w, k, entryRng(ctx, 'text', `case:${w}:${k}`, 0).uniform()));
      }
      await runText('text', selectItems(items, ctx.maxItems, ctx.seed, 'text'), ctx, { print: 0.45, mnist: 0.1, ink: 0.3, lowres: 0.15 });
    },
  };
}
