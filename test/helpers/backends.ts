/** The backends a test can run on here: always ref, cpu when the native addon loads, cuda when a GPU is usable. */
import type { Backend } from '../../src/engine/backend.js';
import { createRefBackend } from '../../src/engine/backends/ref/index.js';
import { tryLoadCpuBackend } from '../../src/engine/backends/cpu/index.js';
import { tryLoadCudaBackend } from '../../src/engine/backends/cuda/index.js';
import { join } from 'node:path';

/** The shared fixtures folder (../shared/fixtures beside the repository, or MULKI_FIXTURES, e.g. on the GPU machine). */
export function fixturesDir(): string {
  return process.env.MULKI_FIXTURES ?? join(process.cwd(), '..', 'shared', 'fixtures');
}

let cache: { name: string; backend: Backend | null; why?: string }[] | null = null;

export function testBackends(): { name: string; backend: Backend | null; why?: string }[] {
  if (cache) return cache;
  const cpu = tryLoadCpuBackend();
  const cuda = tryLoadCudaBackend({ precision: 'fp32' });
  cache = [
    { name: 'ref', backend: createRefBackend() },
    'error' in cpu ? { name: 'cpu', backend: null, why: `native cpu backend unavailable: ${cpu.error}` } : { name: 'cpu', backend: cpu.backend },
    'error' in cuda ? { name: 'cuda', backend: null, why: `cuda backend unavailable: ${cuda.error}` } : { name: 'cuda', backend: cuda.backend },
  ];
  return cache;
}

/** Normwise relative error max|a - b| / max|b|. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`relErr: lengths ${a.length} and ${b.length}`);
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return m === 0 ? d : d / m;
}
