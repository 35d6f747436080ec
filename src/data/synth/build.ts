/**
 * Builds the pre-training image-caption corpus once into a compact cache (see corpus.ts for the layout): every
 * source in a fixed order, every image and caption drawn from generators seeded by (seed, source, item, variant),
 * so the same seed, options, packages and fonts give the same bytes. Sources that are not installed (Open Clip
 * Art, fonts) are left out with the reason in the manifest, unless asked for by name.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../../engine/io/atomic.js';
import { CLIPART_DIR, CLIPART_INSTALL, clipArtAvailable } from '../offline/clipart.js';
import { clipArtSource } from './clipart-source.js';
import { CORPUS_FILES, CORPUS_FORMAT, CORPUS_VERSION, sha256, type CorpusManifest, type CorpusSourceInfo } from './corpus.js';
import { notoSource, openMojiSource } from './emoji-sources.js';
import { textFonts } from './fonts.js';
import { CLIPART_HELDOUT_CATEGORIES, DOWNSTREAM_ONLY_SOURCES, NEAR_DUPLICATE_PERCENT } from './holdout.js';
import { patternSource } from './pattern-source.js';
import { colourSource, shapeSource } from './shape-source.js';
import type { CorpusEntry, CorpusSource, SourceContext } from './source.js';
import { digitSource, textSource } from './text-source.js';

export type CorpusSize = 32 | 48 | 64;

export const CORPUS_SOURCES = ['noto', 'openmoji', 'clipart', 'digits', 'text', 'shapes', 'patterns', 'colours'] as const;
export type CorpusSourceName = (typeof CORPUS_SOURCES)[number];

export interface BuildCorpusOptions {
  outDir: string;
  size: CorpusSize;
  seed: number | string;
  /** At most this many items per source (an emoji, a drawing, a generated image...), for small test corpora. */
  maxPerSource?: number;
  /** Sources to build (default: all that are installed). Naming a source that is not installed is an error. */
  sources?: readonly CorpusSourceName[];
  /** Captions per image (default 5). */
  captionsPerImage?: number;
  /** Images per emoji / drawing (defaults: noto 6, openmoji 4, clipart 3). */
  variants?: { noto?: number; openmoji?: number; clipart?: number };
  /** Most clip-art drawings taken from one folder (default 120). */
  clipArtPerFolder?: number;
  /** Open Clip Art folder (default /usr/share/openclipart/svg). */
  clipArtDir?: string;
  /** Progress messages (default: none). */
  log?: (message: string) => void;
}

export interface BuildCorpusResult {
  dir: string;
  manifest: CorpusManifest;
}

function unavailable(name: CorpusSourceName, clipArtDir: string): string | null {
  if (name === 'clipart' && !clipArtAvailable(clipArtDir)) return `Open Clip Art is not installed (no ${clipArtDir}); install it with: ${CLIPART_INSTALL}`;
  if (name === 'digits' || name === 'text') {
    try {
      textFonts();
    } catch (e) {
      return (e as Error).message;
    }
  }
  return null;
}

/**
 * Pixels are streamed to a temporary file next to the target as they are made (the corpus never sits in memory),
 * hashed on the way, then flushed and renamed over the target, as writeFileAtomic does for whole files.
 */
class StreamingFile {
  readonly tmp: string;
  private fd: number | null;
  private readonly hash = createHash('sha256');
  bytes = 0;

  constructor(readonly path: string) {
    this.tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
    this.fd = openSync(this.tmp, 'w');
  }

  write(data: Uint8Array): void {
    let off = 0;
    while (off < data.length) off += writeSync(this.fd!, data, off, data.length - off);
    this.hash.update(data);
    this.bytes += data.length;
  }

  /** Flushes, closes and renames over the target; returns the sha256. */
  commit(): string {
    fsyncSync(this.fd!);
    closeSync(this.fd!);
    this.fd = null;
    renameSync(this.tmp, this.path);
    return this.hash.digest('hex');
  }

  abort(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.tmp, { force: true });
  }
}

export async function buildCorpus(opts: BuildCorpusOptions): Promise<BuildCorpusResult> {
  const t0 = performance.now();
  const { outDir, size } = opts;
  if (size !== 32 && size !== 48 && size !== 64) throw new Error(`buildCorpus: size must be 32, 48 or 64, got ${String(size)}`);
  if (!outDir) throw new Error('buildCorpus: outDir is required');
  if (opts.maxPerSource !== undefined && !(Number.isInteger(opts.maxPerSource) && opts.maxPerSource >= 0)) {
    throw new Error(`buildCorpus: maxPerSource must be a non-negative integer, got ${opts.maxPerSource}`);
  }
  const captions = opts.captionsPerImage ?? 5;
  if (!Number.isInteger(captions) || captions < 1) throw new Error(`buildCorpus: captionsPerImage must be a positive integer, got ${captions}`);
  for (const s of opts.sources ?? []) {
    if (!(CORPUS_SOURCES as readonly string[]).includes(s)) throw new Error(`buildCorpus: unknown source "${s}"; known: ${CORPUS_SOURCES.join(', ')}`);
  }
  const log = opts.log ?? (() => {});
  const seed = String(opts.seed);
  const clipArtDir = opts.clipArtDir ?? CLIPART_DIR;
  const wanted = opts.sources ?? CORPUS_SOURCES;
  const missingSources: { name: string; reason: string }[] = [];
  const chosen: CorpusSourceName[] = [];
  for (const name of CORPUS_SOURCES) {
    if (!wanted.includes(name)) continue;
    const why = unavailable(name, clipArtDir);
    if (why && opts.sources) throw new Error(`buildCorpus: source "${name}" was asked for but ${why}`);
    if (why) {
      missingSources.push({ name, reason: why });
      log(`skipping source ${name}: ${why}`);
    } else chosen.push(name);
  }
  const clip = clipArtSource({ variants: opts.variants?.clipart, perFolder: opts.clipArtPerFolder, dir: clipArtDir });
  const factories: Record<CorpusSourceName, () => CorpusSource> = {
    noto: () => notoSource(opts.variants?.noto),
    openmoji: () => openMojiSource(opts.variants?.openmoji),
    clipart: () => clip,
    digits: () => digitSource(),
    text: () => textSource(),
    shapes: () => shapeSource(),
    patterns: () => patternSource(),
    colours: () => colourSource(),
  };

  mkdirSync(outDir, { recursive: true });
  const manifestPath = join(outDir, CORPUS_FILES.manifest);
  // The manifest marks a complete corpus: remove the old one before touching the other files.
  rmSync(manifestPath, { force: true });
  const images = new StreamingFile(join(outDir, CORPUS_FILES.images));
  const lines: string[] = [];
  const infos: CorpusSourceInfo[] = [];
  const ids = new Set<string>();
  const imageBytes = size * size * 3;
  let imagesSha: string;
  try {
    for (const name of chosen) {
      const source = factories[name]();
      const ts = performance.now();
      const info: CorpusSourceInfo = { name, licence: source.licence, description: source.description, images: 0, items: 0, skipped: [], skippedCount: 0, seconds: 0 };
      const items = new Set<string>();
      const ctx: SourceContext = {
        size,
        work: 2 * size,
        seed,
        captions,
        maxItems: opts.maxPerSource,
        emit(e: CorpusEntry) {
          if (e.image.width !== size || e.image.height !== size || e.image.channels !== 3 || e.image.data.length !== imageBytes) {
            throw new Error(`corpus source ${name}: entry ${e.id} is ${e.image.width}x${e.image.height}x${e.image.channels}, expected ${size}x${size}x3`);
          }
          if (ids.has(e.id)) throw new Error(`corpus source ${name}: entry id ${e.id} is used twice`);
          if (!e.captions.length || e.captions.some((c) => typeof c !== 'string' || c.trim() === '')) {
            throw new Error(`corpus source ${name}: entry ${e.id} has an empty caption`);
          }
          ids.add(e.id);
          items.add(e.item);
          images.write(e.image.data);
          lines.push(JSON.stringify({ id: e.id, source: e.source, item: e.item, style: e.style, captions: e.captions }));
          info.images++;
          if (info.images % 5000 === 0) log(`  ${name}: ${info.images} images`);
        },
        skip(item: string, reason: string) {
          info.skippedCount++;
          if (info.skipped.length < 50) info.skipped.push({ item, reason });
        },
      };
      log(`source ${name}: ${source.description}`);
      await source.run(ctx);
      info.items = items.size;
      info.seconds = Math.round((performance.now() - ts) / 100) / 10;
      infos.push(info);
      log(`source ${name}: ${info.images} images of ${info.items} items, ${info.skippedCount} skipped, ${info.seconds} s`);
    }
    imagesSha = images.commit();
  } catch (e) {
    images.abort();
    throw e;
  }

  const entriesText = Buffer.from(lines.length ? lines.join('\n') + '\n' : '', 'utf8');
  const manifest: CorpusManifest = {
    format: CORPUS_FORMAT,
    version: CORPUS_VERSION,
    size,
    channels: 3,
    count: lines.length,
    seed,
    captionsPerImage: captions,
    maxPerSource: opts.maxPerSource ?? null,
    sources: infos,
    missingSources,
    heldOut: {
      clipArtCategories: [...CLIPART_HELDOUT_CATEGORIES],
      downstreamOnlySources: [...DOWNSTREAM_ONLY_SOURCES],
      nearDuplicatePercent: NEAR_DUPLICATE_PERCENT,
      clipArt: clip.stats ? { ...clip.stats } : null,
    },
    fonts: chosen.some((s) => s === 'digits' || s === 'text') ? textFonts().map((f) => f.file) : [],
    files: {
      images: { name: CORPUS_FILES.images, bytes: images.bytes, sha256: imagesSha },
      entries: { name: CORPUS_FILES.entries, bytes: entriesText.length, sha256: sha256(entriesText) },
    },
    buildSeconds: 0,
    node: process.version,
  };
  // The manifest goes last: its presence marks a complete corpus.
  writeFileAtomic(join(outDir, CORPUS_FILES.entries), entriesText);
  manifest.buildSeconds = Math.round((performance.now() - t0) / 100) / 10;
  writeJsonAtomic(manifestPath, manifest);
  log(`corpus ${outDir}: ${manifest.count} images at ${size}x${size}, ${(manifest.files.images.bytes / 2 ** 20).toFixed(1)} MiB, ${manifest.buildSeconds} s`);
  return { dir: outDir, manifest };
}
