/**
 * The `cpu` backend: the Backend interface over host typed arrays (HostPool storages, device 'cpu'), every
 * kernel run by the native addon (multithreaded, AVX-512 / AVX2 / generic chosen at run time). This file only
 * unwraps storages, maps op names to the addon's codes and forwards the arguments; the addon checks them.
 */
import type {
  ActKind, AttentionParams, Backend, BinaryOp, DType, GemmParams, Storage, UnaryOp,
} from '../../backend.js';
import { HostPool, hostData } from '../host-pool.js';
import type { CpuInfo, CpuIsa, NativeCpu } from './native.js';

/** The cpu backend, plus the controls of its native kernels. */
export interface CpuBackend extends Backend {
  /** ISA in use, the best one available, thread count, addon version. */
  info(): CpuInfo;
  /** Switches the kernel set (e.g. to test every path on one machine); throws if the CPU cannot run it. */
  setIsa(isa: CpuIsa): void;
  /** Number of threads taking part in each kernel (>= 1). */
  setNumThreads(n: number): void;
  /** The machine's peak FMA rate (GFLOP/s) for the ISA and thread count in use (runs for about `ms`). */
  peakGflops(ms?: number): number;
}

const BINARY: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3 };
const UNARY: Record<UnaryOp, number> = { neg: 0, exp: 1, log: 2, sqrt: 3, rsqrt: 4, square: 5, abs: 6, recip: 7 };
const ACT: Record<ActKind, number> = { none: 0, gelu: 1, gelu_tanh: 2, quick_gelu: 3, relu: 4 };

function fail(kernel: string, message: string): never {
  throw new Error(`cpu.${kernel}: ${message}`);
}

function code<K extends string>(kernel: string, what: string, table: Record<K, number>, key: K): number {
  const c = table[key];
  if (c === undefined) fail(kernel, `unknown ${what} '${key as string}'`);
  return c;
}

/** The typed array of a live host storage. */
function arr(kernel: string, name: string, s: Storage): Float32Array | Int32Array {
  try {
    return hostData(s);
  } catch (e) {
    return fail(kernel, `${name}: ${(e as Error).message}`);
  }
}
function f32(kernel: string, name: string, s: Storage): Float32Array {
  const a = arr(kernel, name, s);
  if (!(a instanceof Float32Array)) fail(kernel, `${name} must be f32, got ${s.dtype}`);
  return a;
}
function i32(kernel: string, name: string, s: Storage): Int32Array {
  const a = arr(kernel, name, s);
  if (!(a instanceof Int32Array)) fail(kernel, `${name} must be i32, got ${s.dtype}`);
  return a;
}
function f32n(kernel: string, name: string, s: Storage | null): Float32Array | null {
  return s ? f32(kernel, name, s) : null;
}

export function createCpuBackend(addon: NativeCpu): CpuBackend {
  const pool = new HostPool('cpu');
  const N = addon;

  function attnArgs(kernel: string, p: AttentionParams) {
    return [p.batch, p.heads, p.tq, p.tk, p.headDim, p.scale, p.causal,
      p.keyMask ? i32(kernel, 'keyMask', p.keyMask) : null,
      f32(kernel, 'q', p.q), p.qOff, p.ldq, f32(kernel, 'k', p.k), p.kOff, p.ldk,
      f32(kernel, 'v', p.v), p.vOff, p.ldv] as const;
  }

  return {
    name: 'cpu',

    info: () => N.info(),
    setIsa(isa: CpuIsa): void {
      N.setIsa(isa);
    },
    setNumThreads(n: number): void {
      N.setNumThreads(n);
    },
    peakGflops: (ms = 200) => N.peakGflops(ms),

    // ---- memory ----
    alloc(dtype: DType, size: number): Storage {
      if (dtype !== 'f32' && dtype !== 'i32') fail('alloc', `unknown dtype '${dtype as string}'`);
      return pool.alloc(dtype, size);
    },
    release(s: Storage): void {
      if (s.device !== 'cpu') fail('release', `storage belongs to device '${s.device}'`);
      pool.release(s);
    },
    trimPool: () => pool.trim(),
    memoryStats: () => pool.stats(),
    upload(src: Float32Array | Int32Array): Storage {
      if (!(src instanceof Float32Array) && !(src instanceof Int32Array)) {
        fail('upload', 'source must be a Float32Array or an Int32Array');
      }
      const s = pool.alloc(src instanceof Float32Array ? 'f32' : 'i32', src.length);
      s.data.set(src);
      return s;
    },
    download(s: Storage, offset = 0, size = s.size - offset): Float32Array | Int32Array {
      const x = arr('download', 'source', s);
      if (!Number.isInteger(offset) || !Number.isInteger(size) || offset < 0 || size < 0 || offset + size > s.size) {
        fail('download', `elements [${offset}, ${offset + size}) are outside a storage of ${s.size}`);
      }
      return x.slice(offset, offset + size);
    },
    fill(s: Storage, value: number, offset = 0, size = s.size - offset): void {
      N.fill(arr('fill', 'target', s), value, offset, size);
    },
    copy(src: Storage, srcOff: number, dst: Storage, dstOff: number, size: number): void {
      N.copy(arr('copy', 'src', src), srcOff, arr('copy', 'dst', dst), dstOff, size);
    },
    copy2d(src, srcOff, srcLd, dst, dstOff, dstLd, rows, cols, accumulate): void {
      N.copy2d(arr('copy2d', 'src', src), srcOff, srcLd, arr('copy2d', 'dst', dst), dstOff, dstLd, rows, cols,
        accumulate);
    },
    permute(src, shape, perm, dst): void {
      N.permute(arr('permute', 'src', src), shape, perm, arr('permute', 'dst', dst));
    },
    cast(src, dst, size): void {
      N.cast(arr('cast', 'src', src), arr('cast', 'dst', dst), size);
    },

    // ---- linear algebra ----
    gemm(p: GemmParams): void {
      N.gemm(p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.beta, f32('gemm', 'A', p.a), p.aOff, p.lda, p.strideA,
        f32('gemm', 'B', p.b), p.bOff, p.ldb, p.strideB, f32('gemm', 'C', p.c), p.cOff, p.ldc, p.strideC, p.batch);
    },

    // ---- elementwise ----
    binary(op, a, aStrides, b, bStrides, out, outShape): void {
      N.binary(code('binary', 'op', BINARY, op), f32('binary', 'a', a), aStrides, f32('binary', 'b', b), bStrides,
        f32('binary', 'out', out), outShape);
    },
    unary(op, x, out, n): void {
      N.unary(code('unary', 'op', UNARY, op), f32('unary', 'x', x), f32('unary', 'out', out), n);
    },
    affine(x, alpha, beta, out, n): void {
      N.affine(f32('affine', 'x', x), alpha, beta, f32('affine', 'out', out), n);
    },
    axpy(alpha, x, xOff, y, yOff, n): void {
      N.axpy(alpha, f32('axpy', 'x', x), xOff, f32('axpy', 'y', y), yOff, n);
    },
    sumTo(x, xShape, out, outShape, accumulate): void {
      N.sumTo(f32('sumTo', 'x', x), xShape, f32('sumTo', 'out', out), outShape, accumulate);
    },
    sumRows(x, rows, cols, out, accumulate): void {
      N.sumRows(f32('sumRows', 'x', x), rows, cols, f32('sumRows', 'out', out), accumulate);
    },
    sumSquares(x, n): number {
      return N.sumSquares(f32('sumSquares', 'x', x), n);
    },
    scalar(x, index): number {
      const a = arr('scalar', 'x', x);
      if (!Number.isInteger(index) || index < 0 || index >= a.length) {
        fail('scalar', `index ${index} is out of range for a storage of ${a.length} elements`);
      }
      return a[index]!;
    },

    // ---- activations ----
    biasAct(x, bias, rows, cols, kind, out): void {
      N.biasAct(f32('biasAct', 'x', x), f32n('biasAct', 'bias', bias), rows, cols, code('biasAct', 'activation', ACT, kind),
        f32('biasAct', 'out', out));
    },
    actBackward(kind, x, dy, dx, n, accumulate): void {
      N.actBackward(code('actBackward', 'activation', ACT, kind), f32('actBackward', 'x', x),
        f32('actBackward', 'dy', dy), f32('actBackward', 'dx', dx), n, accumulate);
    },

    // ---- normalisation ----
    layerNorm(x, gamma, beta, rows, cols, eps, y, mean, rstd): void {
      const k = 'layerNorm';
      N.layerNorm(f32(k, 'x', x), f32n(k, 'gamma', gamma), f32n(k, 'beta', beta), rows, cols, eps, f32(k, 'y', y),
        f32(k, 'mean', mean), f32(k, 'rstd', rstd));
    },
    layerNormBackward(dy, x, gamma, mean, rstd, rows, cols, dx, dgamma, dbeta, accumulate): void {
      const k = 'layerNormBackward';
      N.layerNormBackward(f32(k, 'dy', dy), f32(k, 'x', x), f32n(k, 'gamma', gamma), f32(k, 'mean', mean),
        f32(k, 'rstd', rstd), rows, cols, f32(k, 'dx', dx), f32n(k, 'dgamma', dgamma), f32n(k, 'dbeta', dbeta),
        accumulate);
    },
    softmax(x, rows, cols, scale, log, y): void {
      N.softmax(f32('softmax', 'x', x), rows, cols, scale, log, f32('softmax', 'y', y));
    },
    softmaxBackward(y, dy, rows, cols, scale, log, dx, accumulate): void {
      const k = 'softmaxBackward';
      N.softmaxBackward(f32(k, 'y', y), f32(k, 'dy', dy), rows, cols, scale, log, f32(k, 'dx', dx), accumulate);
    },
    l2Normalize(x, rows, cols, eps, y, norms): void {
      const k = 'l2Normalize';
      N.l2Normalize(f32(k, 'x', x), rows, cols, eps, f32(k, 'y', y), f32(k, 'norms', norms));
    },
    l2NormalizeBackward(dy, y, norms, rows, cols, dx, accumulate): void {
      const k = 'l2NormalizeBackward';
      N.l2NormalizeBackward(f32(k, 'dy', dy), f32(k, 'y', y), f32(k, 'norms', norms), rows, cols, f32(k, 'dx', dx),
        accumulate);
    },

    // ---- attention ----
    attention(p, out, probs): void {
      const k = 'attention';
      N.attention(...attnArgs(k, p), f32(k, 'out', out), f32(k, 'probs', probs));
    },
    attentionBackward(p, probs, dOut, dq, dk, dv): void {
      const k = 'attentionBackward';
      N.attentionBackward(...attnArgs(k, p), f32(k, 'probs', probs), f32(k, 'dOut', dOut), f32(k, 'dq', dq),
        f32(k, 'dk', dk), f32(k, 'dv', dv));
    },

    // ---- indexing ----
    indexSelect(src, outer, n, inner, idx, nIdx, out): void {
      const k = 'indexSelect';
      N.indexSelect(arr(k, 'src', src), outer, n, inner, i32(k, 'idx', idx), nIdx, arr(k, 'out', out));
    },
    indexAdd(dOut, outer, n, inner, idx, nIdx, dSrc): void {
      const k = 'indexAdd';
      N.indexAdd(arr(k, 'dOut', dOut), outer, n, inner, i32(k, 'idx', idx), nIdx, arr(k, 'dSrc', dSrc));
    },
    im2patch(x, batch, channels, height, width, p, out): void {
      N.im2patch(f32('im2patch', 'x', x), batch, channels, height, width, p, f32('im2patch', 'out', out));
    },
    patch2im(dPatches, batch, channels, height, width, p, dx, accumulate): void {
      N.patch2im(f32('patch2im', 'dPatches', dPatches), batch, channels, height, width, p, f32('patch2im', 'dx', dx),
        accumulate);
    },

    // ---- losses ----
    crossEntropy(logits, labels, n, c, smoothing, loss, probs): void {
      const k = 'crossEntropy';
      N.crossEntropy(f32(k, 'logits', logits), i32(k, 'labels', labels), n, c, smoothing, f32(k, 'loss', loss),
        f32(k, 'probs', probs));
    },
    crossEntropyBackward(probs, labels, n, c, smoothing, dLoss, dLogits, accumulate): void {
      const k = 'crossEntropyBackward';
      N.crossEntropyBackward(f32(k, 'probs', probs), i32(k, 'labels', labels), n, c, smoothing, f32(k, 'dLoss', dLoss),
        f32(k, 'dLogits', dLogits), accumulate);
    },
    klDiv(student, teacher, n, c, temperature, loss, logP, logQ): void {
      const k = 'klDiv';
      N.klDiv(f32(k, 'student', student), f32(k, 'teacher', teacher), n, c, temperature, f32(k, 'loss', loss),
        f32(k, 'logP', logP), f32(k, 'logQ', logQ));
    },
    klDivBackward(logP, logQ, n, c, temperature, dLoss, dStudent, dTeacher, accumulate): void {
      const k = 'klDivBackward';
      N.klDivBackward(f32(k, 'logP', logP), f32(k, 'logQ', logQ), n, c, temperature, f32(k, 'dLoss', dLoss),
        f32n(k, 'dStudent', dStudent), f32n(k, 'dTeacher', dTeacher), accumulate);
    },

    // ---- selection ----
    topk(x, rows, cols, k, values, indices): void {
      N.topk(f32('topk', 'x', x), rows, cols, k, f32('topk', 'values', values), i32('topk', 'indices', indices));
    },

    // ---- optimiser ----
    adamw(p, g, m, v, n, lr, beta1, beta2, eps, weightDecay, bc1, bc2, gradScale): void {
      N.adamw(f32('adamw', 'p', p), f32('adamw', 'g', g), f32('adamw', 'm', m), f32('adamw', 'v', v), n, lr, beta1,
        beta2, eps, weightDecay, bc1, bc2, gradScale);
    },

    synchronize(): void {},
  };
}
