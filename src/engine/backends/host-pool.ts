/**
 * Host memory for the ref and cpu backends: storages are typed arrays, recycled through a pool keyed by
 * (dtype, size) so that a steady-state training step allocates no new large buffers.
 */
import type { DeviceName, DType, HostStorage, Storage } from '../backend.js';

export class HostBuffer implements HostStorage {
  alive = true;
  readonly size: number;
  constructor(
    readonly device: DeviceName,
    readonly dtype: DType,
    readonly data: Float32Array | Int32Array,
  ) {
    this.size = data.length;
  }
}

/** Buffers smaller than this are not pooled (the JS heap handles them well). */
const MIN_POOLED = 1024;

export class HostPool {
  // Free lists hold the typed arrays, not the HostBuffer objects: every alloc returns a new HostBuffer, so a
  // stale reference to a released storage stays dead (alive = false) even after its memory is reused.
  private free = new Map<string, (Float32Array | Int32Array)[]>();
  private liveBytes = 0;
  private pooledBytes = 0;
  private allocations = 0;

  constructor(readonly device: DeviceName) {}

  alloc(dtype: DType, size: number): HostBuffer {
    if (!Number.isInteger(size) || size < 0) throw new Error(`alloc: invalid size ${size}`);
    if (size >= MIN_POOLED) {
      const list = this.free.get(key(dtype, size));
      const data = list?.pop();
      if (data) {
        this.pooledBytes -= size * 4;
        this.liveBytes += size * 4;
        return new HostBuffer(this.device, dtype, data);
      }
    }
    if (size >= MIN_POOLED) this.allocations++; // counts new large buffers only
    this.liveBytes += size * 4;
    const data = dtype === 'f32' ? new Float32Array(size) : new Int32Array(size);
    return new HostBuffer(this.device, dtype, data);
  }

  /** Wraps an existing typed array (no copy). The buffer joins the pool when released. */
  wrap(data: Float32Array | Int32Array): HostBuffer {
    this.liveBytes += data.length * 4;
    return new HostBuffer(this.device, data instanceof Float32Array ? 'f32' : 'i32', data);
  }

  release(s: Storage): void {
    const b = s as HostBuffer;
    if (!b.alive) throw new Error('release: storage already released');
    b.alive = false;
    this.liveBytes -= b.size * 4;
    if (b.size < MIN_POOLED) return;
    // Only whole, unshared arrays can be recycled.
    if (b.data.byteOffset !== 0 || b.data.buffer.byteLength !== b.size * 4) return;
    const k = key(b.dtype, b.size);
    let list = this.free.get(k);
    if (!list) this.free.set(k, (list = []));
    list.push(b.data);
    this.pooledBytes += b.size * 4;
  }

  trim(): void {
    this.free.clear();
    this.pooledBytes = 0;
  }

  stats(): { liveBytes: number; pooledBytes: number; allocations: number } {
    return { liveBytes: this.liveBytes, pooledBytes: this.pooledBytes, allocations: this.allocations };
  }
}

function key(dtype: DType, size: number): string {
  return dtype + size;
}

/** Narrows a storage to a host storage of the expected device, with a clear error otherwise. */
export function hostData(s: Storage): Float32Array | Int32Array {
  const h = s as HostStorage;
  if (!h.data) throw new Error(`expected a host storage, got one on device '${s.device}'`);
  if (!s.alive) throw new Error('use of a released storage (a tensor used after its scope ended)');
  return h.data;
}
