/**
 * The native resampler (native/cpu/src/resample*.cpp) against the TypeScript one of src/clip/resize.ts: bit-identical
 * bytes (and CHW floats through a table) on random image sizes, regions, output sizes, windows and filters, for
 * every kernel set this CPU runs (avx512, avx2, generic); the fixture's PIL golden through the native path; the
 * addon in worker threads (image functions only, results equal to the main thread's); MULKI_NATIVE_RESIZE=0;
 * errors on bad arguments. Skips when the addon is not built (fails when it is built but does not load).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../../src/assets.js';
import { cpuAddonPath, loadCpuAddon, loadImageAddon } from '../../src/engine/backends/cpu/native.js';
import { Rng } from '../../src/engine/rng.js';
import { readSafetensors } from '../../src/engine/io/safetensors.js';
import { decodeImage } from '../../src/clip/decode.js';
import {
  centerCropOffset,
  evalTransform,
  normalizeToChw,
  randomResizedCropBox,
  shorterSideSize,
  trainTransform,
} from '../../src/clip/preprocess.js';
import {
  coefficients,
  nativeResizeStatus,
  resizeRgb,
  resizeRgbToChw,
  type Rect,
  type ResampleFilter,
  type RgbImage,
} from '../../src/clip/resize.js';

const status = nativeResizeStatus();
const built = existsSync(cpuAddonPath());
const FILTERS: ResampleFilter[] = ['bicubic', 'bilinear', 'box', 'hamming', 'lanczos'];

/** The kernel sets to compare: every one this CPU runs. */
function isas(): string[] {
  const r = loadCpuAddon();
  return 'error' in r ? ['auto'] : r.addon.info().supportedIsas;
}

/** False (after skipping the test) when the native resampler cannot be tested here. */
function nativeOrSkip(t: TestContext): boolean {
  if (status.native) return true;
  if (!built || process.env['MULKI_NATIVE_RESIZE'] === '0') {
    t.skip(`native resampler not in use: ${status.reason}`);
    return false;
  }
  assert.fail(`the cpu addon is built but the native resampler does not load: ${status.reason}`);
}

function noise(w: number, h: number, rng: Rng): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(256);
  return { width: w, height: h, channels: 3, data };
}

/** A random sub-rectangle of a w x h area. */
function rect(w: number, h: number, rng: Rng): Rect {
  const x = rng.int(w);
  const y = rng.int(h);
  return { x, y, width: 1 + rng.int(w - x), height: 1 + rng.int(h - y) };
}

function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

interface Case {
  img: RgbImage;
  outW: number;
  outH: number;
  opts: { filter: ResampleFilter; region: Rect; window: Rect };
}

function describe(c: Case): string {
  return `${c.img.width}x${c.img.height} -> ${c.outW}x${c.outH} ${JSON.stringify(c.opts)}`;
}

/** Random cases: down- and upscaling, unchanged width or height (a pass skipped), tiny and wide images. */
function cases(n: number, rng: Rng): Case[] {
  const out: Case[] = [];
  for (let i = 0; i < n; i++) {
    const W = 1 + rng.int(i % 7 === 0 ? 300 : 70);
    const H = 1 + rng.int(i % 11 === 0 ? 200 : 60);
    const img = noise(W, H, rng);
    const region = i % 5 === 0 ? { x: 0, y: 0, width: W, height: H } : rect(W, H, rng);
    let outW = 1 + rng.int(130);
    let outH = 1 + rng.int(130);
    if (i % 6 === 1) outW = region.width;
    if (i % 6 === 2) outH = region.height;
    if (i % 17 === 3) [outW, outH] = [region.width, region.height];
    const window = i % 4 === 0 ? { x: 0, y: 0, width: outW, height: outH } : rect(outW, outH, rng);
    out.push({ img, outW, outH, opts: { filter: FILTERS[i % FILTERS.length]!, region, window } });
  }
  return out;
}

test('native resampling is bit-identical to the TypeScript code on random sizes, regions, windows, filters', (t) => {
  if (!nativeOrSkip(t)) return;
  const all = cases(400, new Rng('resize-native'));
  for (const isa of isas()) {
    for (const c of all) {
      const ts = resizeRgb(c.img, c.outW, c.outH, { ...c.opts, impl: 'ts' });
      const nat = resizeRgb(c.img, c.outW, c.outH, { ...c.opts, impl: 'native', isa });
      assert.deepEqual([nat.width, nat.height], [c.opts.window.width, c.opts.window.height]);
      const d = firstDiff(nat.data, ts.data);
      assert.equal(d, -1, `${isa}: ${describe(c)}: first difference at byte ${d} (native ${nat.data[d]}, ts ${ts.data[d]})`);
    }
  }
  t.diagnostic(`kernel sets compared: ${isas().join(', ')}; ${all.length} cases each`);
});

test('native fused resize + CHW table lookup equals the TypeScript resize + lookup, at an offset', (t) => {
  if (!nativeOrSkip(t)) return;
  const rng = new Rng('resize-native-chw');
  const lut = new Float32Array(768);
  for (let i = 0; i < lut.length; i++) lut[i] = rng.normal();
  for (const isa of isas()) {
    for (const c of cases(120, rng)) {
      const plane = c.opts.window.width * c.opts.window.height;
      const off = 1 + rng.int(5);
      const a = new Float32Array(off + 3 * plane + 3).fill(7);
      const b = new Float32Array(off + 3 * plane + 3).fill(7);
      resizeRgbToChw(c.img, c.outW, c.outH, { ...c.opts, impl: 'ts' }, lut, a, off);
      resizeRgbToChw(c.img, c.outW, c.outH, { ...c.opts, impl: 'native', isa }, lut, b, off);
      const d = firstDiff(b, a);
      assert.equal(d, -1, `${isa}: ${describe(c)}: first difference at ${d}`);
      assert.ok(a[0] === 7 && a[off + 3 * plane] === 7, 'values outside the slot are left alone');
    }
  }
});

test('native resampling of 224 crops from photo-sized images (the loader case), every filter', (t) => {
  if (!nativeOrSkip(t)) return;
  const rng = new Rng('resize-native-photo');
  const img = noise(500, 375, rng);
  for (const isa of isas()) {
    for (let i = 0; i < 12; i++) {
      const filter = FILTERS[i % FILTERS.length]!;
      // a random crop resized to 224 (RandomResizedCrop), a shorter-side resize with a centre window (eval), an
      // upscale, and a crop touching the last row and column (the kernels' loads must stop at the buffer end)
      const region = i % 4 === 3 ? { x: 500 - 97, y: 375 - 61, width: 97, height: 61 } : rect(500, 375, rng);
      const outW = i % 4 === 1 ? 298 : 224;
      const window = i % 4 === 1 ? { x: 37, y: 0, width: 224, height: 224 } : { x: 0, y: 0, width: 224, height: 224 };
      const r = i % 4 === 1 ? { x: 0, y: 0, width: 500, height: 375 } : region;
      const ts = resizeRgb(img, outW, 224, { filter, region: r, window, impl: 'ts' });
      const nat = resizeRgb(img, outW, 224, { filter, region: r, window, impl: 'native', isa });
      assert.equal(firstDiff(nat.data, ts.data), -1, `${isa} ${filter} ${JSON.stringify(r)}`);
    }
  }
});

test('the evaluation transform through the native path matches PIL (fixture golden) and the TypeScript path', async (t) => {
  if (!nativeOrSkip(t)) return;
  const fixtures = join(packageRoot(), '..', 'shared', 'fixtures', 'hf-clip-tiny');
  const golden = readSafetensors(join(fixtures, 'golden.safetensors'), { names: ['sample_decoded_rgb', 'sample_preprocessed'] });
  const ref = golden.get('sample_decoded_rgb')!;
  const [h, w] = ref.shape as [number, number, number];
  // PIL's decoded pixels, so that only resampling and normalisation are compared
  const img: RgbImage = { width: w, height: h, channels: 3, data: Uint8Array.from(ref.data) };
  const x = evalTransform(img);
  const want = golden.get('sample_preprocessed')!.data;
  let max = 0;
  for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(x[i]! - want[i]!));
  t.diagnostic(`native evaluation transform vs torchvision + PIL: largest gap ${max}`);
  assert.ok(max <= 1e-6, `largest gap ${max}: Pillow's resampling must be reproduced exactly`);
  const decoded = await decodeImage({ kind: 'file', path: join(fixtures, 'sample.jpg') });
  const [rw, rh] = shorterSideSize(decoded.width, decoded.height, 224);
  const { x: cx, y: cy } = centerCropOffset(rw, rh, 224, 224);
  const evalTs = resizeRgb(decoded, rw, rh, { window: { x: cx, y: cy, width: 224, height: 224 }, impl: 'ts' });
  assert.equal(firstDiff(evalTransform(decoded), normalizeToChw(evalTs)), -1);
  const box = randomResizedCropBox(decoded.width, decoded.height, new Rng(11));
  const trainTs = resizeRgb(decoded, 224, 224, { region: box, impl: 'ts' });
  assert.equal(firstDiff(trainTransform(decoded, new Rng(11)), normalizeToChw(trainTs)), -1);
});

/**
 * Runs a transform in a fresh worker thread (with extra environment variables) and returns its output, whether
 * the resampler was native there, and which exports the addon has in that thread.
 */
async function runInWorker(mode: 'eval' | 'train', img: RgbImage, env: Record<string, string> = {}) {
  const url = (p: string) => pathToFileURL(join(packageRoot(), 'dist', p)).href;
  const code = `
    const { parentPort, workerData: { img, mode, urls } } = require('node:worker_threads');
    (async () => {
      const resize = await import(urls.resize);
      const pre = await import(urls.pre);
      const native = await import(urls.native);
      const { Rng } = await import(urls.rng);
      const images = mode === 'eval' ? pre.evalTransform(img) : pre.trainTransform(img, new Rng(11));
      const a = native.loadImageAddon();
      const exports = 'addon' in a ? Object.keys(a.addon).sort() : [a.error];
      parentPort.postMessage({ images, status: resize.nativeResizeStatus(), exports });
    })().catch((e) => parentPort.postMessage({ error: String((e && e.stack) || e) }));`;
  const worker = new Worker(code, {
    eval: true,
    env: { ...process.env, ...env },
    workerData: {
      img, mode,
      urls: {
        resize: url('src/clip/resize.js'), pre: url('src/clip/preprocess.js'),
        native: url('src/engine/backends/cpu/native.js'), rng: url('src/engine/rng.js'),
      },
    },
  });
  try {
    const [msg] = (await once(worker, 'message')) as [
      { error?: string; images: Float32Array; status: { native: boolean; reason: string }; exports: string[] },
    ];
    assert.equal(msg.error, undefined, msg.error);
    return msg;
  } finally {
    await worker.terminate();
  }
}

test('worker threads load the addon (image functions only) and resample natively, as the main thread does', async (t) => {
  if (!nativeOrSkip(t)) return;
  const img = noise(123, 87, new Rng('worker'));
  // two at once: each thread has its own scratch
  const [w, w2] = await Promise.all([runInWorker('train', img), runInWorker('eval', img)]);
  assert.deepEqual(w.status, { native: true, reason: '' });
  // the worker's addon leaves the process-wide kernel table and thread pool alone: no gemm, no setNumThreads
  assert.deepEqual(w.exports, ['resampleRgb']);
  assert.equal(firstDiff(w.images, trainTransform(img, new Rng(11))), -1);
  assert.equal(firstDiff(w2.images, evalTransform(img)), -1);
  const off = await runInWorker('eval', img, { MULKI_NATIVE_RESIZE: '0' });
  assert.equal(off.status.native, false);
  assert.equal(off.status.reason, 'MULKI_NATIVE_RESIZE=0');
  assert.equal(firstDiff(off.images, evalTransform(img)), -1);
});

test('the native resampler rejects bad arguments with a message instead of touching memory', (t) => {
  if (!nativeOrSkip(t)) return;
  const r = loadImageAddon();
  assert.ok('addon' in r);
  const n = r.addon;
  const src = new Uint8Array(10 * 8 * 3);
  const c = coefficients(10, 5);
  const v = coefficients(8, 4);
  const call = (over: Partial<Record<string, unknown>>) => {
    const a = {
      src, w: 10, h: 8, rx: 0, ry: 0, rw: 10, rh: 8, hb: c.bounds, hw: c.weights, hk: c.ksize,
      vb: v.bounds, vw: v.weights, vk: v.ksize, wx: 0, wy: 0, ww: 5, wh: 4,
      dst: new Uint8Array(60), off: 0, lut: null as Float32Array | null, isa: 'auto', ...over,
    } as unknown as Record<string, never>;
    return n.resampleRgb(a.src, a.w, a.h, a.rx, a.ry, a.rw, a.rh, a.hb, a.hw, a.hk, a.vb, a.vw, a.vk, a.wx, a.wy,
      a.ww, a.wh, a.dst, a.off, a.lut, a.isa);
  };
  assert.ok(['avx512', 'avx2', 'generic'].includes(call({})));
  assert.throws(() => call({ src: new Uint8Array(239) }), /cpu\.resampleRgb: 10x8 RGB needs 240 bytes, got 239/);
  assert.throws(() => call({ rx: 1 }), /region is not inside the image/);
  assert.throws(() => call({ ww: 6 }), /horizontal bounds is too small/);
  assert.throws(() => call({ rw: 9 }), /horizontal output \d reads inputs \[\d+, 10\) with ksize \d+: not inside \[0, 9\)/);
  assert.throws(() => call({ vk: 0 }), /vertical ksize must be >= 1/);
  assert.throws(() => call({ hb: null, hw: null, hk: 0, ww: 11 }), /window is wider than the region/);
  assert.throws(() => call({ dst: new Uint8Array(59) }), /dst is too small/);
  assert.throws(() => call({ off: 1 }), /dst is too small/);
  assert.throws(() => call({ dst: new Float32Array(60) }), /dst must be a Uint8Array when lut is null/);
  assert.throws(() => call({ dst: new Float32Array(60), lut: new Float32Array(767) }), /lut needs 768 values/);
  assert.throws(() => call({ src: new Float32Array(240) }), /src must be a Uint8Array/);
  assert.throws(() => call({ isa: 'sse9' }), /isa 'sse9' is unknown/);
  assert.throws(() => resizeRgb(noise(4, 4, new Rng(1)), 2, 2, { window: { x: 1, y: 0, width: 2, height: 2 } }), /window/);
});
