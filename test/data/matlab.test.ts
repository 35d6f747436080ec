import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deflateSync } from 'node:zlib';
import {
  matCharRows,
  matField,
  matGet,
  matNumbers,
  matScalar,
  matString,
  matStrings,
  readMat,
  readMatFile,
  type MatValue,
} from '../../src/data/formats/matlab.js';
import { fixture } from './helpers.js';

function numeric(v: MatValue) {
  assert.equal(v.type, 'numeric');
  return v as Extract<MatValue, { type: 'numeric' }>;
}

for (const name of ['kinds.mat', 'kinds-compressed.mat']) {
  test(`MAT v5 written by scipy: every kind of value (${name})`, () => {
    const file = fixture('mat', name);
    const m = readMatFile(file);
    const g = (k: string) => matGet(m, k, file);
    const d = numeric(g('d'));
    assert.equal(d.class, 'double');
    assert.deepEqual(d.dims, [2, 3]);
    assert.deepEqual([...d.real], [1, 4, 2, 5, 3, 6], 'column-major');
    assert.deepEqual([...numeric(g('s')).real], [1.5, -2.25]);
    assert.equal(numeric(g('s')).class, 'single');
    const ints: [string, string, (number | bigint)[]][] = [
      ['i8', 'int8', [-128, 127]],
      ['u8', 'uint8', [0, 255, 7]],
      ['i16', 'int16', [-32768, 32767]],
      ['u16', 'uint16', [65535]],
      ['i32', 'int32', [-(2 ** 31), 2 ** 31 - 1]],
      ['u32', 'uint32', [2 ** 32 - 1, 1]],
      ['i64', 'int64', [-(2n ** 62n) - 3n, 2n ** 53n + 1n]],
      ['u64', 'uint64', [2n ** 64n - 1n]],
    ];
    for (const [k, cls, values] of ints) {
      const v = numeric(g(k));
      assert.equal(v.class, cls, k);
      assert.deepEqual([...v.real], values, k);
    }
    const b = numeric(g('b'));
    assert.equal(b.logical, true);
    assert.deepEqual([...b.real], [1, 0, 1]);
    const z = numeric(g('z'));
    assert.deepEqual([...z.real], [1, 3]);
    assert.deepEqual([...z.imag!], [2, -4]);
    assert.throws(() => matNumbers(z, 'z'), /complex/);
    assert.deepEqual(numeric(g('e')).dims, [0, 0]);
    assert.equal(matString(g('str'), 'str'), 'hello');
    assert.deepEqual(matCharRows(g('strs'), 'strs'), ['ab', 'cd']);
    assert.equal(matString(g('uni'), 'uni'), 'héllo ✓');
    const cell = g('cell');
    assert.equal(cell.type, 'cell');
    if (cell.type === 'cell') {
      assert.deepEqual(cell.dims, [1, 3]);
      assert.equal(matScalar(cell.cells[0]!, 'c1'), 1);
      assert.equal(matString(cell.cells[1]!, 'c2'), 'two');
      assert.deepEqual(matNumbers(cell.cells[2]!, 'c3'), [3, 4]);
    }
    const st = g('st');
    assert.equal(st.type, 'struct');
    assert.equal(matScalar(matField(st, 0, 'a', 'st'), 'a'), 2.5);
    assert.equal(matString(matField(st, 0, 'b', 'st'), 'b'), 'bee');
    const sa = g('sa');
    assert.ok(sa.type === 'struct');
    assert.deepEqual(sa.dims, [1, 2]);
    assert.deepEqual(sa.fields, ['x', 'name']);
    assert.deepEqual(matNumbers(matField(sa, 1, 'x', 'sa'), 'x'), [2, 3]);
    assert.equal(matString(matField(sa, 1, 'name', 'sa'), 'name'), 'second');
    assert.throws(() => matField(sa, 0, 'nope', 'sa'), /sa: no field 'nope' \(fields: x, name\)/);
    assert.throws(() => matField(sa, 5, 'x', 'sa'), /element 6 out of range/);
    const cube = numeric(g('cube'));
    assert.deepEqual(cube.dims, [2, 3, 4]);
    // numpy arange(24).reshape(2,3,4) stored column-major: element (i,j,k) = 12i + 4j + k at i + 2j + 6k
    assert.equal(cube.real[1 + 2 * 2 + 6 * 3], 12 * 1 + 4 * 2 + 3);
  });
}

test('MAT v5: the Flowers and Stanford Cars fixtures', () => {
  const f = fixture('flowers-102', 'setid.mat');
  assert.deepEqual(matNumbers(matGet(readMatFile(f), 'tstid', f), 'tstid'), [6, 8, 10, 12]);
  const meta = fixture('stanford_cars', 'devkit', 'cars_meta.mat');
  assert.deepEqual(matStrings(matGet(readMatFile(meta), 'class_names', meta), 'names'), [
    'AM General Hummer SUV 2000',
    'Acura RL Sedan 2012',
    'smart fortwo Convertible 2012',
  ]);
  const annos = fixture('stanford_cars', 'devkit', 'cars_train_annos.mat');
  const a = matGet(readMatFile(annos), 'annotations', annos);
  assert.ok(a.type === 'struct');
  assert.equal(a.elements.length, 4);
  assert.equal(matScalar(matField(a, 1, 'class', 'a'), 'class'), 3);
  assert.equal(matScalar(matField(a, 1, 'bbox_x2', 'a'), 'x2'), 868);
  assert.equal(matString(matField(a, 3, 'fname', 'a'), 'fname'), '00004.jpg');
});

// ---- a tiny MAT writer for what scipy does not write: big-endian files, UTF-16 / UTF-8 chars, objects ----------

class MatWriter {
  constructor(readonly le: boolean) {}
  u32(n: number): Uint8Array {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, this.le);
    return b;
  }
  /** A data element, in the small format when it fits in 4 bytes. */
  el(type: number, data: Uint8Array, small = true): Uint8Array {
    if (small && data.length <= 4) {
      const out = new Uint8Array(8);
      const v = new DataView(out.buffer);
      v.setUint16(this.le ? 2 : 0, data.length, this.le);
      v.setUint16(this.le ? 0 : 2, type, this.le);
      out.set(data, 4);
      return out;
    }
    const pad = (8 - (data.length % 8)) % 8;
    return concat(this.u32(type), this.u32(data.length), data, new Uint8Array(pad));
  }
  i32s(xs: number[]): Uint8Array {
    const b = new Uint8Array(4 * xs.length);
    xs.forEach((x, i) => new DataView(b.buffer).setInt32(4 * i, x, this.le));
    return b;
  }
  u16s(xs: number[]): Uint8Array {
    const b = new Uint8Array(2 * xs.length);
    xs.forEach((x, i) => new DataView(b.buffer).setUint16(2 * i, x, this.le));
    return b;
  }
  f64s(xs: number[]): Uint8Array {
    const b = new Uint8Array(8 * xs.length);
    xs.forEach((x, i) => new DataView(b.buffer).setFloat64(8 * i, x, this.le));
    return b;
  }
  matrix(cls: number, dims: number[], name: string, ...content: Uint8Array[]): Uint8Array {
    const body = concat(
      this.el(6, concat(this.u32(cls), this.u32(0)), false),
      this.el(5, this.i32s(dims)),
      this.el(1, ascii(name)),
      ...content,
    );
    return this.el(14, body, false);
  }
  file(...elements: Uint8Array[]): Uint8Array {
    const header = new Uint8Array(128).fill(0x20);
    header.set(ascii('MATLAB 5.0 MAT-file, written by the mulki tests'));
    const v = new DataView(header.buffer);
    v.setUint16(124, 0x0100, this.le);
    v.setUint16(126, 0x4d49, this.le); // 'MI' as a 16-bit number: reads "IM" in a little-endian file
    return concat(header, ...elements);
  }
}

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}
function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

for (const le of [true, false]) {
  test(`MAT v5 ${le ? 'little' : 'big'}-endian: small data elements, UTF-16 and UTF-8 chars, doubles stored as uint8`, () => {
    const w = new MatWriter(le);
    const bytes = w.file(
      // double class stored as miUINT8 (MATLAB does this to save space): 3 values in a small element
      w.matrix(6, [1, 3], 'labels', w.el(2, Uint8Array.from([1, 2, 102]))),
      w.matrix(4, [1, 3], 'u16', w.el(4, w.u16s([0x68, 0xe9, 0x2713]))),
      w.matrix(4, [1, 2], 'u8', w.el(16, new TextEncoder().encode('é✓'))),
      w.matrix(6, [1, 2], 'dbl', w.el(9, w.f64s([0.5, -7]))),
      // an object (class name then struct layout) and a sparse array (listed as unsupported)
      w.matrix(3, [1, 1], 'obj', w.el(1, ascii('myclass')), w.el(5, w.i32s([4])), w.el(1, ascii('ab\0\0')),
        w.matrix(6, [1, 1], '', w.el(9, w.f64s([9])))),
      w.matrix(5, [2, 2], 'sp'),
      // MATLAB's subsystem data: an unnamed variable, skipped
      w.matrix(6, [1, 1], '', w.el(9, w.f64s([1]))),
    );
    const m = readMat(bytes, 'hand.mat');
    assert.deepEqual([...m.keys()], ['labels', 'u16', 'u8', 'dbl', 'obj', 'sp']);
    const labels = numeric(m.get('labels')!);
    assert.equal(labels.class, 'double');
    assert.ok(labels.real instanceof Float64Array);
    assert.deepEqual([...labels.real], [1, 2, 102]);
    assert.equal(matString(m.get('u16')!, 'u16'), 'hé✓');
    assert.equal(matString(m.get('u8')!, 'u8'), 'é✓');
    assert.deepEqual(matNumbers(m.get('dbl')!, 'dbl'), [0.5, -7]);
    const obj = m.get('obj')!;
    assert.ok(obj.type === 'struct');
    assert.equal(obj.className, 'myclass');
    assert.equal(matScalar(matField(obj, 0, 'ab', 'obj'), 'ab'), 9);
    assert.deepEqual(m.get('sp'), { type: 'unsupported', kind: 'sparse', dims: [2, 2] });
    // the same variable compressed
    const inner = w.matrix(6, [1, 2], 'z', w.el(9, w.f64s([3, 4])));
    const z = readMat(w.file(concat(w.u32(15), w.u32(deflateSync(inner).length), deflateSync(inner))), 'z.mat');
    assert.deepEqual(matNumbers(z.get('z')!, 'z'), [3, 4]);
  });
}

test('MAT: bad files are named in clear errors', () => {
  const w = new MatWriter(true);
  assert.throws(() => readMat(new Uint8Array(20), 'tiny.mat'), /tiny\.mat: not a MATLAB v5 file/);
  const h73 = new Uint8Array(200);
  h73.set(ascii('MATLAB 7.3 MAT-file, Platform: GLNXA64'));
  assert.throws(() => readMat(h73, 'v73.mat'), /v73\.mat: MATLAB v7\.3 \(HDF5\) files are not supported/);
  assert.throws(() => readMat(new Uint8Array(200), 'v4.mat'), /v4\.mat: not a MATLAB v5 file/);
  const good = w.file(w.matrix(6, [1, 4], 'x', w.el(9, w.f64s([1, 2, 3, 4]))));
  assert.throws(() => readMat(good.subarray(0, good.length - 9), 'cut.mat'), /cut\.mat: truncated MAT file/);
  const wrongCount = w.file(w.matrix(6, [1, 5], 'x', w.el(9, w.f64s([1, 2, 3, 4]))));
  assert.throws(() => readMat(wrongCount, 'n.mat'), /n\.mat: variable 'x': 4 values stored, dimensions need 5/);
  const badZip = w.file(concat(w.u32(15), w.u32(8), ascii('notzlib!')));
  assert.throws(() => readMat(badZip, 'z.mat'), /z\.mat: corrupt compressed element/);
  assert.throws(() => matGet(readMat(good, 'g.mat'), 'labels', 'g.mat'), /g\.mat: variable 'labels' not found \(variables: x\)/);
  assert.throws(() => readMatFile('/nonexistent/imagelabels.mat'), /missing MATLAB file \/nonexistent\/imagelabels\.mat/);
});
