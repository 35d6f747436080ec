/**
 * A cuda Storage: an opaque device pointer into the addon's caching allocator. `release` hands the block back to
 * the allocator at once (stream-ordered, so queued kernels that still read it are safe); a storage dropped without
 * release is returned by a FinalizationRegistry when the garbage collector finds it.
 */
import type { DType, Storage } from '../../backend.js';
import type { NativeCuda } from './native.js';

export class CudaStorage implements Storage {
  readonly device = 'cuda' as const;
  alive = true;
  constructor(
    readonly dtype: DType,
    readonly size: number,
    /** device address (0 for an empty storage) */
    readonly ptr: number,
  ) {}
}

export class CudaMemory {
  private readonly registry: FinalizationRegistry<number>;

  constructor(private readonly native: NativeCuda) {
    this.registry = new FinalizationRegistry<number>((ptr) => {
      try {
        native.free(ptr);
      } catch {
        // the process is shutting down or the block is already gone: nothing useful to report from a finaliser
      }
    });
  }

  alloc(dtype: DType, size: number): CudaStorage {
    if (dtype !== 'f32' && dtype !== 'i32') throw new Error(`alloc: unknown dtype '${String(dtype)}'`);
    if (!Number.isInteger(size) || size < 0) throw new Error(`alloc: invalid size ${size}`);
    const ptr = size === 0 ? 0 : this.native.alloc(size * 4);
    const s = new CudaStorage(dtype, size, ptr);
    if (ptr !== 0) this.registry.register(s, ptr, s);
    return s;
  }

  release(s: Storage): void {
    const c = s as CudaStorage;
    if (!(c instanceof CudaStorage)) throw new Error(`release: expected a cuda storage, got one on device '${s.device}'`);
    if (!c.alive) throw new Error('release: storage already released');
    c.alive = false;
    if (c.ptr !== 0) {
      this.registry.unregister(c);
      this.native.free(c.ptr);
    }
  }
}
