/**
 * The kernel interface: the only thing the backends (ref, cpu, cuda) share.
 *
 * Conventions, for every kernel:
 * - All tensors are dense row-major; a kernel sees storages plus element offsets and sizes, never shapes it
 *   must infer. Offsets and leading dimensions are in elements, not bytes.
 * - A kernel writes its outputs completely (overwrite) unless its parameter says `accumulate`, in which case it
 *   adds into the output.
 * - f32 storages hold float32; i32 storages hold int32 (token ids, labels, masks, indices).
 * - Kernels never allocate storages visible to the caller: everything a backward pass needs from the forward pass
 *   is passed in explicitly (e.g. layer norm's mean/rstd, softmax's output, attention's probabilities).
 * - Calls may be asynchronous (CUDA): only `download`, `sumSquares` and `scalar` synchronise with the host.
 */

export type DType = 'f32' | 'i32';
export type DeviceName = 'ref' | 'cpu' | 'cuda';

/** A device buffer. ref/cpu storages also carry `data`; a cuda storage carries an opaque device handle. */
export interface Storage {
  readonly device: DeviceName;
  readonly dtype: DType;
  /** number of elements */
  readonly size: number;
  /** false once the storage went back to its pool: using it then is a bug the op layer reports */
  alive: boolean;
}

/** Storage whose elements live in host memory as a typed array (ref and cpu backends). */
export interface HostStorage extends Storage {
  readonly data: Float32Array | Int32Array;
}

export type ActKind = 'none' | 'gelu' | 'gelu_tanh' | 'quick_gelu' | 'relu';
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div';
export type UnaryOp = 'neg' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'square' | 'abs' | 'recip';

/** The largest rank the strided kernels (binary, sumTo, permute) accept. */
export const MAX_RANK = 8;

/**
 * Batched GEMM, row-major: for b in [0, batch): C_b = alpha * op(A_b) @ op(B_b) + beta * C_b
 * op(A_b) is m x k, op(B_b) is k x n, C_b is m x n.
 * A_b starts at aOff + b * strideA and has leading dimension lda (row stride of A as stored: A is m x k when
 * !transA, k x m when transA). Likewise for B (k x n or n x k) and C (m x n, row stride ldc).
 * A stride of 0 broadcasts one matrix over the batch. beta = 0 means C is not read (may hold garbage/NaN).
 */
export interface GemmParams {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  beta: number;
  a: Storage;
  aOff: number;
  lda: number;
  strideA: number;
  b: Storage;
  bOff: number;
  ldb: number;
  strideB: number;
  c: Storage;
  cOff: number;
  ldc: number;
  strideC: number;
  batch: number;
}

/**
 * Multi-head scaled-dot-product attention.
 * q is laid out (batch, tq, heads * headDim): element (b, t, h, d) at qOff + b*tq*ldq + t*ldq + h*headDim + d.
 * k, v likewise with tk rows and row strides ldk, ldv. out is (batch, tq, heads*headDim) contiguous
 * (row stride heads*headDim).
 * probs is (batch, heads, tq, tk) floats of scratch, written by the forward pass and read by the backward pass
 * of the same call: the ref and cpu backends (and cuda in fp32/tf32 precision or head dims other than 64) store the
 * softmax probabilities there (contiguous, (batch, heads, tq, tk)); a backend may instead store whatever its
 * backward needs in that space (cuda's fused bf16 kernels keep the per-row log-sum-exp and a copy of the output),
 * so callers must treat it as opaque.
 * Masks: causal hides key j > query i (needs tq == tk). keyMask (i32, batch x tk, 1 = attend, 0 = padding)
 * hides padded keys. A query row whose keys are all hidden gets zero probabilities and zero output.
 */
export interface AttentionParams {
  batch: number;
  heads: number;
  tq: number;
  tk: number;
  headDim: number;
  scale: number;
  causal: boolean;
  keyMask: Storage | null;
  q: Storage;
  qOff: number;
  ldq: number;
  k: Storage;
  kOff: number;
  ldk: number;
  v: Storage;
  vOff: number;
  ldv: number;
}

/**
 * Destinations of attentionBackwardInto: element (b, t, h, d) of dq at dqOff + (b*tq + t)*ldq + h*headDim + d
 * (dk, dv likewise with tk rows), e.g. the three column blocks of a packed (batch, t, 3*width) qkv gradient.
 */
export interface AttentionGrads {
  dq: Storage;
  dqOff: number;
  ldq: number;
  dk: Storage;
  dkOff: number;
  ldk: number;
  dv: Storage;
  dvOff: number;
  ldv: number;
}

/** One tensor of an adamwMulti step. */
export interface AdamWTensor {
  p: Storage;
  g: Storage;
  m: Storage;
  v: Storage;
  n: number;
  weightDecay: number;
}

export interface Backend {
  readonly name: DeviceName;

  // ---- memory ----
  /** A storage of `size` elements, contents unspecified (pooled). */
  alloc(dtype: DType, size: number): Storage;
  /** Returns a storage to the pool; it must not be used afterwards. */
  release(s: Storage): void;
  /** Drops every pooled (free) buffer. */
  trimPool(): void;
  /** Bytes held by live storages and by the pool; allocations = new large (pool-sized) buffers created so far. */
  memoryStats(): { liveBytes: number; pooledBytes: number; allocations: number };
  /** A new storage holding a copy of `src`. */
  upload(src: Float32Array | Int32Array): Storage;
  /** Copies elements [offset, offset+size) to a new host array (synchronises). */
  download(s: Storage, offset?: number, size?: number): Float32Array | Int32Array;
  /** Sets elements [offset, offset+size) to value (defaults: the whole storage). */
  fill(s: Storage, value: number, offset?: number, size?: number): void;
  /** Same-dtype copy of size elements. */
  copy(src: Storage, srcOff: number, dst: Storage, dstOff: number, size: number): void;
  /**
   * 2-D block copy: for r < rows, c < cols: dst[dstOff + r*dstLd + c] (+)= src[srcOff + r*srcLd + c].
   * Used by concat, slice and their backward passes.
   */
  copy2d(src: Storage, srcOff: number, srcLd: number, dst: Storage, dstOff: number, dstLd: number,
    rows: number, cols: number, accumulate: boolean): void;
  /** dst = src with axes permuted: dst shape = perm.map(i => shape[i]); src is contiguous of `shape`. */
  permute(src: Storage, shape: readonly number[], perm: readonly number[], dst: Storage): void;
  /** f32 <-> i32 conversion (truncation toward zero for f32 -> i32). */
  cast(src: Storage, dst: Storage, size: number): void;

  // ---- linear algebra ----
  gemm(p: GemmParams): void;

  // ---- elementwise ----
  /**
   * out[i] = a[ia] op b[ib] over outShape (rank <= MAX_RANK); aStrides/bStrides are element strides per out axis,
   * 0 on broadcast axes. out is contiguous.
   */
  binary(op: BinaryOp, a: Storage, aStrides: readonly number[], b: Storage, bStrides: readonly number[],
    out: Storage, outShape: readonly number[]): void;
  /** out = f(x) elementwise over n elements. */
  unary(op: UnaryOp, x: Storage, out: Storage, n: number): void;
  /** out = alpha * x + beta elementwise. */
  affine(x: Storage, alpha: number, beta: number, out: Storage, n: number): void;
  /** y += alpha * x over n elements (offsets allow accumulating into a part of y). */
  axpy(alpha: number, x: Storage, xOff: number, y: Storage, yOff: number, n: number): void;
  /**
   * Sum reduction of x (contiguous, xShape) onto out (contiguous, outShape): same rank, each out dim equal to
   * the x dim or 1. The backward of broadcasting, and the general sum over axes.
   */
  sumTo(x: Storage, xShape: readonly number[], out: Storage, outShape: readonly number[], accumulate: boolean): void;
  /** out[c] (+)= sum_r x[r*cols + c]: the bias gradient. */
  sumRows(x: Storage, rows: number, cols: number, out: Storage, accumulate: boolean): void;
  /** Sum of squares of x[0..n) returned to the host (synchronises). */
  sumSquares(x: Storage, n: number): number;
  /** Element `index` of x, returned to the host (synchronises). */
  scalar(x: Storage, index: number): number;

  // ---- activations ----
  /** x (rows x cols): if bias, x += bias (broadcast over rows) in place; then out = act(x). out may equal x for 'none'. */
  biasAct(x: Storage, bias: Storage | null, rows: number, cols: number, kind: ActKind, out: Storage): void;
  /** dx (+)= act'(x) * dy over n elements (x is the pre-activation). */
  actBackward(kind: ActKind, x: Storage, dy: Storage, dx: Storage, n: number, accumulate: boolean): void;

  // ---- normalisation ----
  /** Row-wise layer norm over cols; writes y, mean (rows), rstd (rows). gamma/beta may be null (no affine). */
  layerNorm(x: Storage, gamma: Storage | null, beta: Storage | null, rows: number, cols: number, eps: number,
    y: Storage, mean: Storage, rstd: Storage): void;
  /** dx (+)= ...; dgamma, dbeta (when given) are overwritten with their full gradient. */
  layerNormBackward(dy: Storage, x: Storage, gamma: Storage | null, mean: Storage, rstd: Storage, rows: number,
    cols: number, dx: Storage, dgamma: Storage | null, dbeta: Storage | null, accumulate: boolean): void;
  /** Row-wise softmax (or log-softmax) of x * scale. */
  softmax(x: Storage, rows: number, cols: number, scale: number, log: boolean, y: Storage): void;
  /** dx (+)= gradient of softmax/log-softmax (including scale) given its output y. */
  softmaxBackward(y: Storage, dy: Storage, rows: number, cols: number, scale: number, log: boolean, dx: Storage,
    accumulate: boolean): void;
  /** Row-wise y = x / max(||x||, eps); norms[r] = max(||x_r||, eps). */
  l2Normalize(x: Storage, rows: number, cols: number, eps: number, y: Storage, norms: Storage): void;
  l2NormalizeBackward(dy: Storage, y: Storage, norms: Storage, rows: number, cols: number, dx: Storage,
    accumulate: boolean): void;

  // ---- attention ----
  /** Writes out (batch, tq, heads*headDim) and probs (batch, heads, tq, tk). */
  attention(p: AttentionParams, out: Storage, probs: Storage): void;
  /** Writes (overwrites) dq, dk, dv laid out like q, k, v but contiguous (row strides heads*headDim). */
  attentionBackward(p: AttentionParams, probs: Storage, dOut: Storage, dq: Storage, dk: Storage, dv: Storage): void;
  /**
   * Optional: attentionBackward writing into strided destinations (accumulate: adding to them), which saves the
   * temporaries and copies of a packed qkv gradient.
   */
  attentionBackwardInto?(p: AttentionParams, probs: Storage, dOut: Storage, g: AttentionGrads, accumulate: boolean): void;

  // ---- indexing ----
  /**
   * src viewed as (outer, n, inner); out (outer, nIdx, inner): out[o, j, :] = src[o, idx[j], :].
   * Embedding lookup is outer = 1, inner = width. Index out of range is an error (ref/cpu throw).
   */
  indexSelect(src: Storage, outer: number, n: number, inner: number, idx: Storage, nIdx: number, out: Storage): void;
  /** dSrc[o, idx[j], :] += dOut[o, j, :] (dSrc is NOT cleared first). */
  indexAdd(dOut: Storage, outer: number, n: number, inner: number, idx: Storage, nIdx: number, dSrc: Storage): void;
  /**
   * Images (batch, channels, height, width) -> patches (batch, (height/p)*(width/p), channels*p*p), each patch
   * flattened in (channel, row, col) order: the layout of a stride-p convolution weight (out, in, p, p).
   */
  im2patch(x: Storage, batch: number, channels: number, height: number, width: number, p: number, out: Storage): void;
  /** Inverse scatter of im2patch (dx (+)= ...). */
  patch2im(dPatches: Storage, batch: number, channels: number, height: number, width: number, p: number,
    dx: Storage, accumulate: boolean): void;

  // ---- losses (row-wise over n x c logits) ----
  /**
   * Cross-entropy with label smoothing eps (PyTorch semantics): loss_r = (1-eps) * -log p[r, y_r]
   * + eps * mean_c(-log p[r, c]). Writes loss (n) and probs (n x c, softmax) for the backward pass.
   * A label < 0 is ignored (loss 0, zero gradient).
   */
  crossEntropy(logits: Storage, labels: Storage, n: number, c: number, smoothing: number, loss: Storage,
    probs: Storage): void;
  /** dlogits (+)= dLoss[r] * (probs - target) row-wise. */
  crossEntropyBackward(probs: Storage, labels: Storage, n: number, c: number, smoothing: number, dLoss: Storage,
    dLogits: Storage, accumulate: boolean): void;
  /**
   * Distillation KL with temperature T: p = softmax(teacher / T), q = softmax(student / T),
   * loss_r = T^2 * sum_c p (log p - log q). Writes loss (n), logP (n x c) and logQ (n x c).
   */
  klDiv(student: Storage, teacher: Storage, n: number, c: number, temperature: number, loss: Storage,
    logP: Storage, logQ: Storage): void;
  /**
   * Gradients of klDiv scaled by dLoss[r]: dStudent (+)= dLoss * T * (q - p); dTeacher (+)= dLoss * T * p *
   * ((log p - log q) - sum_c p (log p - log q)). Either output may be null.
   */
  klDivBackward(logP: Storage, logQ: Storage, n: number, c: number, temperature: number, dLoss: Storage,
    dStudent: Storage | null, dTeacher: Storage | null, accumulate: boolean): void;

  // ---- selection ----
  /** Row-wise top-k (descending, ties to the lower index): values (rows x k, f32), indices (rows x k, i32). */
  topk(x: Storage, rows: number, cols: number, k: number, values: Storage, indices: Storage): void;

  // ---- optimiser ----
  /**
   * AdamW step on n elements. m, v are the moment buffers. lr already includes the schedule; bc1 = 1 - beta1^t,
   * bc2 = 1 - beta2^t. Decoupled decay: p -= lr * wd * p, then p -= lr * (m/bc1) / (sqrt(v/bc2) + eps).
   * gradScale multiplies g first (gradient clipping).
   */
  adamw(p: Storage, g: Storage, m: Storage, v: Storage, n: number, lr: number, beta1: number, beta2: number,
    eps: number, weightDecay: number, bc1: number, bc2: number, gradScale: number): void;
  /** Optional: the adamw step of many tensors at once (few kernel launches); each tensor has its own weight decay. */
  adamwMulti?(tensors: readonly AdamWTensor[], lr: number, beta1: number, beta2: number, eps: number, bc1: number,
    bc2: number, gradScale: number): void;

  /** Blocks until queued work is done (no-op on synchronous backends). */
  synchronize(): void;
}
