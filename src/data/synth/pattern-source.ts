/**
 * Corpus source of procedural textures and patterns in two named colours: stripes, polka dots, checks, grids,
 * zigzags, waves, concentric circles, crosshatching, bricks, speckles, gradients, honeycombs and spirals, captioned
 * with the describable-texture words ("a striped pattern", "a photo of a chequered texture", "red and white
 * stripes").
 */
import type { SKRSContext2D } from '@napi-rs/canvas';
import { contextRgb, scratchContext } from './canvas.js';
import type { Rng } from '../../engine/rng.js';
import { fillCaptions } from './captions.js';
import { contrastingPair, css, jittered } from './colours.js';
import { addNoise, downsample, grayscale, lowResolution, type RgbImage } from './image-ops.js';
import { entryRng, selectItems, type CorpusSource, type SourceContext } from './source.js';

interface PatternKind {
  name: string;
  /** Adjectives for "a {adj} pattern". */
  adjectives: string[];
  /** Nouns for "{fg} and {bg} {noun}". */
  nouns: string[];
  draw(ctx: SKRSContext2D, work: number, rng: Rng): string | null;
}

const PATTERNS: readonly PatternKind[] = [
  {
    name: 'stripes',
    adjectives: ['striped', 'banded', 'lined'],
    nouns: ['stripes'],
    draw(ctx, w, rng) {
      const period = rng.range(0.08, 0.25) * w;
      const k = rng.int(3);
      ctx.save();
      ctx.translate(w / 2, w / 2);
      ctx.rotate(k === 0 ? 0 : k === 1 ? Math.PI / 2 : rng.uniform() < 0.5 ? Math.PI / 4 : -Math.PI / 4);
      for (let x = -w; x < w; x += period) ctx.fillRect(x, -w, period * rng.range(0.35, 0.6), 2 * w);
      ctx.restore();
      return ['vertical', 'horizontal', 'diagonal'][k]!;
    },
  },
  {
    name: 'dots',
    adjectives: ['polka-dotted', 'dotted', 'spotted'],
    nouns: ['polka dots', 'dots', 'spots'],
    draw(ctx, w, rng) {
      const period = rng.range(0.12, 0.25) * w;
      const r = period * rng.range(0.15, 0.35);
      for (let y = period / 2, row = 0; y < w + period; y += period, row++) {
        for (let x = (row % 2) * (period / 2); x < w + period; x += period) {
          ctx.beginPath();
          ctx.arc(x, y, r, 0, 2 * Math.PI);
          ctx.fill();
        }
      }
      return null;
    },
  },
  {
    name: 'checks',
    adjectives: ['chequered', 'checkered', 'checkerboard'],
    nouns: ['checks', 'squares'],
    draw(ctx, w, rng) {
      const n = 2 + rng.int(6);
      const s = w / n;
      for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) if ((x + y) % 2 === 0) ctx.fillRect(x * s, y * s, s, s);
      return null;
    },
  },
  {
    name: 'grid',
    adjectives: ['grid', 'meshed'],
    nouns: ['grid lines', 'a grid'],
    draw(ctx, w, rng) {
      const period = rng.range(0.1, 0.25) * w;
      ctx.lineWidth = rng.range(0.01, 0.03) * w;
      ctx.beginPath();
      for (let x = period / 2; x < w; x += period) {
        ctx.moveTo(x, 0);
        ctx.lineTo(x, w);
        ctx.moveTo(0, x);
        ctx.lineTo(w, x);
      }
      ctx.stroke();
      return null;
    },
  },
  {
    name: 'zigzag',
    adjectives: ['zigzagged', 'zigzag', 'chevron'],
    nouns: ['zigzags', 'zigzag lines'],
    draw(ctx, w, rng) {
      const period = rng.range(0.12, 0.25) * w;
      const amp = period * rng.range(0.3, 0.6);
      ctx.lineWidth = rng.range(0.02, 0.05) * w;
      ctx.beginPath();
      for (let y = period / 2; y < w + period; y += period) {
        for (let x = 0, k = 0; x <= w + period; x += period / 2, k++) {
          const yy = y + (k % 2 ? amp / 2 : -amp / 2);
          if (x === 0) ctx.moveTo(x, yy);
          else ctx.lineTo(x, yy);
        }
      }
      ctx.stroke();
      return null;
    },
  },
  {
    name: 'waves',
    adjectives: ['wavy', 'rippled'],
    nouns: ['waves', 'wavy lines'],
    draw(ctx, w, rng) {
      const period = rng.range(0.1, 0.22) * w;
      const amp = period * rng.range(0.2, 0.5);
      const len = rng.range(0.3, 0.6) * w;
      ctx.lineWidth = rng.range(0.02, 0.05) * w;
      ctx.beginPath();
      for (let y = 0; y < w + period; y += period) {
        for (let x = 0; x <= w; x += 1) {
          const yy = y + amp * Math.sin((2 * Math.PI * x) / len);
          if (x === 0) ctx.moveTo(x, yy);
          else ctx.lineTo(x, yy);
        }
      }
      ctx.stroke();
      return null;
    },
  },
  {
    name: 'circles',
    adjectives: ['concentric', 'ringed'],
    nouns: ['concentric circles', 'rings'],
    draw(ctx, w, rng) {
      const period = rng.range(0.06, 0.14) * w;
      ctx.lineWidth = period * rng.range(0.3, 0.5);
      const cx = rng.range(0.3, 0.7) * w;
      const cy = rng.range(0.3, 0.7) * w;
      for (let r = period; r < 1.5 * w; r += period) {
        ctx.beginPath();
        ctx.arc(cx, cy, r, 0, 2 * Math.PI);
        ctx.stroke();
      }
      return null;
    },
  },
  {
    name: 'crosshatch',
    adjectives: ['crosshatched', 'hatched'],
    nouns: ['crosshatching', 'crossed lines'],
    draw(ctx, w, rng) {
      const period = rng.range(0.07, 0.16) * w;
      ctx.lineWidth = rng.range(0.01, 0.03) * w;
      ctx.beginPath();
      for (let k = -w; k < 2 * w; k += period) {
        ctx.moveTo(k, 0);
        ctx.lineTo(k + w, w);
        ctx.moveTo(k, w);
        ctx.lineTo(k + w, 0);
      }
      ctx.stroke();
      return null;
    },
  },
  {
    name: 'bricks',
    adjectives: ['brick', 'tiled'],
    nouns: ['bricks', 'a brick wall'],
    draw(ctx, w, rng) {
      const h = rng.range(0.08, 0.16) * w;
      const bw = h * rng.range(1.8, 2.6);
      ctx.lineWidth = rng.range(0.015, 0.03) * w;
      ctx.beginPath();
      for (let y = 0, row = 0; y < w; y += h, row++) {
        ctx.moveTo(0, y);
        ctx.lineTo(w, y);
        for (let x = (row % 2) * (bw / 2); x < w; x += bw) {
          ctx.moveTo(x, y);
          ctx.lineTo(x, y + h);
        }
      }
      ctx.stroke();
      return null;
    },
  },
  {
    name: 'speckles',
    adjectives: ['speckled', 'sprinkled', 'flecked'],
    nouns: ['speckles', 'flecks'],
    draw(ctx, w, rng) {
      const n = Math.round(w * w * rng.range(0.01, 0.04));
      for (let i = 0; i < n; i++) ctx.fillRect(rng.uniform() * w, rng.uniform() * w, rng.range(1, 3), rng.range(1, 3));
      return null;
    },
  },
  {
    name: 'gradient',
    adjectives: ['gradient', 'smooth'],
    nouns: ['a gradient', 'a colour gradient'],
    draw(ctx, w, rng) {
      const a = rng.uniform() * 2 * Math.PI;
      const g = ctx.createLinearGradient(w / 2 - (Math.cos(a) * w) / 2, w / 2 - (Math.sin(a) * w) / 2, w / 2 + (Math.cos(a) * w) / 2, w / 2 + (Math.sin(a) * w) / 2);
      g.addColorStop(0, ctx.fillStyle as string);
      g.addColorStop(1, 'rgba(0,0,0,0)');
      ctx.fillStyle = g;
      ctx.fillRect(0, 0, w, w);
      return null;
    },
  },
  {
    name: 'honeycomb',
    adjectives: ['honeycombed', 'hexagonal'],
    nouns: ['hexagons', 'a honeycomb'],
    draw(ctx, w, rng) {
      const r = rng.range(0.05, 0.12) * w;
      ctx.lineWidth = rng.range(0.01, 0.03) * w;
      const dx = r * Math.sqrt(3);
      for (let y = 0, row = 0; y < w + r; y += 1.5 * r, row++) {
        for (let x = (row % 2) * (dx / 2); x < w + dx; x += dx) {
          ctx.beginPath();
          for (let i = 0; i < 6; i++) {
            const a = Math.PI / 6 + (Math.PI * i) / 3;
            if (i === 0) ctx.moveTo(x + r * Math.cos(a), y + r * Math.sin(a));
            else ctx.lineTo(x + r * Math.cos(a), y + r * Math.sin(a));
          }
          ctx.closePath();
          ctx.stroke();
        }
      }
      return null;
    },
  },
  {
    name: 'spiral',
    adjectives: ['spiralled', 'swirly'],
    nouns: ['a spiral', 'swirls'],
    draw(ctx, w, rng) {
      const turns = rng.range(3, 7);
      ctx.lineWidth = rng.range(0.02, 0.05) * w;
      ctx.beginPath();
      const cx = rng.range(0.35, 0.65) * w;
      const cy = rng.range(0.35, 0.65) * w;
      for (let t = 0; t < turns * 2 * Math.PI; t += 0.05) {
        const r = (t / (turns * 2 * Math.PI)) * 0.7 * w;
        const x = cx + r * Math.cos(t);
        const y = cy + r * Math.sin(t);
        if (t === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      }
      ctx.stroke();
      return null;
    },
  },
];

function pick<T>(rng: Rng, a: readonly T[]): T {
  return a[rng.int(a.length)]!;
}

function renderPattern(id: string, kind: PatternKind, ctx0: SourceContext): { image: RgbImage; captions: string[]; style: string } {
  const rng = entryRng(ctx0, 'patterns', id, 0);
  const work = ctx0.work;
  const ctx = scratchContext(work);
  const [fg, bg] = contrastingPair(rng);
  ctx.fillStyle = css(jittered(bg, rng, 10));
  ctx.fillRect(0, 0, work, work);
  ctx.fillStyle = css(jittered(fg, rng));
  ctx.strokeStyle = ctx.fillStyle;
  const detail = kind.draw(ctx, work, rng);
  let img: RgbImage = contextRgb(ctx, work);
  const u = rng.uniform();
  const style = u < 0.7 ? 'color' : u < 0.85 ? 'gray' : 'lowres';
  if (style === 'gray') img = grayscale(img);
  if (style === 'lowres') img = lowResolution(img, Math.max(8, Math.round(ctx0.size * rng.range(0.4, 0.7))));
  if (rng.uniform() < 0.3) img = addNoise(img, rng, 8);
  const adj = pick(rng, kind.adjectives);
  const noun = pick(rng, kind.nouns);
  const colours = style === 'gray' ? '' : `${fg.name} and ${bg.name} `;
  const pool = [
    `a ${adj} pattern.`,
    `a photo of a ${adj} texture.`,
    `a ${adj} texture.`,
    `${colours}${noun}.`,
    `a photo of a ${adj} pattern.`,
    `a ${adj} surface.`,
    `a ${colours}${adj} pattern.`,
    `a close-up of a ${adj} texture.`,
  ];
  if (style !== 'gray') pool.push(`a ${adj} ${fg.name} pattern on ${bg.name}.`, `${fg.name} ${noun} on a ${bg.name} background.`);
  if (detail) pool.push(`${detail} ${noun}.`, `a pattern of ${detail} ${noun}.`);
  if (style === 'gray') pool.push(`a black and white photo of a ${adj} texture.`);
  if (style === 'lowres') pool.push(`a blurry photo of a ${adj} pattern.`);
  const first = rng.uniform() < 0.5 ? `a ${adj} pattern.` : `a photo of a ${adj} texture.`;
  const captions = fillCaptions([first], pool.map((p) => () => p), rng, ctx0.captions);
  return { image: downsample(img, ctx0.size), captions, style };
}

export function patternSource(perKind = 200): CorpusSource {
  return {
    name: 'patterns',
    licence: 'generated',
    description: `${PATTERNS.length} kinds of procedural texture in two named colours, ${perKind} each`,
    async run(ctx) {
      const items: { id: string; kind: PatternKind }[] = [];
      for (let k = 0; k < perKind; k++) for (const kind of PATTERNS) items.push({ id: `pattern:${kind.name}:${k}`, kind });
      for (const it of selectItems(items, ctx.maxItems, ctx.seed, 'patterns')) {
        const r = renderPattern(it.id, it.kind, ctx);
        ctx.emit({ id: `${it.id}#0`, source: 'patterns', item: it.id, style: r.style, captions: r.captions, image: r.image });
      }
    },
  };
}
