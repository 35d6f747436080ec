/** Colour scales of the report: accuracy -> viridis (perceptually uniform, colour-blind safe), series palette. */

export type Rgb = readonly [number, number, number];

/** Viridis sampled at 0, 1/8, ..., 1 (matplotlib's values), interpolated linearly in between. */
const VIRIDIS: readonly Rgb[] = [
  [68, 1, 84],
  [72, 40, 120],
  [62, 73, 137],
  [49, 104, 142],
  [38, 130, 142],
  [31, 158, 137],
  [53, 183, 121],
  [110, 206, 88],
  [253, 231, 37],
];

/** Colour of an accuracy in percent; the scale is fixed to [0, 100] so reports compare at a glance. */
export function accuracyColor(pct: number): Rgb {
  const t = Math.min(1, Math.max(0, pct / 100)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(t));
  const f = t - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  return [0, 1, 2].map((c) => Math.round(a[c]! + (b[c]! - a[c]!) * f)) as unknown as Rgb;
}

export function rgbHex(c: Rgb): string {
  return '#' + c.map((v) => v.toString(16).padStart(2, '0')).join('');
}

/** Black or white, whichever reads better on the background (WCAG relative luminance). */
export function textColorOn(bg: Rgb): string {
  const lin = bg.map((v) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  const lum = 0.2126 * lin[0]! + 0.7152 * lin[1]! + 0.0722 * lin[2]!;
  return lum > 0.22 ? '#111111' : '#ffffff';
}

/** Tableau 10 plus two: distinct line colours; after 12 series the colours repeat with a dash pattern. */
const SERIES = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948',
  '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac', '#17becf', '#393b79',
];
const DASHES = ['', '6 3', '2 3', '8 3 2 3'];

export function seriesColor(k: number): string {
  return SERIES[k % SERIES.length]!;
}

export function seriesDash(k: number): string {
  return DASHES[Math.floor(k / SERIES.length) % DASHES.length]!;
}

/** Stops for an SVG linearGradient drawing the accuracy scale from 0 to 100. */
export function accuracyGradientStops(): string {
  return VIRIDIS.map((c, i) => `<stop offset="${((i / (VIRIDIS.length - 1)) * 100).toFixed(1)}%" stop-color="${rgbHex(c)}"/>`).join('');
}
