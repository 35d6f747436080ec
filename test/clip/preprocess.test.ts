import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { readSafetensors } from '../../src/engine/io/safetensors.js';
import { packageRoot } from '../../src/assets.js';
import { Rng } from '../../src/engine/rng.js';
import { decodeImage, toRgb } from '../../src/clip/decode.js';
import { resizeRgb, type RgbImage } from '../../src/clip/resize.js';
import {
  centerCropOffset,
  evalTransform,
  normalizeToChw,
  preprocessImage,
  randomResizedCropBox,
  roundHalfEven,
  shorterSideSize,
  trainTransform,
} from '../../src/clip/preprocess.js';

const FIXTURES = join(packageRoot(), '..', 'shared', 'fixtures', 'hf-clip-tiny');
const SAMPLE = join(FIXTURES, 'sample.jpg');
const golden = readSafetensors(join(FIXTURES, 'golden.safetensors'), { names: ['sample_decoded_rgb', 'sample_preprocessed'] });

function crop(img: RgbImage, x: number, y: number, w: number, h: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let r = 0; r < h; r++) data.set(img.data.subarray(((y + r) * img.width + x) * 3, ((y + r) * img.width + x + w) * 3), r * w * 3);
  return { width: w, height: h, channels: 3, data };
}

function noise(w: number, h: number, seed: number): RgbImage {
  const rng = new Rng(seed);
  return { width: w, height: h, channels: 3, data: Uint8Array.from({ length: w * h * 3 }, () => rng.int(256)) };
}

test('sample.jpg decodes to the PIL-decoded pixels', async (t) => {
  const img = await decodeImage({ kind: 'file', path: SAMPLE });
  const ref = golden.get('sample_decoded_rgb')!;
  assert.deepEqual([img.height, img.width, 3], ref.shape);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < ref.data.length; i++) {
    const d = Math.abs(img.data[i]! - ref.data[i]!);
    max = Math.max(max, d);
    sum += d;
  }
  t.diagnostic(`decoded vs PIL: max abs difference ${max}, mean ${(sum / ref.data.length).toExponential(2)} (libjpeg builds may differ by a few levels)`);
  assert.ok(max <= 3 && sum / ref.data.length < 0.05, `max ${max}, mean ${sum / ref.data.length}`);
});

test('the evaluation transform of sample.jpg matches torchvision + PIL within 0.02', async (t) => {
  const decoded = await decodeImage({ kind: 'file', path: SAMPLE });
  const decodedExactly = decoded.data.every((v, i) => v === golden.get('sample_decoded_rgb')!.data[i]);
  const x = await preprocessImage({ kind: 'file', path: SAMPLE });
  const ref = golden.get('sample_preprocessed')!;
  assert.deepEqual(ref.shape, [3, 224, 224]);
  assert.equal(x.length, ref.data.length);
  let max = 0;
  let at = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i]! - ref.data[i]!);
    if (d > max) [max, at] = [d, i];
  }
  t.diagnostic(`largest gap ${max} at index ${at}`);
  assert.ok(max <= 0.02, `largest gap ${max} at ${at}: got ${x[at]}, want ${ref.data[at]}`);
  // From the same decoded pixels, Pillow's fixed-point resampling and torch's float32 normalisation are reproduced
  // exactly: no gap beyond float32 rounding.
  if (decodedExactly) assert.ok(max <= 1e-6, `decoding matched PIL, so the gap ${max} must be float rounding only`);
});

test('torchvision size rules: shorter side, centre-crop offsets, Python rounding', () => {
  assert.deepEqual(shorterSideSize(500, 375, 224), [298, 224]);
  assert.deepEqual(shorterSideSize(375, 500, 224), [224, 298]);
  assert.deepEqual(shorterSideSize(224, 224, 224), [224, 224]);
  assert.deepEqual(shorterSideSize(1000, 10, 224), [22400, 224]);
  assert.deepEqual(shorterSideSize(333, 500, 224), [224, 336]); // int(224 * 500 / 333) = int(336.33)
  assert.deepEqual(centerCropOffset(298, 224, 224, 224), { x: 37, y: 0 });
  assert.deepEqual(centerCropOffset(299, 224, 224, 224), { x: 38, y: 0 }); // round(37.5) = 38
  assert.deepEqual(centerCropOffset(224, 297, 224, 224), { x: 0, y: 36 }); // round(36.5) = 36
  assert.deepEqual([0.5, 1.5, 2.5, 2.4, 2.6, 3, 3.4, 1.49999].map(roundHalfEven), [0, 2, 2, 2, 3, 3, 3, 1]);
});

test('resize: windows and regions give the same pixels as resizing everything / cropping first', () => {
  const img = noise(61, 47, 1);
  for (const [ow, oh] of [[29, 40], [120, 33], [61, 20], [17, 47], [200, 150]] as const) {
    const full = resizeRgb(img, ow, oh);
    const win = { x: Math.floor(ow / 5), y: Math.floor(oh / 4), width: Math.ceil(ow / 2), height: Math.ceil(oh / 2) };
    assert.deepEqual(resizeRgb(img, ow, oh, { window: win }), crop(full, win.x, win.y, win.width, win.height), `window ${ow}x${oh}`);
    const region = { x: 5, y: 9, width: 40, height: 31 };
    const viaCrop = resizeRgb(crop(img, region.x, region.y, region.width, region.height), ow, oh);
    assert.deepEqual(resizeRgb(img, ow, oh, { region }), viaCrop, `region ${ow}x${oh}`);
  }
  assert.deepEqual(resizeRgb(img, 61, 47).data, img.data);
  const flat: RgbImage = { width: 37, height: 23, channels: 3, data: new Uint8Array(37 * 23 * 3).fill(173) };
  for (const f of ['bicubic', 'bilinear', 'lanczos', 'hamming', 'box'] as const) {
    assert.ok(resizeRgb(flat, 11, 50, { filter: f }).data.every((v) => v === 173), `${f} keeps a flat image flat`);
  }
  assert.throws(() => resizeRgb(img, 10, 10, { window: { x: 5, y: 0, width: 6, height: 10 } }), /window .* is not inside the output \(10x10\)/);
});

test('resize: bicubic overshoot is clipped to 0..255 and a 2x upscale interpolates', () => {
  // A step edge overshoots with a = -0.5 (values would leave 0..255 without clipping).
  const step: RgbImage = { width: 4, height: 1, channels: 3, data: Uint8Array.from([0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255]) };
  const up = resizeRgb(step, 8, 1).data.filter((_, i) => i % 3 === 0);
  // Hand computation: out x=3 sits at input 1.25 -> weights of inputs 0..3 for t = 1.25: [-0.0703125, 0.8671875,
  // 0.2265625, -0.0234375]: 255 * (0.2265625 - 0.0234375) = 51.8 -> 52; x=4 is the mirror image: 255 - 52 = 203.
  assert.deepEqual([...up], [0, 0, 0, 52, 203, 255, 255, 255]);
});

test('RandomResizedCrop: same seed, same crops; boxes stay inside and follow scale and ratio', () => {
  const img = noise(50, 37, 3);
  const a = trainTransform(img, new Rng(42), { size: 16 });
  const b = trainTransform(img, new Rng(42), { size: 16 });
  const c = trainTransform(img, new Rng(43), { size: 16 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  // torchvision semantics: crop, then resize the crop
  const box = randomResizedCropBox(50, 37, new Rng(42));
  assert.deepEqual(a, normalizeToChw(resizeRgb(crop(img, box.x, box.y, box.width, box.height), 16, 16)));

  const rng = new Rng(9);
  for (const [W, H] of [[500, 375], [375, 500], [224, 224], [31, 29]] as const) {
    for (let i = 0; i < 500; i++) {
      const r = randomResizedCropBox(W, H, rng);
      assert.ok(r.x >= 0 && r.y >= 0 && r.x + r.width <= W && r.y + r.height <= H, `${JSON.stringify(r)} in ${W}x${H}`);
      const area = (r.width * r.height) / (W * H);
      const tol = 2 / Math.min(W, H) + 0.01; // integer rounding of w and h
      assert.ok(area >= 0.9 - tol && area <= 1 + tol, `area ${area}`);
      const ratio = r.width / r.height;
      assert.ok(ratio >= 0.75 * (1 - tol) && ratio <= (4 / 3) * (1 + tol), `ratio ${ratio}`);
    }
  }
  // An extreme aspect ratio never fits: the central fallback crop at the largest allowed ratio.
  assert.deepEqual(randomResizedCropBox(1000, 100, rng), { x: 433, y: 0, width: 133, height: 100 });
  assert.deepEqual(randomResizedCropBox(100, 1000, rng), { x: 0, y: 433, width: 100, height: 133 });
});

test('decodes PNG (gray, RGBA), WebP, GIF, SVG, raw pixels and writes into a batch buffer', async () => {
  const raw4 = Uint8Array.from([255, 0, 0, 128, 0, 255, 0, 0, 0, 0, 255, 255, 10, 20, 30, 40]);
  const rgbaPng = await sharp(raw4, { raw: { width: 2, height: 2, channels: 4 } }).png().toBuffer();
  const white = await decodeImage({ kind: 'encoded', bytes: rgbaPng, name: 'rgba.png' });
  const blend = (c: number, a: number) => Math.round((c * a + 255 * (255 - a)) / 255);
  assert.deepEqual([...white.data], [255, blend(0, 128), blend(0, 128), 255, 255, 255, 0, 0, 255, blend(10, 40), blend(20, 40), blend(30, 40)]);
  const dropped = await decodeImage({ kind: 'encoded', bytes: rgbaPng }, { alpha: 'drop' });
  assert.deepEqual([...dropped.data], [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);

  const grayPng = await sharp(Uint8Array.from([0, 100, 200, 255]), { raw: { width: 2, height: 2, channels: 1 } }).png().toBuffer();
  assert.deepEqual([...(await decodeImage({ kind: 'encoded', bytes: grayPng })).data], [0, 0, 0, 100, 100, 100, 200, 200, 200, 255, 255, 255]);

  const rgb = Uint8Array.from([255, 0, 0, 0, 0, 255, 0, 255, 0, 255, 255, 255]);
  const webp = await sharp(rgb, { raw: { width: 2, height: 2, channels: 3 } }).webp({ lossless: true }).toBuffer();
  assert.deepEqual([...(await decodeImage({ kind: 'encoded', bytes: webp })).data], [...rgb]);
  const gif = await sharp(rgb, { raw: { width: 2, height: 2, channels: 3 } }).gif().toBuffer();
  assert.deepEqual([...(await decodeImage({ kind: 'encoded', bytes: gif })).data], [...rgb]);

  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="20" height="20" fill="#0000ff"/></svg>';
  const s = await decodeImage({ kind: 'svg', svg, name: 'half.svg' }, { svgSize: 32 });
  assert.deepEqual([s.width, s.height], [64, 32]);
  assert.deepEqual([...s.data.subarray(0, 3)], [0, 0, 255]); // left: the blue square
  const right = (16 * 64 + 60) * 3;
  assert.deepEqual([...s.data.subarray(right, right + 3)], [255, 255, 255]); // right: transparent -> white

  const g = await decodeImage({ kind: 'raw', image: { width: 2, height: 1, channels: 1, data: Uint8Array.of(7, 9) } });
  assert.deepEqual([...g.data], [7, 7, 7, 9, 9, 9]);
  assert.deepEqual([...toRgb({ width: 1, height: 1, channels: 4, data: Uint8Array.of(1, 2, 3, 0) }).data], [255, 255, 255]);

  const img = await decodeImage({ kind: 'file', path: SAMPLE });
  const batch = new Float32Array(2 * 3 * 224 * 224);
  evalTransform(img, { out: batch, outOffset: 3 * 224 * 224 });
  assert.deepEqual(batch.subarray(3 * 224 * 224), evalTransform(img));
  assert.ok(batch.subarray(0, 3 * 224 * 224).every((v) => v === 0));
  const viaBytes = await preprocessImage({ kind: 'encoded', bytes: readFileSync(SAMPLE) }, { rng: new Rng(5) });
  assert.deepEqual(viaBytes, trainTransform(img, new Rng(5)));
});

test('unreadable images give errors that name the source', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mulki-img-'));
  const missing = join(dir, 'missing.jpg');
  await assert.rejects(decodeImage({ kind: 'file', path: missing }), (e: Error) => e.message.includes(missing));
  const corrupt = join(dir, 'corrupt.png');
  writeFileSync(corrupt, 'not an image at all');
  await assert.rejects(decodeImage({ kind: 'file', path: corrupt }), (e: Error) => e.message.startsWith(`cannot decode image ${corrupt}`));
  const truncated = readFileSync(SAMPLE).subarray(0, 6000);
  await assert.rejects(decodeImage({ kind: 'encoded', bytes: truncated, name: 'cut.jpg' }), /cannot decode image cut\.jpg: .*(premature|truncated)/i);
  await assert.rejects(decodeImage({ kind: 'svg', svg: '<svg', name: 'broken.svg' }), /cannot decode image broken\.svg/);
  await assert.rejects(
    decodeImage({ kind: 'raw', name: 'short.raw', image: { width: 2, height: 2, channels: 3, data: new Uint8Array(5) } }),
    /image short\.raw: 2x2x3 needs 12 bytes, got 5/,
  );
});
