/**
 * A fixed set of worker threads running loader jobs (batch-job.ts), first come first served; each worker holds
 * up to two jobs, so it starts the next one without waiting for a busy main thread to collect a result.
 * Idle workers are unref'd, so a pool that is never closed does not keep the process alive; a worker with a job
 * in flight is ref'd, so awaiting a result does. A crashed worker fails its jobs and every later one with the
 * crash's message. One pool can serve several loaders, in turn or at once (pass it as the loader's `pool`).
 */
import { Worker } from 'node:worker_threads';
import type { Job, JobResult } from './batch-job.js';

interface Pending {
  job: Job;
  transfer: ArrayBuffer[];
  resolve: (r: JobResult) => void;
  reject: (e: Error) => void;
}

interface Member {
  worker: Worker;
  /** Jobs sent to this worker, oldest first (it runs them in order). */
  sent: Pending[];
}

/** Jobs queued on one worker at most: the one it runs and the next, so it never waits for the main thread. */
const PER_WORKER = 2;

export class WorkerPool {
  private members: Member[] = [];
  private queue: Pending[] = [];
  private nextId = 1;
  private closing = false;
  private broken: Error | null = null;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`WorkerPool: size must be a positive integer, got ${size}`);
    for (let i = 0; i < size; i++) this.members.push(this.spawn());
  }

  /** Runs a job on the next free worker; `transfer` lists buffers of the job to move instead of copy. */
  run(job: Omit<Job, 'id'>, transfer: ArrayBuffer[] = []): Promise<JobResult> {
    if (this.closing) return Promise.reject(new Error('data loader worker pool is closed'));
    if (this.broken) return Promise.reject(this.broken);
    return new Promise<JobResult>((resolve, reject) => {
      this.queue.push({ job: { ...job, id: this.nextId++ }, transfer, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops every worker (jobs still queued or running are rejected). */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.failAll(new Error('data loader worker pool was closed'));
    await Promise.all(this.members.map((m) => m.worker.terminate()));
  }

  get closed(): boolean {
    return this.closing;
  }

  private spawn(): Member {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { execArgv: workerExecArgv() });
    worker.unref();
    const m: Member = { worker, sent: [] };
    worker.on('message', (msg: JobResult | { id: number; error: string }) => {
      const at = m.sent.findIndex((p) => p.job.id === msg.id);
      if (at < 0) return;
      const p = m.sent.splice(at, 1)[0]!;
      if ('error' in msg) p.reject(new Error(`data loader worker failed: ${msg.error}`));
      else p.resolve(msg);
      this.dispatch();
    });
    worker.on('error', (e: Error) => this.crash(new Error(`data loader worker crashed: ${e.message}`)));
    worker.on('exit', (code) => {
      if (!this.closing) this.crash(new Error(`data loader worker exited unexpectedly (exit code ${code})`));
    });
    return m;
  }

  private dispatch(): void {
    // Fill every worker's first slot before anyone's second, so the work spreads over all of them.
    for (let depth = 0; depth < PER_WORKER; depth++) {
      for (const m of this.members) {
        if (m.sent.length !== depth) continue;
        const p = this.queue.shift();
        if (!p) break;
        m.sent.push(p);
        m.worker.ref();
        m.worker.postMessage(p.job, p.transfer);
      }
    }
    for (const m of this.members) if (m.sent.length === 0) m.worker.unref();
  }

  private crash(e: Error): void {
    if (this.broken || this.closing) return;
    this.broken = e;
    this.failAll(e);
    for (const m of this.members) void m.worker.terminate();
  }

  private failAll(e: Error): void {
    for (const m of this.members) {
      for (const p of m.sent.splice(0)) p.reject(e);
      m.worker.unref();
    }
    for (const p of this.queue.splice(0)) p.reject(e);
  }
}

/**
 * The parent's Node options minus those a worker refuses (--input-type, which `node -e` scripts use: workers
 * inherit execArgv and would fail to start).
 */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const args = process.execArgv;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--input-type') i++;
    else if (!a.startsWith('--input-type=')) out.push(a);
  }
  return out;
}
