/**
 * Pixel operations behind the corpus styles, on small square images (a working size of twice the output side):
 * placing an RGBA drawing on a canvas, grey levels, inversion, blur, Sobel edge maps, silhouettes, smooth elastic
 * distortion, and the final area downsampling to RGB. All are plain loops over Uint8Arrays: deterministic and
 * dependency-free.
 */
import type { Rng } from '../../engine/rng.js';
import type { RawImage } from '../dataset.js';
import { resizeRgba, type RgbaImage } from '../offline/raster.js';

export type Rgb = readonly [number, number, number];

/** An RGB image (3 channels). */
export type RgbImage = RawImage & { channels: 3 };

export function blankRgba(size: number): RgbaImage {
  return { width: size, height: size, data: new Uint8Array(size * size * 4) };
}

export interface Placement {
  /** Side of the drawing as a fraction of the canvas side. */
  scale: number;
  /** Top-left corner as a fraction of the free room (0 = left/top, 1 = right/bottom). */
  fx: number;
  fy: number;
  flip: boolean;
}

/** Random placement: scale in [minScale, maxScale], anywhere that keeps the drawing inside, optional mirror. */
export function randomPlacement(rng: Rng, minScale: number, maxScale: number, allowFlip: boolean): Placement {
  return { scale: rng.range(minScale, maxScale), fx: rng.uniform(), fy: rng.uniform(), flip: allowFlip && rng.uniform() < 0.5 };
}

/** Draws a square RGBA drawing onto a transparent size x size canvas at the placement. */
export function place(obj: RgbaImage, size: number, p: Placement): RgbaImage {
  const side = Math.max(2, Math.min(size, Math.round(size * p.scale)));
  const scaled = side === obj.width && side === obj.height ? obj : resizeRgba(obj, side, side);
  const out = blankRgba(size);
  const x0 = Math.round((size - side) * p.fx);
  const y0 = Math.round((size - side) * p.fy);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const sx = p.flip ? side - 1 - x : x;
      const s = (y * side + sx) * 4;
      const d = ((y0 + y) * size + x0 + x) * 4;
      out.data[d] = scaled.data[s]!;
      out.data[d + 1] = scaled.data[s + 1]!;
      out.data[d + 2] = scaled.data[s + 2]!;
      out.data[d + 3] = scaled.data[s + 3]!;
    }
  }
  return out;
}

/** RGBA over a solid colour. */
export function over(img: RgbaImage, bg: Rgb): RgbImage {
  const n = img.width * img.height;
  const out = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    const a = img.data[p * 4 + 3]!;
    for (let c = 0; c < 3; c++) out[p * 3 + c] = Math.round((img.data[p * 4 + c]! * a + bg[c]! * (255 - a)) / 255);
  }
  return { width: img.width, height: img.height, channels: 3, data: out };
}

/** Luma (ITU-R 601, as PIL's convert('L')) of each pixel. */
export function luma(img: RgbImage): Uint8Array {
  const n = img.width * img.height;
  const out = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    out[p] = Math.round((img.data[p * 3]! * 299 + img.data[p * 3 + 1]! * 587 + img.data[p * 3 + 2]! * 114) / 1000);
  }
  return out;
}

/** A one-channel image as RGB (grey). */
export function grayToRgb(g: Uint8Array, size: number): RgbImage {
  const out = new Uint8Array(size * size * 3);
  for (let p = 0; p < size * size; p++) out[p * 3] = out[p * 3 + 1] = out[p * 3 + 2] = g[p]!;
  return { width: size, height: size, channels: 3, data: out };
}

export function grayscale(img: RgbImage): RgbImage {
  return grayToRgb(luma(img), img.width);
}

export function invert(img: RgbImage): RgbImage {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = 255 - img.data[i]!;
  return { ...img, data: out };
}

/** Separable box blur of radius r (r = 0 copies). */
export function boxBlur(img: RgbImage, r: number): RgbImage {
  if (r <= 0) return { ...img, data: img.data.slice() };
  const { width: w, height: h } = img;
  const tmp = new Float32Array(w * h * 3);
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0, n = 0;
        for (let k = -r; k <= r; k++) {
          const xx = x + k;
          if (xx >= 0 && xx < w) {
            s += img.data[(y * w + xx) * 3 + c]!;
            n++;
          }
        }
        tmp[(y * w + x) * 3 + c] = s / n;
      }
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0, n = 0;
        for (let k = -r; k <= r; k++) {
          const yy = y + k;
          if (yy >= 0 && yy < h) {
            s += tmp[(yy * w + x) * 3 + c]!;
            n++;
          }
        }
        out[(y * w + x) * 3 + c] = Math.round(s / n);
      }
    }
  }
  return { width: w, height: h, channels: 3, data: out };
}

function sobel(v: Float32Array, size: number): Float32Array {
  const out = new Float32Array(size * size);
  const at = (x: number, y: number) => v[Math.min(size - 1, Math.max(0, y)) * size + Math.min(size - 1, Math.max(0, x))]!;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const gx = at(x + 1, y - 1) + 2 * at(x + 1, y) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2 * at(x - 1, y) - at(x - 1, y + 1);
      const gy = at(x - 1, y + 1) + 2 * at(x, y + 1) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2 * at(x, y - 1) - at(x + 1, y - 1);
      out[y * size + x] = Math.sqrt(gx * gx + gy * gy);
    }
  }
  return out;
}

/**
 * Edge strength of a drawing in [0, 1]: the larger of the Sobel magnitudes of its luma (on white) and of its alpha
 * (its outline), divided by `threshold` and clipped. Internal contours and the outline both become lines.
 */
export function edgeMap(img: RgbaImage, threshold = 1.2): Float32Array {
  const size = img.width;
  const n = size * size;
  const lum = new Float32Array(n);
  const alpha = new Float32Array(n);
  const rgb = over(img, [255, 255, 255]);
  const l = luma(rgb);
  for (let p = 0; p < n; p++) {
    lum[p] = l[p]! / 255;
    alpha[p] = img.data[p * 4 + 3]! / 255;
  }
  const a = sobel(lum, size);
  const b = sobel(alpha, size);
  const out = new Float32Array(n);
  for (let p = 0; p < n; p++) out[p] = Math.min(1, Math.max(a[p]!, b[p]!) / threshold);
  return out;
}

/** Grows strokes by one pixel (3x3 maximum). */
export function dilate(v: Float32Array, size: number): Float32Array {
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let m = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx, yy = y + dy;
          if (xx >= 0 && yy >= 0 && xx < size && yy < size) m = Math.max(m, v[yy * size + xx]!);
        }
      }
      out[y * size + x] = m;
    }
  }
  return out;
}

/** Ink in [0, 1] painted in `ink` colour on `paper` colour. */
export function paint(inkMap: Float32Array, size: number, ink: Rgb, paper: Rgb): RgbImage {
  const out = new Uint8Array(size * size * 3);
  for (let p = 0; p < size * size; p++) {
    const t = inkMap[p]!;
    for (let c = 0; c < 3; c++) out[p * 3 + c] = Math.round(paper[c]! + (ink[c]! - paper[c]!) * t);
  }
  return { width: size, height: size, channels: 3, data: out };
}

/** The drawing's alpha as ink in [0, 1]. */
export function alphaMap(img: RgbaImage): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n);
  for (let p = 0; p < n; p++) out[p] = img.data[p * 4 + 3]! / 255;
  return out;
}

/** Shrinks to `low` pixels and back: the blur of a low-resolution photo. */
export function lowResolution(img: RgbImage, low: number): RgbImage {
  const rgba = rgbToRgba(img);
  const small = resizeRgba(rgba, low, low);
  return rgbaToRgb(resizeRgba(small, img.width, img.height));
}

export function rgbToRgba(img: RgbImage): RgbaImage {
  const n = img.width * img.height;
  const out = new Uint8Array(n * 4);
  for (let p = 0; p < n; p++) {
    out[p * 4] = img.data[p * 3]!;
    out[p * 4 + 1] = img.data[p * 3 + 1]!;
    out[p * 4 + 2] = img.data[p * 3 + 2]!;
    out[p * 4 + 3] = 255;
  }
  return { width: img.width, height: img.height, data: out };
}

export function rgbaToRgb(img: RgbaImage): RgbImage {
  const n = img.width * img.height;
  const out = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    out[p * 3] = img.data[p * 4]!;
    out[p * 3 + 1] = img.data[p * 4 + 1]!;
    out[p * 3 + 2] = img.data[p * 4 + 2]!;
  }
  return { width: img.width, height: img.height, channels: 3, data: out };
}

/** Area downsampling to size x size (the working images are an integer multiple of the output side). */
export function downsample(img: RgbImage, size: number): RgbImage {
  if (img.width === size && img.height === size) return img;
  return rgbaToRgb(resizeRgba(rgbToRgba(img), size, size));
}

/**
 * Smooth random distortion, as in handwriting augmentation: displacements drawn on a coarse grid (cells x cells),
 * interpolated bilinearly, up to `amplitude` pixels; pixels are resampled bilinearly, edges clamped.
 */
export function elastic(img: RgbImage, rng: Rng, amplitude: number, cells = 3): RgbImage {
  const { width: w, height: h } = img;
  const g = cells + 1;
  const dx = new Float32Array(g * g);
  const dy = new Float32Array(g * g);
  for (let i = 0; i < g * g; i++) {
    dx[i] = rng.range(-amplitude, amplitude);
    dy[i] = rng.range(-amplitude, amplitude);
  }
  const field = (f: Float32Array, u: number, v: number) => {
    const x = Math.min(cells - 1e-6, Math.max(0, u * cells));
    const y = Math.min(cells - 1e-6, Math.max(0, v * cells));
    const x0 = Math.floor(x), y0 = Math.floor(y);
    const tx = x - x0, ty = y - y0;
    const a = f[y0 * g + x0]!, b = f[y0 * g + x0 + 1]!, c = f[(y0 + 1) * g + x0]!, d = f[(y0 + 1) * g + x0 + 1]!;
    return (a * (1 - tx) + b * tx) * (1 - ty) + (c * (1 - tx) + d * tx) * ty;
  };
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = (x + 0.5) / w, v = (y + 0.5) / h;
      const sx = Math.min(w - 1, Math.max(0, x + field(dx, u, v)));
      const sy = Math.min(h - 1, Math.max(0, y + field(dy, u, v)));
      const x0 = Math.floor(sx), y0 = Math.floor(sy);
      const x1 = Math.min(w - 1, x0 + 1), y1 = Math.min(h - 1, y0 + 1);
      const tx = sx - x0, ty = sy - y0;
      for (let c = 0; c < 3; c++) {
        const a = img.data[(y0 * w + x0) * 3 + c]!, b = img.data[(y0 * w + x1) * 3 + c]!;
        const cc = img.data[(y1 * w + x0) * 3 + c]!, d = img.data[(y1 * w + x1) * 3 + c]!;
        out[(y * w + x) * 3 + c] = Math.round((a * (1 - tx) + b * tx) * (1 - ty) + (cc * (1 - tx) + d * tx) * ty);
      }
    }
  }
  return { width: w, height: h, channels: 3, data: out };
}

/** Adds small Gaussian noise (sensor grain), clipped to bytes. */
export function addNoise(img: RgbImage, rng: Rng, sigma: number): RgbImage {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = img.data[i]! + rng.normal() * sigma;
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
  }
  return { ...img, data: out };
}
