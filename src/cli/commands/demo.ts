/**
 * `mulki demo`: MulKI on MTIL-Offline with the built-in model on the CPU, end to end -- progress, the accuracy
 * matrix, Transfer / Avg / Last and report.html -- sized to finish in a few minutes on a 2-core machine.
 */
import { join, resolve } from 'node:path';
import { resolveConfig } from '../../cl/config.js';
import { Progress } from '../../cl/progress.js';
import { inputsFromConfig, runContinual } from '../../cl/trainer.js';
import { overridesFromFlags, RUN_FLAGS } from './run.js';
import type { FlagSpec, Parsed } from '../args.js';

export const DEMO_FLAGS: Record<string, FlagSpec> = Object.fromEntries(
  ['method', 'method-opt', 'device', 'iterations', 'batch-size', 'seed', 'workers', 'out', 'order', 'json-logs'].map((k) => [k, RUN_FLAGS[k]!]),
);

export async function demoCommand(p: Parsed): Promise<void> {
  const config = resolveConfig({
    model: 'builtin', benchmark: 'mtil-offline', order: 'I', method: 'mulki', out: join('runs', 'demo'),
  }, overridesFromFlags(p, 'demo'));
  const progress = new Progress(config.jsonLogs);
  const inputs = await inputsFromConfig(config);
  const t = inputs.stream.tasks;
  progress.emit({
    event: 'info',
    message: `mulki demo: ${config.method} on ${inputs.stream.name}: ${t.map((x) => x.name).join(' -> ')}\n` +
      `  built-in model, ${config.device}, ${t[0]!.iterations} steps of ${t[0]!.batchSize} per task; results in ${resolve(config.out)}`,
  });
  const r = await runContinual({ ...inputs, progress });
  const w = Math.max(...r.tasks.map((x) => x.length), 10);
  const cell = (v: number) => v.toFixed(1).padStart(6);
  console.log(`\naccuracy (%) on each test set (columns) after each task (rows):`);
  console.log(`${''.padEnd(w + 2)}${r.tasks.map((_, j) => `${j + 1}`.padStart(6)).join('')}`);
  console.log(`${'zero-shot'.padEnd(w + 2)}${r.zeroShot.map(cell).join('')}`);
  r.matrix.forEach((row, i) => console.log(`${`${i + 1}. ${r.tasks[i]}`.padEnd(w + 2)}${row.map(cell).join('')}`));
  const m = r.metrics;
  const f = (v: number | null) => (v === null ? '-' : v.toFixed(2));
  console.log(`\n${r.method}: Transfer ${f(m.transfer)}  Avg ${f(m.avg)}  Last ${f(m.last)}   (zero-shot model: Transfer ${f(m.zeroShot.transfer)}, Avg ${f(m.zeroShot.avg)})`);
  console.log(`report: ${resolve(join(config.out, 'report.html'))}`);
}
