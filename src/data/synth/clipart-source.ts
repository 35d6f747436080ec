/**
 * Corpus source of Open Clip Art drawings outside the held-out categories (see holdout.ts), captioned with their
 * cleaned title or file name, keywords and, for a few folders, a category word. At most `perFolder` drawings are
 * taken from one folder, so that the 1,400 generated stars or the 550 toolbar icons do not swamp the rest.
 */
import { dirname } from 'node:path';
import { CLIPART_DIR, CLIPART_LICENCE, clipArtAvailable, listClipArt, renderClipArt, type ClipArt } from '../offline/clipart.js';
import { heldOutFileNames, inkThumbnail, isHeldOutClipArt, NearDuplicateIndex, sharesFileName } from './holdout.js';
import { mayFlip, runObjects, type ObjectItem } from './object-source.js';
import { Rng } from '../../engine/rng.js';
import { selectItems, type CorpusSource, type SourceContext } from './source.js';

/** Category words for folders whose drawings share one kind of subject. */
const FOLDER_CATEGORY: readonly [string, string][] = [
  ['shapes/stars', 'star'],
  ['shapes/arrows', 'arrow'],
  ['shapes', 'shape'],
  ['signs_and_symbols/flags', 'flag'],
  ['signs_and_symbols', 'symbol'],
  ['recreation/games/cards', 'playing card'],
  ['recreation/music', 'music'],
  ['recreation/sports', 'sport'],
  ['computer/icons', 'computer icon'],
  ['computer/buttons', 'button'],
  ['computer/hardware', 'computer'],
  ['special/patterns', 'pattern'],
  ['electronics/bulb', 'light bulb'],
  ['electronics/battery', 'battery'],
  ['office/telephone', 'telephone'],
  ['geography', 'map'],
];

export function clipArtCategoryWord(rel: string): string | null {
  for (const [prefix, word] of FOLDER_CATEGORY) if (rel.startsWith(prefix + '/')) return word;
  return null;
}

export interface ClipArtSelection {
  /** Drawings the corpus may use, before the near-duplicate check. */
  candidates: ClipArt[];
  heldOut: ClipArt[];
  /** Outside the held-out categories but sharing a file name with a held-out drawing. */
  sameFileName: ClipArt[];
  unnamed: ClipArt[];
  overFolderCap: ClipArt[];
}

/** Splits the library into corpus candidates and what is kept out (and why). */
export function selectClipArt(all: readonly ClipArt[], perFolder: number, seed: string): ClipArtSelection {
  const names = heldOutFileNames(all);
  const sel: ClipArtSelection = { candidates: [], heldOut: [], sameFileName: [], unnamed: [], overFolderCap: [] };
  const byFolder = new Map<string, ClipArt[]>();
  for (const it of all) {
    if (isHeldOutClipArt(it)) sel.heldOut.push(it);
    else if (sharesFileName(it, names)) sel.sameFileName.push(it);
    else if (!it.name) sel.unnamed.push(it);
    else {
      const d = dirname(it.rel);
      const list = byFolder.get(d) ?? [];
      list.push(it);
      byFolder.set(d, list);
    }
  }
  const keep = new Set<ClipArt>();
  for (const [folder, list] of [...byFolder].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const order = new Rng(`${seed}|clipart|folder|${folder}`).permutation(list.length);
    order.forEach((i, k) => (k < perFolder ? keep.add(list[i]!) : sel.overFolderCap.push(list[i]!)));
  }
  sel.candidates = all.filter((it) => keep.has(it));
  return sel;
}

const heldOutCache = new Map<string, { index: NearDuplicateIndex; unrenderable: number }>();

/** Thumbnails of every held-out drawing, rendered as the corpus renders drawings (cached per folder and size). */
function heldOutIndex(dir: string, heldOut: readonly ClipArt[], work: number): { index: NearDuplicateIndex; unrenderable: number } {
  const key = `${dir}|${work}|${heldOut.length}`;
  const hit = heldOutCache.get(key);
  if (hit) return hit;
  const index = new NearDuplicateIndex();
  let unrenderable = 0;
  for (const it of heldOut) {
    try {
      index.add(inkThumbnail(renderClipArt(it, work)));
    } catch {
      unrenderable++;
    }
  }
  const entry = { index, unrenderable };
  heldOutCache.set(key, entry);
  return entry;
}

export interface ClipArtSourceOptions {
  variants?: number;
  perFolder?: number;
  dir?: string;
}

/** Near-duplicate statistics of the last run (for the manifest). */
export interface ClipArtRunStats {
  heldOut: number;
  sameFileName: number;
  nearDuplicate: number;
  unnamed: number;
  overFolderCap: number;
  heldOutUnrenderable: number;
}

export function clipArtSource(opts: ClipArtSourceOptions = {}): CorpusSource & { stats: ClipArtRunStats | null } {
  const variants = opts.variants ?? 3;
  const perFolder = opts.perFolder ?? 120;
  const dir = opts.dir ?? CLIPART_DIR;
  const src: CorpusSource & { stats: ClipArtRunStats | null } = {
    name: 'clipart',
    licence: CLIPART_LICENCE,
    description: `Open Clip Art outside the held-out categories, at most ${perFolder} per folder, ${variants} images per drawing`,
    stats: null,
    async run(ctx: SourceContext) {
      if (!clipArtAvailable(dir)) {
        throw new Error(`Open Clip Art: missing folder ${dir}; install it with: apt-get install openclipart-svg (or build the corpus without the clip-art source)`);
      }
      const all = listClipArt(dir);
      const sel = selectClipArt(all, perFolder, ctx.seed);
      const { index: held, unrenderable: heldOutUnrenderable } = heldOutIndex(dir, sel.heldOut, ctx.work);
      const chosen = selectItems(sel.candidates, ctx.maxItems, ctx.seed, 'clipart');
      let nearDuplicate = 0;
      const items: ObjectItem[] = chosen.map((it) => ({
        id: it.id,
        concept: {
          names: [it.name],
          tags: it.keywords.filter((k) => k !== it.name).slice(0, 8),
          category: clipArtCategoryWord(it.rel),
          kind: 'clip art',
        },
        allowFlip: mayFlip(it.name, it.rel, ...it.keywords),
        load: (work) => {
          const img = renderClipArt(it, work);
          if (held.has(inkThumbnail(img))) {
            nearDuplicate++;
            throw new Error('near-duplicate of a held-out drawing');
          }
          return img;
        },
      }));
      await runObjects('clipart', items, variants, ctx);
      src.stats = {
        heldOut: sel.heldOut.length,
        sameFileName: sel.sameFileName.length,
        nearDuplicate,
        unnamed: sel.unnamed.length,
        overFolderCap: sel.overFolderCap.length,
        heldOutUnrenderable,
      };
    },
  };
  return src;
}
