/** Seeded random host arrays for kernel tests. */
import type { Rng } from '../../src/engine/rng.js';

export function randomArrays(rng: Rng) {
  return {
    /** n standard-normal values times scale. */
    randn(n: number, scale = 1): Float32Array {
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) a[i] = scale * rng.normal();
      return a;
    },
    /** n uniform values in [lo, hi). */
    uniform(n: number, lo: number, hi: number): Float32Array {
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) a[i] = rng.range(lo, hi);
      return a;
    },
    /** n integers in [lo, hi). */
    ints(n: number, lo: number, hi: number): Int32Array {
      const a = new Int32Array(n);
      for (let i = 0; i < n; i++) a[i] = lo + rng.int(hi - lo);
      return a;
    },
  };
}
