/**
 * Python's html.unescape, rule for rule (CPython 3.11 Lib/html/__init__.py): numeric references with or without
 * `;` (the HTML5 replacements for 0x00, 0x0d, 0x80-0x9f, U+FFFD for surrogates and values past U+10FFFF, nothing for
 * the invalid code points), named references from the HTML5 table, and for an unknown name the longest known
 * prefix (so "&copy2024" becomes "©2024"). CLIP's tokenizer cleans text with html.unescape(html.unescape(text)).
 */
import { readFileSync } from 'node:fs';
import { assetPath } from '../assets.js';

const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/gu;

const INVALID_CHARREFS: Record<number, string> = {
  0x00: '\ufffd', 0x0d: '\r', 0x80: '\u20ac', 0x81: '\x81', 0x82: '\u201a', 0x83: '\u0192', 0x84: '\u201e',
  0x85: '\u2026', 0x86: '\u2020', 0x87: '\u2021', 0x88: '\u02c6', 0x89: '\u2030', 0x8a: '\u0160', 0x8b: '\u2039',
  0x8c: '\u0152', 0x8d: '\x8d', 0x8e: '\u017d', 0x8f: '\x8f', 0x90: '\x90', 0x91: '\u2018', 0x92: '\u2019',
  0x93: '\u201c', 0x94: '\u201d', 0x95: '\u2022', 0x96: '\u2013', 0x97: '\u2014', 0x98: '\u02dc', 0x99: '\u2122',
  0x9a: '\u0161', 0x9b: '\u203a', 0x9c: '\u0153', 0x9d: '\x9d', 0x9e: '\u017e', 0x9f: '\u0178',
};

/** Code points a numeric reference turns into nothing. */
function isInvalidCodepoint(n: number): boolean {
  return (
    (n >= 0x1 && n <= 0x8) || n === 0xb || (n >= 0xe && n <= 0x1f) || (n >= 0x7f && n <= 0x9f) ||
    (n >= 0xfdd0 && n <= 0xfdef) || (n & 0xfffe) === 0xfffe
  );
}

let entities: Map<string, string> | null = null;

function entityTable(): Map<string, string> {
  if (entities) return entities;
  const p = assetPath('tokenizer', 'html5-entities.json');
  let obj: Record<string, string>;
  try {
    obj = JSON.parse(readFileSync(p, 'utf8')) as Record<string, string>;
  } catch (e) {
    throw new Error(`cannot read the HTML entity table ${p}: ${(e as Error).message}`);
  }
  return (entities = new Map(Object.entries(obj)));
}

function replaceCharref(s: string): string {
  if (s[0] === '#') {
    const hex = s[1] === 'x' || s[1] === 'X';
    const digits = s.slice(hex ? 2 : 1).replace(/;$/, '');
    const num = parseInt(digits, hex ? 16 : 10);
    if (num in INVALID_CHARREFS) return INVALID_CHARREFS[num]!;
    if ((num >= 0xd800 && num <= 0xdfff) || num > 0x10ffff) return '\ufffd';
    if (isInvalidCodepoint(num)) return '';
    return String.fromCodePoint(num);
  }
  const table = entityTable();
  const whole = table.get(s);
  if (whole !== undefined) return whole;
  for (let x = s.length - 1; x > 1; x--) {
    const hit = table.get(s.slice(0, x));
    if (hit !== undefined) return hit + s.slice(x);
  }
  return '&' + s;
}

/** Python's html.unescape. */
export function htmlUnescape(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(CHARREF, (_m, ref: string) => replaceCharref(ref));
}
