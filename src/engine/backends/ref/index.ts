/**
 * The `ref` backend: every kernel of the Backend interface as plain TypeScript over host typed arrays.
 * It is the correctness oracle the native cpu and cuda backends are tested against, and the training fallback on
 * machines without a compiler. Synchronous: every call has finished when it returns.
 */
import type { Backend, DType, Storage } from '../../backend.js';
import { HostPool } from '../host-pool.js';
import { actBackward, biasAct } from './activation.js';
import { attention, attentionBackward } from './attention.js';
import { fail } from './check.js';
import { affine, axpy, binary, scalar, sumRows, sumSquares, sumTo, unary } from './elementwise.js';
import { gemm } from './gemm.js';
import { im2patch, indexAdd, indexSelect, patch2im } from './indexing.js';
import { crossEntropy, crossEntropyBackward, klDiv, klDivBackward } from './loss.js';
import { cast, copy, copy2d, download, fill, permute, upload } from './memory.js';
import { layerNorm, layerNormBackward, l2Normalize, l2NormalizeBackward, softmax, softmaxBackward } from './norm.js';
import { adamw } from './optim.js';
import { topk } from './select.js';

export function createRefBackend(): Backend {
  const pool = new HostPool('ref');
  return {
    name: 'ref',

    alloc(dtype: DType, size: number): Storage {
      if (dtype !== 'f32' && dtype !== 'i32') fail('alloc', `unknown dtype '${dtype as string}'`);
      return pool.alloc(dtype, size);
    },
    release(s: Storage): void {
      if (s.device !== 'ref') fail('release', `storage belongs to device '${s.device}'`);
      pool.release(s);
    },
    trimPool: () => pool.trim(),
    memoryStats: () => pool.stats(),
    upload: (src) => upload(pool, src),
    download,
    fill,
    copy,
    copy2d,
    permute,
    cast,

    gemm,

    binary,
    unary,
    affine,
    axpy,
    sumTo,
    sumRows,
    sumSquares,
    scalar,

    biasAct,
    actBackward,

    layerNorm,
    layerNormBackward,
    softmax,
    softmaxBackward,
    l2Normalize,
    l2NormalizeBackward,

    attention,
    attentionBackward,

    indexSelect,
    indexAdd,
    im2patch,
    patch2im,

    crossEntropy,
    crossEntropyBackward,
    klDiv,
    klDivBackward,

    topk,

    adamw,

    synchronize(): void {},
  };
}
