/**
 * The cuda-vs-ref comparison run against the CPU emulation of the CUDA addon (native/cuda/emu): the same kernel
 * sources, compiled with g++ against a fake CUDA runtime and a reference cuBLAS. It checks the kernels' indexing
 * and the host code around them on machines without a GPU. Skips unless the emulation was built with
 * `node scripts/build-cuda.mjs --emulate`.
 */
import { test } from 'node:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/engine/backends/cuda/native.js';

const root = packageRoot();
const emu = root ? join(root, 'native', 'cuda', 'build', 'emu') : null;
const addon = emu ? join(emu, 'mulki_cuda.node') : null;

if (!addon || !existsSync(addon)) {
  test('cuda (CPU emulation) vs ref', { skip: 'the CUDA CPU emulation is not built (node scripts/build-cuda.mjs --emulate)' }, () => {});
} else if (process.env.MULKI_CUDA_ADDON && process.env.MULKI_CUDA_ADDON !== addon) {
  test('cuda (CPU emulation) vs ref', { skip: `MULKI_CUDA_ADDON is set to ${process.env.MULKI_CUDA_ADDON}` }, () => {});
} else {
  process.env.MULKI_CUDA_ADDON = addon;
  process.env.MULKI_CUBLAS_DIR = emu!;
  await import('./cuda-vs-ref.test.js');
}
