/**
 * Rasterising the offline image sources to straight-alpha RGBA: SVG with @resvg/resvg-js (synchronous, pure Rust, the
 * same pixels on every machine with the same version), PNG with sharp. Drawings are fitted into a square box
 * (aspect kept, centred, transparent margin), optionally cropped to their ink first, then composited on a
 * background colour when RGB is wanted. Resampling is a separable triangle filter on premultiplied colour,
 * antialiased when shrinking.
 */
import { existsSync } from 'node:fs';
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';
import sharp from 'sharp';
import type { RawImage } from '../dataset.js';

/** Straight (not premultiplied) RGBA, 8 bits per channel, row-major. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Fonts handed to resvg for <text> elements (the first one found is the default family). */
const SVG_FONT_FILES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf',
  '/usr/share/fonts/truetype/freefont/FreeSans.ttf',
];

let fontOptions: ResvgRenderOptions['font'] | null = null;

function svgFonts(): ResvgRenderOptions['font'] {
  if (fontOptions) return fontOptions;
  const file = SVG_FONT_FILES.find((f) => existsSync(f));
  fontOptions = file ? { loadSystemFonts: false, fontFiles: [file], defaultFontFamily: familyOf(file) } : { loadSystemFonts: false };
  return fontOptions;
}

function familyOf(file: string): string {
  if (file.includes('DejaVu')) return 'DejaVu Sans';
  if (file.includes('Liberation')) return 'Liberation Sans';
  return 'FreeSans';
}

/**
 * Old SVG files (Open Clip Art 0.18 has a few hundred) omit the SVG namespace on the root element, which strict
 * parsers reject. Adds xmlns (and xmlns:xlink when xlink: attributes are used) to the root <svg> tag.
 */
export function repairSvgNamespaces(svg: string): string {
  const m = /<svg\b[^>]*>/.exec(svg);
  if (!m) return svg;
  let tag = m[0];
  const add: string[] = [];
  if (!/\sxmlns\s*=/.test(tag)) add.push('xmlns="http://www.w3.org/2000/svg"');
  if (/xlink:/.test(svg) && !/\sxmlns:xlink\s*=/.test(tag)) add.push('xmlns:xlink="http://www.w3.org/1999/xlink"');
  if (!add.length) return svg;
  tag = tag.replace(/^<svg\b/, `<svg ${add.join(' ')}`);
  return svg.slice(0, m.index) + tag + svg.slice(m.index + m[0].length);
}

export interface SvgRenderOptions {
  /** Name for error messages (a file path or an emoji code). */
  name: string;
  /** Transparent margin on each side, as a fraction of the box (default 0.05). */
  margin?: number;
  /** Crop to the drawing's bounding box before fitting (default true): removes empty page margins. */
  crop?: boolean;
}

/** Renders SVG text into a box x box RGBA image, the drawing fitted inside the margin and centred. */
export function renderSvg(svg: string, box: number, opts: SvgRenderOptions): RgbaImage {
  const { name } = opts;
  if (!Number.isInteger(box) || box <= 0) throw new Error(`renderSvg ${name}: box must be a positive integer, got ${box}`);
  const inner = Math.max(1, Math.round(box * (1 - 2 * (opts.margin ?? 0.05))));
  const crop = opts.crop ?? true;
  const text = repairSvgNamespaces(svg);
  const make = (mode: 'width' | 'height') => {
    try {
      const r = new Resvg(text, { fitTo: { mode, value: inner }, font: svgFonts(), background: 'rgba(0,0,0,0)' });
      if (crop) {
        const bb = r.getBBox();
        if (!bb || !(bb.width > 0) || !(bb.height > 0)) throw new Error('the drawing is empty (no bounding box)');
        r.cropByBBox(bb);
      }
      return r;
    } catch (e) {
      throw new Error(`cannot render SVG ${name}: ${(e as Error).message}`);
    }
  };
  let r = make('width');
  if (r.height > r.width) r = make('height');
  let img;
  try {
    img = r.render();
  } catch (e) {
    throw new Error(`cannot render SVG ${name}: ${(e as Error).message}`);
  }
  const drawn: RgbaImage = { width: img.width, height: img.height, data: new Uint8Array(img.pixels) };
  if (drawn.width === 0 || drawn.height === 0) throw new Error(`cannot render SVG ${name}: empty result`);
  return placeCentred(drawn, box, inner);
}

/** Decodes a PNG (or any image sharp reads) file to RGBA. */
export async function decodeRgba(path: string): Promise<RgbaImage> {
  try {
    const { data, info } = await sharp(path).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) throw new Error(`expected 4 channels, got ${info.channels}`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (e) {
    throw new Error(`cannot decode image ${path}: ${(e as Error).message}`);
  }
}

/** Fits an RGBA image into a box x box square with a margin (aspect kept, centred, transparent elsewhere). */
export function fitSquare(img: RgbaImage, box: number, margin = 0.05): RgbaImage {
  const inner = Math.max(1, Math.round(box * (1 - 2 * margin)));
  return placeCentred(img, box, inner);
}

function placeCentred(img: RgbaImage, box: number, inner: number): RgbaImage {
  const s = inner / Math.max(img.width, img.height);
  const w = Math.max(1, Math.min(inner, Math.round(img.width * s)));
  const h = Math.max(1, Math.min(inner, Math.round(img.height * s)));
  const scaled = w === img.width && h === img.height ? img : resizeRgba(img, w, h);
  const out = new Uint8Array(box * box * 4);
  const x0 = Math.floor((box - w) / 2);
  const y0 = Math.floor((box - h) / 2);
  for (let y = 0; y < h; y++) out.set(scaled.data.subarray(y * w * 4, (y + 1) * w * 4), ((y0 + y) * box + x0) * 4);
  return { width: box, height: box, data: out };
}

interface Taps {
  start: Int32Array;
  count: Int32Array;
  weights: Float32Array;
  maxTaps: number;
}

/** Triangle-filter taps for one axis (support widened by the shrink factor, so shrinking averages). */
function taps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const support = Math.max(1, scale);
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * maxTaps);
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale;
    const lo = Math.max(0, Math.floor(centre - support));
    const hi = Math.min(inSize, Math.ceil(centre + support));
    let sum = 0;
    let k = 0;
    for (let i = lo; i < hi && k < maxTaps; i++, k++) {
      const w = Math.max(0, 1 - Math.abs((i + 0.5 - centre) / support));
      weights[o * maxTaps + k] = w;
      sum += w;
    }
    if (sum <= 0) {
      // Degenerate (tiny inputs): nearest neighbour.
      const i = Math.min(inSize - 1, Math.max(0, Math.floor(centre)));
      start[o] = i;
      count[o] = 1;
      weights[o * maxTaps] = 1;
      continue;
    }
    for (let j = 0; j < k; j++) weights[o * maxTaps + j]! /= sum;
    start[o] = lo;
    count[o] = k;
  }
  return { start, count, weights, maxTaps };
}

/** Resizes straight RGBA (filtering premultiplied colour, so transparent pixels do not bleed their colour). */
export function resizeRgba(img: RgbaImage, width: number, height: number): RgbaImage {
  const { width: iw, height: ih, data } = img;
  if (data.length !== iw * ih * 4) throw new Error(`resizeRgba: ${iw}x${ih} RGBA needs ${iw * ih * 4} bytes, got ${data.length}`);
  if (!(width > 0 && height > 0)) throw new Error(`resizeRgba: bad target size ${width}x${height}`);
  const pre = new Float32Array(iw * ih * 4);
  for (let p = 0; p < iw * ih; p++) {
    const a = data[p * 4 + 3]! / 255;
    pre[p * 4] = data[p * 4]! * a;
    pre[p * 4 + 1] = data[p * 4 + 1]! * a;
    pre[p * 4 + 2] = data[p * 4 + 2]! * a;
    pre[p * 4 + 3] = data[p * 4 + 3]!;
  }
  const tx = taps(iw, width);
  const ty = taps(ih, height);
  // Horizontal pass: ih x width.
  const mid = new Float32Array(ih * width * 4);
  for (let y = 0; y < ih; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0, g = 0, b = 0, a = 0;
      const s = tx.start[x]!;
      for (let k = 0; k < tx.count[x]!; k++) {
        const w = tx.weights[x * tx.maxTaps + k]!;
        const q = (y * iw + s + k) * 4;
        r += pre[q]! * w;
        g += pre[q + 1]! * w;
        b += pre[q + 2]! * w;
        a += pre[q + 3]! * w;
      }
      const o = (y * width + x) * 4;
      mid[o] = r;
      mid[o + 1] = g;
      mid[o + 2] = b;
      mid[o + 3] = a;
    }
  }
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const s = ty.start[y]!;
    for (let x = 0; x < width; x++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let k = 0; k < ty.count[y]!; k++) {
        const w = ty.weights[y * ty.maxTaps + k]!;
        const q = ((s + k) * width + x) * 4;
        r += mid[q]! * w;
        g += mid[q + 1]! * w;
        b += mid[q + 2]! * w;
        a += mid[q + 3]! * w;
      }
      const o = (y * width + x) * 4;
      // r, g, b are colour times alpha/255; dividing by al/255 restores straight colour.
      const al = Math.min(255, Math.max(0, a));
      out[o + 3] = Math.round(al);
      if (al > 0) {
        const f = 255 / al;
        out[o] = clampByte(r * f);
        out[o + 1] = clampByte(g * f);
        out[o + 2] = clampByte(b * f);
      }
    }
  }
  return { width, height, data: out };
}

function clampByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

/** Composites RGBA over a solid background colour: RGB pixels. */
export function compositeRgba(img: RgbaImage, background: readonly [number, number, number] = [255, 255, 255]): RawImage {
  const n = img.width * img.height;
  const out = new Uint8Array(n * 3);
  const [br, bg, bb] = background;
  for (let p = 0; p < n; p++) {
    const a = img.data[p * 4 + 3]!;
    const r = img.data[p * 4]!, g = img.data[p * 4 + 1]!, b = img.data[p * 4 + 2]!;
    out[p * 3] = Math.round((r * a + br * (255 - a)) / 255);
    out[p * 3 + 1] = Math.round((g * a + bg * (255 - a)) / 255);
    out[p * 3 + 2] = Math.round((b * a + bb * (255 - a)) / 255);
  }
  return { width: img.width, height: img.height, channels: 3, data: out };
}

/** Crops to the bounding box of pixels with alpha above a threshold (the whole image when none is). */
export function cropToInk(img: RgbaImage, threshold = 8): RgbaImage {
  const { width: w, height: h, data } = img;
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (data[(y * w + x) * 4 + 3]! > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return img;
  const cw = x1 - x0 + 1;
  const ch = y1 - y0 + 1;
  if (cw === w && ch === h) return img;
  const out = new Uint8Array(cw * ch * 4);
  for (let y = 0; y < ch; y++) out.set(data.subarray(((y0 + y) * w + x0) * 4, ((y0 + y) * w + x1 + 1) * 4), y * cw * 4);
  return { width: cw, height: ch, data: out };
}
