/**
 * A SAFE reader for the Python pickles CIFAR ships (Python 2 cPickle protocol 2, and Python 3 protocols 2-5).
 *
 * A pickle is a program for a small stack machine that may import and call any Python function. This reader runs
 * only the opcodes that build plain data (numbers, strings, bytes, lists, tuples, dicts) and recognises just the
 * few globals numpy uses to rebuild an ndarray (`numpy.core.multiarray._reconstruct`, `numpy.ndarray`,
 * `numpy.dtype`, `numpy.core.numeric._frombuffer`, `numpy.core.multiarray.scalar`) plus `_codecs.encode`, which
 * Python 3 uses for bytes under protocol 2. They are interpreted here, never executed: anything else (another
 * global, an instance opcode, a persistent id, an extension code) is rejected with an error naming the file.
 *
 * Python 2 byte strings (SHORT_BINSTRING / BINSTRING) come back as Uint8Array; dict keys that are byte strings are
 * decoded as latin1 (what Python 3's `pickle.load(f, encoding='latin1')` does); use `pyText` for string values.
 */
import { existsSync, readFileSync } from 'node:fs';

export type NdDtype = 'bool' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float32' | 'float64';
export type NdData =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/** A numpy array rebuilt from a pickle. `data` holds the elements in memory order (`order` 'C' or 'F'). */
export class NdArray {
  constructor(
    readonly dtype: NdDtype,
    readonly shape: number[],
    readonly order: 'C' | 'F',
    readonly data: NdData,
  ) {}
}

export type PyKey = string | number | bigint | boolean | null;
export type PyValue = null | boolean | number | bigint | string | Uint8Array | NdArray | PyValue[] | PyDict;
export type PyDict = Map<PyKey, PyValue>;

/** numpy type strings ('u1', 'f8', ...) -> element type and size. */
const DTYPES: Record<string, { dtype: NdDtype; size: number }> = {
  b1: { dtype: 'bool', size: 1 },
  i1: { dtype: 'int8', size: 1 },
  u1: { dtype: 'uint8', size: 1 },
  i2: { dtype: 'int16', size: 2 },
  u2: { dtype: 'uint16', size: 2 },
  i4: { dtype: 'int32', size: 4 },
  u4: { dtype: 'uint32', size: 4 },
  i8: { dtype: 'int64', size: 8 },
  u8: { dtype: 'uint64', size: 8 },
  f4: { dtype: 'float32', size: 4 },
  f8: { dtype: 'float64', size: 8 },
};

/** The only globals a pickle may name. */
const ALLOWED_GLOBALS = new Set([
  'numpy.core.multiarray._reconstruct',
  'numpy._core.multiarray._reconstruct',
  'numpy.core.multiarray.scalar',
  'numpy._core.multiarray.scalar',
  'numpy.core.numeric._frombuffer',
  'numpy._core.numeric._frombuffer',
  'numpy.ndarray',
  'numpy.dtype',
  '_codecs.encode',
]);

/** Opcode names, for error messages (every opcode of protocols 0-5). */
const OPCODE_NAMES: Record<string, string> = {
  '(': 'MARK', '.': 'STOP', '0': 'POP', '1': 'POP_MARK', '2': 'DUP', F: 'FLOAT', I: 'INT', J: 'BININT',
  K: 'BININT1', L: 'LONG', M: 'BININT2', N: 'NONE', P: 'PERSID', Q: 'BINPERSID', R: 'REDUCE', S: 'STRING',
  T: 'BINSTRING', U: 'SHORT_BINSTRING', V: 'UNICODE', X: 'BINUNICODE', a: 'APPEND', b: 'BUILD', c: 'GLOBAL',
  d: 'DICT', '}': 'EMPTY_DICT', e: 'APPENDS', g: 'GET', h: 'BINGET', i: 'INST', j: 'LONG_BINGET', l: 'LIST',
  ']': 'EMPTY_LIST', o: 'OBJ', p: 'PUT', q: 'BINPUT', r: 'LONG_BINPUT', s: 'SETITEM', t: 'TUPLE',
  ')': 'EMPTY_TUPLE', u: 'SETITEMS', G: 'BINFLOAT', '\x80': 'PROTO', '\x81': 'NEWOBJ', '\x82': 'EXT1',
  '\x83': 'EXT2', '\x84': 'EXT4', '\x85': 'TUPLE1', '\x86': 'TUPLE2', '\x87': 'TUPLE3', '\x88': 'NEWTRUE',
  '\x89': 'NEWFALSE', '\x8a': 'LONG1', '\x8b': 'LONG4', B: 'BINBYTES', C: 'SHORT_BINBYTES',
  '\x8c': 'SHORT_BINUNICODE', '\x8d': 'BINUNICODE8', '\x8e': 'BINBYTES8', '\x8f': 'EMPTY_SET', '\x90': 'ADDITEMS',
  '\x91': 'FROZENSET', '\x92': 'NEWOBJ_EX', '\x93': 'STACK_GLOBAL', '\x94': 'MEMOIZE', '\x95': 'FRAME',
  '\x96': 'BYTEARRAY8', '\x97': 'NEXT_BUFFER', '\x98': 'READONLY_BUFFER',
};

/** A recognised global: interpreted, never called. */
class PyGlobal {
  constructor(readonly qualname: string) {}
}
/** numpy.dtype under construction (BUILD sets the byte order). */
class PendingDtype {
  byteorder = '=';
  constructor(
    readonly dtype: NdDtype,
    readonly size: number,
  ) {}
}
/** ndarray made by _reconstruct, waiting for BUILD to fill in shape, dtype and data. */
class PendingArray {
  built: NdArray | null = null;
}

/** Anything the machine's stack may hold; tuples are arrays recorded in `tuples` and may hold non-data items. */
type StackItem = PyValue | PyGlobal | PendingDtype | PendingArray | StackItem[];

/** Parses pickle bytes; `source` names the file in error messages. */
export function unpickle(bytes: Uint8Array, source = '<pickle bytes>'): PyValue {
  try {
    return new Unpickler(bytes, source).run();
  } catch (e) {
    if (e instanceof RangeError) throw new Error(`${source}: pickle nests too deeply (${e.message})`);
    throw e;
  }
}

/** Reads and parses a pickle file. */
export function readPickleFile(path: string): PyValue {
  if (!existsSync(path)) throw new Error(`missing pickle file ${path}`);
  return unpickle(readFileSync(path), path);
}

class Unpickler {
  private pos = 0;
  private stack: StackItem[] = [];
  /** Stack heights at each open MARK. */
  private marks: number[] = [];
  private memo = new Map<number, StackItem>();
  private tuples = new WeakSet<object>();
  private view: DataView;

  private bytes: Uint8Array;

  constructor(
    input: Uint8Array,
    private source: string,
  ) {
    // A plain Uint8Array view (a Buffer's subarrays would be Buffers, whose slice() does not copy).
    this.bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  }

  private fail(msg: string, at = this.pos): never {
    throw new Error(`${this.source}: ${msg} (pickle byte ${at})`);
  }

  private need(n: number): number {
    if (n < 0 || this.pos + n > this.bytes.length) this.fail(`truncated pickle: need ${n} more bytes`);
    const p = this.pos;
    this.pos += n;
    return p;
  }
  private u8(): number {
    return this.bytes[this.need(1)]!;
  }
  private u16(): number {
    return this.view.getUint16(this.need(2), true);
  }
  private u32(): number {
    return this.view.getUint32(this.need(4), true);
  }
  private u64(): number {
    const p = this.need(8);
    const v = this.view.getBigUint64(p, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`length ${v} too large`, p);
    return Number(v);
  }
  private take(n: number): Uint8Array {
    const p = this.need(n);
    return this.bytes.subarray(p, p + n);
  }
  private line(): string {
    const start = this.pos;
    const end = this.bytes.indexOf(0x0a, start);
    if (end < 0) this.fail('truncated pickle: unterminated text line');
    this.pos = end + 1;
    return latin1(this.bytes.subarray(start, end));
  }

  private floor(): number {
    return this.marks.length ? this.marks[this.marks.length - 1]! : 0;
  }
  private push(v: StackItem): void {
    this.stack.push(v);
  }
  private pop(): StackItem {
    if (this.stack.length <= this.floor()) this.fail('pickle stack underflow');
    return this.stack.pop()!;
  }
  private top(): StackItem {
    if (this.stack.length <= this.floor()) this.fail('pickle stack underflow');
    return this.stack[this.stack.length - 1]!;
  }
  private popMark(): StackItem[] {
    const m = this.marks.pop();
    if (m === undefined) this.fail('pickle MARK missing');
    return this.stack.splice(m);
  }
  private tuple(items: StackItem[]): StackItem[] {
    this.tuples.add(items);
    return items;
  }
  private isTuple(v: StackItem): v is StackItem[] {
    return Array.isArray(v) && this.tuples.has(v);
  }
  /** The item as plain data: numpy helpers may only appear where numpy's own reconstruction puts them. */
  private value(v: StackItem, what: string): PyValue {
    if (v instanceof PyGlobal || v instanceof PendingDtype) this.fail(`${what}: a ${describe(v)} cannot be used as data`);
    if (v instanceof PendingArray) {
      if (!v.built) this.fail(`${what}: numpy array used before its state was set`);
      return v.built;
    }
    if (this.isTuple(v)) {
      for (let i = 0; i < v.length; i++) v[i] = this.value(v[i]!, what);
    }
    return v as PyValue;
  }

  run(): PyValue {
    for (;;) {
      const at = this.pos;
      const op = String.fromCharCode(this.u8());
      switch (op) {
        case '\x80': {
          const proto = this.u8();
          if (proto > 5) this.fail(`unsupported pickle protocol ${proto}`, at);
          break;
        }
        case '\x95': // FRAME: a length hint only
          this.u64();
          break;
        case '.': {
          const v = this.pop();
          if (this.stack.length !== 0 || this.marks.length !== 0) this.fail('pickle STOP with data left on the stack', at);
          return this.value(v, 'result');
        }
        case '(':
          this.marks.push(this.stack.length);
          break;
        case '0':
          this.pop();
          break;
        case '1':
          this.popMark();
          break;
        case '2':
          this.push(this.top());
          break;
        case 'N':
          this.push(null);
          break;
        case '\x88':
          this.push(true);
          break;
        case '\x89':
          this.push(false);
          break;
        case 'J':
          this.push(this.view.getInt32(this.need(4), true));
          break;
        case 'K':
          this.push(this.u8());
          break;
        case 'M':
          this.push(this.u16());
          break;
        case '\x8a':
          this.push(this.long(this.u8()));
          break;
        case '\x8b': {
          const n = this.u32();
          if (n > 1 << 16) this.fail(`LONG4 of ${n} bytes is too large`, at);
          this.push(this.long(n));
          break;
        }
        case 'G':
          this.push(this.view.getFloat64(this.need(8), false));
          break;
        case 'U': // SHORT_BINSTRING: a Python 2 str, i.e. bytes
        case 'C': // SHORT_BINBYTES
          this.push(this.take(this.u8()));
          break;
        case 'T': {
          const n = this.view.getInt32(this.need(4), true);
          if (n < 0) this.fail('BINSTRING with a negative length', at);
          this.push(this.take(n));
          break;
        }
        case 'B':
          this.push(this.take(this.u32()));
          break;
        case '\x8e': // BINBYTES8
        case '\x96': // BYTEARRAY8
          this.push(this.take(this.u64()));
          break;
        case '\x8c':
          this.push(utf8(this.take(this.u8())));
          break;
        case 'X':
          this.push(utf8(this.take(this.u32())));
          break;
        case '\x8d':
          this.push(utf8(this.take(this.u64())));
          break;
        case ']':
          this.push([]);
          break;
        case ')':
          this.push(this.tuple([]));
          break;
        case '}':
          this.push(new Map());
          break;
        case 't':
          this.push(this.tuple(this.popMark()));
          break;
        case '\x85':
          this.push(this.tuple([this.pop()]));
          break;
        case '\x86': {
          const b = this.pop();
          this.push(this.tuple([this.pop(), b]));
          break;
        }
        case '\x87': {
          const c = this.pop();
          const b = this.pop();
          this.push(this.tuple([this.pop(), b, c]));
          break;
        }
        case 'a': {
          const v = this.value(this.pop(), 'APPEND');
          this.list(this.top(), 'APPEND').push(v);
          break;
        }
        case 'e': {
          const items = this.popMark().map((x) => this.value(x, 'APPENDS'));
          const l = this.list(this.top(), 'APPENDS');
          for (const x of items) l.push(x);
          break;
        }
        case 's': {
          const v = this.value(this.pop(), 'SETITEM');
          const k = this.value(this.pop(), 'SETITEM key');
          this.dict(this.top(), 'SETITEM').set(this.key(k), v);
          break;
        }
        case 'u': {
          const items = this.popMark();
          if (items.length % 2 !== 0) this.fail('SETITEMS with an odd number of items', at);
          const d = this.dict(this.top(), 'SETITEMS');
          for (let i = 0; i < items.length; i += 2) {
            d.set(this.key(this.value(items[i]!, 'SETITEMS key')), this.value(items[i + 1]!, 'SETITEMS'));
          }
          break;
        }
        case 'q':
          this.memo.set(this.u8(), this.top());
          break;
        case 'r':
          this.memo.set(this.u32(), this.top());
          break;
        case '\x94':
          this.memo.set(this.memo.size, this.top());
          break;
        case 'h':
          this.push(this.get(this.u8(), at));
          break;
        case 'j':
          this.push(this.get(this.u32(), at));
          break;
        case 'c': {
          const module = this.line();
          const name = this.line();
          this.push(this.global(module, name, at));
          break;
        }
        case '\x93': {
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') this.fail('STACK_GLOBAL needs two strings', at);
          this.push(this.global(module, name, at));
          break;
        }
        case 'R': {
          const args = this.pop();
          const fn = this.pop();
          this.push(this.reduce(fn, args, at));
          break;
        }
        case 'b': {
          const state = this.pop();
          this.build(this.top(), state, at);
          break;
        }
        default: {
          const name = OPCODE_NAMES[op];
          this.fail(
            name
              ? `pickle opcode ${name} is not allowed (mulki reads only numbers, strings, lists, dicts and numpy arrays)`
              : `invalid pickle opcode 0x${op.charCodeAt(0).toString(16)}`,
            at,
          );
        }
      }
    }
  }

  private long(n: number): number | bigint {
    const b = this.take(n);
    if (n === 0) return 0;
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  private get(i: number, at: number): StackItem {
    if (!this.memo.has(i)) this.fail(`pickle memo entry ${i} is not defined`, at);
    return this.memo.get(i)!;
  }

  private list(v: StackItem, what: string): PyValue[] {
    if (!Array.isArray(v) || this.tuples.has(v)) this.fail(`${what} needs a list, found ${describe(v)}`);
    return v as PyValue[];
  }
  private dict(v: StackItem, what: string): PyDict {
    if (!(v instanceof Map)) this.fail(`${what} needs a dict, found ${describe(v)}`);
    return v;
  }
  private key(k: PyValue): PyKey {
    if (k instanceof Uint8Array) return latin1(k);
    if (k === null || typeof k === 'string' || typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean') {
      return k;
    }
    this.fail(`unsupported dict key type ${describe(k)}`);
  }

  private global(module: string, name: string, at: number): PyGlobal {
    const q = `${module}.${name}`;
    if (!ALLOWED_GLOBALS.has(q)) {
      this.fail(`pickle global ${q} is not allowed (only numpy array reconstruction is)`, at);
    }
    return new PyGlobal(q);
  }

  /** Interprets a call of an allowed global; nothing is ever executed. */
  private reduce(fn: StackItem, args: StackItem, at: number): StackItem {
    if (!(fn instanceof PyGlobal)) this.fail(`REDUCE of ${describe(fn)}: only the allowed numpy globals may be called`, at);
    if (!this.isTuple(args)) this.fail(`REDUCE of ${fn.qualname} needs an argument tuple`, at);
    const q = fn.qualname;
    if (q.endsWith('._reconstruct')) {
      // _reconstruct(numpy.ndarray, (0,), b'b'): an empty array that BUILD fills in.
      const cls = args[0];
      if (!(cls instanceof PyGlobal) || cls.qualname !== 'numpy.ndarray') {
        this.fail(`_reconstruct may only build numpy.ndarray, got ${describe(cls ?? null)}`, at);
      }
      return new PendingArray();
    }
    if (q === 'numpy.dtype') {
      const ts = asStr(args[0]);
      if (ts === null) this.fail(`numpy.dtype needs a type string, got ${describe(args[0] ?? null)}`, at);
      const d = DTYPES[ts];
      if (!d) this.fail(`unsupported numpy dtype '${ts}' (supported: ${Object.keys(DTYPES).join(', ')})`, at);
      return new PendingDtype(d.dtype, d.size);
    }
    if (q.endsWith('._frombuffer')) {
      // _frombuffer(buffer, dtype, shape, order): protocol 5
      const [buf, dt, shape, order] = args;
      if (!(dt instanceof PendingDtype)) this.fail(`_frombuffer needs a numpy dtype, got ${describe(dt ?? null)}`, at);
      return this.makeArray(dt, this.shape(shape ?? null, at), asStr(order) === 'F' ? 'F' : 'C', buf ?? null, at);
    }
    if (q.endsWith('.scalar')) {
      // scalar(dtype, bytes): a numpy scalar such as np.int64(3)
      const [dt, raw] = args;
      if (!(dt instanceof PendingDtype)) this.fail(`scalar needs a numpy dtype, got ${describe(dt ?? null)}`, at);
      const arr = this.makeArray(dt, [1], 'C', raw ?? null, at);
      const v = arr.data[0]!;
      return arr.dtype === 'bool' ? v !== 0 : v;
    }
    if (q === '_codecs.encode') {
      // _codecs.encode(text, 'latin1'): how Python 3 writes bytes under protocol 2
      const [text, enc] = args;
      if (typeof text !== 'string' || (enc !== 'latin1' && enc !== 'latin-1')) {
        this.fail(`_codecs.encode is allowed only as (str, 'latin1')`, at);
      }
      const out = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c > 255) this.fail('_codecs.encode: character outside latin1', at);
        out[i] = c;
      }
      return out;
    }
    this.fail(`${q} cannot be called`, at);
  }

  private build(target: StackItem, state: StackItem, at: number): void {
    if (target instanceof PendingDtype) {
      // (version, byteorder, subdescr, names, fields, elsize, alignment, flags[, metadata])
      if (!this.isTuple(state) || state.length < 2) this.fail('numpy dtype state must be a tuple', at);
      const bo = asStr(state[1]);
      if (bo === null || !['<', '>', '|', '='].includes(bo)) this.fail(`bad numpy byte order ${describe(state[1] ?? null)}`, at);
      if (state.length >= 5 && (state[2] !== null || state[3] !== null || state[4] !== null)) {
        this.fail('structured numpy dtypes are not supported', at);
      }
      target.byteorder = bo;
      return;
    }
    if (target instanceof PendingArray) {
      // (version, shape, dtype, is_fortran, rawdata) or, from old numpy, without the version
      if (!this.isTuple(state)) this.fail('numpy array state must be a tuple', at);
      const s = state.length === 5 ? state.slice(1) : state;
      if (s.length !== 4) this.fail(`numpy array state has ${state.length} items, expected 4 or 5`, at);
      const [shape, dt, fortran, raw] = s;
      if (!(dt instanceof PendingDtype)) this.fail(`numpy array state needs a dtype, got ${describe(dt ?? null)}`, at);
      const order = fortran === true || fortran === 1 ? 'F' : 'C';
      target.built = this.makeArray(dt, this.shape(shape ?? null, at), order, raw ?? null, at);
      return;
    }
    this.fail(`BUILD (setting the state of) a ${describe(target)} is not allowed`, at);
  }

  private shape(v: StackItem, at: number): number[] {
    if (!Array.isArray(v)) this.fail(`numpy shape must be a tuple, got ${describe(v)}`, at);
    return v.map((d) => {
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) this.fail(`bad numpy dimension ${describe(d)}`, at);
      return d;
    });
  }

  private makeArray(dt: PendingDtype, shape: number[], order: 'C' | 'F', raw: StackItem, at: number): NdArray {
    let bytes: Uint8Array;
    if (raw instanceof Uint8Array) bytes = raw;
    else if (typeof raw === 'string') bytes = Uint8Array.from(raw, (c) => c.charCodeAt(0) & 0xff);
    else this.fail(`numpy array data must be bytes, got ${describe(raw)} (object arrays are not supported)`, at);
    const n = shape.reduce((a, b) => a * b, 1);
    if (bytes.length !== n * dt.size) {
      this.fail(`numpy array of shape (${shape.join(', ')}) ${dt.dtype} needs ${n * dt.size} bytes, got ${bytes.length}`, at);
    }
    return new NdArray(dt.dtype, shape, order, typedFrom(bytes, dt.dtype, n, dt.byteorder === '>'));
  }
}

function typedFrom(bytes: Uint8Array, dtype: NdDtype, n: number, bigEndian: boolean): NdData {
  // No copy for bytes (CIFAR's payload is 150 MB); a plain Uint8Array view, not a Buffer, whose slice() shares memory.
  if (dtype === 'uint8' || dtype === 'bool') return new Uint8Array(bytes.buffer, bytes.byteOffset, n);
  if (dtype === 'int8') return new Int8Array(bytes.buffer, bytes.byteOffset, n);
  const le = !bigEndian;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fill = <T extends { [i: number]: number | bigint }>(a: T, size: number, get: (o: number) => number | bigint): T => {
    for (let i = 0; i < n; i++) a[i] = get(i * size);
    return a;
  };
  switch (dtype) {
    case 'int16':
      return fill(new Int16Array(n), 2, (o) => v.getInt16(o, le));
    case 'uint16':
      return fill(new Uint16Array(n), 2, (o) => v.getUint16(o, le));
    case 'int32':
      return fill(new Int32Array(n), 4, (o) => v.getInt32(o, le));
    case 'uint32':
      return fill(new Uint32Array(n), 4, (o) => v.getUint32(o, le));
    case 'int64':
      return fill(new BigInt64Array(n), 8, (o) => v.getBigInt64(o, le));
    case 'uint64':
      return fill(new BigUint64Array(n), 8, (o) => v.getBigUint64(o, le));
    case 'float32':
      return fill(new Float32Array(n), 4, (o) => v.getFloat32(o, le));
    case 'float64':
      return fill(new Float64Array(n), 8, (o) => v.getFloat64(o, le));
  }
}

function describe(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof PyGlobal) return `global ${v.qualname}`;
  if (v instanceof PendingDtype) return 'numpy dtype';
  if (v instanceof PendingArray || v instanceof NdArray) return 'numpy array';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof Map) return 'dict';
  if (Array.isArray(v)) return 'list/tuple';
  return typeof v;
}

/** A str or Python 2 byte string as text; null for anything else. */
function asStr(v: unknown): string | null {
  return typeof v === 'string' ? v : v instanceof Uint8Array ? latin1(v) : null;
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

const UTF8 = new TextDecoder('utf-8');
function utf8(b: Uint8Array): string {
  return UTF8.decode(b);
}

/** A str or Python 2 byte string as text (latin1, as `encoding='latin1'` does). */
export function pyText(v: PyValue | undefined, what: string): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return latin1(v);
  throw new Error(`${what}: expected a string, found ${describe(v ?? null)}`);
}

/** Looks up a key in an unpickled dict, naming the file and the key when it is not there. */
export function pyDictGet(d: PyValue, key: string, source: string): PyValue {
  if (!(d instanceof Map)) throw new Error(`${source}: expected a pickled dict, found ${describe(d)}`);
  if (!d.has(key)) {
    throw new Error(`${source}: key '${key}' not found (keys: ${[...d.keys()].map(String).join(', ')})`);
  }
  return d.get(key)!;
}

/** A list of integers (e.g. CIFAR's labels) from a list or a 1-D integer array. */
export function pyIntList(v: PyValue, what: string): number[] {
  if (v instanceof NdArray) {
    if (v.dtype === 'float32' || v.dtype === 'float64') throw new Error(`${what}: expected integers, found ${v.dtype} array`);
    return Array.from(v.data as ArrayLike<number | bigint>, (x) => Number(x));
  }
  if (!Array.isArray(v)) throw new Error(`${what}: expected a list of integers, found ${describe(v)}`);
  return v.map((x, i) => {
    if (typeof x === 'number' && Number.isInteger(x)) return x;
    if (typeof x === 'bigint') return Number(x);
    throw new Error(`${what}: item ${i} is not an integer`);
  });
}
