/**
 * The native CPU addon (native/cpu, built by node-gyp into native/cpu/build/Release/mulki_cpu.node): where it
 * is, how it is loaded, and the functions it exports. Every function is synchronous and works in place on the
 * typed arrays it is given; it checks every extent it touches and throws `cpu.<kernel>: ...` on bad input.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../../../assets.js';

type F32 = Float32Array;
type I32 = Int32Array;
type Arr = Float32Array | Int32Array;

export type CpuIsa = 'avx512' | 'avx2' | 'generic';

export interface CpuInfo {
  /** the kernel set in use */
  isa: CpuIsa;
  /** the best kernel set this CPU supports */
  bestIsa: CpuIsa;
  /** threads taking part in each kernel (the calling thread included) */
  threads: number;
  /** version of the addon */
  version: string;
  supportedIsas: CpuIsa[];
}

/**
 * The addon's image functions: single-threaded in the calling thread, leaving the kernel table and thread pool
 * alone, so worker threads may use them too (the addon loaded in a worker thread exports only these).
 */
export interface NativeImage {
  /**
   * Pillow's resampling of the region (rx, ry, rw, rh) of an RGB HWC image (src: srcWidth * srcHeight * 3 bytes)
   * with the fixed-point coefficients of src/clip/resize.ts (null bounds / weights and ksize 0: no pass in that
   * direction), keeping the output window (wx, wy, ww, wh). dst: a Uint8Array receiving ww * wh * 3 RGB bytes at
   * dstOffset when lut is null; with lut (3 x 256 values), a Float32Array receiving 3 x wh x ww CHW values
   * lut[c * 256 + v]. isa: 'auto' (default), 'avx512', 'avx2' or 'generic'. Returns the kernel set used.
   */
  resampleRgb(src: Uint8Array, srcWidth: number, srcHeight: number, rx: number, ry: number, rw: number, rh: number,
    hBounds: I32 | null, hWeights: I32 | null, hKsize: number, vBounds: I32 | null, vWeights: I32 | null,
    vKsize: number, wx: number, wy: number, ww: number, wh: number, dst: Uint8Array | F32, dstOffset: number,
    lut: F32 | null, isa?: string): string;
}

/** The addon's exports, argument for argument (ops and activations are the integer codes of backend.ts's order). */
export interface NativeCpu extends NativeImage {
  info(): CpuInfo;
  /** Switches the kernel set (throws if this CPU cannot run it); returns the previous one. */
  setIsa(isa: string): CpuIsa;
  /** Sets the number of threads that take part in each kernel; returns it. */
  setNumThreads(n: number): number;
  /** Peak FMA rate (GFLOP/s) of the kernel set in use on all its threads: a register-only loop of about `ms`. */
  peakGflops(ms?: number): number;

  fill(x: Arr, value: number, offset: number, size: number): void;
  copy(src: Arr, srcOff: number, dst: Arr, dstOff: number, size: number): void;
  copy2d(src: Arr, srcOff: number, srcLd: number, dst: Arr, dstOff: number, dstLd: number, rows: number,
    cols: number, accumulate: boolean): void;
  permute(src: Arr, shape: readonly number[], perm: readonly number[], dst: Arr): void;
  cast(src: Arr, dst: Arr, size: number): void;

  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, beta: number,
    a: F32, aOff: number, lda: number, strideA: number, b: F32, bOff: number, ldb: number, strideB: number,
    c: F32, cOff: number, ldc: number, strideC: number, batch: number): void;

  binary(op: number, a: F32, aStrides: readonly number[], b: F32, bStrides: readonly number[], out: F32,
    outShape: readonly number[]): void;
  unary(op: number, x: F32, out: F32, n: number): void;
  affine(x: F32, alpha: number, beta: number, out: F32, n: number): void;
  axpy(alpha: number, x: F32, xOff: number, y: F32, yOff: number, n: number): void;
  sumTo(x: F32, xShape: readonly number[], out: F32, outShape: readonly number[], accumulate: boolean): void;
  sumRows(x: F32, rows: number, cols: number, out: F32, accumulate: boolean): void;
  sumSquares(x: F32, n: number): number;

  biasAct(x: F32, bias: F32 | null, rows: number, cols: number, kind: number, out: F32): void;
  actBackward(kind: number, x: F32, dy: F32, dx: F32, n: number, accumulate: boolean): void;

  layerNorm(x: F32, gamma: F32 | null, beta: F32 | null, rows: number, cols: number, eps: number, y: F32,
    mean: F32, rstd: F32): void;
  layerNormBackward(dy: F32, x: F32, gamma: F32 | null, mean: F32, rstd: F32, rows: number, cols: number, dx: F32,
    dgamma: F32 | null, dbeta: F32 | null, accumulate: boolean): void;
  softmax(x: F32, rows: number, cols: number, scale: number, log: boolean, y: F32): void;
  softmaxBackward(y: F32, dy: F32, rows: number, cols: number, scale: number, log: boolean, dx: F32,
    accumulate: boolean): void;
  l2Normalize(x: F32, rows: number, cols: number, eps: number, y: F32, norms: F32): void;
  l2NormalizeBackward(dy: F32, y: F32, norms: F32, rows: number, cols: number, dx: F32, accumulate: boolean): void;

  attention(batch: number, heads: number, tq: number, tk: number, headDim: number, scale: number, causal: boolean,
    keyMask: I32 | null, q: F32, qOff: number, ldq: number, k: F32, kOff: number, ldk: number, v: F32,
    vOff: number, ldv: number, out: F32, probs: F32): void;
  attentionBackward(batch: number, heads: number, tq: number, tk: number, headDim: number, scale: number,
    causal: boolean, keyMask: I32 | null, q: F32, qOff: number, ldq: number, k: F32, kOff: number, ldk: number,
    v: F32, vOff: number, ldv: number, probs: F32, dOut: F32, dq: F32, dk: F32, dv: F32): void;

  indexSelect(src: Arr, outer: number, n: number, inner: number, idx: I32, nIdx: number, out: Arr): void;
  indexAdd(dOut: Arr, outer: number, n: number, inner: number, idx: I32, nIdx: number, dSrc: Arr): void;
  im2patch(x: F32, batch: number, channels: number, height: number, width: number, p: number, out: F32): void;
  patch2im(dPatches: F32, batch: number, channels: number, height: number, width: number, p: number, dx: F32,
    accumulate: boolean): void;

  crossEntropy(logits: F32, labels: I32, n: number, c: number, smoothing: number, loss: F32, probs: F32): void;
  crossEntropyBackward(probs: F32, labels: I32, n: number, c: number, smoothing: number, dLoss: F32,
    dLogits: F32, accumulate: boolean): void;
  klDiv(student: F32, teacher: F32, n: number, c: number, temperature: number, loss: F32, logP: F32,
    logQ: F32): void;
  klDivBackward(logP: F32, logQ: F32, n: number, c: number, temperature: number, dLoss: F32, dStudent: F32 | null,
    dTeacher: F32 | null, accumulate: boolean): void;

  topk(x: F32, rows: number, cols: number, k: number, values: F32, indices: I32): void;

  adamw(p: F32, g: F32, m: F32, v: F32, n: number, lr: number, beta1: number, beta2: number, eps: number,
    weightDecay: number, bc1: number, bc2: number, gradScale: number): void;
}

/** Where the build puts the addon, inside the mulki package. */
export function cpuAddonPath(): string {
  return join(packageRoot(), 'native', 'cpu', 'build', 'Release', 'mulki_cpu.node');
}

let loaded: { addon: NativeCpu } | { error: string } | null = null;
let loadedImage: { addon: NativeImage } | { error: string } | null = null;

/** Loads the addon's image functions once per thread (main or worker); the error says why in one line. */
export function loadImageAddon(): { addon: NativeImage } | { error: string } {
  if (loadedImage) return loadedImage;
  let path = '<the mulki cpu addon>';
  try {
    path = cpuAddonPath();
    if (!existsSync(path)) return (loadedImage = { error: `${path} is not built (run \`npm run build:native\`)` });
    const addon = createRequire(import.meta.url)(path) as NativeImage;
    if (typeof addon.resampleRgb !== 'function') {
      return (loadedImage = { error: `${path} has no resampleRgb (an older build: run \`npm run build:native\`)` });
    }
    return (loadedImage = { addon });
  } catch (e) {
    return (loadedImage = { error: `cannot load ${path}: ${(e as Error).message.split('\n')[0]}` });
  }
}

/**
 * Loads the addon once per process. On failure (not built, wrong Node ABI, MULKI_CPU_ISA / MULKI_NUM_THREADS
 * invalid) the error says why in one line.
 */
export function loadCpuAddon(): { addon: NativeCpu } | { error: string } {
  if (loaded) return loaded;
  let path: string;
  try {
    path = cpuAddonPath();
  } catch (e) {
    return (loaded = { error: (e as Error).message });
  }
  if (!existsSync(path)) {
    return (loaded = { error: `${path} is not built (run \`npm run build:native\`)` });
  }
  try {
    const addon = createRequire(import.meta.url)(path) as NativeCpu;
    if (typeof addon.gemm !== 'function' || typeof addon.info !== 'function') {
      return (loaded = { error: `${path} is not the mulki cpu addon (its exports are missing)` });
    }
    return (loaded = { addon });
  } catch (e) {
    return (loaded = { error: `cannot load ${path}: ${(e as Error).message.split('\n')[0]}` });
  }
}
