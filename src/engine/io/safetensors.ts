/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
 * {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {string: string}}, then the data section
 * (offsets are relative to its start). Reading streams tensor by tensor from the file descriptor, so a checkpoint
 * larger than one Node buffer still loads; floats come back as Float32Array (F16/BF16/F64 converted), integers as
 * Int32Array (erroring on a value that does not fit), U8/BOOL as Uint8Array. Writing is atomic.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { endianness } from 'node:os';
import { writeFileAtomic } from './atomic.js';

export type SafetensorsDtype =
  | 'F64' | 'F32' | 'F16' | 'BF16'
  | 'I64' | 'I32' | 'I16' | 'I8'
  | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

export type TensorData = Float32Array | Int32Array | Uint8Array;

/** A tensor read from a file: `dtype` is the dtype stored in the file, `data` its converted values. */
export interface StoredTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: TensorData;
}

/** Where a tensor lies, from the header alone. `begin`/`end` are relative to the data section. */
export interface TensorInfo {
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  path: string;
  /** Absolute file offset of the data section (8 + header length). */
  dataStart: number;
  fileSize: number;
  metadata: Record<string, string> | null;
  tensors: Map<string, TensorInfo>;
}

const ELEMENT_BYTES: Record<SafetensorsDtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};
/** Dtypes the format defines that we recognise but do not convert. */
const UNSUPPORTED = new Set(['F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2', 'C64']);
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

function assertLittleEndian(): void {
  if (endianness() !== 'LE') throw new Error('safetensors I/O needs a little-endian host');
}

function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

// ---------------------------------------------------------------------------------------------------------------
// Half-precision conversions (exported for tests and for other writers).

let f16Table: Float32Array | null = null;

/** Float32 value of every F16 bit pattern (a 256 KiB table built on first use). */
function f16ToF32Table(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 31;
    const m = h & 1023;
    if (e === 0) t[h] = sign * m * 2 ** -24;
    else if (e === 31) t[h] = m ? NaN : sign * Infinity;
    else t[h] = sign * (1 + m / 1024) * 2 ** (e - 15);
  }
  return (f16Table = t);
}

export function f16BitsToF32(bits: Uint16Array): Float32Array {
  const t = f16ToF32Table();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = t[bits[i]!]!;
  return out;
}

export function bf16BitsToF32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const u = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) u[i] = bits[i]! << 16;
  return out;
}

/** Float32 -> F16 bits, round to nearest even; overflow gives infinity, NaN stays NaN. */
export function f32ToF16Bits(values: Float32Array): Uint16Array {
  const u = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < u.length; i++) {
    const x = u[i]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    const mant = x & 0x7fffff;
    if (exp === 255) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
      continue;
    }
    const e = exp - 112; // rebias 127 -> 15
    if (e >= 31) {
      out[i] = sign | 0x7c00;
    } else if (e <= 0) {
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      const full = mant | 0x800000;
      const shift = 14 - e;
      let h = full >>> shift;
      const rem = full & ((1 << shift) - 1);
      const halfway = 1 << (shift - 1);
      if (rem > halfway || (rem === halfway && h & 1)) h++;
      out[i] = sign | h;
    } else {
      let h = (e << 10) | (mant >>> 13);
      const rem = mant & 0x1fff;
      if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
      out[i] = sign | h;
    }
  }
  return out;
}

/** Float32 -> BF16 bits, round to nearest even; NaN stays a quiet NaN. */
export function f32ToBf16Bits(values: Float32Array): Uint16Array {
  const u = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < u.length; i++) {
    const x = u[i]!;
    if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) out[i] = (x >>> 16) | 0x40;
    else out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading.

function readExactly(fd: number, buf: Uint8Array, position: number, path: string, what: string): void {
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, Math.min(buf.length - off, 1 << 30), position + off);
    if (n === 0) throw new Error(`${path}: truncated file: ${what} ends at byte ${position + buf.length}, file ends at ${position + off}`);
    off += n;
  }
}

function parseHeader(path: string, fd: number): SafetensorsHeader {
  const fileSize = fstatSync(fd).size;
  if (fileSize < 8) throw new Error(`${path}: truncated file: ${fileSize} bytes, a safetensors file starts with an 8-byte header length`);
  const lenBuf = Buffer.alloc(8);
  readExactly(fd, lenBuf, 0, path, 'header length');
  const n = lenBuf.readBigUInt64LE(0);
  if (n > BigInt(fileSize - 8)) throw new Error(`${path}: header length ${n} goes beyond the end of the file (${fileSize} bytes)`);
  if (n > BigInt(MAX_HEADER_BYTES)) throw new Error(`${path}: header length ${n} is over the ${MAX_HEADER_BYTES}-byte limit`);
  const headerLen = Number(n);
  const hbuf = Buffer.alloc(headerLen);
  readExactly(fd, hbuf, 8, path, 'header');
  let json: unknown;
  try {
    json = JSON.parse(hbuf.toString('utf8'));
  } catch (e) {
    throw new Error(`${path}: header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`${path}: header must be a JSON object`);
  }
  const dataStart = 8 + headerLen;
  const dataSize = fileSize - dataStart;
  let metadata: Record<string, string> | null = null;
  const tensors = new Map<string, TensorInfo>();
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(path, v);
      continue;
    }
    tensors.set(name, parseEntry(path, name, v, dataSize));
  }
  checkLayout(path, tensors, dataSize);
  return { path, dataStart, fileSize, metadata, tensors };
}

function parseMetadata(path: string, v: unknown): Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${path}: __metadata__ must be an object of strings`);
  for (const [k, s] of Object.entries(v)) {
    if (typeof s !== 'string') throw new Error(`${path}: __metadata__.${k} must be a string, got ${JSON.stringify(s)}`);
  }
  return { ...(v as Record<string, string>) };
}

function parseEntry(path: string, name: string, v: unknown, dataSize: number): TensorInfo {
  const where = `${path}: tensor "${name}"`;
  if (typeof v !== 'object' || v === null) throw new Error(`${where}: entry must be an object`);
  const { dtype, shape, data_offsets: offs } = v as Record<string, unknown>;
  if (typeof dtype !== 'string') throw new Error(`${where}: missing dtype`);
  if (UNSUPPORTED.has(dtype)) throw new Error(`${where}: dtype ${dtype} is not supported`);
  if (!(dtype in ELEMENT_BYTES)) throw new Error(`${where}: unknown dtype ${JSON.stringify(dtype)}`);
  const isIndex = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (!Array.isArray(shape) || !shape.every(isIndex)) throw new Error(`${where}: shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isIndex)) {
    throw new Error(`${where}: data_offsets must be [begin, end], got ${JSON.stringify(offs)}`);
  }
  const [begin, end] = offs as [number, number];
  if (begin > end) throw new Error(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataSize) throw new Error(`${where}: data_offsets [${begin}, ${end}] lie outside the data section (${dataSize} bytes)`);
  const dt = dtype as SafetensorsDtype;
  const bytes = numel(shape) * ELEMENT_BYTES[dt];
  if (bytes !== end - begin) {
    throw new Error(`${where}: shape [${shape.join(', ')}] of ${dt} needs ${bytes} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
  }
  return { dtype: dt, shape: shape.slice(), begin, end };
}

/** Tensors must not overlap and, as the reference implementation requires, must cover the data section. */
function checkLayout(path: string, tensors: Map<string, TensorInfo>, dataSize: number): void {
  const sorted = [...tensors].filter(([, t]) => t.end > t.begin).sort((a, b) => a[1].begin - b[1].begin);
  let pos = 0;
  let prev = '';
  for (const [name, t] of sorted) {
    if (t.begin < pos) throw new Error(`${path}: tensor "${name}" [${t.begin}, ${t.end}) overlaps tensor "${prev}" (ends at ${pos})`);
    if (t.begin > pos) throw new Error(`${path}: bytes [${pos}, ${t.begin}) of the data section belong to no tensor`);
    pos = t.end;
    prev = name;
  }
  if (pos !== dataSize) throw new Error(`${path}: bytes [${pos}, ${dataSize}) of the data section belong to no tensor`);
}

/** Reads only the header (names, dtypes, shapes, offsets, metadata). */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  const fd = openFile(path);
  try {
    return parseHeader(path, fd);
  } finally {
    closeSync(fd);
  }
}

function openFile(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    throw new Error(`cannot open safetensors file ${path}: ${(e as Error).message}`);
  }
}

export interface ReadOptions {
  /** Only these tensors (a list, or a predicate on the name). */
  names?: Iterable<string> | ((name: string) => boolean);
}

function nameFilter(names: ReadOptions['names']): (name: string) => boolean {
  if (!names) return () => true;
  if (typeof names === 'function') return names;
  const set = new Set(names);
  return (n) => set.has(n);
}

/** Reads a .safetensors file into a map name -> {dtype, shape, data}. */
export function readSafetensors(path: string, opts: ReadOptions = {}): Map<string, StoredTensor> {
  assertLittleEndian();
  const keep = nameFilter(opts.names);
  const fd = openFile(path);
  try {
    const h = parseHeader(path, fd);
    const out = new Map<string, StoredTensor>();
    for (const [name, t] of h.tensors) {
      if (!keep(name)) continue;
      out.set(name, { dtype: t.dtype, shape: t.shape, data: readTensor(fd, h, name, t) });
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

function readTensor(fd: number, h: SafetensorsHeader, name: string, t: TensorInfo): TensorData {
  const n = numel(t.shape);
  const pos = h.dataStart + t.begin;
  const what = `tensor "${name}"`;
  if (t.dtype === 'F32') {
    const a = new Float32Array(n);
    readExactly(fd, new Uint8Array(a.buffer), pos, h.path, what);
    return a;
  }
  if (t.dtype === 'I32') {
    const a = new Int32Array(n);
    readExactly(fd, new Uint8Array(a.buffer), pos, h.path, what);
    return a;
  }
  const raw = new Uint8Array(t.end - t.begin);
  readExactly(fd, raw, pos, h.path, what);
  switch (t.dtype) {
    case 'U8':
    case 'BOOL':
      return raw;
    case 'F16':
      return f16BitsToF32(new Uint16Array(raw.buffer, 0, n));
    case 'BF16':
      return bf16BitsToF32(new Uint16Array(raw.buffer, 0, n));
    case 'F64':
      return Float32Array.from(new Float64Array(raw.buffer, 0, n));
    case 'I16':
      return Int32Array.from(new Int16Array(raw.buffer, 0, n));
    case 'U16':
      return Int32Array.from(new Uint16Array(raw.buffer, 0, n));
    case 'I8':
      return Int32Array.from(new Int8Array(raw.buffer, 0, n));
    case 'U32':
    case 'I64':
    case 'U64':
      return narrowToInt32(raw, n, t.dtype, `${h.path}: ${what}`);
  }
  throw new Error(`${h.path}: ${what}: unhandled dtype ${t.dtype}`);
}

function narrowToInt32(raw: Uint8Array, n: number, dtype: 'U32' | 'I64' | 'U64', where: string): Int32Array {
  const words = new Int32Array(raw.buffer, 0, raw.length >> 2);
  const out = new Int32Array(n);
  const fail = (i: number, value: bigint | number): never => {
    throw new Error(`${where} (${dtype}): element ${i} = ${value} does not fit in a 32-bit signed integer`);
  };
  if (dtype === 'U32') {
    for (let i = 0; i < n; i++) {
      const v = words[i]!;
      if (v < 0) fail(i, v >>> 0);
      out[i] = v;
    }
    return out;
  }
  for (let i = 0; i < n; i++) {
    const lo = words[2 * i]!;
    const hi = words[2 * i + 1]!;
    const ok = dtype === 'I64' ? hi === lo >> 31 : hi === 0 && lo >= 0;
    if (!ok) {
      const dv = new DataView(raw.buffer, 8 * i, 8);
      fail(i, dtype === 'I64' ? dv.getBigInt64(0, true) : dv.getBigUint64(0, true));
    }
    out[i] = lo;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Checkpoints: one file, or shards listed by a *.safetensors.index.json.

/** Resolves a folder to its checkpoint file: model.safetensors, model.safetensors.index.json, or the only one. */
export function resolveCheckpointPath(dirOrFile: string): string {
  if (!existsSync(dirOrFile)) throw new Error(`checkpoint not found: ${dirOrFile}`);
  if (!statSync(dirOrFile).isDirectory()) return dirOrFile;
  for (const name of ['model.safetensors', 'model.safetensors.index.json']) {
    if (existsSync(join(dirOrFile, name))) return join(dirOrFile, name);
  }
  const files = readdirSync(dirOrFile);
  const indexes = files.filter((f) => f.endsWith('.safetensors.index.json'));
  if (indexes.length === 1) return join(dirOrFile, indexes[0]!);
  const singles = files.filter((f) => f.endsWith('.safetensors'));
  if (indexes.length === 0 && singles.length === 1) return join(dirOrFile, singles[0]!);
  throw new Error(
    `${dirOrFile}: cannot tell which checkpoint to read (no model.safetensors or model.safetensors.index.json; ` +
      `found ${indexes.length} index files and ${singles.length} .safetensors files)`,
  );
}

/** Reads a checkpoint: a .safetensors file, a sharded *.safetensors.index.json, or a folder holding either. */
export function readCheckpoint(dirOrFile: string, opts: ReadOptions = {}): Map<string, StoredTensor> {
  const path = resolveCheckpointPath(dirOrFile);
  if (!path.endsWith('.index.json')) return readSafetensors(path, opts);
  const keep = nameFilter(opts.names);
  const byShard = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(readWeightMap(path))) {
    if (!keep(name)) continue;
    const list = byShard.get(shard) ?? [];
    list.push(name);
    byShard.set(shard, list);
  }
  const out = new Map<string, StoredTensor>();
  for (const [shard, names] of byShard) {
    const shardPath = join(dirname(path), shard);
    if (!existsSync(shardPath)) throw new Error(`${path}: shard ${shard} (holding "${names[0]}") does not exist`);
    const got = readSafetensors(shardPath, { names });
    for (const name of names) {
      const t = got.get(name);
      if (!t) throw new Error(`${path}: tensor "${name}" is listed in shard ${shard} but ${shardPath} does not hold it`);
      out.set(name, t);
    }
  }
  return out;
}

function readWeightMap(path: string): Record<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: not a valid JSON index: ${(e as Error).message}`);
  }
  const wm = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof wm !== 'object' || wm === null || Array.isArray(wm)) throw new Error(`${path}: missing "weight_map" object`);
  for (const [name, shard] of Object.entries(wm)) {
    if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\') || shard.startsWith('.')) {
      throw new Error(`${path}: weight_map["${name}"] must be a file name in the same folder, got ${JSON.stringify(shard)}`);
    }
  }
  return wm as Record<string, string>;
}

// ---------------------------------------------------------------------------------------------------------------
// Writing.

export interface TensorToWrite {
  shape: readonly number[];
  data: TensorData;
  /** 'BOOL' stores a Uint8Array as BOOL instead of U8; otherwise ignored (so tensors as read can be written back). */
  dtype?: SafetensorsDtype;
}

export interface WriteOptions {
  /** How float tensors are stored (default F32). Int32Array is stored as I32, Uint8Array as U8 (or BOOL). */
  dtype?: 'F32' | 'F16' | 'BF16';
  metadata?: Record<string, string>;
}

/** Writes tensors to a .safetensors file atomically; tensors are laid out by element size then name (aligned). */
export function writeSafetensors(
  path: string,
  tensors: ReadonlyMap<string, TensorToWrite> | Readonly<Record<string, TensorToWrite>>,
  opts: WriteOptions = {},
): void {
  assertLittleEndian();
  const floatDtype = opts.dtype ?? 'F32';
  if (!['F32', 'F16', 'BF16'].includes(floatDtype)) throw new Error(`writeSafetensors ${path}: float dtype must be F32, F16 or BF16, got ${floatDtype}`);
  const entries: [string, TensorToWrite][] =
    tensors instanceof Map ? [...(tensors as ReadonlyMap<string, TensorToWrite>)] : Object.entries(tensors);
  const items = entries.map(([name, t]) => {
    if (!name || name === '__metadata__') throw new Error(`writeSafetensors ${path}: invalid tensor name ${JSON.stringify(name)}`);
    const n = numel(t.shape);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || n !== t.data.length) {
      throw new Error(`writeSafetensors ${path}: tensor "${name}" has shape [${t.shape.join(', ')}] but ${t.data.length} values`);
    }
    const [dtype, bytes] = encodeData(t, floatDtype);
    return { name, dtype, shape: [...t.shape], bytes };
  });
  items.sort((a, b) => ELEMENT_BYTES[b.dtype] - ELEMENT_BYTES[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (opts.metadata) {
    for (const [k, v] of Object.entries(opts.metadata)) {
      if (typeof v !== 'string') throw new Error(`writeSafetensors ${path}: metadata "${k}" must be a string`);
    }
    header.__metadata__ = opts.metadata;
  }
  let pos = 0;
  for (const it of items) {
    header[it.name] = { dtype: it.dtype, shape: it.shape, data_offsets: [pos, pos + it.bytes.length] };
    pos += it.bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((Buffer.byteLength(json) + 8) % 8)) % 8);
  const hbuf = Buffer.from(json, 'utf8');
  const lenBuf = Buffer.alloc(8);
  lenBuf.writeBigUInt64LE(BigInt(hbuf.length));
  writeFileAtomic(path, [lenBuf, hbuf, ...items.map((it) => it.bytes)]);
}

function encodeData(t: TensorToWrite, floatDtype: 'F32' | 'F16' | 'BF16'): [SafetensorsDtype, Uint8Array] {
  const d = t.data;
  const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (d instanceof Float32Array) {
    if (floatDtype === 'F16') return ['F16', bytesOf(f32ToF16Bits(d))];
    if (floatDtype === 'BF16') return ['BF16', bytesOf(f32ToBf16Bits(d))];
    return ['F32', bytesOf(d)];
  }
  if (d instanceof Int32Array) return ['I32', bytesOf(d)];
  return [t.dtype === 'BOOL' ? 'BOOL' : 'U8', bytesOf(d)];
}
