#!/usr/bin/env node
// Builds the CUDA addon native/cuda/build/mulki_cuda.node with nvcc (no node-gyp): every .cu/.cc file of
// native/cuda is compiled in parallel, then linked with the CUDA runtime statically; cuBLAS is loaded at run time
// (dlopen), so nothing beyond nvcc and the CUDA runtime is needed to build.
// Without nvcc it prints one line and exits 0 (mulki then runs without the cuda backend).
// Options: --force (rebuild even when up to date), --strict (exit 1 when the build fails), --verbose,
//          --emulate (build the CPU emulation instead, with g++: native/cuda/build/emu/, see native/cuda/emu/README.md).
// Environment: NVCC (path of nvcc), MULKI_CUDA_ARCHS (e.g. "90" or "80,90"; default "80,90"), MULKI_BUILD_JOBS.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'native', 'cuda');
const out = join(src, 'build');
const objDir = join(out, 'obj');
const target = join(out, 'mulki_cuda.node');
const args = new Set(process.argv.slice(2));
const verbose = args.has('--verbose');
const strict = args.has('--strict');

function findNvcc() {
  const candidates = [process.env.NVCC, 'nvcc', '/usr/local/cuda/bin/nvcc'].filter(Boolean);
  for (const c of candidates) {
    const r = spawnSync(c, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return c;
  }
  return null;
}

const sources = readdirSync(src).filter((f) => f.endsWith('.cu') || f.endsWith('.cc')).sort();
const headers = readdirSync(src).filter((f) => f.endsWith('.h') || f.endsWith('.cuh'));
if (sources.length === 0) {
  console.log('mulki: native/cuda has no sources; skipping the CUDA backend build');
  process.exit(0);
}

if (args.has('--emulate')) {
  await buildEmulation();
  process.exit(0);
}

const nvcc = findNvcc();
if (!nvcc) {
  console.log('mulki: nvcc not found (set NVCC or put it on PATH); skipping the CUDA backend build');
  process.exit(0);
}


const newest = Math.max(...[...sources, ...headers].map((f) => statSync(join(src, f)).mtimeMs),
  statSync(fileURLToPath(import.meta.url)).mtimeMs);
if (!args.has('--force') && existsSync(target) && statSync(target).mtimeMs > newest) {
  console.log(`mulki: CUDA backend up to date (${target})`);
  process.exit(0);
}

const archs = (process.env.MULKI_CUDA_ARCHS ?? '80,90').split(',').map((s) => s.trim()).filter(Boolean);
if (archs.some((a) => !/^\d+a?$/.test(a))) {
  console.log(`mulki: MULKI_CUDA_ARCHS must be a comma-separated list like "80,90", got "${process.env.MULKI_CUDA_ARCHS}"`);
  process.exit(strict ? 1 : 0);
}
// Machine code for each arch, plus PTX of the newest so later GPUs can still run it.
const gencode = archs.flatMap((a, i) => ['-gencode',
  i === archs.length - 1 ? `arch=compute_${a},code=[sm_${a},compute_${a}]` : `arch=compute_${a},code=sm_${a}`]);
const common = ['-O3', '-std=c++17', '-Xcompiler', '-fPIC', '-Xcompiler', '-fvisibility=hidden', '-I', src,
  '-DNAPI_VERSION=8', ...gencode];

function run(cmd, argv) {
  return new Promise((resolve) => {
    if (verbose) console.log([cmd, ...argv].join(' '));
    const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    p.stdout.on('data', (d) => { text += d; });
    p.stderr.on('data', (d) => { text += d; });
    p.on('error', (e) => resolve({ code: -1, text: String(e) }));
    p.on('close', (code) => resolve({ code: code ?? -1, text }));
  });
}

function fail(what, text) {
  const tail = text.trim().split('\n').slice(-30).join('\n');
  console.log(`mulki: the CUDA backend did not build (${what}); mulki will run without the cuda backend.\n${tail}`);
  process.exit(strict ? 1 : 0);
}

mkdirSync(objDir, { recursive: true });
const started = Date.now();
const jobs = Math.max(1, Number(process.env.MULKI_BUILD_JOBS) || cpus().length);
const queue = [...sources];
const objects = sources.map((f) => join(objDir, f.replace(/\.(cu|cc)$/, '.o')));
const failures = [];
async function worker() {
  for (let f = queue.shift(); f; f = queue.shift()) {
    const obj = join(objDir, f.replace(/\.(cu|cc)$/, '.o'));
    const r = await run(nvcc, [...common, '-c', join(src, f), '-o', obj]);
    if (r.code !== 0) failures.push(`${f}:\n${r.text}`);
    else if (verbose && r.text.trim()) console.log(r.text.trim());
  }
}
await Promise.all(Array.from({ length: Math.min(jobs, sources.length) }, worker));
if (failures.length) fail(`${failures.length} file(s) failed to compile`, failures.join('\n'));

const link = await run(nvcc, ['-shared', ...gencode, '-o', target, ...objects, '-cudart', 'static', '-ldl',
  '-lpthread', '-lrt']);
if (link.code !== 0) fail('link failed', link.text);
console.log(`mulki: CUDA backend built (${target}, sm_${archs.join('/sm_')}, ${((Date.now() - started) / 1000).toFixed(0)} s)`);

// ---- CPU emulation build (native/cuda/emu/README.md) ----

/** Rewrites `kernel<T><<<grid, block, shmem, stream>>>(args);` into an emu::launch of a lambda (by reference: the
 * emulated launch runs to completion before it returns). */
function rewriteLaunches(text) {
  const re = /([A-Za-z_][\w:]*(?:<[^<>;()]*>)?)\s*<<<([^;]*?)>>>\s*\(/g;
  let out = '';
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let depth = 1;
    let i = re.lastIndex;
    for (; i < text.length && depth > 0; i++) {
      if (text[i] === '(') depth++;
      else if (text[i] === ')') depth--;
    }
    const callArgs = text.slice(re.lastIndex, i - 1);
    const cfg = splitTopLevel(m[2]);
    const shmem = cfg.length > 2 && cfg[2] ? `static_cast<size_t>(${cfg[2]})` : '0';
    out += `${text.slice(last, m.index)}::emu::launch(dim3(${cfg[0]}), dim3(${cfg[1]}), ${shmem}, [&]() { ${m[1]}(${callArgs}); })`;
    last = i;
    re.lastIndex = i;
  }
  return out + text.slice(last);
}

function splitTopLevel(s) {
  const parts = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(' || ch === '<' || ch === '[') depth++;
    if (ch === ')' || ch === '>' || ch === ']') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur.trim());
      cur = '';
    } else {
      cur += ch;
    }
  }
  parts.push(cur.trim());
  return parts;
}

async function buildEmulation() {
  const cxx = process.env.CXX || 'g++';
  const emu = join(src, 'emu');
  const outDir = join(out, 'emu');
  const srcCopy = join(outDir, 'src');
  mkdirSync(srcCopy, { recursive: true });
  for (const f of readdirSync(src).filter((f) => /\.(cu|cc|h|cuh)$/.test(f))) {
    writeFileSync(join(srcCopy, f), rewriteLaunches(readFileSync(join(src, f), 'utf8')));
  }
  const flags = ['-O2', '-g', '-std=c++17', '-fPIC', '-fvisibility=hidden', '-I', join(emu, 'include'), '-I', src,
    '-DNAPI_VERSION=8', '-DMK_EMULATION', '-Wall', '-Wno-unused-function', '-Wno-unknown-pragmas'];
  const units = [
    ...sources.map((f) => ({ file: join(srcCopy, f), cu: f.endsWith('.cu') })),
    { file: join(emu, 'runtime.cc'), cu: false },
    { file: join(emu, 'mma.cc'), cu: false },
  ];
  const started = Date.now();
  const objects = [];
  const failed = [];
  const queue = [...units];
  const jobs = Math.max(1, Number(process.env.MULKI_BUILD_JOBS) || cpus().length);
  await Promise.all(Array.from({ length: jobs }, async () => {
    for (let u = queue.shift(); u; u = queue.shift()) {
      const obj = join(outDir, `${u.file.split('/').pop()}.o`);
      objects.push(obj);
      const r = await run(cxx, [...flags, ...(u.cu ? ['-x', 'c++', '-D__CUDACC__'] : []), '-c', u.file, '-o', obj]);
      if (r.code !== 0) failed.push(`${u.file}:\n${r.text}`);
      else if (verbose && r.text.trim()) console.log(r.text.trim());
    }
  }));
  if (failed.length) fail(`emulation: ${failed.length} file(s) failed to compile`, failed.join('\n'));
  const link = await run(cxx, ['-shared', '-o', join(outDir, 'mulki_cuda.node'), ...objects, '-ldl', '-lpthread']);
  if (link.code !== 0) fail('emulation: link failed', link.text);
  const blas = await run(cxx, ['-O2', '-std=c++17', '-fPIC', '-shared', '-Wl,-soname,libcublas.so.13', '-o',
    join(outDir, 'libcublas.so.13'), join(emu, 'fake_cublas.cc')]);
  if (blas.code !== 0) fail('emulation: fake cuBLAS failed to build', blas.text);
  console.log(`mulki: CUDA CPU emulation built (${join(outDir, 'mulki_cuda.node')}, fake cuBLAS beside it, ` +
    `${((Date.now() - started) / 1000).toFixed(0)} s)`);
}
