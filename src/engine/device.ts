/**
 * Backend registry: turns a device name into a loaded backend. 'cpu' is the native addon; when it cannot load,
 * mulki says so in one line and uses 'ref' (pure TypeScript). 'cuda' fails with a clear error when unavailable.
 */
import type { Backend, DeviceName } from './backend.js';
import { createRefBackend } from './backends/ref/index.js';
import { tryLoadCpuBackend } from './backends/cpu/index.js';
import { tryLoadCudaBackend } from './backends/cuda/index.js';

export type Precision = 'fp32' | 'tf32' | 'bf16';

const loaded = new Map<DeviceName, Backend>();
let cpuWarned = false;
let defaultName: DeviceName | null = null;
let cudaPrecision: Precision = 'bf16';

/** The backend for a device name; 'cpu' falls back to 'ref' (with one notice) when the addon is unavailable. */
export function getBackend(name: DeviceName = defaultDevice()): Backend {
  const have = loaded.get(name);
  if (have) return have;
  let b: Backend;
  if (name === 'ref') {
    b = createRefBackend();
  } else if (name === 'cpu') {
    const r = tryLoadCpuBackend();
    if ('error' in r) {
      if (!cpuWarned && !process.env.MULKI_QUIET_FALLBACK) {
        console.error(`mulki: native CPU backend unavailable (${r.error}); using the pure-TypeScript 'ref' backend (slow)`);
      }
      cpuWarned = true;
      b = getBackend('ref');
    } else {
      b = r.backend;
    }
  } else if (name === 'cuda') {
    const r = tryLoadCudaBackend({ precision: cudaPrecision });
    if ('error' in r) throw new Error(`mulki: --device cuda is unavailable: ${r.error}`);
    b = r.backend;
  } else {
    throw new Error(`unknown device '${String(name)}' (expected cpu, cuda or ref)`);
  }
  loaded.set(name, b);
  return b;
}

/** Device used when none is given: MULKI_DEVICE, else 'cpu'. */
export function defaultDevice(): DeviceName {
  if (defaultName) return defaultName;
  const env = process.env.MULKI_DEVICE;
  if (env && !isDeviceName(env)) throw new Error(`MULKI_DEVICE=${env}: expected cpu, cuda or ref`);
  return (defaultName = (env as DeviceName | undefined) ?? 'cpu');
}

export function setDefaultDevice(name: DeviceName): void {
  if (!isDeviceName(name)) throw new Error(`unknown device '${String(name)}' (expected cpu, cuda or ref)`);
  defaultName = name;
}

/** GEMM precision of the cuda backend (set before the backend first loads, or through the backend later). */
export function setCudaPrecision(p: Precision): void {
  if (p !== 'fp32' && p !== 'tf32' && p !== 'bf16') throw new Error(`unknown precision '${String(p)}' (fp32, tf32, bf16)`);
  cudaPrecision = p;
  const b = loaded.get('cuda') as (Backend & { setPrecision?(p: Precision): void }) | undefined;
  b?.setPrecision?.(p);
}

export function isDeviceName(s: string): s is DeviceName {
  return s === 'cpu' || s === 'cuda' || s === 'ref';
}
