/**
 * GEMM throughput of the native cpu backend: the linear-layer shapes of a ViT-B (m x k x n = tokens x in x out)
 * in the three transpose combinations of a linear layer (y = x W^T, dx = dy W, dW = dy^T x: the same flops),
 * and the batched attention products (per head Q K^T and P V, 65 tokens, head size 64, 64 images x 3 heads).
 * Prints the machine's peak FMA rate first, then the median GFLOP/s of each case, and the summary lines
 *   RESULT gemm_<m>x<k>x<n>_gflops <value> GFLOP/s      (the three linear-layer products together)
 *   RESULT attn_products_gflops <value> GFLOP/s
 * Wall-clock medians on a shared machine are noisy: each line also gives GFLOP per CPU-second, which other
 * processes disturb much less.
 *
 * Run: node dist/bench/gemm.js [--quick]
 */
import { pathToFileURL } from 'node:url';
import type { GemmParams } from '../src/engine/backend.js';
import { tryLoadCpuBackend, type CpuBackend } from '../src/engine/backends/cpu/index.js';
import { Rng } from '../src/engine/rng.js';

interface Timing {
  gflops: number; // median wall-clock rate
  gflopsPerCpuS: number; // median rate per CPU-second (all threads)
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/**
 * Times `run` (flops per call) `reps` times after a warm-up call: the median wall time, and the CPU time of all
 * the reps together (the process CPU clock is too coarse for one short call).
 */
function time(run: () => void, flops: number, reps: number): Timing {
  run();
  const wall: number[] = [];
  const c0 = process.cpuUsage();
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    run();
    wall.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const c = process.cpuUsage(c0);
  const cpuS = (c.user + c.system) / 1e6;
  return { gflops: flops / median(wall) / 1e9, gflopsPerCpuS: (flops * reps) / Math.max(cpuS, 1e-9) / 1e9 };
}

function randomStorage(be: CpuBackend, n: number, rng: Rng) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.range(-1, 1);
  return be.upload(a);
}

/** One product of a batch: the GemmParams of op(A) (m x k) op(B) (k x n), dense operands, C overwritten. */
function product(be: CpuBackend, rng: Rng, transA: boolean, transB: boolean, m: number, n: number, k: number,
  batch = 1): GemmParams {
  return {
    transA, transB, m, n, k, alpha: 1, beta: 0,
    a: randomStorage(be, batch * m * k, rng), aOff: 0, lda: transA ? m : k, strideA: m * k,
    b: randomStorage(be, batch * k * n, rng), bOff: 0, ldb: transB ? k : n, strideB: k * n,
    c: be.alloc('f32', batch * m * n), cOff: 0, ldc: n, strideC: m * n, batch,
  };
}

const fmt = (x: number) => x.toFixed(1);

/** The three products of a linear layer with input tokens x in -> out: forward, input gradient, weight gradient. */
function linearLayer(be: CpuBackend, rng: Rng, tokens: number, inF: number, outF: number, reps: number): number {
  const cases: [string, GemmParams][] = [
    ['y = x W^T  (NT)', product(be, rng, false, true, tokens, outF, inF)],
    ['dx = dy W  (NN)', product(be, rng, false, false, tokens, inF, outF)],
    ['dW = dy^T x (TN)', product(be, rng, true, false, outF, inF, tokens)],
  ];
  const flops = 2 * tokens * inF * outF;
  let seconds = 0;
  for (const [name, p] of cases) {
    const t = time(() => be.gemm(p), flops, reps);
    seconds += flops / (t.gflops * 1e9);
    console.log(`  gemm ${tokens}x${inF}x${outF} ${name}: ${fmt(t.gflops)} GFLOP/s (${fmt(t.gflopsPerCpuS)} per CPU-s)`);
  }
  const all = (3 * flops) / seconds / 1e9;
  console.log(`RESULT gemm_${tokens}x${inF}x${outF}_gflops ${fmt(all)} GFLOP/s`);
  for (const [, p] of cases) for (const s of [p.a, p.b, p.c]) be.release(s);
  return all;
}

/** Q K^T and P V of every (image, head): 65 x 64 x 65 products, batch = images * heads. */
function attentionProducts(be: CpuBackend, rng: Rng, reps: number): number {
  const t = 65, d = 64, batch = 64 * 3;
  const qk = product(be, rng, false, true, t, t, d, batch); // S = Q K^T
  const pv = product(be, rng, false, false, t, d, t, batch); // O = P V
  const flopsQk = 2 * batch * t * t * d, flopsPv = 2 * batch * t * d * t;
  const a = time(() => be.gemm(qk), flopsQk, reps);
  const b = time(() => be.gemm(pv), flopsPv, reps);
  console.log(`  attention Q K^T ${batch} x (${t}x${d}x${t}): ${fmt(a.gflops)} GFLOP/s (${fmt(a.gflopsPerCpuS)} per CPU-s)`);
  console.log(`  attention P V   ${batch} x (${t}x${t}x${d}): ${fmt(b.gflops)} GFLOP/s (${fmt(b.gflopsPerCpuS)} per CPU-s)`);
  const both = time(() => {
    be.gemm(qk);
    be.gemm(pv);
  }, flopsQk + flopsPv, reps);
  console.log(`RESULT attn_products_gflops ${fmt(both.gflops)} GFLOP/s`);
  return both.gflops;
}

/** Small and skinny products (m or n of 1..16): GFLOP/s where packing would dominate if done blindly. */
function skinny(be: CpuBackend, rng: Rng, reps: number): void {
  for (const [m, k, n, tA, tB] of [
    [1, 768, 512, false, true], [16, 768, 512, false, true], [512, 768, 1, false, false], [512, 768, 16, false, true],
    [4, 512, 1000, false, true], [1000, 512, 4, false, false],
  ] as [number, number, number, boolean, boolean][]) {
    const p = product(be, rng, tA, tB, m, n, k);
    const tm = time(() => be.gemm(p), 2 * m * n * k, reps);
    console.log(`  gemm ${m}x${k}x${n} ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'}: ${fmt(tm.gflops)} GFLOP/s`);
    for (const s of [p.a, p.b, p.c]) be.release(s);
  }
}

export async function runGemmBench(options: { quick?: boolean } = {}): Promise<Record<string, number>> {
  const loaded = tryLoadCpuBackend();
  if ('error' in loaded) {
    console.log(`gemm bench skipped: ${loaded.error}`);
    return {};
  }
  const be = loaded.backend;
  const info = be.info();
  const rng = new Rng('gemm-bench');
  const reps = options.quick ? 3 : 7;
  const threads = info.threads;
  be.setNumThreads(1);
  const peak1 = peakOf(be);
  be.setNumThreads(threads);
  const peakAll = peakOf(be);
  console.log(`cpu backend ${info.version}: isa ${info.isa}, ${threads} threads; peak FMA rate ${fmt(peak1)} GFLOP/s ` +
    `on 1 thread, ${fmt(peakAll)} GFLOP/s on ${threads}`);
  console.log(`RESULT fma_peak_gflops ${fmt(peakAll)} GFLOP/s`);
  const out: Record<string, number> = { fma_peak_gflops: peakAll };
  out.gemm_512x768x768_gflops = linearLayer(be, rng, 512, 768, 768, reps * 2);
  out.gemm_2048x768x3072_gflops = linearLayer(be, rng, 2048, 768, 3072, reps);
  out.gemm_197x768x2304_gflops = linearLayer(be, rng, 197, 768, 2304, reps * 2);
  out.attn_products_gflops = attentionProducts(be, rng, reps * 4);
  skinny(be, rng, reps * 4);
  return out;
}

function peakOf(be: CpuBackend): number {
  return be.peakGflops(200);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runGemmBench({ quick: process.argv.includes('--quick') });
}
