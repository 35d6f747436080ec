/**
 * Renders report.html in headless Chromium and checks the screenshot's pixels: the heatmap's cells are painted in
 * the expected colours at the expected spacing, the diagonal is outlined, the transfer region is hatched, and the
 * metrics table is drawn below the heatmap. Skips (with the reason) where Chromium is not installed.
 * Set MULKI_SCREENSHOT_DIR to keep the PNG for a look.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { accuracyColor, HEATMAP_LAYOUT, writeReport } from '../../src/report/index.js';
import { makeResults, MTIL_ORDER_I } from './fixture.js';

function findChromium(): string | null {
  const candidates = [
    process.env.MULKI_CHROMIUM,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
  ];
  return candidates.find((p): p is string => !!p && existsSync(p)) ?? null;
}

const chromium = findChromium();
const W = 1400;
const H = 1600;

/**
 * An 11-task matrix whose probe cells have colours used nowhere else in the heatmap: A[0][0] = 3 (dark purple)
 * and A[8][8] = 99 (yellow); every other cell lies in [40, 62] with white text. A[0][10] (transfer region, hatched)
 * and A[10][0] (seen, not hatched) are both 50.
 */
function probeMatrix(): number[][] {
  const T = 11;
  const m = Array.from({ length: T }, (_, i) => Array.from({ length: T }, (_, j) => 40 + ((i * 7 + j * 3) % 23)));
  m[0]![0] = 3;
  m[8]![8] = 99;
  m[0]![10] = 50;
  m[10]![0] = 50;
  return m;
}

interface Image {
  data: Buffer;
  width: number;
  height: number;
}

const near = (img: Image, x: number, y: number, c: readonly number[], tol: number) => {
  const o = (y * img.width + x) * 3;
  return (
    Math.abs(img.data[o]! - c[0]!) <= tol &&
    Math.abs(img.data[o + 1]! - c[1]!) <= tol &&
    Math.abs(img.data[o + 2]! - c[2]!) <= tol
  );
};

/** Pixels of colour c (within tol) in the box [x0, x1) x [y0, y1), clipped to the image. */
function pixelsOf(img: Image, c: readonly number[], tol: number, box = { x0: 0, y0: 0, x1: img.width, y1: img.height }) {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let y = Math.max(0, box.y0); y < Math.min(img.height, box.y1); y++) {
    for (let x = Math.max(0, box.x0); x < Math.min(img.width, box.x1); x++) {
      if (near(img, x, y, c, tol)) {
        xs.push(x);
        ys.push(y);
      }
    }
  }
  return { n: xs.length, xs, ys };
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

/** Centre of the main blob of matched pixels: the median, then the median of those within 60 px of it (this drops
 *  the few pixels of the same colour in the legend's colour bar). */
function blobCentre(m: { xs: number[]; ys: number[] }): { x: number; y: number } {
  const x = median(m.xs);
  const y = median(m.ys);
  const keep = m.xs.map((_, i) => i).filter((i) => Math.abs(m.xs[i]! - x) < 60 && Math.abs(m.ys[i]! - y) < 60);
  return { x: median(keep.map((i) => m.xs[i]!)), y: median(keep.map((i) => m.ys[i]!)) };
}

function countWhere(img: Image, box: { x0: number; y0: number; x1: number; y1: number }, f: (r: number, g: number, b: number) => boolean) {
  let n = 0;
  for (let y = box.y0; y < box.y1; y++) {
    for (let x = box.x0; x < box.x1; x++) {
      const o = (y * img.width + x) * 3;
      if (f(img.data[o]!, img.data[o + 1]!, img.data[o + 2]!)) n++;
    }
  }
  return n;
}

test('report.html renders in headless Chromium with the heatmap and the tables drawn', { timeout: 120_000 }, async (t) => {
  if (!chromium) {
    t.skip('Chromium not found (looked at $MULKI_CHROMIUM, /usr/bin/chromium, chromium-browser, google-chrome)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'mulki-shot-'));
  try {
    const results = makeResults({
      tasks: [...MTIL_ORDER_I.slice(0, 10), 'SUN<397> & co'],
      zeroShot: [45, 48, 51, 54, 57, 60, 42, 44, 46, 58, 61],
      matrix: probeMatrix(),
    });
    const { html } = writeReport(join(dir, 'report'), results);
    const png = join(dir, 'shot.png');
    const run = spawnSync(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--hide-scrollbars',
        '--disable-dev-shm-usage',
        '--force-device-scale-factor=1',
        `--user-data-dir=${join(dir, 'profile')}`,
        `--screenshot=${png}`,
        `--window-size=${W},${H}`,
        pathToFileURL(html).href,
      ],
      { timeout: 90_000, encoding: 'utf8' },
    );
    assert.ok(
      existsSync(png),
      `Chromium wrote no screenshot (status ${run.status}, signal ${run.signal}): ${(run.stderr ?? '').slice(-800)}`,
    );
    if (process.env.MULKI_SCREENSHOT_DIR) {
      mkdirSync(process.env.MULKI_SCREENSHOT_DIR, { recursive: true });
      copyFileSync(png, join(process.env.MULKI_SCREENSHOT_DIR, 'report.png'));
    }
    const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const img: Image = { data, width: info.width, height: info.height };
    assert.equal(img.width, W);
    assert.equal(img.height, H);

    // 1. the two probe cells are painted in their scale colours, one cell apart per task
    const L = HEATMAP_LAYOUT;
    const cellArea = L.cellW * L.cellH;
    const purple = pixelsOf(img, accuracyColor(3), 6);
    const yellow = pixelsOf(img, accuracyColor(99), 6);
    assert.ok(purple.n > 0.5 * cellArea, `cell A[0][0] = 3: only ${purple.n} pixels of its colour`);
    assert.ok(yellow.n > 0.5 * cellArea, `cell A[8][8] = 99: only ${yellow.n} pixels of its colour`);
    const p = blobCentre(purple);
    const q = blobCentre(yellow);
    assert.ok(Math.abs(q.x - p.x - 8 * L.cellW) <= 2, `cells 8 columns apart should be ${8 * L.cellW} px apart, got ${q.x - p.x}`);
    assert.ok(Math.abs(q.y - p.y - 8 * L.cellH) <= 2, `cells 8 rows apart should be ${8 * L.cellH} px apart, got ${q.y - p.y}`);
    assert.ok(p.y < H / 2, `the heatmap should start in the upper half of the page, found it at y=${p.y}`);

    // cell boxes (x0, y0 = top-left) from the centre of A[0][0]
    const box = (row: number, col: number, inset: number) => {
      const x0 = Math.round(p.x - L.cellW / 2 + col * L.cellW);
      const y0 = Math.round(p.y - L.cellH / 2 + row * L.cellH);
      return { x0: x0 + inset, y0: y0 + inset, x1: x0 + L.cellW - inset, y1: y0 + L.cellH - inset };
    };

    // 2. the diagonal is outlined in near-black; a seen cell has no dark outline
    const dark = (r: number, g: number, b: number) => r < 60 && g < 60 && b < 60;
    const diagDark = countWhere(img, box(0, 0, 0), dark);
    const seenDark = countWhere(img, box(10, 0, 0), dark);
    assert.ok(diagDark > 400, `diagonal cell outline: ${diagDark} dark pixels`);
    assert.ok(seenDark < 40, `seen cell should have no dark outline: ${seenDark} dark pixels`);

    // 3. the transfer region is hatched: A[0][10] = 50 shows light stripes over its colour, while A[10][0] = 50
    //    (already trained) is flat. Only the cell's left and right ends are looked at, away from the centred text.
    const base = accuracyColor(50);
    const baseSum = base[0] + base[1] + base[2];
    const lighter = (r: number, g: number, b: number) => r + g + b > baseSum + 45;
    const ends = (b: { x0: number; y0: number; x1: number; y1: number }) => [
      { ...b, x1: b.x0 + 16 },
      { ...b, x0: b.x1 - 16 },
    ];
    const stripes = (b: ReturnType<typeof box>) => ends(b).reduce((n, e) => n + countWhere(img, e, lighter), 0);
    const flat = (b: ReturnType<typeof box>) => ends(b).reduce((n, e) => n + pixelsOf(img, base, 8, e).n, 0);
    const hatched = box(0, 10, 4);
    const plain = box(10, 0, 4);
    const endArea = 2 * 16 * (hatched.y1 - hatched.y0);
    const h = { stripes: stripes(hatched), flat: flat(hatched) };
    const q2 = { stripes: stripes(plain), flat: flat(plain) };
    assert.ok(h.stripes > 0.15 * endArea && h.flat > 0.2 * endArea, `hatched cell: ${JSON.stringify(h)} of ${endArea}`);
    assert.ok(q2.stripes < 0.02 * endArea && q2.flat > 0.8 * endArea, `plain cell: ${JSON.stringify(q2)} of ${endArea}`);

    // 4. the metrics table: its header background appears below the heatmap, with text in the rows under it
    const header = pixelsOf(img, [0xe8, 0xee, 0xf7], 2);
    assert.ok(header.n > 20_000, `table header background: only ${header.n} pixels`);
    const heatmapBottom = p.y + 11 * L.cellH + L.gap;
    const headerTop = Math.min(...header.ys);
    assert.ok(headerTop > heatmapBottom, `table header (y=${headerTop}) should be below the heatmap (y=${heatmapBottom})`);
    const tableBody = { x0: 0, y0: headerTop, x1: W, y1: Math.min(H, headerTop + 320) };
    const text = countWhere(img, tableBody, (r, g, b) => r + g + b < 300);
    assert.ok(text > 3000, `metrics table text: only ${text} dark pixels`);

    t.diagnostic(
      `probe cells ${purple.n}/${yellow.n} px, centres (${p.x},${p.y}) (${q.x},${q.y}); outline dark ${diagDark} vs ` +
        `${seenDark}; hatched ${JSON.stringify(h)}, plain ${JSON.stringify(q2)} of ${endArea}; table header ` +
        `${header.n} px at y=${headerTop}, text ${text} px`,
    );

    // 5. the page as a whole is neither blank nor a solid fill
    const nonWhite = countWhere(img, { x0: 0, y0: 0, x1: W, y1: H }, (r, g, b) => r + g + b < 720);
    assert.ok(nonWhite > 0.08 * W * H && nonWhite < 0.7 * W * H, `non-white pixels: ${nonWhite} of ${W * H}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
