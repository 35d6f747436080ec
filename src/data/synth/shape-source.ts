/**
 * Corpus source of procedural shapes ("a small red circle", "a blue triangle outline", "a red square to the left
 * of a green star") and plain colours ("the colour red"), drawn with @napi-rs/canvas in named colours, sizes,
 * positions and rotations.
 */
import type { SKRSContext2D } from '@napi-rs/canvas';
import { contextRgb, scratchContext } from './canvas.js';
import type { Rng } from '../../engine/rng.js';
import { fillCaptions, indefinite } from './captions.js';
import { COLOURS, contrasts, css, jittered, pickColour, type NamedColour } from './colours.js';
import { downsample, grayscale, lowResolution, type Rgb, type RgbImage } from './image-ops.js';
import { entryRng, selectItems, type CorpusSource, type SourceContext } from './source.js';

export const SHAPES = [
  'circle', 'square', 'rectangle', 'triangle', 'star', 'pentagon', 'hexagon', 'octagon', 'diamond', 'heart', 'cross',
  'ring', 'ellipse', 'arrow', 'crescent',
] as const;
export type ShapeName = (typeof SHAPES)[number];

const PLURAL: Partial<Record<ShapeName, string>> = { cross: 'crosses' };

function plural(s: ShapeName): string {
  return PLURAL[s] ?? `${s}s`;
}

function polygon(ctx: SKRSContext2D, n: number, r: number, start = -Math.PI / 2): void {
  ctx.beginPath();
  for (let i = 0; i < n; i++) {
    const a = start + (2 * Math.PI * i) / n;
    if (i === 0) ctx.moveTo(r * Math.cos(a), r * Math.sin(a));
    else ctx.lineTo(r * Math.cos(a), r * Math.sin(a));
  }
  ctx.closePath();
}

/** Traces a shape of radius 1 around the origin (the caller scales, rotates and fills or strokes). */
function trace(ctx: SKRSContext2D, s: ShapeName): void {
  switch (s) {
    case 'circle':
      ctx.beginPath();
      ctx.arc(0, 0, 1, 0, 2 * Math.PI);
      return;
    case 'square':
      ctx.beginPath();
      ctx.rect(-0.8, -0.8, 1.6, 1.6);
      return;
    case 'rectangle':
      ctx.beginPath();
      ctx.rect(-1, -0.55, 2, 1.1);
      return;
    case 'triangle':
      polygon(ctx, 3, 1, -Math.PI / 2);
      return;
    case 'pentagon':
      polygon(ctx, 5, 1);
      return;
    case 'hexagon':
      polygon(ctx, 6, 1);
      return;
    case 'octagon':
      polygon(ctx, 8, 1, -Math.PI / 2 + Math.PI / 8);
      return;
    case 'diamond':
      ctx.beginPath();
      ctx.moveTo(0, -1);
      ctx.lineTo(0.65, 0);
      ctx.lineTo(0, 1);
      ctx.lineTo(-0.65, 0);
      ctx.closePath();
      return;
    case 'star':
      ctx.beginPath();
      for (let i = 0; i < 10; i++) {
        const a = -Math.PI / 2 + (Math.PI * i) / 5;
        const r = i % 2 ? 0.42 : 1;
        if (i === 0) ctx.moveTo(r * Math.cos(a), r * Math.sin(a));
        else ctx.lineTo(r * Math.cos(a), r * Math.sin(a));
      }
      ctx.closePath();
      return;
    case 'heart':
      ctx.beginPath();
      ctx.moveTo(0, 0.9);
      ctx.bezierCurveTo(-1.3, 0, -0.9, -1.1, 0, -0.45);
      ctx.bezierCurveTo(0.9, -1.1, 1.3, 0, 0, 0.9);
      ctx.closePath();
      return;
    case 'cross':
      ctx.beginPath();
      ctx.rect(-0.3, -1, 0.6, 2);
      ctx.rect(-1, -0.3, 2, 0.6);
      return;
    case 'ring':
      ctx.beginPath();
      ctx.arc(0, 0, 1, 0, 2 * Math.PI);
      ctx.arc(0, 0, 0.55, 0, 2 * Math.PI, true);
      return;
    case 'ellipse':
      ctx.beginPath();
      ctx.ellipse(0, 0, 1, 0.55, 0, 0, 2 * Math.PI);
      return;
    case 'arrow':
      ctx.beginPath();
      ctx.moveTo(1, 0);
      ctx.lineTo(0.2, -0.7);
      ctx.lineTo(0.2, -0.3);
      ctx.lineTo(-1, -0.3);
      ctx.lineTo(-1, 0.3);
      ctx.lineTo(0.2, 0.3);
      ctx.lineTo(0.2, 0.7);
      ctx.closePath();
      return;
    case 'crescent':
      ctx.beginPath();
      ctx.arc(0, 0, 1, Math.PI * 0.3, Math.PI * 1.7);
      ctx.arc(0.45, 0, 0.8, Math.PI * 1.62, Math.PI * 0.38, true);
      ctx.closePath();
      return;
  }
}

interface Drawn {
  shape: ShapeName;
  colour: NamedColour;
  filled: boolean;
  size: 'small' | 'large' | null;
  /** Centre, as fractions of the side. */
  x: number;
  y: number;
  direction: string | null;
}

const DIRECTIONS = ['right', 'down', 'left', 'up'];

function drawShape(ctx: SKRSContext2D, work: number, rng: Rng, shape: ShapeName, colour: NamedColour, r: number, x: number, y: number): Drawn {
  const filled = shape === 'ring' ? true : rng.uniform() < 0.7;
  let rotation = 0;
  let direction: string | null = null;
  if (shape === 'arrow') {
    const k = rng.int(4);
    rotation = (k * Math.PI) / 2;
    direction = DIRECTIONS[k]!;
  } else if (shape !== 'circle' && shape !== 'ring') rotation = rng.range(-0.3, 0.3);
  ctx.save();
  ctx.translate(x * work, y * work);
  ctx.rotate(rotation);
  ctx.scale(r * work, r * work);
  trace(ctx, shape);
  const c = css(jittered(colour, rng));
  if (filled) {
    ctx.fillStyle = c;
    ctx.fill('evenodd');
  } else {
    ctx.strokeStyle = c;
    ctx.lineWidth = rng.range(0.08, 0.18);
    ctx.lineJoin = 'round';
    ctx.stroke();
  }
  ctx.restore();
  const size = r < 0.22 ? 'small' : r > 0.36 ? 'large' : null;
  return { shape, colour, filled, size, x, y, direction };
}

function where(d: Drawn): string | null {
  const h = d.x < 0.36 ? 'left' : d.x > 0.64 ? 'right' : '';
  const v = d.y < 0.36 ? 'top' : d.y > 0.64 ? 'bottom' : '';
  if (h && v) return `in the ${v} ${h} corner`;
  if (h) return `on the ${h}`;
  if (v) return `at the ${v}`;
  return null;
}

function phrase(d: Drawn, withColour: boolean, withSize: boolean): string {
  const words = [withSize && d.size ? d.size : '', withColour ? d.colour.name : '', d.shape].filter((w) => w !== '');
  let p = `${indefinite(words[0]!)} ${words.join(' ')}`;
  if (!d.filled) p += ' outline';
  if (d.direction) p += ` pointing ${d.direction}`;
  return p;
}

type ShapeStyle = 'color' | 'gray' | 'lowres';

function shapeCaptions(ds: Drawn[], bg: NamedColour, style: ShapeStyle, rng: Rng, count: number): string[] {
  const colour = style !== 'gray';
  const pool: string[] = [];
  let first: string;
  if (ds.length === 1) {
    const d = ds[0]!;
    first = `${phrase(d, colour, rng.uniform() < 0.5)}.`;
    pool.push(
      `${phrase(d, colour, true)}.`,
      `${phrase(d, false, false)}.`,
      `a drawing of ${phrase(d, colour, false)}.`,
      `a picture of ${phrase(d, colour, true)}.`,
      `a ${d.shape} shape.`,
      `${indefinite(d.shape)} ${d.shape}.`,
      `the shape of ${indefinite(d.shape)} ${d.shape}.`,
    );
    if (colour) pool.push(`${phrase(d, true, false)} on ${indefinite(bg.name)} ${bg.name} background.`);
    const w = where(d);
    if (w) pool.push(`${phrase(d, colour, false)} ${w}.`);
    if (!d.filled) pool.push(`the outline of ${indefinite(d.shape)} ${d.shape}.`);
  } else {
    const [a, b] = ds as [Drawn, Drawn];
    const left = a.x <= b.x ? a : b;
    const right = a.x <= b.x ? b : a;
    first = `${phrase(a, colour, false)} and ${phrase(b, colour, false)}.`;
    pool.push(`two shapes: ${phrase(a, false, false)} and ${phrase(b, false, false)}.`, `${phrase(b, colour, true)} and ${phrase(a, colour, true)}.`);
    if (right.x - left.x > 0.25) pool.push(`${phrase(left, colour, false)} to the left of ${phrase(right, colour, false)}.`);
    if (a.shape === b.shape && a.colour.name === b.colour.name && a.filled === b.filled) {
      pool.push(`two ${colour ? a.colour.name + ' ' : ''}${plural(a.shape)}.`);
    }
  }
  if (style === 'gray') pool.push(`a black and white picture of ${ds.map((d) => phrase(d, false, false)).join(' and ')}.`);
  if (style === 'lowres') pool.push(`a blurry photo of ${ds.map((d) => phrase(d, true, false)).join(' and ')}.`);
  return fillCaptions([first], pool.map((p) => () => p), rng, count);
}

function renderShapes(id: string, ctx0: SourceContext): { image: RgbImage; captions: string[]; style: ShapeStyle } {
  const rng = entryRng(ctx0, 'shapes', id, 0);
  const work = ctx0.work;
  const ctx = scratchContext(work);
  const u = rng.uniform();
  const bg: NamedColour = u < 0.55 ? { name: 'white', rgb: [255, 255, 255] } : u < 0.7 ? { name: 'black', rgb: [0, 0, 0] } : pickColour(rng);
  ctx.fillStyle = css(bg.name === 'white' || bg.name === 'black' ? bg.rgb : jittered(bg, rng, 10));
  ctx.fillRect(0, 0, work, work);
  const n = rng.uniform() < 0.25 ? 2 : 1;
  const drawn: Drawn[] = [];
  for (let i = 0; i < n; i++) {
    const shape = SHAPES[rng.int(SHAPES.length)]!;
    let colour = pickColour(rng, [bg]);
    for (let t = 0; t < 20 && !contrasts(colour.rgb, bg.rgb); t++) colour = pickColour(rng, [bg]);
    const r = n === 1 ? rng.range(0.14, 0.46) : rng.range(0.12, 0.24);
    const x = n === 1 ? rng.range(r + 0.02, 1 - r - 0.02) : i === 0 ? rng.range(r + 0.02, 0.5 - 0.02) : rng.range(0.5 + 0.02, 1 - r - 0.02);
    const y = rng.range(r + 0.02, 1 - r - 0.02);
    drawn.push(drawShape(ctx, work, rng, shape, colour, r, Math.max(r, Math.min(1 - r, x)), y));
  }
  const s = rng.uniform();
  const style: ShapeStyle = s < 0.75 ? 'color' : s < 0.87 ? 'gray' : 'lowres';
  let img = contextRgb(ctx, work);
  if (style === 'gray') img = grayscale(img);
  if (style === 'lowres') img = lowResolution(img, Math.max(6, Math.round(ctx0.size * rng.range(0.3, 0.6))));
  return { image: downsample(img, ctx0.size), captions: shapeCaptions(drawn, bg, style, rng, ctx0.captions), style };
}

export function shapeSource(count = 4000): CorpusSource {
  return {
    name: 'shapes',
    licence: 'generated',
    description: `${count} images of one or two procedural shapes in named colours, sizes and positions`,
    async run(ctx) {
      const ids = Array.from({ length: count }, (_, k) => `shape:${k}`);
      for (const id of selectItems(ids, ctx.maxItems, ctx.seed, 'shapes')) {
        const r = renderShapes(id, ctx);
        ctx.emit({ id: `${id}#0`, source: 'shapes', item: id, style: r.style, captions: r.captions, image: r.image });
      }
    },
  };
}

function solidColour(id: string, colour: NamedColour, ctx: SourceContext): { image: RgbImage; captions: string[] } {
  const rng = entryRng(ctx, 'colours', id, 0);
  const a: Rgb = jittered(colour, rng, 22);
  const b: Rgb = jittered(colour, rng, 22);
  const n = ctx.size;
  const data = new Uint8Array(n * n * 3);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const t = (x + y) / (2 * n);
      for (let c = 0; c < 3; c++) data[(y * n + x) * 3 + c] = Math.round(a[c]! * (1 - t) + b[c]! * t);
    }
  }
  const c = colour.name;
  const captions = fillCaptions(
    [`the colour ${c}.`],
    [`the color ${c}.`, `a solid ${c} image.`, `${c}.`, `a plain ${c} background.`, `a photo of the colour ${c}.`, `something ${c}.`, `a ${c} surface.`].map((p) => () => p),
    rng,
    ctx.captions,
  );
  return { image: { width: n, height: n, channels: 3, data }, captions };
}

export function colourSource(perColour = 20): CorpusSource {
  return {
    name: 'colours',
    licence: 'generated',
    description: `plain named colours with slight gradients, ${perColour} per colour`,
    async run(ctx) {
      const items: { id: string; colour: NamedColour }[] = [];
      for (let k = 0; k < perColour; k++) for (const c of COLOURS) items.push({ id: `colour:${c.name}:${k}`, colour: c });
      for (const it of selectItems(items, ctx.maxItems, ctx.seed, 'colours')) {
        const r = solidColour(it.id, it.colour, ctx);
        ctx.emit({ id: `${it.id}#0`, source: 'colours', item: it.id, style: 'color', captions: r.captions, image: r.image });
      }
    },
  };
}
