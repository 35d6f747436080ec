/**
 * The cuda Backend: checks every argument (see checks.ts), then queues the kernel through the addon. Nothing here
 * synchronises except download, sumSquares, scalar and synchronize, as the interface says.
 */
import {
  MAX_RANK,
  type ActKind, type AdamWTensor, type AttentionGrads, type AttentionParams, type Backend, type BinaryOp, type DType, type GemmParams, type Storage,
  type UnaryOp,
} from '../../backend.js';
import { anyDev, count, dev, finite, optDev, ptrOf, reach, stridedEnd, volume } from './checks.js';
import {
  ACT_CODE, BF16_MODE_CODE, BINARY_CODE, PRECISION_CODE, UNARY_CODE, type GemmBf16Mode, type GemmPrecision,
  type NativeCuda,
} from './native.js';
import { CudaMemory, CudaStorage } from './storage.js';

export interface CudaDeviceInfo {
  name: string;
  computeCapability: string;
  multiprocessors: number;
  totalMemory: number;
  /** the cuBLAS library that was loaded */
  cublas: string;
}

/** The cuda backend, with its extras: device information, GEMM precision, device memory. */
export interface CudaBackend extends Backend {
  readonly name: 'cuda';
  readonly deviceName: string;
  readonly info: CudaDeviceInfo;
  /** GEMM (and attention GEMM) precision: fp32, tf32 tensor cores, or bf16 operands with fp32 accumulation. */
  readonly precision: GemmPrecision;
  setPrecision(p: GemmPrecision): void;
  /** Free and total bytes of the device (all processes). */
  deviceMemory(): { free: number; total: number };
  /** How 'bf16' GEMMs run (see GemmBf16Mode); the default is 'tune' unless $MULKI_GEMM_BF16 says otherwise. */
  setGemmBf16Mode(mode: GemmBf16Mode): void;
  /**
   * GEMM shapes tuned so far, how many of them chose FAST_16BF, and how many bf16 GEMMs ran fused with the bias
   * add that followed them (a gemm then biasAct on its output: one cuBLASLt call with a bias epilogue), and how
   * many bf16 operand copies a GEMM took over (from the GEMM before it, or written by the kernel that produced the
   * operand: `shadows` counts those) instead of converting again.
   */
  gemmTuneStats(): { shapes: number; fast: number; biasFused: number; copiesReused: number; shadows: number };
  /** Which attention kernel the last forward call used (diagnostics and tests). */
  readonly lastAttentionKernel: 'fused' | 'gemm' | null;
  attentionBackwardInto(p: AttentionParams, probs: Storage, dOut: Storage, g: AttentionGrads, accumulate: boolean): void;
  adamwMulti(tensors: readonly AdamWTensor[], lr: number, beta1: number, beta2: number, eps: number, bc1: number,
    bc2: number, gradScale: number): void;
}

export function checkPrecision(p: unknown): GemmPrecision {
  if (p !== 'fp32' && p !== 'tf32' && p !== 'bf16') {
    throw new Error(`cuda: unknown GEMM precision '${String(p)}' (expected 'fp32', 'tf32' or 'bf16')`);
  }
  return p;
}

export class CudaBackendImpl implements CudaBackend {
  readonly name = 'cuda' as const;
  private readonly mem: CudaMemory;
  /** probs storages last written by the fused attention forward (they hold its scratch, not probabilities) */
  private readonly fusedProbs = new WeakSet<Storage>();
  lastAttentionKernel: 'fused' | 'gemm' | null = null;
  private precisionCode: number;
  private precisionName: GemmPrecision;

  constructor(private readonly n: NativeCuda, readonly info: CudaDeviceInfo, precision: GemmPrecision) {
    this.mem = new CudaMemory(n);
    this.precisionName = checkPrecision(precision);
    this.precisionCode = PRECISION_CODE[precision];
    n.gemmPrecision(this.precisionCode);
  }

  get deviceName(): string {
    return this.info.name;
  }

  get precision(): GemmPrecision {
    return this.precisionName;
  }

  setPrecision(p: GemmPrecision): void {
    this.precisionName = checkPrecision(p);
    this.precisionCode = PRECISION_CODE[p];
    this.n.gemmPrecision(this.precisionCode);
  }

  setGemmBf16Mode(mode: GemmBf16Mode): void {
    const code = BF16_MODE_CODE[mode];
    if (code === undefined) throw new Error(`cuda: unknown bf16 GEMM mode '${String(mode)}' (expected 'tune', 'convert' or 'fast')`);
    this.n.gemmBf16Mode(code);
  }

  gemmTuneStats(): { shapes: number; fast: number; biasFused: number; copiesReused: number; shadows: number } {
    const [shapes, fast, biasFused, copiesReused, shadows] = this.n.gemmTuneStats();
    return { shapes, fast, biasFused, copiesReused, shadows };
  }

  deviceMemory(): { free: number; total: number } {
    const [free, total] = this.n.memInfo();
    return { free, total };
  }

  // ---- memory ----

  alloc(dtype: DType, size: number): Storage {
    return this.mem.alloc(dtype, size);
  }

  release(s: Storage): void {
    this.mem.release(s);
  }

  trimPool(): void {
    this.n.trim();
  }

  memoryStats(): { liveBytes: number; pooledBytes: number; allocations: number } {
    const [liveBytes, pooledBytes, allocations] = this.n.stats();
    return { liveBytes, pooledBytes, allocations };
  }

  upload(src: Float32Array | Int32Array): Storage {
    if (!(src instanceof Float32Array) && !(src instanceof Int32Array)) {
      throw new Error('upload: expected a Float32Array or an Int32Array');
    }
    const s = this.mem.alloc(src instanceof Float32Array ? 'f32' : 'i32', src.length);
    if (src.length > 0) this.n.upload(s.ptr, src);
    return s;
  }

  download(s: Storage, offset = 0, size?: number): Float32Array | Int32Array {
    const d = anyDev(s, 'download', 'storage');
    count(offset, 'download', 'offset');
    const n = size ?? d.size - offset;
    count(n, 'download', 'size');
    reach(d, offset + n, 'download', 'storage');
    const out = d.dtype === 'f32' ? new Float32Array(n) : new Int32Array(n);
    if (n > 0) this.n.download(d.ptr, offset, out);
    return out;
  }

  fill(s: Storage, value: number, offset = 0, size?: number): void {
    const d = anyDev(s, 'fill', 'storage');
    count(offset, 'fill', 'offset');
    const n = size ?? d.size - offset;
    count(n, 'fill', 'size');
    reach(d, offset + n, 'fill', 'storage');
    if (typeof value !== 'number') throw new Error(`fill: value must be a number, got ${typeof value}`);
    if (d.dtype === 'i32' && !Number.isInteger(value)) throw new Error(`fill: an i32 storage needs an integer value, got ${value}`);
    if (n > 0) this.n.fill(d.ptr, d.dtype === 'i32', value, offset, n);
  }

  copy(src: Storage, srcOff: number, dst: Storage, dstOff: number, size: number): void {
    const k = 'copy';
    const s = anyDev(src, k, 'src'), d = anyDev(dst, k, 'dst');
    if (s.dtype !== d.dtype) throw new Error(`copy: src is ${s.dtype} but dst is ${d.dtype} (use cast)`);
    count(size, k, 'size');
    reach(s, count(srcOff, k, 'srcOff') + size, k, 'src');
    reach(d, count(dstOff, k, 'dstOff') + size, k, 'dst');
    if (size > 0) this.n.copy(s.ptr, srcOff, d.ptr, dstOff, size);
  }

  copy2d(src: Storage, srcOff: number, srcLd: number, dst: Storage, dstOff: number, dstLd: number,
    rows: number, cols: number, accumulate: boolean): void {
    const k = 'copy2d';
    const s = anyDev(src, k, 'src'), d = anyDev(dst, k, 'dst');
    if (s.dtype !== d.dtype) throw new Error(`copy2d: src is ${s.dtype} but dst is ${d.dtype}`);
    if (accumulate && d.dtype !== 'f32') throw new Error('copy2d: accumulate needs f32 storages');
    count(rows, k, 'rows');
    count(cols, k, 'cols');
    count(srcLd, k, 'srcLd');
    count(dstLd, k, 'dstLd');
    if (rows === 0 || cols === 0) return;
    reach(s, count(srcOff, k, 'srcOff') + (rows - 1) * srcLd + cols, k, 'src');
    reach(d, count(dstOff, k, 'dstOff') + (rows - 1) * dstLd + cols, k, 'dst');
    this.n.copy2d(s.ptr, srcOff, srcLd, d.ptr, dstOff, dstLd, rows, cols, !!accumulate);
  }

  permute(src: Storage, shape: readonly number[], perm: readonly number[], dst: Storage): void {
    const k = 'permute';
    const s = anyDev(src, k, 'src'), d = anyDev(dst, k, 'dst');
    if (s.dtype !== d.dtype) throw new Error(`permute: src is ${s.dtype} but dst is ${d.dtype}`);
    if (shape.length > MAX_RANK) throw new Error(`permute: rank ${shape.length} exceeds ${MAX_RANK}`);
    if (perm.length !== shape.length) throw new Error(`permute: perm has ${perm.length} axes, shape has ${shape.length}`);
    const seen = new Set<number>();
    for (const p of perm) {
      if (!Number.isInteger(p) || p < 0 || p >= shape.length || seen.has(p)) {
        throw new Error(`permute: perm [${perm.join(', ')}] is not a permutation of 0..${shape.length - 1}`);
      }
      seen.add(p);
    }
    const n = volume(shape, k, 'shape');
    reach(s, n, k, 'src');
    reach(d, n, k, 'dst');
    if (n > 0) this.n.permute(s.ptr, shape, perm, d.ptr);
  }

  cast(src: Storage, dst: Storage, size: number): void {
    const k = 'cast';
    const s = anyDev(src, k, 'src'), d = anyDev(dst, k, 'dst');
    count(size, k, 'size');
    reach(s, size, k, 'src');
    reach(d, size, k, 'dst');
    if (size === 0) return;
    if (s.dtype === d.dtype) this.n.copy(s.ptr, 0, d.ptr, 0, size);
    else this.n.cast(s.ptr, d.ptr, size, d.dtype === 'i32');
  }

  // ---- linear algebra ----

  gemm(p: GemmParams): void {
    const k = 'gemm';
    const a = dev(p.a, 'f32', k, 'a'), b = dev(p.b, 'f32', k, 'b'), c = dev(p.c, 'f32', k, 'c');
    for (const key of ['m', 'n', 'k', 'batch', 'aOff', 'lda', 'strideA', 'bOff', 'ldb', 'strideB', 'cOff', 'ldc',
      'strideC'] as const) count(p[key], k, key);
    finite(p.alpha, k, 'alpha');
    finite(p.beta, k, 'beta');
    const { m, n, batch } = p;
    if (m === 0 || n === 0 || batch === 0) return;
    if (batch > 1 && p.strideC === 0) throw new Error('gemm: strideC = 0 would write every batch onto one C');
    const rowsA = p.transA ? p.k : m, colsA = p.transA ? m : p.k;
    const rowsB = p.transB ? n : p.k, colsB = p.transB ? p.k : n;
    // A single row has no row stride: give cuBLAS a legal one.
    const lda = rowsA <= 1 ? Math.max(p.lda, colsA, 1) : p.lda;
    const ldb = rowsB <= 1 ? Math.max(p.ldb, colsB, 1) : p.ldb;
    const ldc = m <= 1 ? Math.max(p.ldc, n, 1) : p.ldc;
    if (p.k > 0) {
      if (lda < colsA) throw new Error(`gemm: lda ${p.lda} is smaller than the ${colsA} columns of A as stored`);
      if (ldb < colsB) throw new Error(`gemm: ldb ${p.ldb} is smaller than the ${colsB} columns of B as stored`);
      reach(a, p.aOff + (batch - 1) * p.strideA + (rowsA - 1) * lda + colsA, k, 'a');
      reach(b, p.bOff + (batch - 1) * p.strideB + (rowsB - 1) * ldb + colsB, k, 'b');
    }
    if (ldc < n) throw new Error(`gemm: ldc ${p.ldc} is smaller than n = ${n}`);
    reach(c, p.cOff + (batch - 1) * p.strideC + (m - 1) * ldc + n, k, 'c');
    this.n.gemm(!!p.transA, !!p.transB, m, n, p.k, p.alpha, p.beta, a.ptr, p.aOff, lda, p.strideA, b.ptr, p.bOff, ldb,
      p.strideB, c.ptr, p.cOff, ldc, p.strideC, batch, this.precisionCode);
  }

  // ---- elementwise ----

  binary(op: BinaryOp, a: Storage, aStrides: readonly number[], b: Storage, bStrides: readonly number[],
    out: Storage, outShape: readonly number[]): void {
    const k = `binary(${op})`;
    const code = BINARY_CODE[op];
    if (code === undefined) throw new Error(`binary: unknown op '${String(op)}'`);
    const da = dev(a, 'f32', k, 'a'), db = dev(b, 'f32', k, 'b'), dout = dev(out, 'f32', k, 'out');
    if (outShape.length > MAX_RANK) throw new Error(`${k}: rank ${outShape.length} exceeds ${MAX_RANK}`);
    if (aStrides.length !== outShape.length || bStrides.length !== outShape.length) {
      throw new Error(`${k}: strides must have one entry per output axis (${outShape.length})`);
    }
    aStrides.forEach((v, i) => count(v, k, `aStrides[${i}]`));
    bStrides.forEach((v, i) => count(v, k, `bStrides[${i}]`));
    const total = volume(outShape, k, 'outShape');
    if (total === 0) return;
    reach(da, stridedEnd(outShape, aStrides), k, 'a');
    reach(db, stridedEnd(outShape, bStrides), k, 'b');
    reach(dout, total, k, 'out');
    this.n.binary(code, da.ptr, aStrides, db.ptr, bStrides, dout.ptr, outShape);
  }

  unary(op: UnaryOp, x: Storage, out: Storage, n: number): void {
    const k = `unary(${op})`;
    const code = UNARY_CODE[op];
    if (code === undefined) throw new Error(`unary: unknown op '${String(op)}'`);
    const dx = dev(x, 'f32', k, 'x'), dout = dev(out, 'f32', k, 'out');
    count(n, k, 'n');
    reach(dx, n, k, 'x');
    reach(dout, n, k, 'out');
    if (n > 0) this.n.unary(code, dx.ptr, dout.ptr, n);
  }

  affine(x: Storage, alpha: number, beta: number, out: Storage, n: number): void {
    const k = 'affine';
    const dx = dev(x, 'f32', k, 'x'), dout = dev(out, 'f32', k, 'out');
    count(n, k, 'n');
    reach(dx, n, k, 'x');
    reach(dout, n, k, 'out');
    if (n > 0) this.n.affine(dx.ptr, alpha, beta, dout.ptr, n);
  }

  axpy(alpha: number, x: Storage, xOff: number, y: Storage, yOff: number, n: number): void {
    const k = 'axpy';
    const dx = dev(x, 'f32', k, 'x'), dy = dev(y, 'f32', k, 'y');
    count(n, k, 'n');
    reach(dx, count(xOff, k, 'xOff') + n, k, 'x');
    reach(dy, count(yOff, k, 'yOff') + n, k, 'y');
    if (n > 0) this.n.axpy(alpha, dx.ptr, xOff, dy.ptr, yOff, n);
  }

  sumTo(x: Storage, xShape: readonly number[], out: Storage, outShape: readonly number[], accumulate: boolean): void {
    const k = 'sumTo';
    const dx = dev(x, 'f32', k, 'x'), dout = dev(out, 'f32', k, 'out');
    if (xShape.length !== outShape.length) {
      throw new Error(`sumTo: x has rank ${xShape.length} but out has rank ${outShape.length}`);
    }
    if (xShape.length > MAX_RANK) throw new Error(`sumTo: rank ${xShape.length} exceeds ${MAX_RANK}`);
    for (let i = 0; i < xShape.length; i++) {
      if (outShape[i] !== xShape[i] && outShape[i] !== 1) {
        throw new Error(`sumTo: out dim ${i} is ${outShape[i]}; it must be ${xShape[i]} (the x dim) or 1`);
      }
    }
    const nx = volume(xShape, k, 'xShape'), nout = volume(outShape, k, 'outShape');
    reach(dx, nx, k, 'x');
    reach(dout, nout, k, 'out');
    if (nout > 0) this.n.sumTo(dx.ptr, xShape, dout.ptr, outShape, !!accumulate);
  }

  sumRows(x: Storage, rows: number, cols: number, out: Storage, accumulate: boolean): void {
    const k = 'sumRows';
    const dx = dev(x, 'f32', k, 'x'), dout = dev(out, 'f32', k, 'out');
    count(rows, k, 'rows');
    count(cols, k, 'cols');
    reach(dx, rows * cols, k, 'x');
    reach(dout, cols, k, 'out');
    if (cols > 0) this.n.sumRows(dx.ptr, rows, cols, dout.ptr, !!accumulate);
  }

  sumSquares(x: Storage, n: number): number {
    const dx = dev(x, 'f32', 'sumSquares', 'x');
    count(n, 'sumSquares', 'n');
    reach(dx, n, 'sumSquares', 'x');
    return this.n.sumSquares(dx.ptr, n);
  }

  scalar(x: Storage, index: number): number {
    const d = anyDev(x, 'scalar', 'x');
    count(index, 'scalar', 'index');
    if (index >= d.size) throw new Error(`scalar: index ${index} is outside a storage of ${d.size} elements`);
    return this.n.scalar(d.ptr, index, d.dtype === 'i32');
  }

  // ---- activations ----

  biasAct(x: Storage, bias: Storage | null, rows: number, cols: number, kind: ActKind, out: Storage): void {
    const k = `biasAct(${kind})`;
    const code = ACT_CODE[kind];
    if (code === undefined) throw new Error(`biasAct: unknown activation '${String(kind)}'`);
    const dx = dev(x, 'f32', k, 'x'), db = optDev(bias, 'f32', k, 'bias'), dout = dev(out, 'f32', k, 'out');
    count(rows, k, 'rows');
    count(cols, k, 'cols');
    reach(dx, rows * cols, k, 'x');
    reach(dout, rows * cols, k, 'out');
    if (db) reach(db, cols, k, 'bias');
    if (rows * cols > 0) this.n.biasAct(dx.ptr, ptrOf(db), rows, cols, code, dout.ptr);
  }

  actBackward(kind: ActKind, x: Storage, dy: Storage, dx: Storage, n: number, accumulate: boolean): void {
    const k = `actBackward(${kind})`;
    const code = ACT_CODE[kind];
    if (code === undefined) throw new Error(`actBackward: unknown activation '${String(kind)}'`);
    const dX = dev(x, 'f32', k, 'x'), dY = dev(dy, 'f32', k, 'dy'), dDx = dev(dx, 'f32', k, 'dx');
    count(n, k, 'n');
    reach(dX, n, k, 'x');
    reach(dY, n, k, 'dy');
    reach(dDx, n, k, 'dx');
    if (n > 0) this.n.actBackward(code, dX.ptr, dY.ptr, dDx.ptr, n, !!accumulate);
  }

  // ---- normalisation ----

  layerNorm(x: Storage, gamma: Storage | null, beta: Storage | null, rows: number, cols: number, eps: number,
    y: Storage, mean: Storage, rstd: Storage): void {
    const k = 'layerNorm';
    const dx = dev(x, 'f32', k, 'x'), dg = optDev(gamma, 'f32', k, 'gamma'), db = optDev(beta, 'f32', k, 'beta');
    const dy = dev(y, 'f32', k, 'y'), dm = dev(mean, 'f32', k, 'mean'), dr = dev(rstd, 'f32', k, 'rstd');
    count(rows, k, 'rows');
    count(cols, k, 'cols');
    if (!(eps >= 0) || !Number.isFinite(eps)) throw new Error(`${k}: eps must be a finite number >= 0, got ${eps}`);
    reach(dx, rows * cols, k, 'x');
    reach(dy, rows * cols, k, 'y');
    reach(dm, rows, k, 'mean');
    reach(dr, rows, k, 'rstd');
    if (dg) reach(dg, cols, k, 'gamma');
    if (db) reach(db, cols, k, 'beta');
    if (rows > 0 && cols > 0) this.n.layerNorm(dx.ptr, ptrOf(dg), ptrOf(db), rows, cols, eps, dy.ptr, dm.ptr, dr.ptr);
  }

  layerNormBackward(dy: Storage, x: Storage, gamma: Storage | null, mean: Storage, rstd: Storage, rows: number,
    cols: number, dx: Storage, dgamma: Storage | null, dbeta: Storage | null, accumulate: boolean): void {
    const k = 'layerNormBackward';
    const dY = dev(dy, 'f32', k, 'dy'), dX = dev(x, 'f32', k, 'x'), dg = optDev(gamma, 'f32', k, 'gamma');
    const dm = dev(mean, 'f32', k, 'mean'), dr = dev(rstd, 'f32', k, 'rstd'), dDx = dev(dx, 'f32', k, 'dx');
    const dgg = optDev(dgamma, 'f32', k, 'dgamma'), dbb = optDev(dbeta, 'f32', k, 'dbeta');
    count(rows, k, 'rows');
    count(cols, k, 'cols');
    for (const [s, what] of [[dY, 'dy'], [dX, 'x'], [dDx, 'dx']] as const) reach(s, rows * cols, k, what);
    reach(dm, rows, k, 'mean');
    reach(dr, rows, k, 'rstd');
    if (dg) reach(dg, cols, k, 'gamma');
    if (dgg) reach(dgg, cols, k, 'dgamma');
    if (dbb) reach(dbb, cols, k, 'dbeta');
    if (cols > 0) {
      this.n.layerNormBackward(dY.ptr, dX.ptr, ptrOf(dg), dm.ptr, dr.ptr, rows, cols, dDx.ptr, ptrOf(dgg), ptrOf(dbb),
        !!accumulate);
    }
  }

  softmax(x: Storage, rows: number, cols: number, scale: number, log: boolean, y: Storage): void {
    const k = 'softmax';
    const dx = dev(x, 'f32', k, 'x'), dy = dev(y, 'f32', k, 'y');
    count(rows, k, 'rows');
    count(cols, k, 'cols');
    finite(scale, k, 'scale');
    reach(dx, rows * cols, k, 'x');
    reach(dy, rows * cols, k, 'y');
    if (rows * cols > 0) this.n.softmax(dx.ptr, rows, cols, scale, !!log, dy.ptr);
  }

  softmaxBackward(y: Storage, dy: Storage, rows: number, cols: number, scale: number, log: boolean, dx: Storage,
    accumulate: boolean): void {
    const k = 'softmaxBackward';
    const dY = dev(y, 'f32', k, 'y'), dDy = dev(dy, 'f32', k, 'dy'), dDx = dev(dx, 'f32', k, 'dx');
    count(rows, k, 'rows');
    count(cols, k, 'cols');
    finite(scale, k, 'scale');
    for (const [s, what] of [[dY, 'y'], [dDy, 'dy'], [dDx, 'dx']] as const) reach(s, rows * cols, k, what);
    if (rows * cols > 0) this.n.softmaxBackward(dY.ptr, dDy.ptr, rows, cols, scale, !!log, dDx.ptr, !!accumulate);
  }

  l2Normalize(x: Storage, rows: number, cols: number, eps: number, y: Storage, norms: Storage): void {
    const k = 'l2Normalize';
    const dx = dev(x, 'f32', k, 'x'), dy = dev(y, 'f32', k, 'y'), dn = dev(norms, 'f32', k, 'norms');
    count(rows, k, 'rows');
    count(cols, k, 'cols');
    if (!(eps >= 0) || !Number.isFinite(eps)) throw new Error(`${k}: eps must be a finite number >= 0, got ${eps}`);
    reach(dx, rows * cols, k, 'x');
    reach(dy, rows * cols, k, 'y');
    reach(dn, rows, k, 'norms');
    if (rows > 0) this.n.l2Normalize(dx.ptr, rows, cols, eps, dy.ptr, dn.ptr);
  }

  l2NormalizeBackward(dy: Storage, y: Storage, norms: Storage, rows: number, cols: number, dx: Storage,
    accumulate: boolean): void {
    const k = 'l2NormalizeBackward';
    const dDy = dev(dy, 'f32', k, 'dy'), dY = dev(y, 'f32', k, 'y'), dn = dev(norms, 'f32', k, 'norms');
    const dDx = dev(dx, 'f32', k, 'dx');
    count(rows, k, 'rows');
    count(cols, k, 'cols');
    for (const [s, what] of [[dDy, 'dy'], [dY, 'y'], [dDx, 'dx']] as const) reach(s, rows * cols, k, what);
    reach(dn, rows, k, 'norms');
    if (rows * cols > 0) this.n.l2NormalizeBackward(dDy.ptr, dY.ptr, dn.ptr, rows, cols, dDx.ptr, !!accumulate);
  }

  // ---- attention ----

  /** Checks the shared attention parameters; returns the pointers in the addon's argument order (17 values). */
  private attentionArgs(p: AttentionParams, k: string): [number, number, number, number, number, number, boolean,
    number, number, number, number, number, number, number, number, number, number] {
    for (const key of ['batch', 'heads', 'tq', 'tk', 'headDim', 'qOff', 'ldq', 'kOff', 'ldk', 'vOff', 'ldv'] as const) {
      count(p[key], k, key);
    }
    finite(p.scale, k, 'scale');
    if (p.causal && p.tq !== p.tk) throw new Error(`${k}: causal attention needs tq == tk, got ${p.tq} and ${p.tk}`);
    const q = dev(p.q, 'f32', k, 'q'), kk = dev(p.k, 'f32', k, 'k'), v = dev(p.v, 'f32', k, 'v');
    const mask = optDev(p.keyMask, 'i32', k, 'keyMask');
    const width = p.heads * p.headDim;
    for (const [ld, what] of [[p.ldq, 'ldq'], [p.ldk, 'ldk'], [p.ldv, 'ldv']] as const) {
      if (ld < width) throw new Error(`${k}: ${what} ${ld} is smaller than heads * headDim = ${width}`);
    }
    if (p.batch * width > 0) {
      if (p.tq > 0) reach(q, p.qOff + (p.batch * p.tq - 1) * p.ldq + width, k, 'q');
      if (p.tk > 0) {
        reach(kk, p.kOff + (p.batch * p.tk - 1) * p.ldk + width, k, 'k');
        reach(v, p.vOff + (p.batch * p.tk - 1) * p.ldv + width, k, 'v');
      }
    }
    if (mask) reach(mask, p.batch * p.tk, k, 'keyMask');
    return [p.batch, p.heads, p.tq, p.tk, p.headDim, p.scale, !!p.causal, ptrOf(mask), q.ptr, p.qOff, p.ldq, kk.ptr,
      p.kOff, p.ldk, v.ptr, p.vOff, p.ldv];
  }

  /**
   * In 'bf16' precision with head dim 64 the fused (FlashAttention-style) kernels run, and `probs` holds their
   * scratch (per-row log-sum-exp and a copy of the output) instead of probabilities; the backward pass is told so
   * through `fusedProbs`, keyed by the probs storage. Other head dims and precisions compute the probabilities.
   */
  attention(p: AttentionParams, out: Storage, probs: Storage): void {
    const k = 'attention';
    const args = this.attentionArgs(p, k);
    const dOut = dev(out, 'f32', k, 'out'), dP = dev(probs, 'f32', k, 'probs');
    reach(dOut, p.batch * p.tq * p.heads * p.headDim, k, 'out');
    reach(dP, p.batch * p.heads * p.tq * p.tk, k, 'probs');
    this.fusedProbs.delete(probs);
    if (p.batch * p.heads * p.tq === 0) return;
    const fused = this.n.attention(...args, dOut.ptr, dP.ptr, this.precisionCode);
    if (fused) this.fusedProbs.add(probs);
    this.lastAttentionKernel = fused ? 'fused' : 'gemm';
  }

  attentionBackward(p: AttentionParams, probs: Storage, dOut: Storage, dq: Storage, dk: Storage, dv: Storage): void {
    const width = p.heads * p.headDim;
    this.attentionBackwardInto(p, probs, dOut, { dq, dqOff: 0, ldq: width, dk, dkOff: 0, ldk: width, dv, dvOff: 0,
      ldv: width }, false);
  }

  attentionBackwardInto(p: AttentionParams, probs: Storage, dOut: Storage, g: AttentionGrads, accumulate: boolean): void {
    const k = 'attentionBackward';
    const args = this.attentionArgs(p, k);
    const dP = dev(probs, 'f32', k, 'probs'), dO = dev(dOut, 'f32', k, 'dOut');
    const dQ = dev(g.dq, 'f32', k, 'dq'), dK = dev(g.dk, 'f32', k, 'dk'), dV = dev(g.dv, 'f32', k, 'dv');
    const width = p.heads * p.headDim;
    reach(dP, p.batch * p.heads * p.tq * p.tk, k, 'probs');
    reach(dO, p.batch * p.tq * width, k, 'dOut');
    const dest: [CudaStorage, number, number, number, string][] = [
      [dQ, g.dqOff, g.ldq, p.tq, 'dq'], [dK, g.dkOff, g.ldk, p.tk, 'dk'], [dV, g.dvOff, g.ldv, p.tk, 'dv']];
    for (const [s, off, ld, rows, what] of dest) {
      count(off, k, `${what}Off`);
      count(ld, k, `ld of ${what}`);
      if (ld < width) throw new Error(`${k}: the row stride ${ld} of ${what} is smaller than heads * headDim = ${width}`);
      if (p.batch * rows * width > 0) reach(s, off + (p.batch * rows - 1) * ld + width, k, what);
    }
    if (p.batch * p.heads === 0) return;
    this.n.attentionBackward(...args, dP.ptr, this.fusedProbs.has(probs), dO.ptr, dQ.ptr, g.dqOff, g.ldq, dK.ptr,
      g.dkOff, g.ldk, dV.ptr, g.dvOff, g.ldv, !!accumulate, this.precisionCode);
  }

  // ---- indexing ----

  indexSelect(src: Storage, outer: number, n: number, inner: number, idx: Storage, nIdx: number, out: Storage): void {
    const k = 'indexSelect';
    const ds = dev(src, 'f32', k, 'src'), di = dev(idx, 'i32', k, 'idx'), dout = dev(out, 'f32', k, 'out');
    for (const [v, what] of [[outer, 'outer'], [n, 'n'], [inner, 'inner'], [nIdx, 'nIdx']] as const) count(v, k, what);
    reach(ds, outer * n * inner, k, 'src');
    reach(di, nIdx, k, 'idx');
    reach(dout, outer * nIdx * inner, k, 'out');
    if (outer * nIdx * inner > 0) this.n.indexSelect(ds.ptr, outer, n, inner, di.ptr, nIdx, dout.ptr);
  }

  indexAdd(dOut: Storage, outer: number, n: number, inner: number, idx: Storage, nIdx: number, dSrc: Storage): void {
    const k = 'indexAdd';
    const dO = dev(dOut, 'f32', k, 'dOut'), di = dev(idx, 'i32', k, 'idx'), dS = dev(dSrc, 'f32', k, 'dSrc');
    for (const [v, what] of [[outer, 'outer'], [n, 'n'], [inner, 'inner'], [nIdx, 'nIdx']] as const) count(v, k, what);
    reach(dO, outer * nIdx * inner, k, 'dOut');
    reach(di, nIdx, k, 'idx');
    reach(dS, outer * n * inner, k, 'dSrc');
    if (outer * nIdx * inner > 0) this.n.indexAdd(dO.ptr, outer, n, inner, di.ptr, nIdx, dS.ptr);
  }

  private patchChecks(k: string, batch: number, channels: number, height: number, width: number, p: number): number {
    for (const [v, what] of [[batch, 'batch'], [channels, 'channels'], [height, 'height'], [width, 'width'], [p, 'p']] as const) {
      count(v, k, what);
    }
    if (p < 1) throw new Error(`${k}: patch size p must be at least 1`);
    if (height % p !== 0 || width % p !== 0) {
      throw new Error(`${k}: image ${height}x${width} is not a whole number of ${p}x${p} patches`);
    }
    return batch * (height / p) * (width / p) * channels * p * p;
  }

  im2patch(x: Storage, batch: number, channels: number, height: number, width: number, p: number, out: Storage): void {
    const k = 'im2patch';
    const dx = dev(x, 'f32', k, 'x'), dout = dev(out, 'f32', k, 'out');
    const total = this.patchChecks(k, batch, channels, height, width, p);
    reach(dx, batch * channels * height * width, k, 'x');
    reach(dout, total, k, 'out');
    if (total > 0) this.n.im2patch(dx.ptr, batch, channels, height, width, p, dout.ptr);
  }

  patch2im(dPatches: Storage, batch: number, channels: number, height: number, width: number, p: number,
    dx: Storage, accumulate: boolean): void {
    const k = 'patch2im';
    const dP = dev(dPatches, 'f32', k, 'dPatches'), dX = dev(dx, 'f32', k, 'dx');
    const total = this.patchChecks(k, batch, channels, height, width, p);
    reach(dP, total, k, 'dPatches');
    reach(dX, batch * channels * height * width, k, 'dx');
    if (total > 0) this.n.patch2im(dP.ptr, batch, channels, height, width, p, dX.ptr, !!accumulate);
  }

  // ---- losses ----

  crossEntropy(logits: Storage, labels: Storage, n: number, c: number, smoothing: number, loss: Storage,
    probs: Storage): void {
    const k = 'crossEntropy';
    const dl = dev(logits, 'f32', k, 'logits'), dy = dev(labels, 'i32', k, 'labels');
    const dLoss = dev(loss, 'f32', k, 'loss'), dP = dev(probs, 'f32', k, 'probs');
    count(n, k, 'n');
    count(c, k, 'c');
    if (!(smoothing >= 0 && smoothing <= 1)) throw new Error(`${k}: smoothing must be in [0, 1], got ${smoothing}`);
    reach(dl, n * c, k, 'logits');
    reach(dy, n, k, 'labels');
    reach(dLoss, n, k, 'loss');
    reach(dP, n * c, k, 'probs');
    if (n > 0 && c > 0) this.n.crossEntropy(dl.ptr, dy.ptr, n, c, smoothing, dLoss.ptr, dP.ptr);
  }

  crossEntropyBackward(probs: Storage, labels: Storage, n: number, c: number, smoothing: number, dLoss: Storage,
    dLogits: Storage, accumulate: boolean): void {
    const k = 'crossEntropyBackward';
    const dP = dev(probs, 'f32', k, 'probs'), dy = dev(labels, 'i32', k, 'labels');
    const dL = dev(dLoss, 'f32', k, 'dLoss'), dG = dev(dLogits, 'f32', k, 'dLogits');
    count(n, k, 'n');
    count(c, k, 'c');
    if (!(smoothing >= 0 && smoothing <= 1)) throw new Error(`${k}: smoothing must be in [0, 1], got ${smoothing}`);
    reach(dP, n * c, k, 'probs');
    reach(dy, n, k, 'labels');
    reach(dL, n, k, 'dLoss');
    reach(dG, n * c, k, 'dLogits');
    if (n > 0 && c > 0) this.n.crossEntropyBackward(dP.ptr, dy.ptr, n, c, smoothing, dL.ptr, dG.ptr, !!accumulate);
  }

  klDiv(student: Storage, teacher: Storage, n: number, c: number, temperature: number, loss: Storage,
    logP: Storage, logQ: Storage): void {
    const k = 'klDiv';
    const ds = dev(student, 'f32', k, 'student'), dt = dev(teacher, 'f32', k, 'teacher');
    const dl = dev(loss, 'f32', k, 'loss'), dp = dev(logP, 'f32', k, 'logP'), dq = dev(logQ, 'f32', k, 'logQ');
    count(n, k, 'n');
    count(c, k, 'c');
    if (!(temperature > 0) || !Number.isFinite(temperature)) {
      throw new Error(`${k}: temperature must be a positive number, got ${temperature}`);
    }
    for (const [s, what] of [[ds, 'student'], [dt, 'teacher'], [dp, 'logP'], [dq, 'logQ']] as const) reach(s, n * c, k, what);
    reach(dl, n, k, 'loss');
    if (n > 0 && c > 0) this.n.klDiv(ds.ptr, dt.ptr, n, c, temperature, dl.ptr, dp.ptr, dq.ptr);
  }

  klDivBackward(logP: Storage, logQ: Storage, n: number, c: number, temperature: number, dLoss: Storage,
    dStudent: Storage | null, dTeacher: Storage | null, accumulate: boolean): void {
    const k = 'klDivBackward';
    const dp = dev(logP, 'f32', k, 'logP'), dq = dev(logQ, 'f32', k, 'logQ'), dl = dev(dLoss, 'f32', k, 'dLoss');
    const dS = optDev(dStudent, 'f32', k, 'dStudent'), dT = optDev(dTeacher, 'f32', k, 'dTeacher');
    count(n, k, 'n');
    count(c, k, 'c');
    if (!(temperature > 0) || !Number.isFinite(temperature)) {
      throw new Error(`${k}: temperature must be a positive number, got ${temperature}`);
    }
    reach(dp, n * c, k, 'logP');
    reach(dq, n * c, k, 'logQ');
    reach(dl, n, k, 'dLoss');
    if (dS) reach(dS, n * c, k, 'dStudent');
    if (dT) reach(dT, n * c, k, 'dTeacher');
    if (n > 0 && c > 0 && (dS || dT)) {
      this.n.klDivBackward(dp.ptr, dq.ptr, n, c, temperature, dl.ptr, ptrOf(dS), ptrOf(dT), !!accumulate);
    }
  }

  // ---- selection ----

  topk(x: Storage, rows: number, cols: number, k: number, values: Storage, indices: Storage): void {
    const kn = 'topk';
    const dx = dev(x, 'f32', kn, 'x'), dv = dev(values, 'f32', kn, 'values'), di = dev(indices, 'i32', kn, 'indices');
    count(rows, kn, 'rows');
    count(cols, kn, 'cols');
    count(k, kn, 'k');
    if (k > cols) throw new Error(`topk: k = ${k} exceeds the ${cols} columns`);
    reach(dx, rows * cols, kn, 'x');
    reach(dv, rows * k, kn, 'values');
    reach(di, rows * k, kn, 'indices');
    if (rows * k > 0) this.n.topk(dx.ptr, rows, cols, k, dv.ptr, di.ptr);
  }

  // ---- optimiser ----

  adamw(p: Storage, g: Storage, m: Storage, v: Storage, n: number, lr: number, beta1: number, beta2: number,
    eps: number, weightDecay: number, bc1: number, bc2: number, gradScale: number): void {
    const k = 'adamw';
    const dp = dev(p, 'f32', k, 'p'), dg = dev(g, 'f32', k, 'g'), dm = dev(m, 'f32', k, 'm'), dv = dev(v, 'f32', k, 'v');
    count(n, k, 'n');
    for (const [val, what] of [[lr, 'lr'], [beta1, 'beta1'], [beta2, 'beta2'], [eps, 'eps'], [weightDecay, 'weightDecay'],
      [gradScale, 'gradScale']] as const) finite(val, k, what);
    if (!(bc1 > 0 && bc1 <= 1) || !(bc2 > 0 && bc2 <= 1)) {
      throw new Error(`adamw: bias corrections must be in (0, 1] (1 - beta^t with t >= 1), got bc1 = ${bc1}, bc2 = ${bc2}`);
    }
    for (const [s, what] of [[dp, 'p'], [dg, 'g'], [dm, 'm'], [dv, 'v']] as const) reach(s, n, k, what);
    if (n > 0) this.n.adamw(dp.ptr, dg.ptr, dm.ptr, dv.ptr, n, lr, beta1, beta2, eps, weightDecay, bc1, bc2, gradScale);
  }

  adamwMulti(tensors: readonly AdamWTensor[], lr: number, beta1: number, beta2: number, eps: number, bc1: number,
    bc2: number, gradScale: number): void {
    const k = 'adamwMulti';
    for (const [val, what] of [[lr, 'lr'], [beta1, 'beta1'], [beta2, 'beta2'], [eps, 'eps'], [gradScale, 'gradScale']] as const) {
      finite(val, k, what);
    }
    if (!(bc1 > 0 && bc1 <= 1) || !(bc2 > 0 && bc2 <= 1)) {
      throw new Error(`${k}: bias corrections must be in (0, 1] (1 - beta^t with t >= 1), got bc1 = ${bc1}, bc2 = ${bc2}`);
    }
    const table = new Float64Array(6 * tensors.length);
    tensors.forEach((t, i) => {
      const w = `tensor ${i}`;
      const dp = dev(t.p, 'f32', k, `${w} p`), dg = dev(t.g, 'f32', k, `${w} g`);
      const dm = dev(t.m, 'f32', k, `${w} m`), dv = dev(t.v, 'f32', k, `${w} v`);
      count(t.n, k, `${w} n`);
      finite(t.weightDecay, k, `${w} weightDecay`);
      for (const [s, what] of [[dp, 'p'], [dg, 'g'], [dm, 'm'], [dv, 'v']] as const) reach(s, t.n, k, `${w} ${what}`);
      table.set([dp.ptr, dg.ptr, dm.ptr, dv.ptr, t.n, t.weightDecay], 6 * i);
    });
    if (tensors.length > 0) this.n.adamwMulti(table, lr, beta1, beta2, eps, bc1, bc2, gradScale);
  }

  synchronize(): void {
    this.n.synchronize();
  }
}

export { CudaStorage };
