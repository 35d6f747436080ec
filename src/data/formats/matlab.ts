/**
 * A reader for MATLAB v5 .mat files (what `save` writes by default up to -v7, and what scipy.io.savemat writes):
 * the 128-byte header, then data elements. Supported: miMATRIX of every numeric class (double, single,
 * int8..uint64, logical; real or complex), char arrays (UTF-16 / UTF-8 / UTF-32 / 8-bit), cell arrays, structs
 * and struct arrays, objects (as structs with a class name), miCOMPRESSED (zlib) elements, both byte orders and
 * the small data element format. Sparse arrays and function handles are listed as unsupported values. Arrays keep
 * MATLAB's column-major element order; `dims` are MATLAB's dimensions (at least two).
 *
 * Format reference: "MATLAB 7 MAT-File Format" (The MathWorks), chapter 1.
 */
import { existsSync, readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';

export type MatNumericClass =
  | 'double'
  | 'single'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64';

export type MatNumericData =
  | Float64Array
  | Float32Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export interface MatNumeric {
  type: 'numeric';
  class: MatNumericClass;
  /** True for MATLAB logical arrays (class uint8 with the logical flag). */
  logical: boolean;
  dims: number[];
  real: MatNumericData;
  imag?: MatNumericData;
}
export interface MatChar {
  type: 'char';
  dims: number[];
  /** Character codes (UTF-16 code units, as MATLAB stores them), column-major. */
  codes: Uint32Array;
}
export interface MatCell {
  type: 'cell';
  dims: number[];
  cells: MatValue[];
}
export interface MatStruct {
  type: 'struct';
  dims: number[];
  fields: string[];
  /** One map per element, column-major. */
  elements: Map<string, MatValue>[];
  /** Set for MATLAB objects (mxOBJECT_CLASS). */
  className?: string;
}
export interface MatUnsupported {
  type: 'unsupported';
  /** e.g. 'sparse', 'function', 'opaque'. */
  kind: string;
  dims: number[];
}
export type MatValue = MatNumeric | MatChar | MatCell | MatStruct | MatUnsupported;

// Data element types (miXXX).
const MI = {
  INT8: 1,
  UINT8: 2,
  INT16: 3,
  UINT16: 4,
  INT32: 5,
  UINT32: 6,
  SINGLE: 7,
  DOUBLE: 9,
  INT64: 12,
  UINT64: 13,
  MATRIX: 14,
  COMPRESSED: 15,
  UTF8: 16,
  UTF16: 17,
  UTF32: 18,
} as const;

const MI_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8, 16: 1, 17: 2, 18: 4 };

// Array classes (mxXXX_CLASS).
const CLASS_NUMERIC: Record<number, MatNumericClass> = {
  6: 'double',
  7: 'single',
  8: 'int8',
  9: 'uint8',
  10: 'int16',
  11: 'uint16',
  12: 'int32',
  13: 'uint32',
  14: 'int64',
  15: 'uint64',
};
const CLASS_CELL = 1;
const CLASS_STRUCT = 2;
const CLASS_OBJECT = 3;
const CLASS_CHAR = 4;
const CLASS_UNSUPPORTED: Record<number, string> = { 5: 'sparse', 16: 'function', 17: 'opaque' };

interface Element {
  type: number;
  data: Uint8Array;
  /** Offset of the element's first byte, for messages. */
  at: number;
  next: number;
}

class Reader {
  constructor(
    readonly source: string,
    readonly le: boolean,
  ) {}

  fail(msg: string, at?: number): never {
    throw new Error(`${this.source}: ${msg}${at === undefined ? '' : ` (byte ${at})`}`);
  }

  /** Reads the data element starting at `off` within `buf`. */
  element(buf: Uint8Array, off: number, end: number): Element {
    if (off + 8 > end) this.fail('truncated MAT file: incomplete element tag', off);
    const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const first = v.getUint32(off, this.le);
    if (first >>> 16 !== 0) {
      // Small data element: 2-byte size, 2-byte type and up to 4 bytes of data in one 8-byte unit.
      const n = first >>> 16;
      const type = first & 0xffff;
      if (n > 4) this.fail(`bad small data element of ${n} bytes`, off);
      return { type, data: buf.subarray(off + 4, off + 4 + n), at: off, next: off + 8 };
    }
    const type = first;
    const n = v.getUint32(off + 4, this.le);
    if (off + 8 + n > end) this.fail(`truncated MAT file: element of ${n} bytes runs past the end`, off);
    const data = buf.subarray(off + 8, off + 8 + n);
    // Elements are padded to 8 bytes; compressed ones are not.
    const next = type === MI.COMPRESSED ? off + 8 + n : off + 8 + Math.ceil(n / 8) * 8;
    return { type, data, at: off, next: Math.min(next, end) };
  }

  /** Parses one miMATRIX element's payload. */
  matrix(el: Element): { name: string; value: MatValue } {
    if (el.type !== MI.MATRIX) this.fail(`expected a miMATRIX element, found data type ${el.type}`, el.at);
    const buf = el.data;
    if (buf.length === 0) return { name: '', value: emptyDouble() };
    let off = 0;
    const sub = (): Element => {
      const e = this.element(buf, off, buf.length);
      off = e.next;
      return e;
    };
    const flagsEl = sub();
    if (flagsEl.data.length < 4) this.fail('array flags element too short', el.at);
    const flags = this.uint32s(flagsEl)[0]!;
    const cls = flags & 0xff;
    const complex = (flags & 0x800) !== 0;
    const logical = (flags & 0x200) !== 0;
    const dims = Array.from(this.ints(sub(), 'dimensions'));
    const name = this.text(sub());
    const count = dims.reduce((a, b) => a * b, 1);

    const numeric = CLASS_NUMERIC[cls];
    if (numeric) {
      const none: Element = { type: MI.DOUBLE, data: new Uint8Array(0), at: el.at, next: off };
      const real = this.numeric(count === 0 && off >= buf.length ? none : sub(), numeric, count, name);
      const imag = complex ? this.numeric(sub(), numeric, count, name) : undefined;
      const value: MatNumeric = { type: 'numeric', class: numeric, logical, dims, real };
      if (imag) value.imag = imag;
      return { name, value };
    }
    if (cls === CLASS_CHAR) {
      const codes = count === 0 && off >= buf.length ? new Uint32Array(0) : this.chars(sub(), name);
      if (codes.length !== count) {
        this.fail(`char array '${name}' has ${codes.length} characters, dimensions [${dims.join('x')}] need ${count}`, el.at);
      }
      return { name, value: { type: 'char', dims, codes } };
    }
    if (cls === CLASS_CELL) {
      const cells: MatValue[] = [];
      for (let i = 0; i < count; i++) cells.push(this.matrix(sub()).value);
      return { name, value: { type: 'cell', dims, cells } };
    }
    if (cls === CLASS_STRUCT || cls === CLASS_OBJECT) {
      const className = cls === CLASS_OBJECT ? this.text(sub()) : undefined;
      const lenEl = sub();
      const fieldLen = this.ints(lenEl, 'field name length')[0] ?? 0;
      const namesEl = sub();
      const fields: string[] = [];
      if (fieldLen > 0) {
        for (let p = 0; p + fieldLen <= namesEl.data.length; p += fieldLen) {
          fields.push(cString(namesEl.data.subarray(p, p + fieldLen)));
        }
      }
      const elements: Map<string, MatValue>[] = [];
      for (let i = 0; i < count; i++) {
        const m = new Map<string, MatValue>();
        for (const f of fields) m.set(f, this.matrix(sub()).value);
        elements.push(m);
      }
      const value: MatStruct = { type: 'struct', dims, fields, elements };
      if (className !== undefined) value.className = className;
      return { name, value };
    }
    const kind = CLASS_UNSUPPORTED[cls];
    if (kind) return { name, value: { type: 'unsupported', kind, dims } };
    this.fail(`unknown MATLAB array class ${cls} for variable '${name}'`, el.at);
  }

  private uint32s(el: Element): Uint32Array {
    const v = new DataView(el.data.buffer, el.data.byteOffset, el.data.byteLength);
    const out = new Uint32Array(el.data.length >> 2);
    for (let i = 0; i < out.length; i++) out[i] = v.getUint32(4 * i, this.le);
    return out;
  }

  private ints(el: Element, what: string): number[] {
    if (el.type !== MI.INT32 && el.type !== MI.UINT32 && el.type !== MI.INT16 && el.type !== MI.UINT16 && el.type !== MI.INT8 && el.type !== MI.UINT8) {
      this.fail(`${what}: expected an integer element, found data type ${el.type}`, el.at);
    }
    return Array.from(this.values(el), (x) => Number(x));
  }

  private text(el: Element): string {
    return cString(el.data);
  }

  /** The element's values in its own storage type. */
  private values(el: Element): ArrayLike<number | bigint> {
    const size = MI_SIZE[el.type];
    if (!size) this.fail(`expected a numeric element, found data type ${el.type}`, el.at);
    const n = Math.floor(el.data.length / size);
    const v = new DataView(el.data.buffer, el.data.byteOffset, el.data.byteLength);
    const le = this.le;
    switch (el.type) {
      case MI.INT8:
        return new Int8Array(el.data.buffer, el.data.byteOffset, n);
      case MI.UINT8:
      case MI.UTF8:
        return el.data.subarray(0, n);
      case MI.INT16:
        return fill(new Int16Array(n), (i) => v.getInt16(2 * i, le));
      case MI.UINT16:
      case MI.UTF16:
        return fill(new Uint16Array(n), (i) => v.getUint16(2 * i, le));
      case MI.INT32:
        return fill(new Int32Array(n), (i) => v.getInt32(4 * i, le));
      case MI.UINT32:
      case MI.UTF32:
        return fill(new Uint32Array(n), (i) => v.getUint32(4 * i, le));
      case MI.SINGLE:
        return fill(new Float32Array(n), (i) => v.getFloat32(4 * i, le));
      case MI.DOUBLE:
        return fill(new Float64Array(n), (i) => v.getFloat64(8 * i, le));
      case MI.INT64:
        return fill(new BigInt64Array(n), (i) => v.getBigInt64(8 * i, le));
      case MI.UINT64:
        return fill(new BigUint64Array(n), (i) => v.getBigUint64(8 * i, le));
      default:
        this.fail(`unexpected data type ${el.type}`, el.at);
    }
  }

  /** Numeric data converted to the array's class (MATLAB may store e.g. doubles as uint8 to save space). */
  private numeric(el: Element, cls: MatNumericClass, count: number, name: string): MatNumericData {
    const src = this.values(el);
    if (src.length !== count) {
      this.fail(`variable '${name}': ${src.length} values stored, dimensions need ${count}`, el.at);
    }
    switch (cls) {
      case 'double':
        return Float64Array.from(src, Number);
      case 'single':
        return Float32Array.from(src, Number);
      case 'int8':
        return Int8Array.from(src, Number);
      case 'uint8':
        return Uint8Array.from(src, Number);
      case 'int16':
        return Int16Array.from(src, Number);
      case 'uint16':
        return Uint16Array.from(src, Number);
      case 'int32':
        return Int32Array.from(src, Number);
      case 'uint32':
        return Uint32Array.from(src, Number);
      case 'int64':
        return BigInt64Array.from(src, (x) => this.big(x, name, el.at));
      case 'uint64':
        return BigUint64Array.from(src, (x) => this.big(x, name, el.at));
    }
  }

  private big(x: number | bigint, name: string, at: number): bigint {
    if (typeof x === 'bigint') return x;
    if (!Number.isInteger(x)) this.fail(`variable '${name}': non-integer ${x} in a 64-bit integer array`, at);
    return BigInt(x);
  }

  private chars(el: Element, name: string): Uint32Array {
    if (el.type === MI.UTF8) {
      // One character per code point (MATLAB writes UTF-8 char data that way).
      const text = new TextDecoder('utf-8').decode(el.data);
      return Uint32Array.from(Array.from(text, (c) => c.codePointAt(0)!));
    }
    if (el.type === MI.MATRIX || el.type === MI.COMPRESSED) this.fail(`char array '${name}': bad data element`, el.at);
    return Uint32Array.from(this.values(el), (x) => Number(x));
  }
}

function fill<T extends { [i: number]: number | bigint; length: number }>(a: T, get: (i: number) => number | bigint): T {
  for (let i = 0; i < a.length; i++) a[i] = get(i);
  return a;
}

function cString(b: Uint8Array): string {
  const z = b.indexOf(0);
  const s = z < 0 ? b : b.subarray(0, z);
  let out = '';
  for (const c of s) out += String.fromCharCode(c);
  return out;
}

function emptyDouble(): MatNumeric {
  return { type: 'numeric', class: 'double', logical: false, dims: [0, 0], real: new Float64Array(0) };
}

/** Parses a MATLAB v5 file's bytes into its variables, in file order. `source` names the file in messages. */
export function readMat(bytes: Uint8Array, source = '<mat bytes>'): Map<string, MatValue> {
  if (bytes.length < 128) throw new Error(`${source}: not a MATLAB v5 file (only ${bytes.length} bytes)`);
  const header = cString(bytes.subarray(0, 116));
  if (header.startsWith('MATLAB 7.3 MAT-file')) {
    throw new Error(`${source}: MATLAB v7.3 (HDF5) files are not supported; re-save it in MATLAB with save(..., '-v7')`);
  }
  const endian = String.fromCharCode(bytes[126]!, bytes[127]!);
  if (endian !== 'IM' && endian !== 'MI') {
    throw new Error(`${source}: not a MATLAB v5 file (no 'MATLAB 5.0' header / endian indicator)`);
  }
  const r = new Reader(source, endian === 'IM');
  const vars = new Map<string, MatValue>();
  const readAll = (buf: Uint8Array, start: number): void => {
    let off = start;
    while (off + 8 <= buf.length) {
      const el = r.element(buf, off, buf.length);
      off = el.next;
      if (el.type === 0 && el.data.length === 0) continue; // zero padding at the end of some files
      if (el.type === MI.COMPRESSED) {
        readAll(inflate(el, r), 0);
        continue;
      }
      const { name, value } = r.matrix(el);
      if (name) vars.set(name, value); // unnamed: MATLAB's subsystem data
    }
  };
  readAll(bytes, 128);
  return vars;
}

function inflate(el: Element, r: Reader): Uint8Array {
  try {
    return inflateSync(el.data);
  } catch (e) {
    r.fail(`corrupt compressed element: ${(e as Error).message}`, el.at);
  }
}

/** Reads a .mat file from disk. */
export function readMatFile(path: string): Map<string, MatValue> {
  if (!existsSync(path)) throw new Error(`missing MATLAB file ${path}`);
  return readMat(readFileSync(path), path);
}

// ---- helpers for readers ---------------------------------------------------------------------------------------

/** A variable by name, with an error naming the file and the variables it does have. */
export function matGet(vars: Map<string, MatValue>, name: string, source: string): MatValue {
  const v = vars.get(name);
  if (!v) throw new Error(`${source}: variable '${name}' not found (variables: ${[...vars.keys()].join(', ') || 'none'})`);
  return v;
}

/** The values of a real numeric array as numbers, column-major. */
export function matNumbers(v: MatValue, what: string): number[] {
  if (v.type !== 'numeric') throw new Error(`${what}: expected a numeric array, found ${v.type}`);
  if (v.imag) throw new Error(`${what}: expected real numbers, found a complex array`);
  return Array.from(v.real as ArrayLike<number | bigint>, (x) => Number(x));
}

/** A numeric array holding one value. */
export function matScalar(v: MatValue, what: string): number {
  const a = matNumbers(v, what);
  if (a.length !== 1) throw new Error(`${what}: expected one number, found ${a.length}`);
  return a[0]!;
}

/** The rows of a char array as strings (a 1xN char array gives one string). */
export function matCharRows(v: MatValue, what: string): string[] {
  if (v.type !== 'char') throw new Error(`${what}: expected a char array, found ${v.type}`);
  const rows = v.dims[0] ?? 0;
  const cols = v.dims.slice(1).reduce((a, b) => a * b, 1);
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    let s = '';
    for (let c = 0; c < cols; c++) s += String.fromCodePoint(v.codes[r + c * rows]!);
    out.push(s);
  }
  return out;
}

/** A char array holding one string (an empty char array gives ''). */
export function matString(v: MatValue, what: string): string {
  const rows = matCharRows(v, what);
  if (rows.length > 1) throw new Error(`${what}: expected one string, found a ${rows.length}-row char array`);
  return rows[0] ?? '';
}

/** Strings from a cell array of char arrays (or a char matrix, one string per row). */
export function matStrings(v: MatValue, what: string): string[] {
  if (v.type === 'char') return matCharRows(v, what);
  if (v.type !== 'cell') throw new Error(`${what}: expected a cell array of strings, found ${v.type}`);
  return v.cells.map((c, i) => matString(c, `${what}{${i + 1}}`));
}

/** Field `name` of struct element `i` (0-based, column-major). */
export function matField(v: MatValue, i: number, name: string, what: string): MatValue {
  if (v.type !== 'struct') throw new Error(`${what}: expected a struct array, found ${v.type}`);
  if (!v.fields.includes(name)) throw new Error(`${what}: no field '${name}' (fields: ${v.fields.join(', ')})`);
  const el = v.elements[i];
  if (!el) throw new Error(`${what}: element ${i + 1} out of range (${v.elements.length} elements)`);
  return el.get(name)!;
}
