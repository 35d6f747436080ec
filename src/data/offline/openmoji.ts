/**
 * OpenMoji (CC BY-SA 4.0) from the npm package `openmoji`: 4,495 SVGs (72x72 view box) in colour and in black line
 * art, described by data/openmoji.json (annotation, tags, openmoji_tags, group, subgroups, skin tone). Skin-tone
 * variants are left out by default: one drawing per emoji.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { plainText } from './emoji.js';
import { packageDir } from './package-dir.js';
import { renderSvg, type RgbaImage } from './raster.js';

export const OPENMOJI_LICENCE = 'CC-BY-SA-4.0 (OpenMoji, https://openmoji.org; attribution: "OpenMoji - the open-source emoji and icon project")';

export type OpenMojiStyle = 'color' | 'black';

export interface OpenMoji {
  /** "openmoji:<HEXCODE>". */
  id: string;
  hexcode: string;
  name: string;
  tags: string[];
  group: string;
  subgroup: string;
  /** Whether this is a skin-tone variant of another emoji. */
  skinTone: boolean;
  /** Colour SVG file. */
  file: string;
  /** Black line-art SVG file. */
  blackFile: string;
}

interface RawOpenMoji {
  hexcode: string;
  annotation?: string;
  tags?: string;
  openmoji_tags?: string;
  group?: string;
  subgroups?: string;
  skintone?: number | string;
  skintone_base_hexcode?: string;
}

export interface OpenMojiOptions {
  /** Keep skin-tone variants too (default false). */
  skinTones?: boolean;
}

function splitTags(s: string | undefined): string[] {
  return (s ?? '')
    .split(',')
    .map((t) => plainText(t).toLowerCase())
    .filter((t) => t !== '');
}

/** Every OpenMoji with both SVG files present, in openmoji.json order. */
export function listOpenMoji(opts: OpenMojiOptions = {}): OpenMoji[] {
  const dir = packageDir('openmoji', 'OpenMoji');
  const json = join(dir, 'data', 'openmoji.json');
  if (!existsSync(json)) throw new Error(`OpenMoji: ${json} is missing; reinstall it with: npm install openmoji`);
  let raw: RawOpenMoji[];
  try {
    raw = JSON.parse(readFileSync(json, 'utf8')) as RawOpenMoji[];
  } catch (e) {
    throw new Error(`OpenMoji: ${json} is not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(raw)) throw new Error(`OpenMoji: ${json} should hold an array of emoji`);
  const colorDir = join(dir, 'color', 'svg');
  const blackDir = join(dir, 'black', 'svg');
  if (!existsSync(colorDir)) throw new Error(`OpenMoji: ${colorDir} is missing; reinstall it with: npm install openmoji`);
  const out: OpenMoji[] = [];
  for (const e of raw) {
    if (typeof e.hexcode !== 'string') continue;
    const skinTone =
      (e.skintone !== undefined && e.skintone !== '' && e.skintone !== 0) ||
      (!!e.skintone_base_hexcode && e.skintone_base_hexcode !== e.hexcode);
    if (skinTone && !opts.skinTones) continue;
    const file = join(colorDir, `${e.hexcode}.svg`);
    const blackFile = join(blackDir, `${e.hexcode}.svg`);
    if (!existsSync(file) || !existsSync(blackFile)) continue;
    const name = plainText(e.annotation ?? e.hexcode).toLowerCase();
    const tags = [...new Set([...splitTags(e.tags), ...splitTags(e.openmoji_tags)])].filter((t) => t !== name);
    out.push({
      id: `openmoji:${e.hexcode}`,
      hexcode: e.hexcode,
      name,
      tags,
      group: e.group ?? '',
      subgroup: e.subgroups ?? '',
      skinTone,
      file,
      blackFile,
    });
  }
  if (!out.length) throw new Error(`OpenMoji: no drawings found under ${colorDir}`);
  return out;
}

/** The emoji rendered into a box x box RGBA square, in colour or as black line art. */
export function renderOpenMoji(item: OpenMoji, box = 64, style: OpenMojiStyle = 'color', margin = 0.04): RgbaImage {
  const file = style === 'color' ? item.file : item.blackFile;
  let svg: string;
  try {
    svg = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`OpenMoji ${item.name}: cannot read ${file}: ${(e as Error).message}`);
  }
  return renderSvg(svg, box, { name: file, margin });
}
