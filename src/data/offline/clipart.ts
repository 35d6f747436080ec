/**
 * Open Clip Art Library 0.18 (public domain) from Debian's `openclipart-svg`: about 7,500 distinct SVG drawings
 * under /usr/share/openclipart/svg in 22 top-level categories (animals, food, people, ...), with about 660 symbolic
 * links filing a drawing under a second folder. Titles, keywords and creator come from each file's RDF metadata
 * (dc:title, dc:subject, dc:creator), which sits in the first few kilobytes.
 *
 * One item per real file: `paths` lists every place it is filed (the file itself and the links to it) and
 * `categories` the top-level folders of those places, so a drawing linked into a held-out category counts as held
 * out. Titles are often generic ("Lemon SVG theme"); `name` is the cleaned title, or else words from the file name
 * without the author's name.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, realpathSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { renderSvg, type RgbaImage } from './raster.js';

export const CLIPART_DIR = '/usr/share/openclipart/svg';
export const CLIPART_LICENCE = 'Public domain (Open Clip Art Library 0.18, Debian package openclipart-svg)';
export const CLIPART_INSTALL = 'apt-get install openclipart-svg';

export interface ClipArt {
  /** "clipart:<path of the real file relative to the root>". */
  id: string;
  /** Path of the real file relative to the root, '/'-separated. */
  rel: string;
  /** Absolute path of the real file. */
  file: string;
  /** Every relative path under which the drawing is filed (the file and the symbolic links to it), sorted. */
  paths: string[];
  /** Top-level folders of those paths, sorted. */
  categories: string[];
  title: string;
  keywords: string[];
  creator: string;
  /** A short English-ish name for captions ('' when nothing usable is known). */
  name: string;
}

/** Whether the Debian package is installed (its SVG folder exists). */
export function clipArtAvailable(dir = CLIPART_DIR): boolean {
  return existsSync(dir);
}

function requireDir(dir: string): void {
  if (!existsSync(dir)) {
    throw new Error(`Open Clip Art: missing folder ${dir}; install it with: ${CLIPART_INSTALL}`);
  }
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(cp) && cp > 0 && cp < 0x110000 ? String.fromCodePoint(cp) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

function clean(s: string): string {
  return decodeEntities(s.replace(/<!\[CDATA\[|\]\]>/g, '')).replace(/\s+/g, ' ').trim();
}

export interface ClipArtMetadata {
  title: string;
  keywords: string[];
  creator: string;
}

/** Title, keywords and creator from the RDF metadata at the start of an SVG file. */
export function parseClipArtMetadata(head: string): ClipArtMetadata {
  const work = /<cc:Work\b[\s\S]*?<\/cc:Work>/.exec(head)?.[0] ?? head;
  const title = clean(/<dc:title>([\s\S]*?)<\/dc:title>/.exec(work.replace(/<cc:Agent[\s\S]*?<\/cc:Agent>/g, ''))?.[1] ?? '');
  const subject = /<dc:subject>([\s\S]*?)<\/dc:subject>/.exec(work)?.[1] ?? '';
  const keywords = [...subject.matchAll(/<rdf:li>([\s\S]*?)<\/rdf:li>/g)].map((m) => clean(m[1]!)).filter((k) => k !== '');
  const creator = clean(/<dc:creator>[\s\S]*?<dc:title>([\s\S]*?)<\/dc:title>/.exec(work)?.[1] ?? '');
  return { title, keywords, creator };
}

const HEAD_BYTES = 32768;

function readHead(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const n = readSync(fd, buf, 0, HEAD_BYTES, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Keywords that say nothing about the picture. */
const NOISE_KEYWORDS = new Set(['', 'hash', 'icon', 'icons', 'theme', 'mapsym', 'appicon', 'lemon_theme_icon', 'clip art', 'clipart', 'svg', 'openclipart', 'image', 'media', 'unsorted', 'special', 'various']);

/** Titles that describe a collection rather than the drawing. */
const GENERIC_TITLE = /\b(icon collection|svg theme|iconset|icon set|icons?|theme|various|cliparts?|untitled|drawing|layer|image)\b|^[a-z]?\d*$/i;

function words(s: string): string[] {
  return s
    .toLowerCase()
    .replace(/\.svg$/, '')
    .split(/[^a-z0-9']+/)
    .filter((w) => w !== '');
}

/** File-name words that say nothing about the picture. */
const FILE_NOISE = /^(openclip\w*|clipart|svg|icon|ocal|the)$/;

/** The file name without numbers, one-letter leftovers and the author's name (often truncated). */
function nameFromFile(file: string, creator: string): string {
  const creatorWords = words(creator).filter((w) => w.length >= 3);
  const isCreator = (w: string) => w.length >= 3 && creatorWords.some((c) => c.startsWith(w) || w.startsWith(c));
  return words(basename(file))
    .filter((w) => !/^\d+$/.test(w) && w.length > 1 && !isCreator(w) && !/^\d+pt\d+step$/.test(w) && !FILE_NOISE.test(w))
    .join(' ');
}

function cleanTitle(title: string): string {
  return title
    .replace(/^clip ?art by [^-]*-\s*/i, '')
    .replace(/\.svg$/i, '')
    .replace(/[_]+/g, ' ')
    .replace(/\s+\d+$/, '')
    .trim()
    .toLowerCase();
}

/** Lists every distinct drawing, sorted by relative path of the real file. */
export function listClipArt(dir = CLIPART_DIR): ClipArt[] {
  requireDir(dir);
  const root = realpathSync(dir);
  const byReal = new Map<string, string[]>();
  const walk = (d: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch (e) {
      throw new Error(`Open Clip Art: cannot list ${d}: ${(e as Error).message}`);
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if ((e.isFile() || e.isSymbolicLink()) && e.name.toLowerCase().endsWith('.svg')) {
        let real: string;
        try {
          real = realpathSync(p);
        } catch {
          continue; // dangling link
        }
        if (!real.startsWith(root + sep)) continue;
        const list = byReal.get(real) ?? [];
        list.push(toRel(root, p));
        byReal.set(real, list);
      }
    }
  };
  walk(root);
  const items: Omit<ClipArt, 'name'>[] = [];
  for (const [real, paths] of byReal) {
    const rel = toRel(root, real);
    const meta = parseClipArtMetadata(readHead(real));
    const sorted = [...new Set([rel, ...paths])].sort();
    items.push({
      id: `clipart:${rel}`,
      rel,
      file: real,
      paths: sorted,
      categories: [...new Set(sorted.map((p) => p.split('/')[0]!))].sort(),
      title: meta.title,
      keywords: meta.keywords,
      creator: meta.creator,
    });
  }
  if (!items.length) throw new Error(`Open Clip Art: no SVG files under ${dir}; reinstall it with: ${CLIPART_INSTALL}`);
  // A title shared by several drawings names a collection ("Lemon SVG theme"), not the drawing.
  const titleCount = new Map<string, number>();
  for (const it of items) titleCount.set(cleanTitle(it.title), (titleCount.get(cleanTitle(it.title)) ?? 0) + 1);
  const out: ClipArt[] = items.map((it) => {
    const creator = it.creator.toLowerCase();
    const keywords = [
      ...new Set(
        it.keywords
          .map((k) => k.toLowerCase().replace(/_/g, ' ').trim())
          .filter((k) => !NOISE_KEYWORDS.has(k) && k !== creator && !creator.includes(k) && !/^[\d\W]+$/.test(k)),
      ),
    ];
    const t = cleanTitle(it.title);
    const usable = t !== '' && (titleCount.get(t) ?? 0) <= 3 && !GENERIC_TITLE.test(t) && t !== creator;
    const name = usable ? t : nameFromFile(it.rel, it.creator);
    return { ...it, keywords, name };
  });
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

function toRel(root: string, p: string): string {
  return relative(root, p).split(sep).join('/');
}

/** The drawing rendered into a box x box RGBA square, cropped to its ink. */
export function renderClipArt(item: Pick<ClipArt, 'file'>, box = 64, margin = 0.04): RgbaImage {
  let svg: string;
  try {
    svg = readFileSync(item.file, 'utf8');
  } catch (e) {
    throw new Error(`Open Clip Art: cannot read ${item.file}: ${(e as Error).message}`);
  }
  return renderSvg(svg, box, { name: item.file, margin });
}

/** The folder (relative, '/'-separated) of each path of an item. */
export function clipArtFolders(item: Pick<ClipArt, 'paths'>): string[] {
  return [...new Set(item.paths.map((p) => dirname(p)))].sort();
}
