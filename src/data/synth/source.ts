/**
 * What a corpus source is: something that, given the output size, a seed and a budget, emits (image, captions)
 * entries in a fixed order. Every random choice of an entry comes from its own generator seeded with
 * (corpus seed, source, item id, variant), so an entry does not depend on what came before it.
 */
import { Rng } from '../../engine/rng.js';
import type { RgbImage } from './image-ops.js';

export interface CorpusEntry {
  /** Unique within the corpus: "<item id>#<variant>", e.g. "noto:1f436#2". */
  id: string;
  /** Source name, e.g. "noto". */
  source: string;
  /** Id of the underlying item (an emoji, a clip-art file...), shared by its variants. */
  item: string;
  /** Rendering style, e.g. "sketch". */
  style: string;
  captions: string[];
  /** RGB at the corpus size. */
  image: RgbImage;
}

export interface SourceContext {
  /** Output side in pixels. */
  size: number;
  /** Working side (drawings are rendered at this size, then downsampled): 2 x size. */
  work: number;
  seed: string;
  /** Captions per image. */
  captions: number;
  /** At most this many items from the source (undefined: all). */
  maxItems: number | undefined;
  emit(entry: CorpusEntry): void;
  /** Records an item that could not be used (a broken file), with the reason. */
  skip(item: string, reason: string): void;
}

export interface CorpusSource {
  /** Short name used in ids and the manifest, e.g. "noto". */
  name: string;
  /** Licence of the material the source draws from. */
  licence: string;
  /** One line on what it contributes. */
  description: string;
  run(ctx: SourceContext): Promise<void>;
}

/** The generator for one variant of one item. */
export function entryRng(ctx: Pick<SourceContext, 'seed'>, source: string, item: string, variant: number): Rng {
  return new Rng(`${ctx.seed}|${source}|${item}|${variant}`);
}

/** A seeded selection of at most `max` elements, kept in their original order. */
export function selectItems<T>(items: readonly T[], max: number | undefined, seed: string, source: string): T[] {
  if (max === undefined || max >= items.length) return [...items];
  if (!(max >= 0)) throw new Error(`${source}: maxItems must be >= 0, got ${max}`);
  const keep = new Rng(`${seed}|${source}|select`).permutation(items.length).slice(0, max).sort((a, b) => a - b);
  return keep.map((i) => items[i]!);
}
