import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compositeRgba,
  cropToInk,
  fitSquare,
  renderSvg,
  repairSvgNamespaces,
  resizeRgba,
  type RgbaImage,
} from '../../src/data/offline/raster.js';

function solid(w: number, h: number, rgba: [number, number, number, number]): RgbaImage {
  const data = new Uint8Array(w * h * 4);
  for (let p = 0; p < w * h; p++) data.set(rgba, p * 4);
  return { width: w, height: h, data };
}

test('resizeRgba keeps a flat colour flat, shrinking and growing', () => {
  const img = solid(10, 6, [200, 100, 50, 255]);
  for (const [w, h] of [[5, 3], [3, 7], [20, 20], [1, 1]] as const) {
    const out = resizeRgba(img, w, h);
    assert.equal(out.data.length, w * h * 4);
    for (let p = 0; p < w * h; p++) assert.deepEqual([...out.data.subarray(p * 4, p * 4 + 4)], [200, 100, 50, 255]);
  }
});

test('resizeRgba filters premultiplied colour: transparent pixels do not bleed into the result', () => {
  // Left half opaque red, right half fully transparent *green*: the shrunk pixel must be half-transparent red.
  const img = solid(4, 1, [0, 255, 0, 0]);
  img.data.set([255, 0, 0, 255, 255, 0, 0, 255], 0);
  const out = resizeRgba(img, 1, 1);
  assert.deepEqual([out.data[0], out.data[1], out.data[2]], [255, 0, 0]);
  assert.ok(Math.abs(out.data[3]! - 128) <= 1, `alpha ${out.data[3]}`);
});

test('compositeRgba puts alpha on the background colour', () => {
  const img = solid(1, 1, [0, 0, 0, 128]);
  const white = compositeRgba(img);
  assert.equal(white.channels, 3);
  assert.deepEqual([...white.data], [127, 127, 127]);
  assert.deepEqual([...compositeRgba(img, [0, 0, 0]).data], [0, 0, 0]);
});

test('cropToInk and fitSquare centre a drawing in a square', () => {
  const img = solid(20, 10, [0, 0, 0, 0]);
  for (let y = 2; y < 6; y++) for (let x = 5; x < 13; x++) img.data.set([10, 20, 30, 255], (y * 20 + x) * 4);
  const c = cropToInk(img);
  assert.deepEqual([c.width, c.height], [8, 4]);
  const sq = fitSquare(c, 16, 0);
  assert.deepEqual([sq.width, sq.height], [16, 16]);
  // 8x4 scaled to 16x8, centred vertically: rows 4..11 opaque, rows 0..3 transparent.
  assert.equal(sq.data[(0 * 16 + 8) * 4 + 3], 0);
  assert.equal(sq.data[(8 * 16 + 8) * 4 + 3], 255);
  assert.equal(sq.data[(15 * 16 + 8) * 4 + 3], 0);
});

test('repairSvgNamespaces adds the SVG namespace that old files omit, once', () => {
  const bare = '<?xml version="1.0"?><svg width="10" height="10"><use xlink:href="#a"/></svg>';
  const fixed = repairSvgNamespaces(bare);
  assert.match(fixed, /<svg xmlns="http:\/\/www.w3.org\/2000\/svg" xmlns:xlink="http:\/\/www.w3.org\/1999\/xlink" width/);
  assert.equal(repairSvgNamespaces(fixed), fixed);
});

test('renderSvg crops to the drawing, fits it in the box and renders namespace-less SVG', () => {
  // A 10x40 red bar on a big empty page, without xmlns.
  const svg = '<svg width="500" height="500"><rect x="100" y="50" width="10" height="40" fill="#ff0000"/></svg>';
  const img = renderSvg(svg, 40, { name: 'bar', margin: 0 });
  assert.deepEqual([img.width, img.height], [40, 40]);
  const c = cropToInk(img, 128);
  assert.equal(c.height, 40, 'the bar fills the box height');
  assert.ok(c.width >= 9 && c.width <= 11, `bar width ${c.width}`);
  const mid = (20 * 40 + 20) * 4;
  assert.deepEqual([...img.data.subarray(mid, mid + 4)], [255, 0, 0, 255]);
  assert.throws(() => renderSvg('<svg xmlns="http://www.w3.org/2000/svg" width="5" height="5"></svg>', 8, { name: 'empty.svg' }), /empty\.svg.*empty/);
  assert.throws(() => renderSvg('not svg at all', 8, { name: 'junk.svg' }), /cannot render SVG junk\.svg/);
});
