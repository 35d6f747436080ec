import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  f32ToBf16Bits,
  f32ToF16Bits,
  f16BitsToF32,
  readCheckpoint,
  readSafetensors,
  readSafetensorsHeader,
  writeSafetensors,
} from '../../src/engine/io/safetensors.js';
import { packageRoot } from '../../src/assets.js';

const FIXTURES = join(packageRoot(), '..', 'shared', 'fixtures', 'hf-clip-tiny');
const tmp = mkdtempSync(join(tmpdir(), 'mulki-st-'));
let counter = 0;

/** Builds a safetensors file by hand (independent of the writer): header object + raw data bytes. */
function rawFile(header: unknown, data: Uint8Array | number[] = [], headerText?: string): string {
  const json = Buffer.from(headerText ?? JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const p = join(tmp, `f${counter++}.safetensors`);
  writeFileSync(p, Buffer.concat([len, json, Buffer.from(data)]));
  return p;
}

function bytesOf(a: ArrayBufferView): number[] {
  return [...new Uint8Array(a.buffer, a.byteOffset, a.byteLength)];
}

test('round trip: F32, I32, U8, BOOL, scalars, empty tensors and metadata', () => {
  const p = join(tmp, 'rt.safetensors');
  const w = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i) * 1e3);
  writeSafetensors(
    p,
    {
      'a.weight': { shape: [2, 3, 4], data: w },
      scale: { shape: [], data: Float32Array.of(2.6592) },
      ids: { shape: [2, 2], data: Int32Array.of(-5, 0, 49407, 2147483647) },
      img: { shape: [3], data: Uint8Array.of(0, 128, 255) },
      mask: { shape: [2], data: Uint8Array.of(1, 0), dtype: 'BOOL' },
      empty: { shape: [0, 7], data: new Float32Array(0) },
    },
    { metadata: { format: 'pt', note: 'héllo' } },
  );
  const raw = readFileSync(p);
  const hlen = Number(raw.readBigUInt64LE(0));
  assert.equal((8 + hlen) % 8, 0, 'data section starts 8-byte aligned');
  const h = readSafetensorsHeader(p);
  assert.deepEqual(h.metadata, { format: 'pt', note: 'héllo' });
  const size: Record<string, number> = { F32: 4, I32: 4, U8: 1, BOOL: 1 };
  for (const [name, t] of h.tensors) assert.equal(t.begin % size[t.dtype]!, 0, `${name} is aligned`);
  const r = readSafetensors(p);
  assert.equal(r.size, 6);
  assert.deepEqual(r.get('a.weight')!.shape, [2, 3, 4]);
  assert.deepEqual([...r.get('a.weight')!.data], [...w]);
  assert.equal(r.get('a.weight')!.dtype, 'F32');
  assert.deepEqual(r.get('scale')!.shape, []);
  assert.equal(r.get('scale')!.data[0], Math.fround(2.6592));
  assert.ok(r.get('ids')!.data instanceof Int32Array);
  assert.deepEqual([...r.get('ids')!.data], [-5, 0, 49407, 2147483647]);
  assert.deepEqual([...r.get('img')!.data], [0, 128, 255]);
  assert.equal(r.get('mask')!.dtype, 'BOOL');
  assert.deepEqual([...r.get('mask')!.data], [1, 0]);
  assert.deepEqual(r.get('empty')!.shape, [0, 7]);
  assert.equal(r.get('empty')!.data.length, 0);
  const some = readSafetensors(p, { names: ['ids'] });
  assert.deepEqual([...some.keys()], ['ids']);
});

test('F16 bit patterns decode to their known values', () => {
  const bits = Uint16Array.of(0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x7c00, 0xfc00, 0x3555, 0x8000, 0x03ff, 0x7e00);
  const p = rawFile({ h: { dtype: 'F16', shape: [bits.length], data_offsets: [0, bits.length * 2] } }, bytesOf(bits));
  const v = readSafetensors(p).get('h')!.data;
  assert.ok(v instanceof Float32Array);
  assert.deepEqual([...v.slice(0, 10)], [1, -2, 65504, 2 ** -24, 2 ** -14, Infinity, -Infinity, Math.fround(0.333251953125), -0, 1023 * 2 ** -24]);
  assert.ok(Number.isNaN(v[10]));
  assert.ok(Object.is(v[8], -0));
});

test('BF16 bit patterns decode to their known values', () => {
  const bits = Uint16Array.of(0x3f80, 0xc000, 0x4049, 0x7f80, 0x0001, 0xff80, 0x3e80);
  const p = rawFile({ b: { dtype: 'BF16', shape: [7], data_offsets: [0, 14] } }, bytesOf(bits));
  const v = readSafetensors(p).get('b')!.data;
  assert.deepEqual([...v], [1, -2, 3.140625, Infinity, Math.fround(2 ** -133), -Infinity, 0.25]);
});

test('F32 -> F16 rounds to nearest even and is exact on every F16 value', () => {
  const all = new Uint16Array(65536).map((_, i) => i);
  const f = f16BitsToF32(all);
  const back = f32ToF16Bits(f);
  for (let i = 0; i < 65536; i++) {
    const nan = (i & 0x7c00) === 0x7c00 && i & 0x3ff;
    if (nan) assert.ok((back[i]! & 0x7c00) === 0x7c00 && back[i]! & 0x3ff, `NaN ${i} stays NaN`);
    else if (back[i] !== i) assert.fail(`f16 ${i.toString(16)} -> ${f[i]} -> ${back[i]!.toString(16)}`);
  }
  const cases: [number, number][] = [
    [1 + 2 ** -11, 0x3c00], // tie -> even (down)
    [1 + 3 * 2 ** -11, 0x3c02], // tie -> even (up)
    [1 + 2 ** -11 + 2 ** -20, 0x3c01], // above the tie
    [65519, 0x7bff],
    [65520, 0x7c00], // rounds to infinity
    [1e6, 0x7c00],
    [-1e6, 0xfc00],
    [2 ** -25, 0x0000], // tie between 0 and the smallest subnormal -> 0
    [2 ** -25 * 1.5, 0x0001],
    [3 * 2 ** -25, 0x0002], // tie between 1 and 2 subnormal units -> 2
    [2 ** -26, 0x0000],
    [-(2 ** -14), 0x8400],
    [2 ** -14 - 2 ** -25, 0x0400], // rounds up into the normals
  ];
  const got = f32ToF16Bits(Float32Array.from(cases, (c) => c[0]));
  cases.forEach(([x, want], i) => assert.equal(got[i], want, `${x} -> 0x${got[i]!.toString(16)}, want 0x${want.toString(16)}`));
});

test('F32 -> BF16 rounds to nearest even', () => {
  const x = Float32Array.of(1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20, -2, Infinity, NaN);
  const b = f32ToBf16Bits(x);
  assert.deepEqual([...b.slice(0, 6)], [0x3f80, 0x3f80, 0x3f82, 0x3f81, 0xc000, 0x7f80]);
  assert.equal(b[6]! & 0x7fc0, 0x7fc0);
});

test('writes F16 and BF16 on request', () => {
  const x = Float32Array.of(0.1, -3.5, 70000, 1e-8);
  const p16 = join(tmp, 'h.safetensors');
  writeSafetensors(p16, new Map([['x', { shape: [4], data: x }]]), { dtype: 'F16' });
  const r = readSafetensors(p16).get('x')!;
  assert.equal(r.dtype, 'F16');
  assert.deepEqual([...r.data], [0.0999755859375, -3.5, Infinity, 0]);
  const pb = join(tmp, 'b.safetensors');
  writeSafetensors(pb, { x: { shape: [4], data: x } }, { dtype: 'BF16' });
  const rb = readSafetensors(pb).get('x')!;
  assert.equal(rb.dtype, 'BF16');
  assert.deepEqual([...rb.data], [0.10009765625, -3.5, 70144, Math.fround(1.0011717677116394e-8)]);
});

test('integer dtypes convert to Int32Array and reject values that do not fit', () => {
  const i64 = BigInt64Array.of(0n, -1n, 2147483647n, -2147483648n);
  const p = rawFile(
    {
      a: { dtype: 'I64', shape: [4], data_offsets: [0, 32] },
      b: { dtype: 'I16', shape: [2], data_offsets: [32, 36] },
      c: { dtype: 'I8', shape: [2], data_offsets: [36, 38] },
      d: { dtype: 'U16', shape: [1], data_offsets: [38, 40] },
      e: { dtype: 'F64', shape: [1], data_offsets: [40, 48] },
    },
    [...bytesOf(i64), ...bytesOf(Int16Array.of(-300, 300)), ...bytesOf(Int8Array.of(-7, 7)), ...bytesOf(Uint16Array.of(65535)), ...bytesOf(Float64Array.of(0.1))],
  );
  const r = readSafetensors(p);
  assert.deepEqual([...r.get('a')!.data], [0, -1, 2147483647, -2147483648]);
  assert.ok(r.get('a')!.data instanceof Int32Array);
  assert.deepEqual([...r.get('b')!.data], [-300, 300]);
  assert.deepEqual([...r.get('c')!.data], [-7, 7]);
  assert.deepEqual([...r.get('d')!.data], [65535]);
  assert.deepEqual([...r.get('e')!.data], [Math.fround(0.1)]);
  const big = rawFile({ a: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, bytesOf(BigInt64Array.of(1n, 2147483648n)));
  assert.throws(() => readSafetensors(big), (e: Error) => e.message.includes(big) && /element 1 = 2147483648 does not fit/.test(e.message));
  const neg = rawFile({ a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, bytesOf(BigInt64Array.of(-2147483649n)));
  assert.throws(() => readSafetensors(neg), /element 0 = -2147483649 does not fit/);
  const u64 = rawFile({ a: { dtype: 'U64', shape: [1], data_offsets: [0, 8] } }, bytesOf(BigUint64Array.of(2n ** 63n)));
  assert.throws(() => readSafetensors(u64), /does not fit/);
  const u32 = rawFile({ a: { dtype: 'U32', shape: [2], data_offsets: [0, 8] } }, bytesOf(Uint32Array.of(5, 2 ** 31)));
  assert.throws(() => readSafetensors(u32), /element 1 = 2147483648 does not fit/);
});

test('malformed files give errors naming the file and the problem', () => {
  const check = (p: string, re: RegExp) =>
    assert.throws(() => readSafetensors(p), (e: Error) => e.message.includes(p) && re.test(e.message), `${re}`);
  const short = join(tmp, 'short.safetensors');
  writeFileSync(short, Buffer.from([1, 2, 3]));
  check(short, /truncated file: 3 bytes/);
  const beyond = join(tmp, 'beyond.safetensors');
  const lb = Buffer.alloc(12);
  lb.writeBigUInt64LE(1000n);
  writeFileSync(beyond, lb);
  check(beyond, /header length 1000 goes beyond the end of the file \(12 bytes\)/);
  check(rawFile(null, [], '{"a": {"dtype": "F32",'), /header is not valid JSON/);
  check(rawFile(null, [], '[1,2]'), /header must be a JSON object/);
  const f4 = bytesOf(Float32Array.of(1, 2));
  check(rawFile({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f4), /lie outside the data section \(8 bytes\)/);
  check(rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f4), /outside the data section/);
  check(
    rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f4),
    /tensor "b" \[4, 8\) overlaps tensor "a"|tensor "a" \[0, 8\) overlaps/,
  );
  check(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f4), /bytes \[0, 4\) of the data section belong to no tensor/);
  check(rawFile({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f4), /shape \[3\] of F32 needs 12 bytes but data_offsets \[0, 8\] hold 8/);
  check(rawFile({ a: { dtype: 'Q7', shape: [2], data_offsets: [0, 8] } }, f4), /tensor "a": unknown dtype "Q7"/);
  check(rawFile({ a: { dtype: 'F8_E4M3', shape: [8], data_offsets: [0, 8] } }, f4), /dtype F8_E4M3 is not supported/);
  check(rawFile({ a: { dtype: 'F32', shape: [2, -1], data_offsets: [0, 8] } }, f4), /shape must be a list of non-negative integers/);
  check(rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, f4), /end before they begin/);
  check(rawFile({ __metadata__: { n: 3 }, a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f4), /__metadata__.n must be a string/);
  assert.throws(() => readSafetensors(join(tmp, 'nope.safetensors')), /cannot open safetensors file .*nope\.safetensors/);
  assert.throws(
    () => writeSafetensors(join(tmp, 'bad.safetensors'), { a: { shape: [3], data: new Float32Array(2) } }),
    /bad\.safetensors: tensor "a" has shape \[3\] but 2 values/,
  );
});

test('sharded checkpoints are read through their index', () => {
  const dir = join(tmp, 'sharded');
  mkdirSync(dir);
  writeSafetensors(join(dir, 'model-00001-of-00002.safetensors'), { a: { shape: [2], data: Float32Array.of(1, 2) }, extra: { shape: [1], data: Float32Array.of(9) } });
  writeSafetensors(join(dir, 'model-00002-of-00002.safetensors'), { b: { shape: [1, 1], data: Int32Array.of(7) } });
  const index = { metadata: { total_size: 12 }, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } };
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
  const r = readCheckpoint(dir);
  assert.deepEqual([...r.keys()].sort(), ['a', 'b']);
  assert.deepEqual([...r.get('a')!.data], [1, 2]);
  assert.deepEqual([...r.get('b')!.data], [7]);
  assert.deepEqual(r.get('b')!.shape, [1, 1]);
  assert.deepEqual([...readCheckpoint(join(dir, 'model.safetensors.index.json'), { names: (n) => n === 'b' }).keys()], ['b']);

  const bad = join(tmp, 'bad-index');
  mkdirSync(bad);
  writeSafetensors(join(bad, 's1.safetensors'), { a: { shape: [1], data: Float32Array.of(1) } });
  writeFileSync(join(bad, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { a: 's1.safetensors', z: 's1.safetensors' } }));
  assert.throws(() => readCheckpoint(bad), /tensor "z" is listed in shard s1\.safetensors but .* does not hold it/);
  writeFileSync(join(bad, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { a: 's9.safetensors' } }));
  assert.throws(() => readCheckpoint(bad), /shard s9\.safetensors .* does not exist/);
  writeFileSync(join(bad, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { a: '../x.safetensors' } }));
  assert.throws(() => readCheckpoint(bad), /must be a file name in the same folder/);
  writeFileSync(join(bad, 'model.safetensors.index.json'), '{"weight_map": 3}');
  assert.throws(() => readCheckpoint(bad), /model\.safetensors\.index\.json: missing "weight_map" object/);
});

test('reads the Hugging Face fixture model and golden file', () => {
  const model = readCheckpoint(FIXTURES);
  assert.equal(model.size, 78);
  assert.deepEqual(readSafetensorsHeader(join(FIXTURES, 'model.safetensors')).metadata, { format: 'pt' });
  const shape = (k: string) => model.get(k)?.shape;
  assert.deepEqual(shape('logit_scale'), []);
  assert.deepEqual(shape('text_model.embeddings.token_embedding.weight'), [1000, 64]);
  assert.deepEqual(shape('vision_model.embeddings.patch_embedding.weight'), [96, 3, 8, 8]);
  assert.deepEqual(shape('vision_model.embeddings.position_embedding.weight'), [17, 96]);
  assert.deepEqual(shape('text_projection.weight'), [48, 64]);
  assert.equal(model.get('logit_scale')!.data[0], Math.fround(2.6592));
  // Reference values read with numpy from the same file.
  const tp = model.get('text_projection.weight')!.data;
  [-0.14090647, -0.09572508, 0.01918285].forEach((v, i) => assert.ok(Math.abs(tp[i]! - v) < 1e-8, `text_projection[${i}] = ${tp[i]}`));
  let sum = 0;
  for (const v of tp) sum += v;
  assert.ok(Math.abs(sum - -9.976520667842124) < 1e-9, `sum ${sum}`);

  // what was read writes back unchanged
  const copy = join(tmp, 'copy.safetensors');
  writeSafetensors(copy, model, { metadata: { format: 'pt' } });
  const again = readSafetensors(copy);
  assert.equal(again.size, model.size);
  for (const [k, v] of model) assert.deepEqual(again.get(k), v, k);

  const golden = readSafetensors(join(FIXTURES, 'golden.safetensors'));
  assert.deepEqual(golden.get('sample_decoded_rgb')!.shape, [375, 500, 3]);
  assert.equal(golden.get('sample_decoded_rgb')!.dtype, 'U8');
  assert.deepEqual(golden.get('sample_preprocessed')!.shape, [3, 224, 224]);
  const ids = golden.get('input_ids')!;
  assert.equal(ids.dtype, 'I32');
  assert.deepEqual(ids.shape, [5, 16]);
  assert.deepEqual([...ids.data.slice(16, 23)], [998, 845, 422, 776, 287, 825, 999]);
});
