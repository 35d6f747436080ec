/**
 * Image sources to 8-bit RGB. Files and encoded bytes (JPEG, PNG, WebP, GIF, TIFF, AVIF... whatever sharp reads;
 * the first frame of an animation) are decoded by sharp without EXIF rotation or resizing, as PIL's Image.open +
 * convert('RGB') would see them (JPEG decoding matches PIL's libjpeg to the byte on the reference fixture). SVG text is
 * rasterised by sharp (librsvg), by default so that its shorter side is `svgSize` pixels.
 *
 * Grayscale is replicated to three channels. Alpha is composited on white by default
 * (round((c * a + 255 * (255 - a)) / 255)), which keeps transparent clip art and emoji on a white background;
 * `alpha: 'drop'` ignores it instead, as PIL's convert('RGB') does.
 */
import sharp from 'sharp';
import type { ImageSource, RawImage } from '../data/dataset.js';
import type { RgbImage } from './resize.js';

export type AlphaMode = 'white' | 'drop';

export interface DecodeOptions {
  alpha?: AlphaMode;
  /** Rasterise SVG so that its shorter side has this many pixels (default 224). */
  svgSize?: number;
  /** Rasterise SVG at this density in dots per inch instead (72 = the SVG's own size in pixels). */
  svgDensity?: number;
}

/** A short description of a source for error messages: the file path, or the name given with the bytes. */
export function sourceName(src: ImageSource): string {
  if (src.kind === 'file') return src.path;
  return src.name ?? `<${src.kind} image>`;
}

export async function decodeImage(src: ImageSource, opts: DecodeOptions = {}): Promise<RgbImage> {
  const alpha = opts.alpha ?? 'white';
  if (src.kind === 'raw') return toRgb(src.image, alpha, sourceName(src));
  try {
    let pipeline: ReturnType<typeof sharp>;
    if (src.kind === 'file') pipeline = sharp(src.path);
    else if (src.kind === 'encoded') pipeline = sharp(src.bytes);
    else pipeline = sharp(Buffer.from(src.svg, 'utf8'), { density: await svgDensity(src.svg, opts) });
    const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    const ch = info.channels;
    if (ch !== 1 && ch !== 2 && ch !== 3 && ch !== 4) throw new Error(`unexpected channel count ${ch}`);
    const raw = { width: info.width, height: info.height, channels: ch, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
    return toRgb(raw as RawImage | GrayAlpha, alpha, sourceName(src));
  } catch (e) {
    throw new Error(`cannot decode image ${sourceName(src)}: ${(e as Error).message}`);
  }
}

async function svgDensity(svg: string, opts: DecodeOptions): Promise<number> {
  if (opts.svgDensity !== undefined) return opts.svgDensity;
  const size = opts.svgSize ?? 224;
  const meta = await sharp(Buffer.from(svg, 'utf8')).metadata();
  const shorter = Math.min(meta.width ?? 0, meta.height ?? 0);
  if (!(shorter > 0)) throw new Error('SVG has no width or height');
  return Math.min(100000, (72 * size) / shorter);
}

type GrayAlpha = { width: number; height: number; channels: 2; data: Uint8Array };

/** Pixels with 1 to 4 channels (gray, gray+alpha, RGB, RGBA) to RGB. */
export function toRgb(img: RawImage | GrayAlpha, alpha: AlphaMode = 'white', name = '<raw image>'): RgbImage {
  const { width: w, height: h, channels: ch, data } = img;
  if (!Number.isInteger(w) || !Number.isInteger(h) || w <= 0 || h <= 0) throw new Error(`image ${name}: bad size ${w}x${h}`);
  if (data.length !== w * h * ch) throw new Error(`image ${name}: ${w}x${h}x${ch} needs ${w * h * ch} bytes, got ${data.length}`);
  if (ch === 3) return { width: w, height: h, channels: 3, data };
  const n = w * h;
  const out = new Uint8Array(n * 3);
  const white = alpha === 'white';
  for (let i = 0; i < n; i++) {
    const p = i * ch;
    let r: number, g: number, b: number;
    if (ch === 1 || ch === 2) r = g = b = data[p]!;
    else {
      r = data[p]!;
      g = data[p + 1]!;
      b = data[p + 2]!;
    }
    if (white && (ch === 2 || ch === 4)) {
      const a = data[p + ch - 1]!;
      if (a !== 255) {
        const bg = 255 * (255 - a);
        r = Math.round((r * a + bg) / 255);
        g = Math.round((g * a + bg) / 255);
        b = Math.round((b * a + bg) / 255);
      }
    }
    out[3 * i] = r;
    out[3 * i + 1] = g;
    out[3 * i + 2] = b;
  }
  return { width: w, height: h, channels: 3, data: out };
}
