/**
 * The native `cpu` backend. tryLoadCpuBackend() loads the addon (native/cpu/build/Release/mulki_cpu.node) and
 * returns the backend, or one line saying why it is unavailable (then mulki uses the `ref` backend).
 *
 * Environment: MULKI_CPU_ISA=avx512|avx2|generic forces a kernel set (an error if the CPU cannot run it);
 * MULKI_NUM_THREADS sets the thread count (default: the CPUs this process may use); MULKI_SPIN_US sets how long
 * idle worker threads spin before they sleep (default 100).
 */
import { createCpuBackend, type CpuBackend } from './backend.js';
import { loadCpuAddon } from './native.js';

export type { CpuBackend } from './backend.js';
export type { CpuInfo, CpuIsa, NativeCpu } from './native.js';
export { cpuAddonPath } from './native.js';

let backend: CpuBackend | null = null;

/** The cpu backend (one per process: the addon's thread pool and ISA choice are process-wide). */
export function tryLoadCpuBackend(): { backend: CpuBackend } | { error: string } {
  if (backend) return { backend };
  const r = loadCpuAddon();
  if ('error' in r) return { error: r.error };
  backend = createCpuBackend(r.addon);
  return { backend };
}
