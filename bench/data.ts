/**
 * Data loader throughput: JPEG decode + RandomResizedCrop(224, bicubic) + normalise to CHW float32, through the
 * loader's worker pool, against the same decode + crop + resize done by sharp alone (libvips, its own thread
 * pool, as many images in flight as the loader has workers, 8-bit raw output).
 *
 *   node dist/bench/data.js [--images 200] [--runs 3]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Rng } from '../src/engine/rng.js';
import { decodeImage } from '../src/clip/decode.js';
import { normalizeToChw, randomResizedCropBox, trainTransform } from '../src/clip/preprocess.js';
import { nativeResizeStatus, resizeRgb, type RgbImage } from '../src/clip/resize.js';
import type { ImageDataset } from '../src/data/dataset.js';
import { DataLoader } from '../src/data/loader.js';
import { WorkerPool } from '../src/data/worker-pool.js';

const W = 500;
const H = 375;
const SIZE = 224;

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} needs a positive integer, got ${process.argv[i + 1]}`);
  return v;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A photo-like 500x375 JPEG (quality 90): smooth gradients and blobs plus sensor-like noise. */
async function makeJpeg(seed: number): Promise<Buffer> {
  const rng = new Rng(seed);
  const px = new Uint8Array(W * H * 3);
  const f = [rng.range(0.5, 3), rng.range(0.5, 3), rng.range(0.5, 3)];
  const ph = [rng.range(0, 6), rng.range(0, 6), rng.range(0, 6)];
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = (y * W + x) * 3;
      for (let c = 0; c < 3; c++) {
        const g = 128 + 70 * Math.sin((f[c]! * x) / W * 6.28 + ph[c]!) * Math.cos((f[(c + 1) % 3]! * y) / H * 6.28);
        const v = g + 40 * (x / W - 0.5) + (rng.uniform() - 0.5) * 50;
        px[p + c] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  return sharp(px, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

function fileDataset(paths: string[]): ImageDataset {
  return {
    name: 'bench-jpegs',
    split: 'train',
    classNames: ['x'],
    templates: ['{c}'],
    length: paths.length,
    label: () => 0,
    source: (i) => ({ kind: 'file', path: paths[i]! }),
  };
}

interface Rate {
  /** Images per second (wall clock). */
  perS: number;
  /** CPU time of the whole process (every thread) per image, in ms: less sensitive to other load. */
  cpuMs: number;
}

async function timed(images: number, run: () => Promise<void>): Promise<Rate> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { perS: images / (wall / 1000), cpuMs: (c.user + c.system) / 1000 / images };
}

/** One pass over the files through the loader (pool already started and warm). */
function loaderRate(ds: ImageDataset, pool: WorkerPool, batchSize: number): Promise<Rate> {
  const loader = new DataLoader(ds, { batchSize, iterations: Math.ceil(ds.length / batchSize), seed: 7, pool });
  return timed(loader.iterations * batchSize, async () => {
    for await (const b of loader) if (b.size !== batchSize) throw new Error(`short batch of ${b.size}`);
  });
}

/** Sharp alone: decode + extract (the same kind of random box) + resize to 224 (cubic) + raw, per file. */
function sharpRate(paths: string[], concurrency: number): Promise<Rate> {
  const rng = new Rng(7);
  const boxes = paths.map(() => randomResizedCropBox(W, H, rng));
  let next = 0;
  const lane = async () => {
    while (next < paths.length) {
      const i = next++;
      const b = boxes[i]!;
      await sharp(paths[i]!)
        .extract({ left: b.x, top: b.y, width: b.width, height: b.height })
        .resize(SIZE, SIZE, { fit: 'fill', kernel: 'cubic' })
        .raw()
        .toBuffer();
    }
  };
  return timed(paths.length, async () => {
    await Promise.all(Array.from({ length: concurrency }, lane));
  });
}

function summary(rates: Rate[]): string {
  const perS = median(rates.map((r) => r.perS));
  const cpu = median(rates.map((r) => r.cpuMs));
  return `${perS.toFixed(1)} img/s, ${cpu.toFixed(2)} CPU-ms/img  [${rates.map((r) => r.perS.toFixed(1)).join(', ')} img/s]`;
}

/**
 * Single-thread cost per image of the two halves of the loader's work, to show where the time goes; the
 * transform as the loader runs it (native resampling when the addon loads) and with the TypeScript resampler.
 */
async function profile(paths: string[]): Promise<{ decodeMs: number; transformMs: number; tsTransformMs: number }> {
  const n = Math.min(40, paths.length);
  const imgs: RgbImage[] = [];
  let dec = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    imgs.push(await decodeImage({ kind: 'file', path: paths[i]! }));
    dec += performance.now() - t0;
  }
  const out = new Float32Array(3 * SIZE * SIZE);
  const time = (f: (img: RgbImage, rng: Rng) => void): number => {
    const rng = new Rng(1);
    for (const img of imgs.slice(0, 5)) f(img, rng); // warm-up (JIT)
    const t0 = performance.now();
    for (const img of imgs) f(img, rng);
    return (performance.now() - t0) / n;
  };
  const transformMs = time((img, rng) => trainTransform(img, rng, { size: SIZE, out }));
  const tsTransformMs = time((img, rng) => {
    const region = randomResizedCropBox(img.width, img.height, rng);
    normalizeToChw(resizeRgb(img, SIZE, SIZE, { region, impl: 'ts' }), { out });
  });
  return { decodeMs: dec / n, transformMs, tsTransformMs };
}

async function main(): Promise<void> {
  const count = arg('images', 200);
  const runs = arg('runs', 3);
  const batchSize = 50;
  const cpus = availableParallelism();
  const dir = mkdtempSync(join(tmpdir(), 'mulki-bench-data-'));
  try {
    const paths: string[] = [];
    for (let i = 0; i < count; i++) {
      const p = join(dir, `img_${String(i).padStart(4, '0')}.jpg`);
      writeFileSync(p, await makeJpeg(1000 + i));
      paths.push(p);
    }
    const ds = fileDataset(paths);
    console.log(`${count} JPEGs ${W}x${H} q90 -> RandomResizedCrop ${SIZE}, batch ${batchSize}, ${cpus} CPUs, median of ${runs} runs`);
    const prof = await profile(paths);
    const st = nativeResizeStatus();
    console.log(`resampler: ${st.native ? 'native (cpu addon)' : `TypeScript (${st.reason})`}`);
    console.log(
      `one thread: decode ${prof.decodeMs.toFixed(2)} ms/img, crop+resize+normalise ${prof.transformMs.toFixed(2)} ms/img` +
        ` (TypeScript resampler: ${prof.tsTransformMs.toFixed(2)} ms/img)`,
    );

    const counts = [...new Set([2, cpus])];
    const loaderRates = new Map<number, Rate[]>();
    const sharpRates = new Map<number, Rate[]>();
    for (const w of counts) {
      const pool = new WorkerPool(w);
      try {
        // Start and warm the workers (JIT) and sharp, then alternate the two so both see the same machine load.
        await loaderRate(ds, pool, batchSize);
        await sharpRate(paths.slice(0, 20), w);
        const lr: Rate[] = [];
        const sr: Rate[] = [];
        for (let r = 0; r < runs; r++) {
          lr.push(await loaderRate(ds, pool, batchSize));
          sr.push(await sharpRate(paths, w));
        }
        loaderRates.set(w, lr);
        sharpRates.set(w, sr);
        console.log(`loader, ${w} workers${w === cpus ? ' (default)' : ''}: ${summary(lr)}`);
        console.log(`sharp alone, ${w} in flight (libvips threads ${sharp.concurrency()}): ${summary(sr)}`);
      } finally {
        await pool.close();
      }
    }
    const loader = median(loaderRates.get(cpus)!.map((r) => r.perS));
    const alone = median(sharpRates.get(cpus)!.map((r) => r.perS));
    const ratio = loader / alone;
    const cpuRatio = median(sharpRates.get(cpus)!.map((r) => r.cpuMs)) / median(loaderRates.get(cpus)!.map((r) => r.cpuMs));
    console.log(`loader / sharp (default worker count ${cpus}): ${ratio.toFixed(3)} by wall clock, ${cpuRatio.toFixed(3)} by CPU time (target >= 0.8)`);
    console.log(`RESULT data_loader_images_per_s ${loader.toFixed(1)} img/s`);
    console.log(`RESULT sharp_images_per_s ${alone.toFixed(1)} img/s`);
    console.log(`RESULT data_loader_vs_sharp ${ratio.toFixed(3)} x`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exitCode = 1;
});
