/**
 * OpenAI CLIP's byte-level BPE tokenizer (clip/simple_tokenizer.py), loaded from OpenAI's bpe_simple_vocab_16e6.txt
 * (the shipped default, or any such file, gzipped or not) or from a Hugging Face folder's vocab.json + merges.txt.
 *
 * Cleaning follows OpenAI except for ftfy, which has no JavaScript port: html.unescape twice, strip, collapse
 * whitespace runs to one space (Python's definition of whitespace), strip, lower case. Then the same
 * pre-tokenisation regex, UTF-8 bytes mapped to printable characters, BPE merges (cached per word), vocabulary ids.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { assetPath } from '../assets.js';
import { writeFileAtomic, writeJsonAtomic } from '../engine/io/atomic.js';
import { htmlUnescape } from './html-unescape.js';

/** Python's str.isspace() characters (what `\s` and strip() mean in OpenAI's code). */
const PY_WS = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WS_RUN = new RegExp(`[${PY_WS}]+`, 'g');
const WS_EDGES = new RegExp(`^[${PY_WS}]+|[${PY_WS}]+$`, 'g');
const PATTERN = new RegExp(
  `<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^${PY_WS}\\p{L}\\p{N}]+`,
  'giu',
);
const SOT = '<|startoftext|>';
const EOT = '<|endoftext|>';
/** OpenAI (and Hugging Face's CLIPTokenizer) use the first 49152 - 256 - 2 merges. */
const CLIP_MERGES = 49152 - 256 - 2;
const CACHE_LIMIT = 100_000;

/** OpenAI's bytes_to_unicode: byte -> printable character; printable bytes first, in this order. */
function bytesToUnicode(): { bytes: number[]; chars: string[] } {
  const bytes: number[] = [];
  const push = (a: number, b: number) => {
    for (let i = a; i <= b; i++) bytes.push(i);
  };
  push(0x21, 0x7e);
  push(0xa1, 0xac);
  push(0xae, 0xff);
  const cps = bytes.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bytes.includes(b)) {
      bytes.push(b);
      cps.push(256 + n++);
    }
  }
  return { bytes, chars: cps.map((c) => String.fromCharCode(c)) };
}

/** The text cleaning CLIP applies before tokenising (without ftfy). */
export function cleanText(text: string): string {
  const t = htmlUnescape(htmlUnescape(text)).replace(WS_EDGES, '');
  return t.replace(WS_RUN, ' ').replace(WS_EDGES, '').toLowerCase();
}

/** The unknown-token marker of pruned vocabularies (OpenAI's vocabulary has none: every byte sequence encodes). */
export const UNK = '<|unk|>';

export class ClipTokenizer {
  readonly sotId: number;
  readonly eotId: number;
  /** Id that BPE tokens missing from a pruned vocabulary map to (null for a complete vocabulary). */
  readonly unkId: number | null;
  readonly vocabSize: number;
  private readonly encoder: Map<string, number>;
  private readonly decoder: string[] = [];
  private readonly ranks = new Map<string, number>();
  private readonly merges: readonly (readonly [string, string])[];
  private readonly byteEncoder: string[] = new Array<string>(256);
  private readonly byteDecoder = new Map<string, number>();
  private readonly cache = new Map<string, number[]>();
  private readonly utf8 = new TextEncoder();

  /**
   * @param encoder token -> id (must hold every byte character, every merge result and both special tokens)
   * @param merges BPE merges in rank order
   * @param source named in errors
   */
  constructor(encoder: Map<string, number>, merges: readonly (readonly [string, string])[], readonly source: string) {
    this.encoder = encoder;
    this.merges = merges;
    for (const [tok, id] of encoder) this.decoder[id] = tok;
    const { bytes, chars } = bytesToUnicode();
    bytes.forEach((b, i) => {
      this.byteEncoder[b] = chars[i]!;
      this.byteDecoder.set(chars[i]!, b);
    });
    // A vocabulary with <|unk|> may be pruned (tokens missing from it encode as <|unk|>); any other must be complete.
    this.unkId = encoder.get(UNK) ?? null;
    if (this.unkId === null) {
      for (const c of chars) {
        if (!encoder.has(c) || !encoder.has(c + '</w>')) throw new Error(`${source}: vocabulary lacks the byte token ${JSON.stringify(c)}`);
      }
    }
    merges.forEach(([a, b], i) => {
      if (this.unkId === null && !encoder.has(a + b)) throw new Error(`${source}: merge ${i + 1} "${a} ${b}" makes a token missing from the vocabulary`);
      this.ranks.set(a + ' ' + b, i);
    });
    const sot = encoder.get(SOT);
    const eot = encoder.get(EOT);
    if (sot === undefined || eot === undefined) throw new Error(`${source}: vocabulary lacks ${SOT} or ${EOT}`);
    this.sotId = sot;
    this.eotId = eot;
    this.vocabSize = this.decoder.length;
  }

  /** OpenAI's vocabulary file (bpe_simple_vocab_16e6.txt, .gz or not); the shipped copy by default. */
  static fromBpeVocab(path = assetPath('tokenizer', 'bpe_simple_vocab_16e6.txt.gz')): ClipTokenizer {
    const text = readText(path);
    const lines = firstLines(text, CLIP_MERGES + 1).slice(1);
    if (lines.length < CLIP_MERGES) throw new Error(`${path}: expected at least ${CLIP_MERGES} merges after the version line, found ${lines.length}`);
    const merges = lines.map((l, i) => parseMerge(l, path, i + 2));
    const { chars } = bytesToUnicode();
    const vocab = [...chars, ...chars.map((c) => c + '</w>'), ...merges.map(([a, b]) => a + b), SOT, EOT];
    return new ClipTokenizer(new Map(vocab.map((t, i) => [t, i])), merges, path);
  }

  /** A Hugging Face tokenizer folder: vocab.json + merges.txt (the first 48,894 merges, as CLIPTokenizer reads). */
  static fromHfFolder(dir: string): ClipTokenizer {
    const vocabPath = join(dir, 'vocab.json');
    const mergesPath = join(dir, 'merges.txt');
    for (const p of [vocabPath, mergesPath]) if (!existsSync(p)) throw new Error(`${dir}: missing ${p}`);
    let obj: unknown;
    try {
      obj = JSON.parse(readFileSync(vocabPath, 'utf8'));
    } catch (e) {
      throw new Error(`${vocabPath}: not valid JSON: ${(e as Error).message}`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new Error(`${vocabPath}: expected an object token -> id`);
    const encoder = new Map<string, number>();
    const seen = new Set<number>();
    for (const [tok, id] of Object.entries(obj)) {
      if (!Number.isInteger(id) || id < 0 || seen.has(id)) throw new Error(`${vocabPath}: token ${JSON.stringify(tok)} has a bad or repeated id ${id}`);
      seen.add(id);
      encoder.set(tok, id);
    }
    let lines = readFileSync(mergesPath, 'utf8').replace(/\r\n/g, '\n').trim().split('\n');
    if (lines[0]?.startsWith('#version')) lines = lines.slice(1);
    const merges = lines.slice(0, CLIP_MERGES).map((l, i) => parseMerge(l, mergesPath, i + 2));
    return new ClipTokenizer(encoder, merges, dir);
  }

  /** A folder with vocab.json + merges.txt, an OpenAI vocabulary file, or (no argument) the shipped vocabulary. */
  static load(pathOrDir?: string): ClipTokenizer {
    if (pathOrDir === undefined) return ClipTokenizer.default();
    if (!existsSync(pathOrDir)) throw new Error(`tokenizer not found: ${pathOrDir}`);
    return statSync(pathOrDir).isDirectory() ? ClipTokenizer.fromHfFolder(pathOrDir) : ClipTokenizer.fromBpeVocab(pathOrDir);
  }

  private static shared: ClipTokenizer | null = null;

  /** The shipped OpenAI vocabulary, loaded once. */
  static default(): ClipTokenizer {
    return (ClipTokenizer.shared ??= ClipTokenizer.fromBpeVocab());
  }

  /** Writes vocab.json, merges.txt and tokenizer_config.json, as a Hugging Face CLIPTokenizer folder holds them. */
  saveHfFiles(dir: string): void {
    const vocab = Object.fromEntries([...this.encoder].sort((a, b) => a[1] - b[1]));
    writeJsonAtomic(join(dir, 'vocab.json'), vocab);
    writeFileAtomic(join(dir, 'merges.txt'), '#version: 0.2\n' + this.merges.map(([a, b]) => `${a} ${b}\n`).join(''));
    writeJsonAtomic(join(dir, 'tokenizer_config.json'), {
      tokenizer_class: 'CLIPTokenizer',
      model_max_length: 77,
      bos_token: SOT,
      eos_token: EOT,
      unk_token: this.unkId === null ? EOT : UNK,
      pad_token: EOT,
      errors: 'replace',
    });
  }

  /**
   * A tokenizer over a subset of this vocabulary (a small model's embedding table). The kept tokens are closed under
   * the BPE merges that build them (every intermediate token of a kept token is kept too) and only the merges whose
   * two parts and result are all kept remain, so a kept token is still produced exactly as before, and the folder
   * loads in Hugging Face's BPE, which requires every merge to be in the vocabulary. Ids: the kept tokens renumbered
   * 0..K-1 in their original order, then <|unk|>, <|startoftext|>, <|endoftext|> (the end token keeps the largest id,
   * so argmax pooling still finds it). Anything else encodes as <|unk|>. `idMap` gives the new id of each kept id.
   */
  pruned(keep: Iterable<number>): { tokenizer: ClipTokenizer; idMap: Map<number, number> } {
    const madeBy = new Map<string, readonly [string, string]>();
    for (const m of this.merges) if (!madeBy.has(m[0] + m[1])) madeBy.set(m[0] + m[1], m);
    const keepTokens = new Set<string>();
    const close = (tok: string): void => {
      if (keepTokens.has(tok)) return;
      keepTokens.add(tok);
      const m = madeBy.get(tok);
      if (m) {
        close(m[0]);
        close(m[1]);
      }
    };
    for (const id of keep) {
      if (id === this.sotId || id === this.eotId || id === this.unkId) continue;
      const tok = this.decoder[id];
      if (tok === undefined) throw new Error(`pruned: id ${id} is not in the vocabulary`);
      close(tok);
    }
    const ids = [...keepTokens].map((t) => this.encoder.get(t)!).filter((id) => id !== undefined).sort((a, b) => a - b);
    const encoder = new Map<string, number>();
    const idMap = new Map<number, number>();
    ids.forEach((id, k) => {
      encoder.set(this.decoder[id]!, k);
      idMap.set(id, k);
    });
    encoder.set(UNK, ids.length);
    encoder.set(SOT, ids.length + 1);
    encoder.set(EOT, ids.length + 2);
    idMap.set(this.sotId, ids.length + 1);
    idMap.set(this.eotId, ids.length + 2);
    const merges = this.merges.filter(([a, b]) => encoder.has(a) && encoder.has(b) && encoder.has(a + b));
    return { tokenizer: new ClipTokenizer(encoder, merges, `${this.source} (pruned to ${encoder.size} tokens)`), idMap };
  }

  /** Token ids of a text, without start/end tokens. */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const m of cleanText(text).matchAll(PATTERN)) {
      for (const id of this.encodeWord(m[0])) out.push(id);
    }
    return out;
  }

  /**
   * Rows of [SOT, ...ids, EOT, 0, ...] of length contextLength, one per text (n x contextLength, row-major). A text
   * too long is cut so that its row ends with EOT, as open_clip does.
   */
  tokenize(texts: string | readonly string[], contextLength = 77): Int32Array {
    if (!Number.isInteger(contextLength) || contextLength < 2) throw new Error(`tokenize: contextLength must be an integer >= 2, got ${contextLength}`);
    const list = typeof texts === 'string' ? [texts] : texts;
    const out = new Int32Array(list.length * contextLength);
    list.forEach((text, r) => {
      const ids = this.encode(text);
      const row = r * contextLength;
      out[row] = this.sotId;
      const n = Math.min(ids.length, contextLength - 2);
      for (let i = 0; i < n; i++) out[row + 1 + i] = ids[i]!;
      out[row + 1 + n] = this.eotId;
    });
    return out;
  }

  /** Text of token ids: OpenAI's decode (end-of-word markers become spaces; invalid UTF-8 becomes U+FFFD). */
  decode(ids: Iterable<number>): string {
    let s = '';
    for (const id of ids) {
      const tok = this.decoder[id];
      if (tok === undefined) throw new Error(`decode: id ${id} is not in the vocabulary (${this.vocabSize} tokens)`);
      s += tok;
    }
    const bytes: number[] = [];
    for (const ch of s) {
      const b = this.byteDecoder.get(ch);
      if (b === undefined) throw new Error(`decode: character ${JSON.stringify(ch)} is not a byte token`);
      bytes.push(b);
    }
    return new TextDecoder('utf-8').decode(Uint8Array.from(bytes)).replaceAll('</w>', ' ');
  }

  private encodeWord(word: string): number[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    let ids: number[];
    if (word === SOT) ids = [this.sotId];
    else if (word === EOT) ids = [this.eotId];
    else {
      let chars = '';
      for (const b of this.utf8.encode(word)) chars += this.byteEncoder[b];
      ids = this.bpe(chars).map((t) => {
        const id = this.encoder.get(t) ?? this.unkId;
        if (id === null || id === undefined) throw new Error(`${this.source}: BPE produced ${JSON.stringify(t)}, which is not in the vocabulary`);
        return id;
      });
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, ids);
    return ids;
  }

  /** OpenAI's bpe(): repeatedly merge the lowest-ranked adjacent pair, every occurrence at once. */
  private bpe(token: string): string[] {
    let word = [...token];
    word[word.length - 1] += '</w>';
    while (word.length > 1) {
      let best = Infinity;
      let first = '';
      let second = '';
      for (let i = 0; i < word.length - 1; i++) {
        const r = this.ranks.get(word[i]! + ' ' + word[i + 1]!);
        if (r !== undefined && r < best) {
          best = r;
          first = word[i]!;
          second = word[i + 1]!;
        }
      }
      if (best === Infinity) break;
      const next: string[] = [];
      for (let i = 0; i < word.length; i++) {
        if (word[i] === first && i < word.length - 1 && word[i + 1] === second) {
          next.push(first + second);
          i++;
        } else next.push(word[i]!);
      }
      word = next;
    }
    return word;
  }
}

function readText(path: string): string {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read tokenizer vocabulary ${path}: ${(e as Error).message}`);
  }
  if (buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new Error(`${path}: corrupt gzip data: ${(e as Error).message}`);
    }
  }
  return buf.toString('utf8');
}

/** The first n lines of a text (without splitting all of it). */
function firstLines(text: string, n: number): string[] {
  const lines: string[] = [];
  let pos = 0;
  while (lines.length < n && pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    lines.push(text.slice(pos, end).replace(/\r$/, ''));
    pos = end + 1;
  }
  return lines;
}

function parseMerge(line: string, path: string, lineNo: number): [string, string] {
  const parts = line.split(' ');
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw new Error(`${path}:${lineNo}: expected a merge "a b", got ${JSON.stringify(line)}`);
  return [parts[0], parts[1]];
}
