/**
 * Pillow's Image.resize for 8-bit RGB (libImaging/Resample.c, ImagingResample), reproduced to the bit: separable
 * convolution, horizontal pass first into an 8-bit image, then vertical; filter support widened by the downscale
 * factor (antialiasing); weights normalised to sum 1, then turned into 22-bit fixed point with rounding away from
 * zero; each output is (2^21 + sum pixel * weight) >> 22 clipped to 0..255.
 *
 * Speed-ups that keep the result identical: coefficient tables are cached per (filter, in size, out size); only the
 * output window that is kept (e.g. a centre crop) is computed, and the horizontal pass only runs over the input
 * rows that window needs.
 *
 * The passes run in the native CPU addon (native/cpu/src/resample*.cpp: the same algorithm on the same
 * coefficients, vectorised, bit-identical) whenever it loads, in the main thread or a worker thread, and in the
 * TypeScript below otherwise. MULKI_NATIVE_RESIZE=0 forces the TypeScript code.
 */
import type { RawImage } from '../data/dataset.js';
import { loadImageAddon, type NativeImage } from '../engine/backends/cpu/native.js';

export type RgbImage = RawImage & { channels: 3 };
export type ResampleFilter = 'bicubic' | 'bilinear' | 'box' | 'hamming' | 'lanczos';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

const PRECISION_BITS = 32 - 8 - 2;
const HALF = 1 << (PRECISION_BITS - 1);

const FILTERS: Record<ResampleFilter, { support: number; f: (x: number) => number }> = {
  box: { support: 0.5, f: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  bilinear: { support: 1, f: (x) => ((x = Math.abs(x)) < 1 ? 1 - x : 0) },
  hamming: {
    support: 1,
    f: (x) => {
      x = Math.abs(x);
      if (x === 0) return 1;
      if (x >= 1) return 0;
      x *= Math.PI;
      return (Math.sin(x) / x) * (Math.fround(0.54) + Math.fround(0.46) * Math.cos(x));
    },
  },
  bicubic: {
    support: 2,
    f: (x) => {
      const a = -0.5;
      if (x < 0) x = -x;
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
  lanczos: {
    support: 3,
    f: (x) => {
      const sinc = (t: number) => (t === 0 ? 1 : Math.sin(t * Math.PI) / (t * Math.PI));
      return x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0;
    },
  },
};

/** Per output index: first input index, tap count, and ksize fixed-point weights. */
export interface Coefficients {
  ksize: number;
  bounds: Int32Array;
  weights: Int32Array;
}

const cache = new Map<string, Coefficients>();

let native: NativeImage | null | undefined;
let nativeWhy = '';

/** The native resampler of this thread, or null (MULKI_NATIVE_RESIZE=0, or the addon does not load). */
function nativeResampler(): NativeImage | null {
  if (native === undefined) {
    if (process.env['MULKI_NATIVE_RESIZE'] === '0') {
      native = null;
      nativeWhy = 'MULKI_NATIVE_RESIZE=0';
    } else {
      const r = loadImageAddon();
      native = 'addon' in r ? r.addon : null;
      nativeWhy = 'error' in r ? r.error : '';
    }
  }
  return native;
}

/** Whether resizeRgb runs natively in this thread, and if not, why. */
export function nativeResizeStatus(): { native: boolean; reason: string } {
  const n = nativeResampler();
  return { native: n !== null, reason: n ? '' : nativeWhy };
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for resampling [0, inSize) onto outSize samples. */
export function coefficients(inSize: number, outSize: number, filter: ResampleFilter = 'bicubic'): Coefficients {
  const key = `${filter}:${inSize}:${outSize}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const { support: base, f } = FILTERS[filter];
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = base * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const w = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      w[x] = f((x + xmin - center + 0.5) * ss);
      ww += w[x]!;
    }
    for (let x = 0; x < xmax; x++) {
      const k = ww !== 0 ? w[x]! / ww : w[x]!;
      weights[xx * ksize + x] = Math.trunc(k < 0 ? -0.5 + k * (1 << PRECISION_BITS) : 0.5 + k * (1 << PRECISION_BITS));
    }
    bounds[2 * xx] = xmin;
    bounds[2 * xx + 1] = xmax;
  }
  const c = { ksize, bounds, weights };
  if (cache.size >= 256) cache.clear();
  cache.set(key, c);
  return c;
}

function clip8(s: number): number {
  const v = s >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

export interface ResizeOptions {
  filter?: ResampleFilter;
  /** The part of the image resampled, as if cropped out first (default: all of it). */
  region?: Rect;
  /** The output pixels computed (default: all of them). */
  window?: Rect;
  /**
   * 'auto' (default): native when the addon loads here (and MULKI_NATIVE_RESIZE is not 0), else TypeScript;
   * 'ts' or 'native' (an error when the addon is not available) force one. For tests and benchmarks.
   */
  impl?: 'auto' | 'ts' | 'native';
  /** Kernel set of the native code: 'auto' (default), 'avx512', 'avx2' or 'generic'. For tests. */
  isa?: string;
}

/** The checked arguments and coefficients of one resize. */
interface Plan {
  filter: ResampleFilter;
  region: Rect;
  win: Rect;
  horiz: Coefficients | null;
  vert: Coefficients | null;
}

function plan(img: RgbImage, outWidth: number, outHeight: number, opts: ResizeOptions): Plan {
  const filter = opts.filter ?? 'bicubic';
  if (!(filter in FILTERS)) throw new Error(`resizeRgb: unknown filter ${String(filter)}`);
  const region = opts.region ?? { x: 0, y: 0, width: img.width, height: img.height };
  const win = opts.window ?? { x: 0, y: 0, width: outWidth, height: outHeight };
  checkRect(region, img.width, img.height, 'region', 'the image');
  checkRect(win, outWidth, outHeight, 'window', 'the output');
  if (img.data.length !== img.width * img.height * 3) {
    throw new Error(`resizeRgb: ${img.width}x${img.height} RGB needs ${img.width * img.height * 3} bytes, got ${img.data.length}`);
  }
  // Pillow skips a pass whose size does not change.
  const horiz = outWidth !== region.width ? coefficients(region.width, outWidth, filter) : null;
  const vert = outHeight !== region.height ? coefficients(region.height, outHeight, filter) : null;
  return { filter, region, win, horiz, vert };
}

function pickNative(opts: ResizeOptions): NativeImage | null {
  const impl = opts.impl ?? 'auto';
  if (impl === 'ts') return null;
  const n = nativeResampler();
  if (!n && impl === 'native') throw new Error(`resizeRgb: the native resampler is not available: ${nativeWhy}`);
  return n;
}

function runNative(n: NativeImage, img: RgbImage, p: Plan, dst: Uint8Array | Float32Array, off: number,
  lut: Float32Array | null, isa: string | undefined): void {
  const { region: r, win: w, horiz: h, vert: v } = p;
  n.resampleRgb(img.data, img.width, img.height, r.x, r.y, r.width, r.height,
    h ? h.bounds : null, h ? h.weights : null, h ? h.ksize : 0, v ? v.bounds : null, v ? v.weights : null,
    v ? v.ksize : 0, w.x, w.y, w.width, w.height, dst, off, lut, isa ?? 'auto');
}

/**
 * Image.resize((outWidth, outHeight), filter) of `region` of an RGB image (as if cropped out first, the way
 * torchvision's resized_crop does), returning only the output pixels inside `window` (default: all of them).
 */
export function resizeRgb(img: RgbImage, outWidth: number, outHeight: number, opts: ResizeOptions = {}): RgbImage {
  const p = plan(img, outWidth, outHeight, opts);
  const n = pickNative(opts);
  const { width, height } = p.win;
  if (n) {
    const data = new Uint8Array(width * height * 3);
    runNative(n, img, p, data, 0, null, opts.isa);
    return { width, height, channels: 3, data };
  }
  return { width, height, channels: 3, data: resizeTs(img, p) };
}

/**
 * resizeRgb, then the window's pixels as CHW float32 through a 3 x 256 table: out[outOffset + c * plane + i] =
 * lut[c * 256 + (channel c of pixel i)], plane = window width * height. Natively in one call when available.
 */
export function resizeRgbToChw(img: RgbImage, outWidth: number, outHeight: number, opts: ResizeOptions,
  lut: Float32Array, out: Float32Array, outOffset: number): void {
  const p = plan(img, outWidth, outHeight, opts);
  const plane = p.win.width * p.win.height;
  if (lut.length < 768) throw new Error(`resizeRgbToChw: the table needs 768 values, got ${lut.length}`);
  if (!Number.isInteger(outOffset) || outOffset < 0 || outOffset + 3 * plane > out.length) {
    throw new Error(`resizeRgbToChw: output buffer too small (${out.length} values, need ${outOffset + 3 * plane})`);
  }
  const n = pickNative(opts);
  if (n) {
    runNative(n, img, p, out, outOffset, lut, opts.isa);
    return;
  }
  const d = resizeTs(img, p);
  for (let i = 0, q = 0; i < plane; i++, q += 3) {
    out[outOffset + i] = lut[d[q]!]!;
    out[outOffset + plane + i] = lut[256 + d[q + 1]!]!;
    out[outOffset + 2 * plane + i] = lut[512 + d[q + 2]!]!;
  }
}

/** The TypeScript passes: RGB bytes of the window. */
function resizeTs(img: RgbImage, p: Plan): Uint8Array {
  const { region, win, horiz, vert } = p;
  // Rows of the region the kept output rows read.
  let rowFirst = win.y;
  let rowEnd = win.y + win.height;
  if (vert) {
    rowFirst = vert.bounds[2 * win.y]!;
    const last = win.y + win.height - 1;
    rowEnd = vert.bounds[2 * last]! + vert.bounds[2 * last + 1]!;
  }
  // Horizontal pass (identity when the width does not change: Pillow skips it then).
  let tmp: Uint8Array;
  if (horiz) {
    tmp = horizontal(img, region, rowFirst, rowEnd, horiz, win.x, win.width);
  } else {
    tmp = new Uint8Array((rowEnd - rowFirst) * win.width * 3);
    for (let r = rowFirst; r < rowEnd; r++) {
      const from = ((region.y + r) * img.width + region.x + win.x) * 3;
      tmp.set(img.data.subarray(from, from + win.width * 3), (r - rowFirst) * win.width * 3);
    }
  }
  if (!vert) return tmp;
  return vertical(tmp, win.width * 3, rowFirst, vert, win.y, win.height);
}

function checkRect(r: Rect, w: number, h: number, what: string, of: string): void {
  const ok = [r.x, r.y, r.width, r.height].every(Number.isInteger) && r.x >= 0 && r.y >= 0 && r.width > 0 && r.height > 0;
  if (!ok || r.x + r.width > w || r.y + r.height > h) {
    throw new Error(`resizeRgb: ${what} ${JSON.stringify(r)} is not inside ${of} (${w}x${h})`);
  }
}

function horizontal(
  img: RgbImage, region: Rect, rowFirst: number, rowEnd: number, c: Coefficients, x0: number, count: number,
): Uint8Array {
  const src = img.data;
  const { ksize, bounds, weights } = c;
  const out = new Uint8Array((rowEnd - rowFirst) * count * 3);
  let o = 0;
  for (let r = rowFirst; r < rowEnd; r++) {
    const rowBase = ((region.y + r) * img.width + region.x) * 3;
    for (let xx = x0; xx < x0 + count; xx++) {
      const n = bounds[2 * xx + 1]!;
      const kOff = xx * ksize;
      let p = rowBase + bounds[2 * xx]! * 3;
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      for (let x = 0; x < n; x++, p += 3) {
        const k = weights[kOff + x]!;
        s0 = (s0 + Math.imul(src[p]!, k)) | 0;
        s1 = (s1 + Math.imul(src[p + 1]!, k)) | 0;
        s2 = (s2 + Math.imul(src[p + 2]!, k)) | 0;
      }
      out[o++] = clip8(s0);
      out[o++] = clip8(s1);
      out[o++] = clip8(s2);
    }
  }
  return out;
}

function vertical(tmp: Uint8Array, rowLen: number, rowFirst: number, c: Coefficients, y0: number, count: number): Uint8Array {
  const { ksize, bounds, weights } = c;
  const out = new Uint8Array(count * rowLen);
  for (let yy = y0; yy < y0 + count; yy++) {
    const n = bounds[2 * yy + 1]!;
    const first = (bounds[2 * yy]! - rowFirst) * rowLen;
    const kOff = yy * ksize;
    const o = (yy - y0) * rowLen;
    for (let x = 0; x < rowLen; x++) {
      let s = HALF;
      for (let y = 0, p = first + x; y < n; y++, p += rowLen) s = (s + Math.imul(tmp[p]!, weights[kOff + y]!)) | 0;
      out[o + x] = clip8(s);
    }
  }
  return out;
}
