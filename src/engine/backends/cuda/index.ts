/**
 * The cuda backend: device-resident storages in a stream-ordered caching allocator, GEMMs through cuBLAS
 * (loaded at run time) and our own kernels for everything else (native/cuda). It loads only where the addon was
 * built (node scripts/build-cuda.mjs) and a CUDA device and cuBLAS are present; otherwise tryLoadCudaBackend says
 * which of these is missing.
 */
import { CudaBackendImpl, checkPrecision, type CudaBackend } from './cuda-backend.js';
import { loadNative, type GemmPrecision } from './native.js';

export type { CudaBackend, CudaDeviceInfo } from './cuda-backend.js';
export type { GemmBf16Mode, GemmPrecision } from './native.js';
export { CudaStorage } from './storage.js';

/**
 * The cuda backend, or why there is none: the addon is not built or failed to load, there is no CUDA device, or
 * no cuBLAS library was found (the error lists the names tried). precision defaults to 'fp32'.
 */
export function tryLoadCudaBackend(opts?: { precision?: GemmPrecision }): { backend: CudaBackend } | { error: string } {
  const precision = checkPrecision(opts?.precision ?? 'fp32');
  const loaded = loadNative();
  if ('error' in loaded) return { error: loaded.error };
  let init;
  try {
    init = loaded.native.init();
  } catch (e) {
    return { error: `the CUDA addon failed to initialise: ${(e as Error).message}` };
  }
  if (!init.ok) return { error: init.error };
  const backend = new CudaBackendImpl(loaded.native, {
    name: init.name,
    computeCapability: `${init.major}.${init.minor}`,
    multiprocessors: init.multiprocessors,
    totalMemory: init.totalMemory,
    cublas: init.cublas,
  }, precision);
  return { backend };
}
