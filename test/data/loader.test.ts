import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { Rng } from '../../src/engine/rng.js';
import { createRefBackend } from '../../src/engine/backends/ref/index.js';
import { decodeImage } from '../../src/clip/decode.js';
import { evalTransform, trainTransform } from '../../src/clip/preprocess.js';
import { subset, type ImageDataset, type ImageSource } from '../../src/data/dataset.js';
import { DataLoader, toTensors, type Batch, type LoaderOptions } from '../../src/data/loader.js';
import { fewShotIndices } from '../../src/data/fewshot.js';
import { epochPermutation, exampleRng } from '../../src/data/schedule.js';
import { WorkerPool } from '../../src/data/worker-pool.js';
import { tempRoot } from './helpers.js';

const S = 16; // output side: small, so the tests are quick
const tmp = tempRoot('loader');
after(() => tmp.done());

/** Writes n small noise images (alternately PNG and JPEG, 40x30 or 30x40) and returns their paths. */
async function writeImages(n: number, prefix = 'img'): Promise<string[]> {
  const paths: string[] = [];
  for (let i = 0; i < n; i++) {
    const rng = new Rng(100 + i);
    const [w, h] = i % 3 === 0 ? [30, 40] : [40, 30];
    const px = Uint8Array.from({ length: w * h * 3 }, () => rng.int(256));
    const img = sharp(px, { raw: { width: w, height: h, channels: 3 } });
    const path = join(tmp.root, `${prefix}_${i}.${i % 2 ? 'jpg' : 'png'}`);
    writeFileSync(path, await (i % 2 ? img.jpeg({ quality: 90 }) : img.png()).toBuffer());
    paths.push(path);
  }
  return paths;
}

function fileDataset(paths: readonly string[], classes = 3, name = 'Toy'): ImageDataset {
  return {
    name,
    split: 'train',
    classNames: Array.from({ length: classes }, (_, c) => `class${c}`),
    templates: ['a photo of a {c}.'],
    length: paths.length,
    label: (i) => i % classes,
    source: (i): ImageSource => ({ kind: 'file', path: paths[i]! }),
  };
}

/** A dataset of raw-pixel images held in memory (as CIFAR and MNIST readers produce). */
function rawDataset(n: number, classes: number): ImageDataset {
  return {
    name: 'RawToy',
    split: 'test',
    classNames: Array.from({ length: classes }, (_, c) => `c${c}`),
    templates: ['{c}'],
    length: n,
    label: (i) => i % classes,
    source: (i) => {
      const rng = new Rng(7000 + i);
      const data = Uint8Array.from({ length: 20 * 20 }, () => rng.int(256));
      return { kind: 'raw', image: { width: 20, height: 20, channels: 1, data }, name: `raw #${i}` };
    },
  };
}

/** The same images as encoded bytes, each a view into one shared buffer (as an archive reader would hand out). */
function encodedDataset(files: readonly string[]): ImageDataset {
  const parts = files.map((f) => readFileSync(f));
  const all = Buffer.concat(parts);
  const offsets = parts.map((_, i) => parts.slice(0, i).reduce((n, p) => n + p.length, 0));
  return {
    ...fileDataset(files, 3, 'EncodedToy'),
    source: (i) => ({ kind: 'encoded', bytes: all.subarray(offsets[i], offsets[i]! + parts[i]!.length), name: `blob #${i}` }),
  };
}

async function collect(ds: ImageDataset, opts: LoaderOptions, take = Infinity): Promise<{ batches: Batch[]; loader: DataLoader }> {
  const loader = new DataLoader(ds, { size: S, workers: 0, ...opts });
  const batches: Batch[] = [];
  for await (const b of loader) {
    batches.push(b);
    if (batches.length >= take) break;
  }
  return { batches, loader };
}

function assertSameBatches(a: Batch[], b: Batch[], what: string): void {
  assert.equal(a.length, b.length, `${what}: batch count`);
  a.forEach((x, i) => {
    const y = b[i]!;
    assert.equal(x.iteration, y.iteration, `${what}: iteration of batch ${i}`);
    assert.deepEqual(Array.from(x.indices), Array.from(y.indices), `${what}: indices of batch ${i}`);
    assert.deepEqual(Array.from(x.labels), Array.from(y.labels), `${what}: labels of batch ${i}`);
    assert.ok(Buffer.from(x.images.buffer, x.images.byteOffset, x.images.byteLength).equals(
      Buffer.from(y.images.buffer, y.images.byteOffset, y.images.byteLength)), `${what}: images of batch ${i}`);
  });
}

function sameImages(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

const paths = await writeImages(10);
const ds = fileDataset(paths);
const PER = 3 * S * S;

test('a fixed number of full training batches, each epoch a fresh permutation', async () => {
  const { batches } = await collect(ds, { batchSize: 4, iterations: 7, seed: 3 });
  assert.equal(batches.length, 7);
  for (const b of batches) {
    assert.equal(b.size, 4);
    assert.equal(b.images.length, 4 * PER);
    b.labels.forEach((l, i) => assert.equal(l, b.indices[i]! % 3));
  }
  const stream = batches.flatMap((b) => Array.from(b.indices));
  const epochs = [stream.slice(0, 10), stream.slice(10, 20)];
  for (const e of epochs) assert.deepEqual([...e].sort((x, y) => x - y), [...Array(10).keys()], 'each epoch covers the dataset once');
  assert.notDeepEqual(epochs[0], epochs[1], 'epochs are reshuffled');
  assert.deepEqual(epochs[1], Array.from(epochPermutation(3, 1, 10)));
});

test('the same seed gives the same batches; another seed another order', async () => {
  const a = await collect(ds, { batchSize: 4, iterations: 5, seed: 11 });
  const b = await collect(ds, { batchSize: 4, iterations: 5, seed: 11 });
  assertSameBatches(a.batches, b.batches, 'same seed');
  const c = await collect(ds, { batchSize: 4, iterations: 5, seed: 12 });
  assert.notDeepEqual(c.batches.map((x) => Array.from(x.indices)), a.batches.map((x) => Array.from(x.indices)));
});

test('training images are trainTransform with the (seed, epoch, index) RNG, independent of batching', async () => {
  const scale: [number, number] = [0.2, 0.6]; // crops of many sizes, so two draws rarely coincide on these tiny images
  const { batches } = await collect(ds, { batchSize: 4, iterations: 5, seed: 5, scale });
  const stream = batches.flatMap((b) => Array.from(b.indices));
  const at = (bs: Batch[], p: number, B = 4) => bs[Math.floor(p / B)]!.images.subarray((p % B) * PER, (p % B + 1) * PER);
  for (const p of [0, 9, 10, 13]) {
    const index = stream[p]!;
    const img = await decodeImage({ kind: 'file', path: paths[index]! });
    const want = trainTransform(img, exampleRng(5, Math.floor(p / 10), index), { size: S, scale });
    assert.ok(sameImages(at(batches, p), want), `stream position ${p}`);
  }
  // Each index gets different crops in its two epochs.
  const differ = [...Array(10).keys()].filter((i) => !sameImages(at(batches, stream.indexOf(i)), at(batches, stream.indexOf(i, 10))));
  assert.ok(differ.length >= 8, `augmentation differs between epochs for only ${differ.length} of 10 images`);
  // Batches of 5 see the same stream, so the same images.
  const five = await collect(ds, { batchSize: 5, iterations: 4, seed: 5, scale });
  const flat = (bs: Batch[]) => bs.flatMap((b) => Array.from(b.images));
  assert.deepEqual(flat(five.batches), flat(batches).slice(0, 20 * PER));
});

test('a dataset smaller than a batch still gives full batches', async () => {
  const small = fileDataset(paths.slice(0, 3));
  const { batches } = await collect(small, { batchSize: 8, iterations: 3, seed: 1 });
  assert.equal(batches.length, 3);
  const stream = batches.flatMap((b) => Array.from(b.indices));
  assert.equal(stream.length, 24);
  for (let e = 0; e < 8; e++) assert.deepEqual(stream.slice(3 * e, 3 * e + 3).sort(), [0, 1, 2], `epoch ${e}`);
});

test('eval mode: in order, no augmentation, last partial batch kept', async () => {
  const { batches, loader } = await collect(ds, { batchSize: 4, mode: 'eval' });
  assert.equal(loader.iterations, 3);
  assert.deepEqual(batches.map((b) => b.size), [4, 4, 2]);
  assert.deepEqual(batches.flatMap((b) => Array.from(b.indices)), [...Array(10).keys()]);
  const last = batches[2]!;
  assert.equal(last.images.length, 2 * PER);
  const want = evalTransform(await decodeImage({ kind: 'file', path: paths[9]! }), { size: S });
  assert.ok(sameImages(last.images.subarray(PER, 2 * PER), want));
  assert.throws(() => new DataLoader(ds, { batchSize: 4, mode: 'eval', iterations: 3 }), /iterations is a training option/);
});

test('worker threads give the same batches as the in-process mode', async () => {
  const raw = rawDataset(13, 4);
  const pool = new WorkerPool(2);
  try {
    for (const opts of [
      { batchSize: 4, iterations: 6, seed: 9 },
      { batchSize: 5, mode: 'eval' as const },
    ]) {
      const what = JSON.stringify(opts);
      const inProc = await collect(ds, opts);
      assertSameBatches((await collect(ds, { ...opts, pool, prefetch: 3 })).batches, inProc.batches, `files ${what}`);
      assertSameBatches((await collect(encodedDataset(paths), { ...opts, pool })).batches, inProc.batches, `encoded bytes ${what}`);
      const rawIn = await collect(raw, opts);
      assertSameBatches((await collect(raw, { ...opts, pool, prefetch: 0 })).batches, rawIn.batches, `raw pixels ${what}`);
    }
  } finally {
    await pool.close();
  }
  // The loader's own workers (three: batches of 4 split unevenly).
  const opts = { batchSize: 4, iterations: 3, seed: 9 };
  assertSameBatches((await collect(raw, { ...opts, workers: 3 })).batches, (await collect(raw, opts)).batches, 'own workers');
});

test('a resumed loader continues with exactly the same batches', async () => {
  const opts = { batchSize: 3, iterations: 9, seed: 21 };
  const full = await collect(ds, opts);
  for (const workers of [0, 2]) {
    const first = await collect(ds, { ...opts, workers }, 4);
    assert.equal(first.batches.length, 4);
    const saved = JSON.parse(JSON.stringify(first.loader.state()));
    assert.equal(saved.next, 4);
    const rest = await collect(ds, { ...opts, workers, resume: saved });
    assert.equal(rest.loader.iteration, 9);
    assertSameBatches([...first.batches, ...rest.batches], full.batches, `resume with ${workers} workers`);
  }
  const saved = full.loader.state();
  assert.throws(() => new DataLoader(ds, { ...opts, seed: 22, resume: saved }), /resume: the saved state has seed 21 but this loader has 22/);
  assert.throws(() => new DataLoader(ds, { ...opts, resume: { ...saved, next: 10 } }), /next batch 10 is outside/);
});

test('a corrupt or missing image is an error naming the file and the dataset', async () => {
  const bad = join(tmp.root, 'corrupt.jpg');
  writeFileSync(bad, Buffer.from('this is not a JPEG file at all'));
  const missing = join(tmp.root, 'missing.png');
  for (const [file, workers] of [[bad, 0], [missing, 2]] as const) {
    const broken = fileDataset([...paths.slice(0, 5), file, ...paths.slice(5, 8)], 3, 'Broken');
    await assert.rejects(
      collect(broken, { batchSize: 3, mode: 'eval', workers }),
      (e: Error) => e.message.includes(file) && e.message.includes('dataset Broken') && e.message.includes('#5'),
    );
  }
});

test('skipCorrupt replaces a bad image by the next good one and counts it', async () => {
  const bad = join(tmp.root, 'corrupt2.jpg');
  writeFileSync(bad, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
  const missing = join(tmp.root, 'nowhere.jpg');
  const list = [paths[0]!, paths[1]!, bad, missing, paths[4]!, paths[5]!];
  const broken = fileDataset(list, 3, 'Broken');
  const ev = await collect(broken, { batchSize: 4, mode: 'eval', skipCorrupt: true });
  assert.deepEqual(ev.batches.flatMap((b) => Array.from(b.indices)), [0, 1, 4, 4, 4, 5]);
  assert.deepEqual(Array.from(ev.batches[0]!.labels), [0, 1, 1, 1]);
  assert.equal(ev.loader.skipped, 2);
  const want = evalTransform(await decodeImage({ kind: 'file', path: paths[4]! }), { size: S });
  assert.ok(sameImages(ev.batches[0]!.images.subarray(2 * PER, 3 * PER), want));
  // The last example wraps around to the first.
  const tail = await collect(fileDataset([paths[0]!, paths[1]!, bad], 3, 'Broken'), { batchSize: 3, mode: 'eval', skipCorrupt: true });
  assert.deepEqual(Array.from(tail.batches[0]!.indices), [0, 1, 0]);
  // Training: the same replacements and images with workers, and the count survives a resume.
  const opts = { batchSize: 4, iterations: 6, seed: 2, skipCorrupt: true };
  const a = await collect(broken, opts);
  const b = await collect(broken, { ...opts, workers: 2 });
  assertSameBatches(a.batches, b.batches, 'skipCorrupt with workers');
  assert.equal(a.loader.skipped, 8, 'two bad examples in each of four epochs');
  assert.equal(b.loader.skipped, 8);
  assert.ok(a.batches.every((x) => !x.indices.includes(2) && !x.indices.includes(3)));
  const half = await collect(broken, opts, 3);
  const rest = await collect(broken, { ...opts, resume: half.loader.state() });
  assert.equal(rest.loader.skipped, 8);
  assertSameBatches([...half.batches, ...rest.batches], a.batches, 'skipCorrupt resume');
});

test('fewShotIndices: k per class, seeded, usable with subset()', async () => {
  const big = rawDataset(50, 5); // 10 examples per class
  const idx = fewShotIndices(big, 3, 42);
  assert.equal(idx.length, 15);
  assert.deepEqual(idx, [...idx].sort((a, b) => a - b));
  assert.equal(new Set(idx).size, 15);
  const counts = new Array(5).fill(0);
  for (const i of idx) counts[big.label(i)]++;
  assert.deepEqual(counts, [3, 3, 3, 3, 3]);
  assert.deepEqual(fewShotIndices(big, 3, 42), idx, 'same seed, same pick');
  assert.notDeepEqual(fewShotIndices(big, 3, 43), idx, 'another seed, another pick');
  const sub = subset(big, idx);
  const subCounts = new Array(5).fill(0);
  for (let i = 0; i < sub.length; i++) subCounts[sub.label(i)]++;
  assert.deepEqual(subCounts, [3, 3, 3, 3, 3]);
  const { batches } = await collect(sub, { batchSize: 4, mode: 'eval' });
  assert.equal(batches.reduce((n, b) => n + b.size, 0), 15);
  assert.throws(() => fewShotIndices(big, 11, 1), /class 0 \('c0'\) has 10 examples, fewer than k = 11/);
  assert.equal(fewShotIndices(big, 11, 1, { allowFewer: true }).length, 50);
  assert.throws(() => fewShotIndices(big, 0, 1), /k must be a positive integer/);
});

test('toTensors gives [B,3,S,S] f32 images and [B] i32 labels on the backend', async () => {
  const be = createRefBackend();
  const { batches } = await collect(ds, { batchSize: 4, iterations: 1, seed: 1 });
  const b = batches[0]!;
  const { images, labels } = toTensors(b, be);
  assert.deepEqual(images.shape, [4, 3, S, S]);
  assert.equal(images.dtype, 'f32');
  assert.deepEqual(labels.shape, [4]);
  assert.equal(labels.dtype, 'i32');
  assert.deepEqual(Array.from(labels.toArray()), Array.from(b.labels));
  assert.ok(sameImages(images.toArray() as Float32Array, b.images));
});

test('bad options are clear errors', () => {
  assert.throws(() => new DataLoader(ds, { batchSize: 0 }), /DataLoader\(Toy\/train\): batchSize must be an integer >= 1, got 0/);
  assert.throws(() => new DataLoader(ds, { batchSize: 2, seed: -1 }), /seed must be an integer in \[0, 2\^32\)/);
  assert.throws(() => new DataLoader(ds, { batchSize: 2, scale: [1, 0.5] }), /scale must satisfy/);
  assert.throws(() => new DataLoader(fileDataset([]), { batchSize: 2 }), /no examples to train on/);
  assert.throws(() => new DataLoader(ds, { batchSize: 2, workers: 1.5 }), /workers must be an integer/);
});

test('a shared pool serves several loaders and stays open', async () => {
  const pool = new WorkerPool(2);
  try {
    const a = await collect(ds, { batchSize: 4, iterations: 2, seed: 4, pool });
    const b = await collect(ds, { batchSize: 4, mode: 'eval', pool });
    assert.equal(pool.closed, false);
    assertSameBatches(a.batches, (await collect(ds, { batchSize: 4, iterations: 2, seed: 4 })).batches, 'pooled train');
    assertSameBatches(b.batches, (await collect(ds, { batchSize: 4, mode: 'eval' })).batches, 'pooled eval');
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.run({ spec: {} as never, items: [] }), /closed/);
});

test('workers shut down: the process exits after a break, an abandoned iterator or the last batch', () => {
  const loaderUrl = new URL('../../src/data/loader.js', import.meta.url).href;
  const list = JSON.stringify(paths);
  const script = (body: string) => `
    import { DataLoader } from ${JSON.stringify(loaderUrl)};
    const paths = ${list};
    const ds = { name: 'T', split: 'train', classNames: ['a'], templates: ['{c}'], length: paths.length,
      label: () => 0, source: (i) => ({ kind: 'file', path: paths[i] }) };
    const loader = new DataLoader(ds, { batchSize: 2, iterations: 50, seed: 1, size: 8, workers: 2, prefetch: 4 });
    ${body}
    console.log('done');`;
  const cases = {
    break: `for await (const b of loader) { if (b.iteration === 2) break; }`,
    abandoned: `const it = loader[Symbol.asyncIterator](); await it.next(); await it.next();`,
    finished: `let n = 0; for await (const b of loader) n++; if (n !== 50) throw new Error('got ' + n);`,
  };
  for (const [name, body] of Object.entries(cases)) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script(body)], {
      encoding: 'utf8', timeout: 30_000, cwd: fileURLToPath(new URL('.', import.meta.url)),
    });
    assert.equal(r.signal, null, `${name}: the process had to be killed (it hung)`);
    assert.equal(r.status, 0, `${name}: exit status ${r.status}: ${r.stderr}`);
    assert.match(r.stdout, /done/, name);
  }
});
