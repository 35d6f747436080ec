/** `mulki eval`: accuracy of a model on every test set of a stream (the zero-shot row), as a table and JSON. */
import { join } from 'node:path';
import { writeJsonAtomic } from '../../engine/io/atomic.js';
import { getBackend, setCudaPrecision } from '../../engine/device.js';
import { openModel } from '../../clip/model-folder.js';
import { evaluateAll } from '../../cl/evaluate.js';
import { buildStream } from '../../cl/streams.js';
import { WorkerPool } from '../../data/worker-pool.js';
import { availableParallelism } from 'node:os';
import { configFromFlags } from './run.js';
import type { Parsed } from '../args.js';

export async function evalCommand(p: Parsed): Promise<void> {
  const c = configFromFlags(p, 'eval', { method: 'zeroshot' });
  if (c.device === 'cuda') setCudaPrecision(c.precision);
  const be = getBackend(c.device);
  const { model, tokenizer, description } = openModel(c.model, be);
  const stream = await buildStream(c);
  const workers = c.workers < 0 ? availableParallelism() : c.workers;
  const pool = workers > 0 ? new WorkerPool(workers) : null;
  try {
    const row = await evaluateAll(model, tokenizer, stream.tasks.map((t) => t.test), { batchSize: c.eval.batchSize, ...(pool ? { pool } : { workers: 0 }), skipCorrupt: c.skipCorrupt, logitScale: c.train.logitScale ?? Math.exp(model.logitScale.item()) });
    console.log(`${description}\n${stream.name}, test splits:`);
    stream.tasks.forEach((t, j) => console.log(`  ${t.name.padEnd(16)} ${row[j]!.toFixed(2)}%`));
    console.log(`  ${'mean'.padEnd(16)} ${(row.reduce((a, b) => a + b, 0) / row.length).toFixed(2)}%`);
    const out = join(c.out, 'eval.json');
    writeJsonAtomic(out, { model: description, stream: stream.name, datasets: stream.tasks.map((t) => t.name), accuracy: row, config: c });
    console.log(`-> ${out}`);
  } finally {
    await pool?.close();
  }
}
