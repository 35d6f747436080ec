/**
 * Memory kernels of the ref backend: the pool (recycling, released storages, statistics), upload/download,
 * fill, copies, permute, casts, and the argument checks shared by every kernel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HostStorage, Storage } from '../../src/engine/backend.js';
import { createRefBackend } from '../../src/engine/backends/ref/index.js';
import { Rng } from '../../src/engine/rng.js';

const rng = new Rng('ref-memory');
const hostArray = (s: Storage): Float32Array | Int32Array => (s as HostStorage).data;
const randn = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal());

test('pool: alloc -> release -> alloc of the same size returns the recycled buffer', () => {
  const be = createRefBackend();
  const a = be.alloc('f32', 4096);
  assert.equal(be.name, 'ref');
  assert.equal(a.device, 'ref');
  assert.deepEqual(be.memoryStats(), { liveBytes: 4096 * 4, pooledBytes: 0, allocations: 1 });
  be.release(a);
  assert.equal(a.alive, false);
  assert.deepEqual(be.memoryStats(), { liveBytes: 0, pooledBytes: 4096 * 4, allocations: 1 });
  const b = be.alloc('f32', 4096);
  // The memory is recycled under a new handle: the released handle stays dead.
  assert.equal(hostArray(b), hostArray(a), 'same typed array');
  assert.equal(b.alive, true);
  assert.equal(a.alive, false);
  assert.throws(() => be.fill(a, 0), /released storage/);
  assert.deepEqual(be.memoryStats(), { liveBytes: 4096 * 4, pooledBytes: 0, allocations: 1 });
  const c = be.alloc('i32', 4096);
  assert.notEqual(hostArray(c).buffer, hostArray(a).buffer, 'a different dtype is not recycled');
  assert.equal(be.memoryStats().allocations, 2);
  be.release(b);
  be.trimPool();
  assert.equal(be.memoryStats().pooledBytes, 0);
  assert.notEqual(hostArray(be.alloc('f32', 4096)), hostArray(a), 'trimmed buffers are gone');
});

test('using a released storage throws', () => {
  const be = createRefBackend();
  const s = be.upload(new Float32Array(2048));
  be.release(s);
  assert.throws(() => be.release(s), /already released/);
  assert.throws(() => be.fill(s, 1), /ref\.fill: target: use of a released storage/);
  assert.throws(() => be.download(s), /released storage/);
  assert.throws(() => be.unary('exp', s, be.alloc('f32', 2048), 2048), /ref\.unary: x: use of a released storage/);
  assert.throws(() => be.sumSquares(s, 1), /released storage/);
});

test('upload/download round trip, partial download, fill', () => {
  const be = createRefBackend();
  const x = randn(9);
  const s = be.upload(x);
  assert.equal(s.dtype, 'f32');
  assert.deepEqual(be.download(s), x);
  assert.deepEqual(be.download(s, 3, 4), x.subarray(3, 7));
  x[0] = 42;
  assert.notEqual(be.download(s)[0], 42, 'upload copies');
  be.fill(s, -1.5, 2, 3);
  assert.deepEqual(Array.from(be.download(s, 1, 5)), [x[1], -1.5, -1.5, -1.5, x[5]]);
  const i = be.upload(Int32Array.from([1, 2, 3]));
  assert.equal(i.dtype, 'i32');
  be.fill(i, 7);
  assert.deepEqual(Array.from(be.download(i)), [7, 7, 7]);
  assert.throws(() => be.fill(i, 0.5), /not an integer/);
  assert.throws(() => be.download(s, 5, 5), /ref\.download: source needs elements \[5, 10\) but its storage has 9/);
});

test('copy and copy2d (overwrite and accumulate) with offsets and leading dimensions', () => {
  const be = createRefBackend();
  const x = randn(20), y = randn(20);
  const dst = be.upload(y);
  be.copy(be.upload(x), 3, dst, 10, 5);
  const expected = Array.from(y);
  for (let i = 0; i < 5; i++) expected[10 + i] = x[3 + i]!;
  assert.deepEqual(Array.from(be.download(dst)), expected);
  // 3 x 2 block from src (ld 5, offset 1) into dst (ld 4, offset 2).
  const d2 = be.upload(y);
  be.copy2d(be.upload(x), 1, 5, d2, 2, 4, 3, 2, true);
  const e2 = Array.from(y);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 2; c++) e2[2 + r * 4 + c] = Math.fround(y[2 + r * 4 + c]! + x[1 + r * 5 + c]!);
  assert.deepEqual(Array.from(be.download(d2)), e2);
  be.copy2d(be.upload(x), 1, 5, d2, 2, 4, 3, 2, false);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 2; c++) e2[2 + r * 4 + c] = x[1 + r * 5 + c]!;
  assert.deepEqual(Array.from(be.download(d2)), e2);
  assert.throws(() => be.copy(be.upload(x), 0, be.alloc('i32', 20), 0, 5), /dtype mismatch: src is f32 but dst is i32/);
  assert.throws(() => be.copy2d(be.upload(x), 0, 5, d2, 2, 4, 5, 2, false),
    /ref\.copy2d: src block \(5 x 2, ld 5, offset 0\) reaches element 21 but its storage has 20/);
  assert.throws(() => be.copy2d(be.upload(x), 0, 5, be.alloc('f32', 10), 0, 4, 3, 4, false), /ref\.copy2d: dst block/);
});

test('permute: every permutation of a rank-3 tensor, a rank-4 case and i32 data', () => {
  const be = createRefBackend();
  const shape = [2, 3, 4];
  const x = randn(24);
  const perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
  for (const perm of perms) {
    const out = be.alloc('f32', 24);
    be.permute(be.upload(x), shape, perm, out);
    const ds = perm.map((a) => shape[a]!);
    const expected: number[] = [];
    const idx = [0, 0, 0];
    for (let a = 0; a < ds[0]!; a++) for (let b = 0; b < ds[1]!; b++) for (let c = 0; c < ds[2]!; c++) {
      idx[perm[0]!] = a; idx[perm[1]!] = b; idx[perm[2]!] = c;
      expected.push(x[(idx[0]! * 3 + idx[1]!) * 4 + idx[2]!]!);
    }
    assert.deepEqual(Array.from(be.download(out)), expected, `perm ${perm}`);
  }
  // (batch, t, heads, d) -> (batch, heads, t, d) on i32 data.
  const s4 = [2, 3, 2, 5];
  const xi = Int32Array.from({ length: 60 }, (_, i) => i);
  const out = be.alloc('i32', 60);
  be.permute(be.upload(xi), s4, [0, 2, 1, 3], out);
  const got = be.download(out);
  for (let b = 0; b < 2; b++) for (let h = 0; h < 2; h++) for (let t = 0; t < 3; t++) for (let d = 0; d < 5; d++) {
    assert.equal(got[((b * 2 + h) * 3 + t) * 5 + d], ((b * 3 + t) * 2 + h) * 5 + d);
  }
  assert.throws(() => be.permute(be.upload(x), shape, [0, 0, 1], be.alloc('f32', 24)), /not a permutation of 0\.\.2/);
  assert.throws(() => be.permute(be.upload(x), [1, 1, 1, 1, 1, 1, 1, 1, 1], [0, 1, 2, 3, 4, 5, 6, 7, 8],
    be.alloc('f32', 24)), /rank 9, more than MAX_RANK = 8/);
});

test('cast truncates toward zero and rejects values i32 cannot hold', () => {
  const be = createRefBackend();
  const out = be.alloc('i32', 6);
  be.cast(be.upload(Float32Array.from([2.7, -2.7, 0.5, -0.5, 1e9, -3])), out, 6);
  assert.deepEqual(Array.from(be.download(out)), [2, -2, 0, 0, 1e9, -3]);
  const back = be.alloc('f32', 6);
  be.cast(out, back, 6);
  assert.deepEqual(Array.from(be.download(back)), [2, -2, 0, 0, 1e9, -3]);
  assert.throws(() => be.cast(be.upload(Float32Array.from([1, NaN])), out, 2), /ref\.cast: src element 1 \(NaN\) is not representable as i32/);
  assert.throws(() => be.cast(be.upload(Float32Array.from([3e9])), out, 1), /not representable as i32/);
});

test('argument checks: sizes beyond a storage, negative or fractional counts, wrong dtypes', () => {
  const be = createRefBackend();
  const s: Storage = be.alloc('f32', 10);
  assert.throws(() => be.unary('exp', s, s, 11), /ref\.unary: x needs elements \[0, 11\) but its storage has 10/);
  assert.throws(() => be.axpy(1, s, 8, s, 0, 3), /ref\.axpy: x needs elements \[8, 11\)/);
  assert.throws(() => be.sumRows(s, -1, 2, s, false), /ref\.sumRows: rows must be a non-negative integer, got -1/);
  assert.throws(() => be.layerNorm(s, null, null, 2, 2.5, 1e-5, s, s, s), /cols must be a non-negative integer, got 2\.5/);
  assert.throws(() => be.softmax(be.alloc('i32', 10), 2, 5, 1, false, s), /ref\.softmax: x must be f32, got i32/);
  assert.throws(() => be.indexSelect(s, 1, 10, 1, s, 1, s), /ref\.indexSelect: idx must be i32, got f32/);
  assert.throws(() => be.attention({ batch: 1, heads: 2, tq: 2, tk: 2, headDim: 3, scale: 1, causal: false,
    keyMask: null, q: s, qOff: 0, ldq: 6, k: s, kOff: 0, ldk: 6, v: s, vOff: 0, ldv: 6 }, s, s),
  /ref\.attention: q .* reaches element 11 but its storage has 10/);
  assert.throws(() => be.alloc('f32', -1), /invalid size -1/);
});
