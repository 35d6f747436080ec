/**
 * CLIP image preprocessing, as torchvision composes it on PIL images:
 *   evaluation: Resize(size, bicubic) on the shorter side -> CenterCrop(size) -> ToTensor -> Normalize(mean, std)
 *   training:   RandomResizedCrop(size, scale (0.9, 1), ratio (3/4, 4/3), bicubic) -> ToTensor -> Normalize
 * Resampling is Pillow's (see resize.ts), so the evaluation path matches the Python pipeline. Output is the CHW
 * float32 data of one image, written into a new array or at an offset of a batch buffer.
 */
import type { ImageSource } from '../data/dataset.js';
import type { Rng } from '../engine/rng.js';
import { decodeImage, type DecodeOptions } from './decode.js';
import { resizeRgb, resizeRgbToChw, type Rect, type ResizeOptions, type RgbImage } from './resize.js';

export const CLIP_MEAN: readonly [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_STD: readonly [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

export interface NormalizeOptions {
  mean?: readonly number[];
  std?: readonly number[];
  /** Write into this buffer (at outOffset) instead of a new Float32Array. */
  out?: Float32Array;
  outOffset?: number;
}

export interface EvalOptions extends NormalizeOptions {
  size?: number;
}

export interface TrainOptions extends EvalOptions {
  scale?: readonly [number, number];
  ratio?: readonly [number, number];
}

/** Python's round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** torchvision Resize(size) with an int size: the shorter side becomes size, the longer int(size * long / short). */
export function shorterSideSize(width: number, height: number, size: number): [number, number] {
  const [short, long] = width <= height ? [width, height] : [height, width];
  const newLong = Math.trunc((size * long) / short);
  return width <= height ? [size, newLong] : [newLong, size];
}

/** torchvision CenterCrop offsets: int(round((dim - crop) / 2)). */
export function centerCropOffset(width: number, height: number, cropW: number, cropH: number): { x: number; y: number } {
  return { x: roundHalfEven((width - cropW) / 2), y: roundHalfEven((height - cropH) / 2) };
}

const lutCache = new Map<string, Float32Array>();

/** ToTensor + Normalize in float32 as torch computes them ((v / 255 - mean) / std), as a 3 x 256 table. */
function normalizeTable(mean: readonly number[], std: readonly number[]): Float32Array {
  const key = `${mean.join(',')}/${std.join(',')}`;
  let t = lutCache.get(key);
  if (t) return t;
  if (mean.length !== 3 || std.length !== 3 || std.some((s) => !(s > 0))) {
    throw new Error(`normalize: need 3 means and 3 positive stds, got mean [${mean}] std [${std}]`);
  }
  t = new Float32Array(768);
  for (let c = 0; c < 3; c++) {
    const m = Math.fround(mean[c]!);
    const s = Math.fround(std[c]!);
    for (let v = 0; v < 256; v++) t[c * 256 + v] = Math.fround(Math.fround(Math.fround(v / 255) - m) / s);
  }
  if (lutCache.size > 16) lutCache.clear();
  lutCache.set(key, t);
  return t;
}

/** RGB HWC uint8 -> normalised CHW float32. */
export function normalizeToChw(img: RgbImage, opts: NormalizeOptions = {}): Float32Array {
  const lut = normalizeTable(opts.mean ?? CLIP_MEAN, opts.std ?? CLIP_STD);
  const plane = img.width * img.height;
  const off = opts.outOffset ?? 0;
  const out = opts.out ?? new Float32Array(3 * plane);
  if (off < 0 || off + 3 * plane > out.length) throw new Error(`normalize: output buffer too small (${out.length} values, need ${off + 3 * plane})`);
  const d = img.data;
  for (let i = 0, p = 0; i < plane; i++, p += 3) {
    out[off + i] = lut[d[p]!]!;
    out[off + plane + i] = lut[256 + d[p + 1]!]!;
    out[off + 2 * plane + i] = lut[512 + d[p + 2]!]!;
  }
  return out;
}

/** Resize(size, bicubic) + CenterCrop(size) as uint8 RGB (size x size). */
export function resizeCenterCrop(img: RgbImage, size = 224): RgbImage {
  const [w, h] = shorterSideSize(img.width, img.height, size);
  const { x, y } = centerCropOffset(w, h, size, size);
  return resizeRgb(img, w, h, { filter: 'bicubic', window: { x, y, width: size, height: size } });
}

/**
 * resizeRgb + normalizeToChw in one step (one native call when the addon is in use: no intermediate image).
 * The output is the whole window (default: the whole output).
 */
export function resizeNormalize(img: RgbImage, outWidth: number, outHeight: number, resize: ResizeOptions,
  opts: NormalizeOptions = {}): Float32Array {
  const lut = normalizeTable(opts.mean ?? CLIP_MEAN, opts.std ?? CLIP_STD);
  const win = resize.window ?? { width: outWidth, height: outHeight };
  const plane = win.width * win.height;
  const off = opts.outOffset ?? 0;
  const out = opts.out ?? new Float32Array(3 * plane);
  if (off < 0 || off + 3 * plane > out.length) throw new Error(`normalize: output buffer too small (${out.length} values, need ${off + 3 * plane})`);
  resizeRgbToChw(img, outWidth, outHeight, resize, lut, out, off);
  return out;
}

/** The evaluation transform: CHW float32 of size x size. */
export function evalTransform(img: RgbImage, opts: EvalOptions = {}): Float32Array {
  const size = opts.size ?? 224;
  const [w, h] = shorterSideSize(img.width, img.height, size);
  const { x, y } = centerCropOffset(w, h, size, size);
  return resizeNormalize(img, w, h, { filter: 'bicubic', window: { x, y, width: size, height: size } }, opts);
}

/** torchvision RandomResizedCrop.get_params: 10 tries at a random area and aspect ratio, then a central crop. */
export function randomResizedCropBox(
  width: number,
  height: number,
  rng: Rng,
  scale: readonly [number, number] = [0.9, 1.0],
  ratio: readonly [number, number] = [3 / 4, 4 / 3],
): Rect {
  if (!(scale[0] <= scale[1]) || !(ratio[0] <= ratio[1]) || !(scale[0] > 0) || !(ratio[0] > 0)) {
    throw new Error(`RandomResizedCrop: bad scale [${scale}] or ratio [${ratio}]`);
  }
  const area = width * height;
  const logLo = Math.log(ratio[0]);
  const logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.range(scale[0], scale[1]);
    const aspect = Math.exp(rng.range(logLo, logHi));
    const w = roundHalfEven(Math.sqrt(target * aspect));
    const h = roundHalfEven(Math.sqrt(target / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const y = rng.int(height - h + 1);
      const x = rng.int(width - w + 1);
      return { x, y, width: w, height: h };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < ratio[0]) h = roundHalfEven(w / ratio[0]);
  else if (inRatio > ratio[1]) w = roundHalfEven(h * ratio[1]);
  return { x: Math.floor((width - w) / 2), y: Math.floor((height - h) / 2), width: w, height: h };
}

/** The training transform: RandomResizedCrop (bicubic) to size x size, then normalise. */
export function trainTransform(img: RgbImage, rng: Rng, opts: TrainOptions = {}): Float32Array {
  const size = opts.size ?? 224;
  const box = randomResizedCropBox(img.width, img.height, rng, opts.scale, opts.ratio);
  return resizeNormalize(img, size, size, { filter: 'bicubic', region: box }, opts);
}

/** Decode + evaluation transform (no rng) or training transform (with one). */
export async function preprocessImage(
  src: ImageSource,
  opts: TrainOptions & DecodeOptions & { rng?: Rng } = {},
): Promise<Float32Array> {
  const img = await decodeImage(src, { svgSize: opts.size ?? 224, ...opts });
  return opts.rng ? trainTransform(img, opts.rng, opts) : evalTransform(img, opts);
}
