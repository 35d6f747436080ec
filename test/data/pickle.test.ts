import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { NdArray, pyDictGet, pyIntList, pyText, readPickleFile, unpickle, type PyValue } from '../../src/data/formats/pickle.js';
import { fixture } from './helpers.js';

interface BatchExpect {
  filenames: string[];
  fine_labels: number[];
  data_shape: number[];
  data_head: number[];
  data_sum: number;
}
const expect = JSON.parse(readFileSync(fixture('pickles', 'batch.json'), 'utf8')) as BatchExpect;

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

const bytes = (...xs: (number | string)[]): Uint8Array =>
  Uint8Array.from(xs.flatMap((x) => (typeof x === 'number' ? [x] : [...x].map((c) => c.charCodeAt(0)))));

for (const proto of [2, 3, 4, 5]) {
  test(`pickle: a CIFAR-style batch written by Python 3 with protocol ${proto}`, () => {
    const file = fixture('pickles', `batch-p${proto}.pkl`);
    const d = readPickleFile(file);
    const data = pyDictGet(d, 'data', file);
    assert.ok(data instanceof NdArray);
    assert.equal(data.dtype, 'uint8');
    assert.deepEqual(data.shape, expect.data_shape);
    assert.equal(data.order, 'C');
    assert.deepEqual([...data.data.subarray(0, 8)], expect.data_head);
    assert.equal(sum(data.data as Uint8Array), expect.data_sum);
    assert.deepEqual(pyIntList(pyDictGet(d, 'fine_labels', file), 'labels'), expect.fine_labels);
    const names = pyDictGet(d, 'filenames', file) as PyValue[];
    assert.deepEqual(names.map((n) => pyText(n, 'name')), expect.filenames);
  });
}

test('pickle: Python 2 cPickle style (byte-string keys and BINSTRING payload, as CIFAR ships)', () => {
  const file = fixture('cifar-100-python', 'train');
  const d = readPickleFile(file);
  assert.ok(d instanceof Map);
  assert.deepEqual([...d.keys()], ['filenames', 'batch_label', 'fine_labels', 'coarse_labels', 'data']);
  const label = pyDictGet(d, 'batch_label', file);
  assert.ok(label instanceof Uint8Array, 'a Python 2 str comes back as bytes');
  assert.equal(pyText(label, 'batch_label'), 'training batch 1 of 1');
  const data = pyDictGet(d, 'data', file) as NdArray;
  assert.deepEqual(data.shape, [6, 3072]);
  const e = JSON.parse(readFileSync(fixture('cifar-100-python', 'expect.json'), 'utf8'));
  assert.equal(sum(data.data as Uint8Array), e.train.sum);
  const meta = readPickleFile(fixture('cifar-100-python', 'meta'));
  const fine = pyDictGet(meta, 'fine_label_names', 'meta') as PyValue[];
  assert.equal(fine.length, 100);
  assert.equal(pyText(fine[1], 'x'), 'aquarium_fish');
});

for (const proto of [2, 4, 5]) {
  test(`pickle: numpy dtypes, byte order, Fortran order and plain values (protocol ${proto})`, () => {
    const file = fixture('pickles', `misc-p${proto}.pkl`);
    const d = readPickleFile(file);
    const get = (k: string) => pyDictGet(d, k, file);
    const f32 = get('f32') as NdArray;
    assert.equal(f32.dtype, 'float32');
    assert.deepEqual([...f32.data], [1.5, -2, 3.25, 4]);
    const i64 = get('i64') as NdArray;
    assert.deepEqual([...(i64.data as BigInt64Array)], [-(2n ** 40n), 5n]);
    const be = get('be_u16') as NdArray;
    assert.equal(be.dtype, 'uint16');
    assert.deepEqual([...be.data], [1, 258, 65535], 'big-endian data converted');
    const f = get('fortran') as NdArray;
    assert.equal(f.order, 'F');
    assert.deepEqual(f.shape, [2, 3]);
    assert.deepEqual([...f.data], [0, 3, 1, 4, 2, 5], 'column-major memory order kept');
    const bools = get('bools') as NdArray;
    assert.equal(bools.dtype, 'bool');
    assert.deepEqual([...bools.data], [1, 0, 1]);
    assert.equal(get('text'), 'café');
    assert.deepEqual([...(get('raw') as Uint8Array)], [0, 255, 97, 98]);
    assert.equal(get('big'), 2n ** 70n);
    assert.equal(get('neg'), -3);
    assert.equal(get('pi'), 3.5);
    assert.equal(get('none'), null);
    assert.deepEqual(get('tup'), [1, 'two']);
  });
}

test('pickle: the malicious fixtures (os.system, eval) are rejected before anything runs', () => {
  assert.throws(
    () => readPickleFile(fixture('pickles', 'evil-system-p2.pkl')),
    (e: Error) => e.message.includes('evil-system-p2.pkl') && /global posix\.system is not allowed/.test(e.message),
  );
  assert.throws(() => readPickleFile(fixture('pickles', 'evil-eval-p4.pkl')), /global builtins\.eval is not allowed/);
});

test('pickle: hand-made attacks are rejected with clear errors', () => {
  // protocol 0: cos\nsystem\n(S'ls'\ntR.
  assert.throws(() => unpickle(bytes('cos\nsystem\n(S\'ls\'\ntR.'), 'evil0'), /evil0: pickle global os\.system is not allowed/);
  // REDUCE of something that is not an allowed global (a list) with an empty tuple
  assert.throws(() => unpickle(bytes(0x80, 2, ']', ')', 'R', '.'), 'x'), /REDUCE of list\/tuple: only the allowed numpy globals/);
  // _reconstruct asked to build something other than numpy.ndarray (numpy.dtype)
  assert.throws(
    () => unpickle(bytes(0x80, 2, 'cnumpy.core.multiarray\n_reconstruct\n', 'cnumpy\ndtype\n', 0x85, 'R', '.'), 'x'),
    /_reconstruct may only build numpy\.ndarray, got global numpy\.dtype/,
  );
  // object arrays: numpy.dtype('O8')
  assert.throws(
    () => unpickle(bytes(0x80, 2, 'cnumpy\ndtype\n', 'U', 2, 'O8', 0x89, 0x88, 0x87, 'R', '.'), 'x'),
    /unsupported numpy dtype 'O8'/,
  );
  // BUILD on a dict (would set attributes of an arbitrary object)
  assert.throws(() => unpickle(bytes(0x80, 2, '}', '}', 'b', '.'), 'x'), /BUILD \(setting the state of\) a dict is not allowed/);
  // instance creation opcodes, persistent ids, extension registry
  assert.throws(() => unpickle(bytes(0x80, 2, ')', 0x81, '.'), 'x'), /opcode NEWOBJ is not allowed/);
  assert.throws(() => unpickle(bytes('(iposix\nsystem\n.'), 'x'), /opcode INST is not allowed/);
  assert.throws(() => unpickle(bytes(0x80, 2, 'N', 'Q', '.'), 'x'), /opcode BINPERSID is not allowed/);
  assert.throws(() => unpickle(bytes(0x80, 2, 0x82, 1, '.'), 'x'), /opcode EXT1 is not allowed/);
  // a callable cannot be smuggled out as data
  assert.throws(() => unpickle(bytes(0x80, 2, 'cnumpy\nndarray\n', '.'), 'x'), /global numpy\.ndarray cannot be used as data/);
  // _codecs.encode with another codec
  assert.throws(
    () => unpickle(bytes(0x80, 2, 'c_codecs\nencode\n', 'X', 1, 0, 0, 0, 'a', 'X', 5, 0, 0, 0, 'rot13', 0x86, 'R', '.'), 'x'),
    /_codecs\.encode is allowed only as \(str, 'latin1'\)/,
  );
});

test('pickle: malformed input', () => {
  assert.throws(() => unpickle(bytes(0x80, 2, 'T', 0xff, 0xff, 0, 0, 'ab'), 'trunc.pkl'), /trunc\.pkl: truncated pickle/);
  assert.throws(() => unpickle(bytes(0x80, 2, 'a', '.'), 'x'), /stack underflow/);
  assert.throws(() => unpickle(bytes(0x80, 2, 'h', 9, '.'), 'x'), /memo entry 9 is not defined/);
  assert.throws(() => unpickle(bytes(0x80, 2, 0xff), 'x'), /invalid pickle opcode 0xff/);
  assert.throws(() => unpickle(bytes(0x80, 9, 'N', '.'), 'x'), /unsupported pickle protocol 9/);
  assert.throws(() => unpickle(bytes(0x80, 2, 'N', 'N', '.'), 'x'), /STOP with data left/);
  assert.throws(() => pyDictGet(new Map([['a', 1]]), 'data', 'f.pkl'), /f\.pkl: key 'data' not found \(keys: a\)/);
});

test('pickle: small handmade values', () => {
  // {'a': [1, -2, 70000], 'b': (True, None)} with protocol 2 opcodes
  const v = unpickle(
    bytes(0x80, 2, '}', 'q', 0, '(', 'X', 1, 0, 0, 0, 'a', ']', '(', 'K', 1, 'J', 0xfe, 0xff, 0xff, 0xff, 'J', 0x70, 0x11, 1, 0, 'e',
      'X', 1, 0, 0, 0, 'b', 0x88, 'N', 0x86, 'u', '.'),
  );
  assert.deepEqual(v, new Map<string, PyValue>([['a', [1, -2, 70000]], ['b', [true, null]]]));
  assert.equal(unpickle(bytes(0x80, 2, 0x8a, 2, 0x00, 0x80, '.')), -32768, 'LONG1 is two\'s complement');
});
