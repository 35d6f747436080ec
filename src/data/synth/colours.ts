/**
 * Named colours for text, shapes and patterns, with jitter so that "red" covers a range of reds, and a contrast
 * check so that ink stays visible on its background.
 */
import type { Rng } from '../../engine/rng.js';
import type { Rgb } from './image-ops.js';

export interface NamedColour {
  name: string;
  rgb: Rgb;
}

export const COLOURS: readonly NamedColour[] = [
  { name: 'red', rgb: [220, 30, 35] },
  { name: 'orange', rgb: [245, 140, 20] },
  { name: 'yellow', rgb: [245, 215, 30] },
  { name: 'green', rgb: [40, 160, 60] },
  { name: 'blue', rgb: [35, 80, 220] },
  { name: 'purple', rgb: [130, 50, 170] },
  { name: 'pink', rgb: [240, 120, 180] },
  { name: 'brown', rgb: [125, 75, 35] },
  { name: 'black', rgb: [15, 15, 15] },
  { name: 'white', rgb: [250, 250, 250] },
  { name: 'gray', rgb: [128, 128, 128] },
  { name: 'light blue', rgb: [130, 190, 240] },
  { name: 'dark green', rgb: [20, 90, 40] },
];

/** A colour by name, jittered by up to `jitter` per channel. */
export function jittered(c: NamedColour, rng: Rng, jitter = 18): Rgb {
  const j = (v: number) => Math.max(0, Math.min(255, Math.round(v + rng.range(-jitter, jitter))));
  return [j(c.rgb[0]), j(c.rgb[1]), j(c.rgb[2])];
}

export function luminance(c: Rgb): number {
  return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
}

/** Whether two colours are far enough apart (in luma and in colour) to read one on the other. */
export function contrasts(a: Rgb, b: Rgb): boolean {
  const dl = Math.abs(luminance(a) - luminance(b));
  const dc = Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1]) + Math.abs(a[2] - b[2]);
  return dl > 60 || (dl > 35 && dc > 200);
}

/** A random named colour other than those listed. */
export function pickColour(rng: Rng, not: readonly NamedColour[] = []): NamedColour {
  const options = COLOURS.filter((c) => !not.some((n) => n.name === c.name));
  return options[rng.int(options.length)]!;
}

/** A (foreground, background) pair of named colours that contrast. */
export function contrastingPair(rng: Rng): [NamedColour, NamedColour] {
  for (;;) {
    const fg = pickColour(rng);
    const bg = pickColour(rng, [fg]);
    if (contrasts(fg.rgb, bg.rgb)) return [fg, bg];
  }
}

export function css(c: Rgb): string {
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}
