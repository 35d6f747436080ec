/**
 * Tensor: a dense row-major array on one device. The elements live in a backend Storage (a typed array for the
 * ref/cpu backends, device memory for cuda); a tensor never assumes it can touch them directly: everything goes
 * through the backend's kernels, and `toArray()` downloads.
 *
 * Autograd fields: `requiresGrad` marks a tensor whose gradient is wanted; `node` is the tape entry of the op that
 * produced it (null for leaves); after `backward()`, leaves that require grad hold `grad`.
 */
import type { Backend, DeviceName, DType, Storage } from './backend.js';
import type { TapeNode } from './tape.js';
import { track } from './memory.js';

export type Shape = readonly number[];

export class Tensor {
  requiresGrad = false;
  grad: Tensor | null = null;
  node: TapeNode | null = null;
  /** Optional name (parameters: their state-dict key), used in error messages. */
  name: string | undefined;
  /**
   * Host copy of an i32 tensor made from host data (token ids, labels): lets code that needs the values on the host
   * (pooling positions, label counts) avoid a device round trip. Tensors never change after creation, so it stays true.
   */
  hostCopy: Int32Array | undefined;

  constructor(
    readonly storage: Storage,
    readonly shape: Shape,
    readonly backend: Backend,
  ) {
    const n = sizeOf(shape);
    if (n > storage.size) {
      throw new Error(`tensor of shape [${shape}] (${n} elements) does not fit its storage of ${storage.size}`);
    }
  }

  get dtype(): DType {
    return this.storage.dtype;
  }
  get device(): DeviceName {
    return this.backend.name;
  }
  get size(): number {
    return sizeOf(this.shape);
  }
  get rank(): number {
    return this.shape.length;
  }
  /** Size of axis `i` (negative counts from the end). */
  dim(i: number): number {
    const a = i < 0 ? this.shape.length + i : i;
    const d = this.shape[a];
    if (d === undefined) throw new Error(`axis ${i} out of range for shape [${this.shape}]`);
    return d;
  }

  /** Copies the elements to a new host array (synchronises with the device). */
  toArray(): Float32Array | Int32Array {
    assertAlive(this);
    return this.backend.download(this.storage, 0, this.size);
  }

  /** The values of an i32 tensor on the host (its host copy when it has one, else a download). */
  hostInts(): Int32Array {
    if (this.dtype !== 'i32') throw new Error(`hostInts() on ${this}`);
    if (this.hostCopy && this.hostCopy.length === this.size) return this.hostCopy;
    return this.toArray() as Int32Array;
  }

  /** The single element of a one-element tensor, or element `index`. */
  item(index = 0): number {
    assertAlive(this);
    if (index === 0 && this.size !== 1) throw new Error(`item() on a tensor of shape [${this.shape}]`);
    return this.backend.scalar(this.storage, index);
  }

  toString(): string {
    return `Tensor(${this.name ? this.name + ', ' : ''}[${this.shape}], ${this.dtype}, ${this.device}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid shape [${shape}]`);
    n *= d;
  }
  return n;
}

export function assertAlive(t: Tensor): void {
  if (!t.storage.alive) {
    throw new Error(`${t} was used after its memory scope ended (keep() it or use it inside the scope)`);
  }
}

/** Wraps a storage in a tensor and registers the storage with the current memory scope. */
export function wrap(storage: Storage, shape: Shape, backend: Backend): Tensor {
  track(storage, backend);
  return new Tensor(storage, shape, backend);
}

/** A new tensor with unspecified contents. */
export function empty(backend: Backend, shape: Shape, dtype: DType = 'f32'): Tensor {
  return wrap(backend.alloc(dtype, sizeOf(shape)), shape, backend);
}
