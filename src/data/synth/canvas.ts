/**
 * One reusable 2-D canvas per size for the procedural sources (text, shapes, patterns): creating a native canvas
 * per image leaves the garbage collector hundreds of megabytes of native memory to find. The context comes back
 * with its drawing state reset to the defaults, so reuse does not change what is drawn.
 */
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import type { RgbImage } from './image-ops.js';

const canvases = new Map<number, SKRSContext2D>();

export function scratchContext(size: number): SKRSContext2D {
  let ctx = canvases.get(size);
  if (!ctx) {
    ctx = createCanvas(size, size).getContext('2d');
    canvases.set(size, ctx);
  }
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.globalAlpha = 1;
  ctx.globalCompositeOperation = 'source-over';
  ctx.fillStyle = '#000000';
  ctx.strokeStyle = '#000000';
  ctx.lineWidth = 1;
  ctx.lineJoin = 'miter';
  ctx.lineCap = 'butt';
  ctx.font = '10px sans-serif';
  ctx.textAlign = 'start';
  ctx.textBaseline = 'alphabetic';
  ctx.clearRect(0, 0, size, size);
  return ctx;
}

/** The canvas pixels as RGB (alpha dropped: every source paints an opaque background first). */
export function contextRgb(ctx: SKRSContext2D, size: number): RgbImage {
  const data = ctx.getImageData(0, 0, size, size).data;
  const out = new Uint8Array(size * size * 3);
  for (let p = 0; p < size * size; p++) {
    out[p * 3] = data[p * 4]!;
    out[p * 3 + 1] = data[p * 4 + 1]!;
    out[p * 3 + 2] = data[p * 4 + 2]!;
  }
  return { width: size, height: size, channels: 3, data: out };
}
