/**
 * System fonts for rendered text, from Debian packages (fonts-dejavu, fonts-liberation2, fonts-freefont-ttf,
 * fonts-noto-core). Each file found is registered with @napi-rs/canvas under its own family name
 * ("mulki-<file>"), so text is drawn with exactly that face; the list of faces used goes into the corpus manifest.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { GlobalFonts } from '@napi-rs/canvas';

export interface FontFace {
  /** Family name registered with the canvas. */
  family: string;
  file: string;
  kind: 'sans' | 'serif' | 'mono';
  bold: boolean;
  italic: boolean;
}

const DIRS = {
  dejavu: '/usr/share/fonts/truetype/dejavu/',
  liberation: '/usr/share/fonts/truetype/liberation2/',
  free: '/usr/share/fonts/truetype/freefont/',
  noto: '/usr/share/fonts/truetype/noto/',
};

/** [file, kind] of the faces tried, in a fixed order. */
const CANDIDATES: readonly [string, FontFace['kind']][] = [
  [DIRS.dejavu + 'DejaVuSans.ttf', 'sans'],
  [DIRS.dejavu + 'DejaVuSans-Bold.ttf', 'sans'],
  [DIRS.dejavu + 'DejaVuSans-Oblique.ttf', 'sans'],
  [DIRS.dejavu + 'DejaVuSans-BoldOblique.ttf', 'sans'],
  [DIRS.dejavu + 'DejaVuSansCondensed.ttf', 'sans'],
  [DIRS.dejavu + 'DejaVuSans-ExtraLight.ttf', 'sans'],
  [DIRS.dejavu + 'DejaVuSerif.ttf', 'serif'],
  [DIRS.dejavu + 'DejaVuSerif-Bold.ttf', 'serif'],
  [DIRS.dejavu + 'DejaVuSerif-Italic.ttf', 'serif'],
  [DIRS.dejavu + 'DejaVuSansMono.ttf', 'mono'],
  [DIRS.dejavu + 'DejaVuSansMono-Bold.ttf', 'mono'],
  [DIRS.liberation + 'LiberationSans-Regular.ttf', 'sans'],
  [DIRS.liberation + 'LiberationSans-Bold.ttf', 'sans'],
  [DIRS.liberation + 'LiberationSans-Italic.ttf', 'sans'],
  [DIRS.liberation + 'LiberationSerif-Regular.ttf', 'serif'],
  [DIRS.liberation + 'LiberationSerif-Bold.ttf', 'serif'],
  [DIRS.liberation + 'LiberationSerif-Italic.ttf', 'serif'],
  [DIRS.liberation + 'LiberationMono-Regular.ttf', 'mono'],
  [DIRS.free + 'FreeSans.ttf', 'sans'],
  [DIRS.free + 'FreeSansBold.ttf', 'sans'],
  [DIRS.free + 'FreeSerif.ttf', 'serif'],
  [DIRS.free + 'FreeSerifItalic.ttf', 'serif'],
  [DIRS.free + 'FreeMono.ttf', 'mono'],
  [DIRS.free + 'FreeMonoBold.ttf', 'mono'],
  [DIRS.noto + 'NotoSans-Regular.ttf', 'sans'],
  [DIRS.noto + 'NotoSans-Bold.ttf', 'sans'],
  [DIRS.noto + 'NotoSans-Italic.ttf', 'sans'],
  [DIRS.noto + 'NotoSerif-Regular.ttf', 'serif'],
  [DIRS.noto + 'NotoSerif-BoldItalic.ttf', 'serif'],
  [DIRS.noto + 'NotoSansDisplay-Bold.ttf', 'sans'],
];

let cache: FontFace[] | null = null;

/** The faces found on this machine, registered with the canvas. Throws when none is installed. */
export function textFonts(): FontFace[] {
  if (cache) return cache;
  const faces: FontFace[] = [];
  for (const [file, kind] of CANDIDATES) {
    if (!existsSync(file)) continue;
    const name = basename(file, '.ttf');
    const family = `mulki-${name}`;
    if (!GlobalFonts.has(family) && !GlobalFonts.registerFromPath(file, family)) continue;
    faces.push({
      family,
      file,
      kind,
      bold: /Bold/.test(name),
      italic: /Italic|Oblique/.test(name),
    });
  }
  if (!faces.length) {
    throw new Error(
      'no fonts for rendered text: install one of the Debian packages fonts-dejavu, fonts-liberation2, fonts-freefont-ttf or fonts-noto-core',
    );
  }
  cache = faces;
  return faces;
}

/** A few words on a face for captions ("a bold serif font"), or null for a plain sans face. */
export function describeFace(f: FontFace): string | null {
  const parts: string[] = [];
  if (f.bold) parts.push('bold');
  if (f.italic) parts.push('italic');
  if (f.kind === 'serif') parts.push('serif');
  if (f.kind === 'mono') parts.push('monospace');
  return parts.length ? `a ${parts.join(' ')} font` : null;
}
