/**
 * Rendering one drawn object (an emoji or a clip-art drawing, given as RGBA at the working size) in one of the
 * corpus styles. The styles bridge to the downstream looks: grey on black (Fashion-MNIST), white on black
 * (MNIST), thin dark lines on white (Quick, Draw! doodles, from a Sobel edge map), blurry low resolution, inverted,
 * silhouettes, and plain colour with random placement and scale.
 */
import type { Rng } from '../../engine/rng.js';
import type { RgbaImage } from '../offline/raster.js';
import type { ObjectStyle } from './captions.js';
import {
  addNoise,
  alphaMap,
  boxBlur,
  dilate,
  downsample,
  edgeMap,
  grayscale,
  invert,
  lowResolution,
  over,
  paint,
  place,
  randomPlacement,
  type Placement,
  type Rgb,
  type RgbImage,
} from './image-ops.js';

const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];

/** Relative frequencies of the styles for variants after the first (which is always 'clean'). */
export const OBJECT_STYLE_WEIGHTS: Readonly<Record<Exclude<ObjectStyle, 'clean' | 'line-art'>, number>> = {
  color: 0.2,
  gray: 0.11,
  'on-black': 0.15,
  inverted: 0.07,
  lowres: 0.12,
  sketch: 0.2,
  'sketch-inverted': 0.07,
  silhouette: 0.08,
};

/** Weight of 'line-art' where the source has its own line drawings (OpenMoji's black set). */
export const LINE_ART_WEIGHT = 0.2;

/** The style of variant k of an item (variant 0 is 'clean'). */
export function pickObjectStyle(rng: Rng, variant: number, hasLineArt: boolean): ObjectStyle {
  if (variant === 0) return 'clean';
  const entries: [ObjectStyle, number][] = Object.entries(OBJECT_STYLE_WEIGHTS) as [ObjectStyle, number][];
  if (hasLineArt) entries.push(['line-art', LINE_ART_WEIGHT]);
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let u = rng.uniform() * total;
  for (const [s, w] of entries) {
    u -= w;
    if (u < 0) return s;
  }
  return entries[entries.length - 1]![0];
}

export interface ObjectRenderOptions {
  /** Output side in pixels; the object is given at the working size (an integer multiple). */
  size: number;
  /** Mirror images allowed (not for text, arrows or anything with a left/right in its name). */
  allowFlip: boolean;
  /** Line-art version of the object at the working size, for 'line-art'. */
  lineArt?: RgbaImage;
}

/** Mean luma of the clearly opaque pixels of a drawing (255 when there are none). */
function inkLuma(img: RgbaImage): number {
  let sum = 0;
  let n = 0;
  for (let p = 0; p < img.width * img.height; p++) {
    if (img.data[p * 4 + 3]! < 128) continue;
    sum += 0.299 * img.data[p * 4]! + 0.587 * img.data[p * 4 + 1]! + 0.114 * img.data[p * 4 + 2]!;
    n++;
  }
  return n ? sum / n : 255;
}

function lightColour(rng: Rng): Rgb {
  return [200 + rng.int(56), 200 + rng.int(56), 200 + rng.int(56)];
}

/** Renders `obj` (RGBA, working size) in `style`: RGB at opts.size. */
export function renderObject(obj: RgbaImage, style: ObjectStyle, rng: Rng, opts: ObjectRenderOptions): RgbImage {
  const work = obj.width;
  if (obj.height !== work) throw new Error(`renderObject: the object must be square, got ${obj.width}x${obj.height}`);
  if (work % opts.size !== 0) throw new Error(`renderObject: working size ${work} is not a multiple of ${opts.size}`);
  const placement = (min: number, max: number): Placement =>
    style === 'clean' ? { scale: 0.92, fx: 0.5, fy: 0.5, flip: false } : randomPlacement(rng, min, max, opts.allowFlip);
  let img: RgbImage;
  switch (style) {
    case 'clean':
      img = over(place(obj, work, placement(0.92, 0.92)), WHITE);
      break;
    case 'color': {
      const u = rng.uniform();
      const bg: Rgb = u < 0.7 ? WHITE : u < 0.9 ? lightColour(rng) : [128, 128, 128];
      img = over(place(obj, work, placement(0.55, 1)), bg);
      if (rng.uniform() < 0.3) img = addNoise(img, rng, 6);
      break;
    }
    case 'gray': {
      const g = 225 + rng.int(31);
      img = grayscale(over(place(obj, work, placement(0.55, 1)), [g, g, g]));
      break;
    }
    case 'on-black': {
      const placed = place(obj, work, placement(0.7, 1));
      // A dark drawing (black line art) would vanish on black: show its negative instead, light lines on black.
      img = inkLuma(placed) < 90 ? invert(grayscale(over(placed, WHITE))) : grayscale(over(placed, BLACK));
      if (rng.uniform() < 0.3) img = boxBlur(img, 1);
      break;
    }
    case 'inverted':
      img = invert(grayscale(over(place(obj, work, placement(0.55, 1)), WHITE)));
      break;
    case 'lowres': {
      img = over(place(obj, work, placement(0.6, 1)), rng.uniform() < 0.8 ? WHITE : lightColour(rng));
      if (rng.uniform() < 0.3) img = grayscale(img);
      const low = Math.max(6, Math.round((opts.size * rng.range(0.25, 0.55))));
      img = lowResolution(img, low);
      break;
    }
    case 'sketch':
    case 'sketch-inverted': {
      let ink = edgeMap(place(obj, work, placement(0.6, 1)), rng.range(0.8, 1.6));
      if (rng.uniform() < 0.5 * (work / opts.size - 1)) ink = dilate(ink, work);
      const pen: Rgb = style === 'sketch' ? (rng.uniform() < 0.8 ? BLACK : [40, 40, 110]) : WHITE;
      img = paint(ink, work, pen, style === 'sketch' ? WHITE : BLACK);
      break;
    }
    case 'silhouette': {
      const ink = alphaMap(place(obj, work, placement(0.55, 1)));
      for (let i = 0; i < ink.length; i++) ink[i] = ink[i]! >= 0.5 ? 1 : ink[i]! * 0.5;
      img = rng.uniform() < 0.6 ? paint(ink, work, BLACK, WHITE) : paint(ink, work, WHITE, BLACK);
      break;
    }
    case 'line-art': {
      if (!opts.lineArt) throw new Error("renderObject: style 'line-art' needs the line-art drawing");
      img = over(place(opts.lineArt, work, placement(0.55, 1)), WHITE);
      if (rng.uniform() < 0.3) img = invert(grayscale(img));
      break;
    }
  }
  return downsample(img, opts.size);
}
