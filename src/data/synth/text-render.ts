/**
 * Drawing a short text (a digit, a letter, a word) with @napi-rs/canvas: one font face, a target height, rotation,
 * shear, optional stroke thickening, placed anywhere on the canvas; then one of the text styles: printed colours,
 * MNIST-like (white, thick, slightly distorted strokes on black), dark ink on paper, or a blurry low-resolution print.
 */
import type { Rng } from '../../engine/rng.js';
import { contextRgb, scratchContext } from './canvas.js';
import { contrastingPair, css, jittered, type NamedColour } from './colours.js';
import type { FontFace } from './fonts.js';
import { boxBlur, downsample, elastic, grayscale, lowResolution, type Rgb, type RgbImage } from './image-ops.js';

export type TextStyle = 'print' | 'mnist' | 'ink' | 'lowres';

export interface TextLayout {
  /** Text height (ink box) as a fraction of the canvas side. */
  height: number;
  /** Most of the canvas width the text may take. */
  maxWidth: number;
  /** Degrees. */
  rotate: number;
  /** Horizontal shear factor. */
  shear: number;
  /** Extra stroke width in pixels of the working canvas (0 = none). */
  thicken: number;
  /** Where the centre goes within the free room, 0..1. */
  fx: number;
  fy: number;
}

/** Draws text in `ink` on `paper` at the working size. */
export function drawText(text: string, face: FontFace, work: number, ink: Rgb, paper: Rgb, layout: TextLayout): RgbImage {
  const ctx = scratchContext(work);
  ctx.fillStyle = css(paper);
  ctx.fillRect(0, 0, work, work);
  const ref = 100;
  ctx.font = `${ref}px "${face.family}"`;
  const m = ctx.measureText(text);
  const inkW = Math.max(1, m.actualBoundingBoxLeft + m.actualBoundingBoxRight);
  const inkH = Math.max(1, m.actualBoundingBoxAscent + m.actualBoundingBoxDescent);
  const scale = Math.min((layout.height * work) / inkH, (layout.maxWidth * work) / inkW);
  const w = inkW * scale;
  const h = inkH * scale;
  const reach = Math.hypot(w, h) / 2;
  const room = Math.max(0, work - 2 * Math.min(reach, work / 2));
  const cx = work / 2 - room / 2 + room * layout.fx;
  const cy = work / 2 - room / 2 + room * layout.fy;
  ctx.translate(cx, cy);
  ctx.rotate((layout.rotate * Math.PI) / 180);
  ctx.transform(1, 0, layout.shear, 1, 0, 0);
  ctx.scale(scale, scale);
  // Centre of the ink box at the origin.
  const x = -(m.actualBoundingBoxRight - m.actualBoundingBoxLeft) / 2;
  const y = (m.actualBoundingBoxAscent - m.actualBoundingBoxDescent) / 2;
  ctx.fillStyle = css(ink);
  ctx.fillText(text, x, y);
  if (layout.thicken > 0) {
    ctx.strokeStyle = css(ink);
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    ctx.lineWidth = layout.thicken / scale;
    ctx.strokeText(text, x, y);
  }
  return contextRgb(ctx, work);
}

export interface RenderedText {
  image: RgbImage;
  style: TextStyle;
  /** Colour names for 'print' and 'lowres' (for captions). */
  fg: NamedColour | null;
  bg: NamedColour | null;
}

export const TEXT_STYLE_WEIGHTS: Readonly<Record<TextStyle, number>> = { print: 0.3, mnist: 0.3, ink: 0.25, lowres: 0.15 };

export function pickTextStyle(rng: Rng, weights: Readonly<Record<TextStyle, number>> = TEXT_STYLE_WEIGHTS): TextStyle {
  const entries = Object.entries(weights) as [TextStyle, number][];
  let u = rng.uniform() * entries.reduce((s, [, w]) => s + w, 0);
  for (const [s, w] of entries) {
    u -= w;
    if (u < 0) return s;
  }
  return entries[entries.length - 1]![0];
}

/**
 * Renders text in a style at `size` (drawn at `work` = an integer multiple, then downsampled). `short` texts (one
 * or two characters) are drawn large, as digits in MNIST (about 20 of 28 pixels high).
 */
export function renderText(text: string, face: FontFace, style: TextStyle, rng: Rng, size: number, work: number, short: boolean): RenderedText {
  const layout: TextLayout = {
    height: short ? rng.range(0.5, 0.8) : rng.range(0.22, 0.45),
    maxWidth: short ? 0.8 : 0.94,
    rotate: rng.range(-12, 12),
    shear: rng.range(-0.25, 0.25),
    thicken: 0,
    fx: rng.uniform(),
    fy: rng.uniform(),
  };
  const unit = work / 28;
  let fg: NamedColour | null = null;
  let bg: NamedColour | null = null;
  let img: RgbImage;
  switch (style) {
    case 'print':
    case 'lowres': {
      [fg, bg] = contrastingPair(rng);
      img = drawText(text, face, work, jittered(fg, rng), jittered(bg, rng, 10), layout);
      if (style === 'lowres') img = lowResolution(img, Math.max(6, Math.round(size * rng.range(0.3, 0.6))));
      break;
    }
    case 'mnist': {
      layout.height = short ? rng.range(0.6, 0.75) : layout.height;
      layout.fx = rng.range(0.35, 0.65);
      layout.fy = rng.range(0.35, 0.65);
      layout.thicken = rng.range(0.5, 2.5) * unit;
      const v = 200 + rng.int(56);
      img = drawText(text, face, work, [v, v, v], [0, 0, 0], layout);
      img = elastic(img, rng, rng.range(0.5, 2) * unit);
      if (rng.uniform() < 0.6) img = boxBlur(img, Math.max(1, Math.round(unit * 0.6)));
      break;
    }
    case 'ink': {
      layout.thicken = rng.range(0, 1.5) * unit;
      const v = rng.int(60);
      const paper = 215 + rng.int(41);
      img = drawText(text, face, work, [v, v, v], [paper, paper, paper], layout);
      if (rng.uniform() < 0.5) img = elastic(img, rng, rng.range(0.5, 1.5) * unit);
      img = grayscale(img);
      break;
    }
  }
  return { image: downsample(img, size), style, fg, bg };
}
