/**
 * Worker-thread entry of the loader's pool: runs its jobs one after another, in the order they arrive, and posts
 * back each result, transferring the image buffer. The pool keeps up to two jobs queued here, so a worker goes on
 * to its next job even while the main thread is busy (a training step) and cannot answer at once.
 * Started by WorkerPool (worker-pool.ts) from the compiled dist/src/data/worker.js.
 */
import { parentPort } from 'node:worker_threads';
import { runJob, type Job } from './batch-job.js';

if (!parentPort) throw new Error('src/data/worker.js is a worker-thread script; the data loader starts it');
const port = parentPort;
let queue: Promise<void> = Promise.resolve();

port.on('message', (job: Job) => {
  queue = queue.then(() =>
    runJob(job).then(
      (r) => port.postMessage(r, [r.images.buffer as ArrayBuffer]),
      (e: unknown) => port.postMessage({ id: job.id, error: e instanceof Error ? e.stack ?? e.message : String(e) }),
    ),
  );
});
