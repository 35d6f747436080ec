/**
 * IDX files (the MNIST / Fashion-MNIST format): a big-endian header `0 0 <type> <ndims>`, ndims big-endian uint32
 * sizes, then the values in row-major order, big-endian. Plain or gzip-compressed (detected from the bytes).
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dtype: IdxDtype;
  dims: number[];
  data: IdxData;
}

const TYPES: Record<number, { dtype: IdxDtype; size: number }> = {
  0x08: { dtype: 'uint8', size: 1 },
  0x09: { dtype: 'int8', size: 1 },
  0x0b: { dtype: 'int16', size: 2 },
  0x0c: { dtype: 'int32', size: 4 },
  0x0d: { dtype: 'float32', size: 4 },
  0x0e: { dtype: 'float64', size: 8 },
};

/** True when the bytes start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Parses IDX bytes (gunzipping first when needed). `source` names the file in error messages. */
export function readIdx(input: Uint8Array, source = '<idx bytes>'): IdxArray {
  let bytes = input;
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new Error(`${source}: corrupt gzip data: ${(e as Error).message}`);
    }
  }
  if (bytes.length < 4) throw new Error(`${source}: not an IDX file (only ${bytes.length} bytes)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(`${source}: not an IDX file (magic number must start with two zero bytes)`);
  }
  const type = TYPES[bytes[2]!];
  if (!type) throw new Error(`${source}: unknown IDX data type 0x${bytes[2]!.toString(16)}`);
  const ndims = bytes[3]!;
  if (ndims === 0) throw new Error(`${source}: IDX file with zero dimensions`);
  const headerLen = 4 + 4 * ndims;
  if (bytes.length < headerLen) throw new Error(`${source}: truncated IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let d = 0; d < ndims; d++) {
    const n = view.getUint32(4 + 4 * d, false);
    dims.push(n);
    count *= n;
  }
  const expected = headerLen + count * type.size;
  if (bytes.length !== expected) {
    throw new Error(
      `${source}: IDX size mismatch: dims [${dims.join(', ')}] of ${type.dtype} need ${expected} bytes, file has ${bytes.length}`,
    );
  }
  return { dtype: type.dtype, dims, data: decode(view, headerLen, count, type.dtype, bytes) };
}

function decode(view: DataView, off: number, n: number, dtype: IdxDtype, bytes: Uint8Array): IdxData {
  switch (dtype) {
    case 'uint8':
      // a plain Uint8Array view (not a Buffer, whose slice() would not copy)
      return new Uint8Array(bytes.buffer, bytes.byteOffset + off, n);
    case 'int8':
      return new Int8Array(bytes.buffer, bytes.byteOffset + off, n);
    case 'int16': {
      const a = new Int16Array(n);
      for (let i = 0; i < n; i++) a[i] = view.getInt16(off + 2 * i, false);
      return a;
    }
    case 'int32': {
      const a = new Int32Array(n);
      for (let i = 0; i < n; i++) a[i] = view.getInt32(off + 4 * i, false);
      return a;
    }
    case 'float32': {
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) a[i] = view.getFloat32(off + 4 * i, false);
      return a;
    }
    case 'float64': {
      const a = new Float64Array(n);
      for (let i = 0; i < n; i++) a[i] = view.getFloat64(off + 8 * i, false);
      return a;
    }
  }
}

/** Reads an IDX file, plain or gzip'd. */
export function readIdxFile(path: string): IdxArray {
  if (!existsSync(path)) throw new Error(`missing IDX file ${path}`);
  return readIdx(readFileSync(path), path);
}

/** Serialises an IDX array (big-endian), e.g. for building test data or converting datasets. */
export function writeIdx(arr: IdxArray): Uint8Array {
  const code = Number(Object.keys(TYPES).find((k) => TYPES[Number(k)]!.dtype === arr.dtype));
  const size = TYPES[code]!.size;
  const count = arr.dims.reduce((a, b) => a * b, 1);
  if (arr.data.length !== count) {
    throw new Error(`writeIdx: data has ${arr.data.length} values, dims [${arr.dims.join(', ')}] need ${count}`);
  }
  const headerLen = 4 + 4 * arr.dims.length;
  const out = new Uint8Array(headerLen + count * size);
  const view = new DataView(out.buffer);
  out[2] = code;
  out[3] = arr.dims.length;
  arr.dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < count; i++) {
    const v = arr.data[i]!;
    const o = headerLen + i * size;
    switch (arr.dtype) {
      case 'uint8':
        view.setUint8(o, v);
        break;
      case 'int8':
        view.setInt8(o, v);
        break;
      case 'int16':
        view.setInt16(o, v, false);
        break;
      case 'int32':
        view.setInt32(o, v, false);
        break;
      case 'float32':
        view.setFloat32(o, v, false);
        break;
      case 'float64':
        view.setFloat64(o, v, false);
        break;
    }
  }
  return out;
}
