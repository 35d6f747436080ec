/**
 * The compiled CUDA addon (native/cuda/build/mulki_cuda.node): its function table, the codes shared with the C++
 * side (native/cuda/kernels.h), and how it is found and loaded. Device pointers travel as numbers; 0 means "none".
 */
import { packageRoot as assetsPackageRoot } from '../../../assets.js';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ActKind, BinaryOp, UnaryOp } from '../../backend.js';

export type GemmPrecision = 'fp32' | 'tf32' | 'bf16';

export const PRECISION_CODE: Record<GemmPrecision, number> = { fp32: 0, tf32: 1, bf16: 2 };
/**
 * How 'bf16' GEMMs run: 'convert' makes bf16 copies of both operands for a bf16 cuBLAS GEMM, 'fast' hands cuBLAS
 * the f32 operands with CUBLAS_COMPUTE_32F_FAST_16BF, 'tune' (default; $MULKI_GEMM_BF16 overrides) times both the
 * first time each GEMM shape is seen and keeps the faster. All round operands to bf16 with fp32 accumulation.
 */
export type GemmBf16Mode = 'tune' | 'convert' | 'fast';
export const BF16_MODE_CODE: Record<GemmBf16Mode, number> = { tune: 0, convert: 1, fast: 2 };
export const BINARY_CODE: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3 };
export const UNARY_CODE: Record<UnaryOp, number> = {
  neg: 0, exp: 1, log: 2, sqrt: 3, rsqrt: 4, square: 5, abs: 6, recip: 7,
};
export const ACT_CODE: Record<ActKind, number> = { none: 0, gelu: 1, gelu_tanh: 2, quick_gelu: 3, relu: 4 };

export type InitResult =
  | { ok: true; name: string; major: number; minor: number; multiprocessors: number; totalMemory: number;
    cublas: string }
  | { ok: false; error: string };

type P = number; // a device pointer (0 = none)

/** Argument order matches native/cuda/addon.cc. */
export interface NativeCuda {
  init(): InitResult;
  alloc(bytes: number): P;
  free(ptr: P): void;
  trim(): void;
  /** [liveBytes, pooledBytes, cudaMalloc calls, live blocks] */
  stats(): [number, number, number, number];
  /** [free, total] bytes of the device */
  memInfo(): [number, number];
  upload(ptr: P, src: Float32Array | Int32Array): void;
  download(ptr: P, offset: number, dst: Float32Array | Int32Array): void;
  synchronize(): void;
  fill(ptr: P, isInt: boolean, value: number, offset: number, n: number): void;
  copy(src: P, srcOff: number, dst: P, dstOff: number, n: number): void;
  copy2d(src: P, srcOff: number, srcLd: number, dst: P, dstOff: number, dstLd: number, rows: number, cols: number,
    accumulate: boolean): void;
  permute(src: P, shape: readonly number[], perm: readonly number[], dst: P): void;
  cast(src: P, dst: P, n: number, toInt: boolean): void;
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, beta: number,
    a: P, aOff: number, lda: number, strideA: number, b: P, bOff: number, ldb: number, strideB: number,
    c: P, cOff: number, ldc: number, strideC: number, batch: number, precision: number): void;
  /** 0 tune, 1 convert, 2 fast (native/cuda/cublas_dl.h) */
  gemmBf16Mode(mode: number): void;
  /**
   * [GEMM shapes tuned, how many chose FAST_16BF, GEMMs fused with their bias, bf16 operand copies reused, bf16
   * copies written by the kernels producing GEMM operands]
   */
  gemmTuneStats(): [number, number, number, number, number];
  /** The backend's GEMM precision code (for the kernels that write bf16 copies of GEMM operands). */
  gemmPrecision(precision: number): void;
  binary(op: number, a: P, aStrides: readonly number[], b: P, bStrides: readonly number[], out: P,
    outShape: readonly number[]): void;
  unary(op: number, x: P, out: P, n: number): void;
  affine(x: P, alpha: number, beta: number, out: P, n: number): void;
  axpy(alpha: number, x: P, xOff: number, y: P, yOff: number, n: number): void;
  sumTo(x: P, xShape: readonly number[], out: P, outShape: readonly number[], accumulate: boolean): void;
  sumRows(x: P, rows: number, cols: number, out: P, accumulate: boolean): void;
  sumSquares(x: P, n: number): number;
  scalar(x: P, index: number, isInt: boolean): number;
  biasAct(x: P, bias: P, rows: number, cols: number, act: number, out: P): void;
  actBackward(act: number, x: P, dy: P, dx: P, n: number, accumulate: boolean): void;
  layerNorm(x: P, gamma: P, beta: P, rows: number, cols: number, eps: number, y: P, mean: P, rstd: P): void;
  layerNormBackward(dy: P, x: P, gamma: P, mean: P, rstd: P, rows: number, cols: number, dx: P, dgamma: P,
    dbeta: P, accumulate: boolean): void;
  softmax(x: P, rows: number, cols: number, scale: number, log: boolean, y: P): void;
  softmaxBackward(y: P, dy: P, rows: number, cols: number, scale: number, log: boolean, dx: P,
    accumulate: boolean): void;
  l2Normalize(x: P, rows: number, cols: number, eps: number, y: P, norms: P): void;
  l2NormalizeBackward(dy: P, y: P, norms: P, rows: number, cols: number, dx: P, accumulate: boolean): void;
  /** Returns true when the fused kernel ran: probs then holds its scratch (log-sum-exp, output copy). */
  attention(batch: number, heads: number, tq: number, tk: number, headDim: number, scale: number, causal: boolean,
    keyMask: P, q: P, qOff: number, ldq: number, k: P, kOff: number, ldk: number, v: P, vOff: number, ldv: number,
    out: P, probs: P, precision: number): boolean;
  attentionBackward(batch: number, heads: number, tq: number, tk: number, headDim: number, scale: number,
    causal: boolean, keyMask: P, q: P, qOff: number, ldq: number, k: P, kOff: number, ldk: number, v: P,
    vOff: number, ldv: number, probs: P, fused: boolean, dOut: P, dq: P, dqOff: number, lddq: number, dk: P,
    dkOff: number, lddk: number, dv: P, dvOff: number, lddv: number, accumulate: boolean, precision: number): void;
  indexSelect(src: P, outer: number, n: number, inner: number, idx: P, nIdx: number, out: P): void;
  indexAdd(dOut: P, outer: number, n: number, inner: number, idx: P, nIdx: number, dSrc: P): void;
  im2patch(x: P, batch: number, channels: number, height: number, width: number, p: number, out: P): void;
  patch2im(dPatches: P, batch: number, channels: number, height: number, width: number, p: number, dx: P,
    accumulate: boolean): void;
  crossEntropy(logits: P, labels: P, n: number, c: number, smoothing: number, loss: P, probs: P): void;
  crossEntropyBackward(probs: P, labels: P, n: number, c: number, smoothing: number, dLoss: P, dLogits: P,
    accumulate: boolean): void;
  klDiv(student: P, teacher: P, n: number, c: number, temperature: number, loss: P, logP: P, logQ: P): void;
  klDivBackward(logP: P, logQ: P, n: number, c: number, temperature: number, dLoss: P, dStudent: P, dTeacher: P,
    accumulate: boolean): void;
  topk(x: P, rows: number, cols: number, k: number, values: P, indices: P): void;
  adamw(p: P, g: P, m: P, v: P, n: number, lr: number, beta1: number, beta2: number, eps: number,
    weightDecay: number, bc1: number, bc2: number, gradScale: number): void;
  /** table: [p, g, m, v, n, weightDecay] per tensor */
  adamwMulti(table: Float64Array, lr: number, beta1: number, beta2: number, eps: number, bc1: number, bc2: number,
    gradScale: number): void;
}

/** The folder of the mulki package (src/assets.ts), or null when this file is not inside one. */
export function packageRoot(): string | null {
  try {
    return assetsPackageRoot();
  } catch {
    return null;
  }
}

/** Path of the addon: $MULKI_CUDA_ADDON, else native/cuda/build/mulki_cuda.node under the package root. */
export function addonPath(): string | null {
  const fromEnv = process.env.MULKI_CUDA_ADDON;
  if (fromEnv) return resolve(fromEnv);
  const root = packageRoot();
  return root ? join(root, 'native', 'cuda', 'build', 'mulki_cuda.node') : null;
}

let cached: { native: NativeCuda } | { error: string } | null = null;

/** Loads the addon once per process (CUDA state is process-wide). */
export function loadNative(): { native: NativeCuda } | { error: string } {
  if (cached) return cached;
  const path = addonPath();
  if (!path) {
    cached = { error: 'the CUDA addon is not built: cannot find the mulki package root (no package.json named "mulki" above ' +
      `${fileURLToPath(import.meta.url)})` };
  } else if (!existsSync(path)) {
    cached = { error: `the CUDA addon is not built: ${path} does not exist (build it with \`node scripts/build-cuda.mjs\`, ` +
      'which needs nvcc)' };
  } else {
    try {
      const require = createRequire(import.meta.url);
      cached = { native: require(path) as NativeCuda };
    } catch (e) {
      cached = { error: `the CUDA addon at ${path} failed to load: ${(e as Error).message}` };
    }
  }
  return cached;
}
