/**
 * The built image-caption corpus on disk, and a fast reader over it.
 *
 *   <dir>/images.u8        N x size x size x 3 bytes, RGB, row-major, in entry order (no header)
 *   <dir>/entries.ndjson   one JSON object per line: {"id","source","item","style","captions":[...]}
 *   <dir>/manifest.json    format, size, count, seed, options, per-source counts and licences, held-out policy,
 *                          fonts, byte counts and sha256 of the two files (written last: a corpus without a
 *                          manifest is incomplete)
 *
 * The reader holds the pixels in one buffer and hands out views: thousands of images per second is a memcpy.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RawImage } from '../dataset.js';

export const CORPUS_FORMAT = 'mulki-caption-corpus';
export const CORPUS_VERSION = 1;
export const CORPUS_FILES = { images: 'images.u8', entries: 'entries.ndjson', manifest: 'manifest.json' } as const;

export interface CorpusEntryMeta {
  id: string;
  source: string;
  item: string;
  style: string;
  captions: string[];
}

export interface CorpusSourceInfo {
  name: string;
  licence: string;
  description: string;
  /** Images emitted. */
  images: number;
  /** Distinct items (emoji, drawings, generated scenes) behind them. */
  items: number;
  /** Items that could not be used, with reasons (at most 50 listed). */
  skipped: { item: string; reason: string }[];
  skippedCount: number;
  seconds: number;
}

export interface CorpusManifest {
  format: typeof CORPUS_FORMAT;
  version: number;
  size: number;
  channels: 3;
  count: number;
  seed: string;
  captionsPerImage: number;
  maxPerSource: number | null;
  sources: CorpusSourceInfo[];
  /** Sources left out because they are not installed, with the reason and how to install them. */
  missingSources: { name: string; reason: string }[];
  heldOut: {
    clipArtCategories: string[];
    downstreamOnlySources: string[];
    nearDuplicatePercent: number;
    clipArt: Record<string, number> | null;
  };
  fonts: string[];
  files: {
    images: { name: string; bytes: number; sha256: string };
    entries: { name: string; bytes: number; sha256: string };
  };
  buildSeconds: number;
  node: string;
}

export function sha256(data: Uint8Array | readonly Uint8Array[]): string {
  const h = createHash('sha256');
  if (data instanceof Uint8Array) h.update(data);
  else for (const d of data) h.update(d);
  return h.digest('hex');
}

export interface OpenCorpusOptions {
  /** Recompute and compare the sha256 of both files (about a second per 100 MB). Default false. */
  verify?: boolean;
}

export class Corpus {
  readonly dir: string;
  readonly manifest: CorpusManifest;
  readonly size: number;
  readonly length: number;
  /** All pixels, entry after entry. */
  readonly pixels: Uint8Array;
  private readonly entries: CorpusEntryMeta[];
  private readonly imageBytes: number;

  private constructor(dir: string, manifest: CorpusManifest, pixels: Uint8Array, entries: CorpusEntryMeta[]) {
    this.dir = dir;
    this.manifest = manifest;
    this.size = manifest.size;
    this.length = manifest.count;
    this.pixels = pixels;
    this.entries = entries;
    this.imageBytes = manifest.size * manifest.size * 3;
  }

  /** Opens a built corpus, checking the manifest against the files. */
  static open(dir: string, opts: OpenCorpusOptions = {}): Corpus {
    const mPath = join(dir, CORPUS_FILES.manifest);
    if (!existsSync(mPath)) {
      throw new Error(`corpus ${dir}: no ${CORPUS_FILES.manifest} (not built, or the build did not finish); build it with buildCorpus({ outDir: '${dir}', ... })`);
    }
    let manifest: CorpusManifest;
    try {
      manifest = JSON.parse(readFileSync(mPath, 'utf8')) as CorpusManifest;
    } catch (e) {
      throw new Error(`corpus ${mPath}: not valid JSON: ${(e as Error).message}`);
    }
    if (manifest.format !== CORPUS_FORMAT) throw new Error(`corpus ${mPath}: format is "${manifest.format}", expected "${CORPUS_FORMAT}"`);
    if (manifest.version !== CORPUS_VERSION) {
      throw new Error(`corpus ${mPath}: version ${manifest.version}, this mulki reads version ${CORPUS_VERSION}; rebuild the corpus`);
    }
    const { size, count } = manifest;
    if (!Number.isInteger(size) || size <= 0 || !Number.isInteger(count) || count < 0) throw new Error(`corpus ${mPath}: bad size ${size} or count ${count}`);
    const iPath = join(dir, CORPUS_FILES.images);
    const ePath = join(dir, CORPUS_FILES.entries);
    for (const [p, f] of [[iPath, manifest.files.images], [ePath, manifest.files.entries]] as const) {
      if (!existsSync(p)) throw new Error(`corpus ${dir}: ${p} is missing; rebuild the corpus`);
      const bytes = statSync(p).size;
      if (bytes !== f.bytes) throw new Error(`corpus ${dir}: ${p} has ${bytes} bytes, the manifest says ${f.bytes}; rebuild the corpus`);
    }
    const expected = count * size * size * 3;
    if (manifest.files.images.bytes !== expected) {
      throw new Error(`corpus ${dir}: ${count} images of ${size}x${size}x3 need ${expected} bytes, the manifest says ${manifest.files.images.bytes}`);
    }
    const buf = readFileSync(iPath);
    const pixels = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
    const text = readFileSync(ePath);
    if (opts.verify) {
      if (sha256(pixels) !== manifest.files.images.sha256) throw new Error(`corpus ${dir}: ${iPath} does not match its sha256 in the manifest`);
      if (sha256(text) !== manifest.files.entries.sha256) throw new Error(`corpus ${dir}: ${ePath} does not match its sha256 in the manifest`);
    }
    const lines = text.toString('utf8').split('\n').filter((l) => l !== '');
    if (lines.length !== count) throw new Error(`corpus ${dir}: ${ePath} has ${lines.length} entries, the manifest says ${count}`);
    const entries = lines.map((l, i) => {
      let e: CorpusEntryMeta;
      try {
        e = JSON.parse(l) as CorpusEntryMeta;
      } catch {
        throw new Error(`corpus ${ePath}: line ${i + 1} is not JSON`);
      }
      if (!Array.isArray(e.captions) || !e.captions.length) throw new Error(`corpus ${ePath}: line ${i + 1} has no captions`);
      return e;
    });
    return new Corpus(dir, manifest, pixels, entries);
  }

  private check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) throw new Error(`corpus ${this.dir}: index ${i} out of range [0, ${this.length})`);
  }

  /** Image i as RGB (a view into the corpus buffer: copy it before changing it). */
  image(i: number): RawImage {
    this.check(i);
    return { width: this.size, height: this.size, channels: 3, data: this.pixels.subarray(i * this.imageBytes, (i + 1) * this.imageBytes) };
  }

  captions(i: number): readonly string[] {
    this.check(i);
    return this.entries[i]!.captions;
  }

  entry(i: number): Readonly<CorpusEntryMeta> {
    this.check(i);
    return this.entries[i]!;
  }

  /** Copies the images at `indices` one after another into `out` (length >= indices.length x size x size x 3). */
  readImages(indices: ArrayLike<number>, out: Uint8Array): Uint8Array {
    const b = this.imageBytes;
    if (out.length < indices.length * b) throw new Error(`corpus readImages: out holds ${out.length} bytes, ${indices.length} images need ${indices.length * b}`);
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]!;
      this.check(i);
      out.set(this.pixels.subarray(i * b, (i + 1) * b), k * b);
    }
    return out;
  }
}

/** Opens the corpus in `dir` (see Corpus.open). */
export function openCorpus(dir: string, opts: OpenCorpusOptions = {}): Corpus {
  return Corpus.open(dir, opts);
}
