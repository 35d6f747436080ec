/**
 * The one shared training loop. For each task of the stream: method.beginTask -> steps (batch -> method.loss ->
 * backward -> AdamW with warm-up + cosine) -> method.endTask -> evaluation on every dataset of the stream. The
 * zero-shot row is evaluated before any training. results.json and report.html are rewritten after every task;
 * checkpoints are written after every task and every `checkpointEvery` steps, so `--resume` continues a killed
 * run and gives the same numbers.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../engine/backend.js';
import { getBackend, setCudaPrecision } from '../engine/device.js';
import { writeJsonAtomic } from '../engine/io/atomic.js';
import { scopeAsync, untrack } from '../engine/memory.js';
import { AdamW } from '../engine/optim/adamw.js';
import { clipScale } from '../engine/optim/clip-grad.js';
import { warmupCosineLr } from '../engine/optim/schedule.js';
import { Rng, hashString } from '../engine/rng.js';
import { backward, noGrad } from '../engine/tape.js';
import { tensor } from '../engine/ops/create.js';
import type { ClipModel } from '../clip/model.js';
import { openModel } from '../clip/model-folder.js';
import { fillTemplate, type TextTokenizer } from '../clip/zeroshot.js';
import { subset } from '../data/dataset.js';
import { DataLoader, toTensors, type LoaderState } from '../data/loader.js';
import { WorkerPool } from '../data/worker-pool.js';
import { gitCommit, mulkiVersion, writeResults, type JsonValue, type RunResults, type RunResultsInput } from './results.js';
import { writeReport } from '../report/index.js';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint, type CheckpointState } from './checkpoint.js';
import type { RunConfig } from './config.js';
import { evaluateAll } from './evaluate.js';
import type { MethodContext, ReferenceData } from './method.js';
import { createMethod } from './methods/index.js';
import { Progress } from './progress.js';
import { ReferenceStream, type CaptionedDataset } from './reference.js';
import type { Stream, Task } from './stream.js';

export interface RunInputs {
  config: RunConfig;
  stream: Stream;
  /** Loads the pre-trained model afresh (the student at the start, and T0). */
  loadModel: (backend: Backend) => { model: ClipModel; tokenizer: TextTokenizer; description: string };
  /** Captioned reference data (ZSCL), when configured. */
  reference?: CaptionedDataset | null;
  /** Continue from the run folder's latest checkpoint. */
  resume?: boolean;
  progress?: Progress;
  /** Test hook: called after every optimiser step (e.g. to stop a run at a given point). */
  onStep?: (taskIndex: number, step: number) => void;
}

/** Everything a run of `mulki run` needs, from its config alone. */
export async function inputsFromConfig(config: RunConfig): Promise<Omit<RunInputs, 'resume' | 'progress'>> {
  const { buildStream } = await import('./streams.js');
  const stream = await buildStream(config);
  let reference: CaptionedDataset | null = null;
  // ZSCL on MTIL-Offline distils on the pre-training corpus unless told otherwise.
  if (!config.reference && config.method === 'zscl' && config.benchmark === 'mtil-offline') config = { ...config, reference: 'corpus' };
  if (config.reference) {
    if (config.reference === 'corpus') {
      const { corpusReferenceAsync } = await import('./mtil-offline-stream.js');
      reference = await corpusReferenceAsync(32);
    } else {
      const { loadCaptionFolder } = await import('./reference.js');
      reference = loadCaptionFolder(config.reference);
    }
  }
  const model = config.model;
  return { config, stream, reference, loadModel: (be) => openModel(model, be) };
}

const seedOf = (...parts: (string | number)[]): number => hashString(parts.join(':'));

export async function runContinual(inp: RunInputs): Promise<RunResults> {
  const c = inp.config;
  const stream = inp.stream;
  const out = c.out;
  const progress = inp.progress ?? new Progress(c.jsonLogs);
  if (c.device === 'cuda') setCudaPrecision(c.precision);
  const be = getBackend(c.device);
  const opened = inp.loadModel(be);
  const student = opened.model;
  const tok = opened.tokenizer;
  setTrainable(student, c.train.trainable);
  // The recipe's fixed logit scale: given, or the pre-trained model's own (read before any training).
  const logitScale = c.train.logitScale ?? Math.exp(student.logitScale.item());
  let initial: ClipModel | null = null;
  const cost = { teacherForwards: 0, extraStorageBytes: 0 };
  const method = createMethod(c.method, c.methodOptions);
  const workers = c.workers < 0 ? availableParallelism() : c.workers;
  const pool = workers > 0 ? new WorkerPool(workers) : null;
  const loaderPlace = pool ? { pool } : { workers: 0 };
  const S = student.config.vision.imageSize;
  const tests = stream.tasks.map((t) => t.test);
  let currentRef: ReferenceStream | null = null;

  // Run state, fresh or from the checkpoint.
  let st: CheckpointState = {
    taskIndex: 0, step: 0, optimizerStep: 0, loader: null, methodJson: null, zeroShot: null, matrix: [],
    perTaskSeconds: [], taskSecondsSoFar: 0, cost, startedAt: new Date().toISOString(),
  };
  let restored: ReturnType<typeof loadCheckpoint> | null = null;
  if (inp.resume) {
    if (!hasCheckpoint(out)) throw new Error(`--resume ${out}: no checkpoint found (checkpoints/latest.json)`);
    restored = loadCheckpoint(out);
    st = restored.state;
    Object.assign(cost, st.cost);
    student.loadStateArrays(restored.tensors.student, true, `checkpoint in ${out}`);
    progress.emit({ event: 'info', message: `resuming ${out}: task ${st.taskIndex + 1}/${stream.tasks.length}, step ${st.step}` });
  } else {
    writeJsonAtomic(join(out, 'config.json'), c);
  }

  const results = (finished: boolean): RunResultsInput => ({
    mulkiVersion: mulkiVersion(),
    gitCommit: gitCommit(),
    startedAt: st.startedAt,
    finishedAt: finished ? new Date().toISOString() : null,
    config: JSON.parse(JSON.stringify(c)) as JsonValue,
    seeds: { run: c.seed },
    method: method.name,
    model: opened.description,
    stream: stream.name,
    tasks: stream.tasks.map((t) => t.name),
    zeroShot: st.zeroShot!,
    matrix: st.matrix,
    wallTime: { perTaskSeconds: st.perTaskSeconds, totalSeconds: st.perTaskSeconds.reduce((a, b) => a + b, 0) },
    cost: { ...cost },
    notes: [`method options: ${JSON.stringify(method.options)}`, `device: ${be.name}`],
  });
  const publish = (finished: boolean): RunResults => {
    const r = writeResults(join(out, 'results.json'), results(finished));
    writeReport(out, r);
    return r;
  };
  const evalOpts = { batchSize: c.eval.batchSize, ...(pool ? { pool } : { workers: 0 }), skipCorrupt: c.skipCorrupt, logitScale };

  try {
    if (!st.zeroShot) {
      progress.emit({ event: 'info', message: `evaluating the zero-shot model on ${tests.length} datasets` });
      st.zeroShot = await evaluateAll(student, tok, tests, evalOpts);
      progress.emit({ event: 'eval', row: st.zeroShot, message: `zero-shot: ${fmtRow(stream, st.zeroShot)}` });
      saveCheckpoint(out, st, { student: student.stateArrays(), optM: new Map(), optV: new Map(), method: new Map() });
    }

    for (let ti = st.taskIndex; ti < stream.tasks.length; ti++) {
      const task = stream.tasks[ti]!;
      const midTask = restored !== null && st.taskIndex === ti && st.step > 0;
      const t0 = performance.now() - (midTask ? st.taskSecondsSoFar * 1000 : 0);
      const steps = method.trains ? task.iterations : 0;
      let step = midTask ? st.step : 0;
      const ctx = makeContext(task, ti, steps, () => step);

      if (method.trains && steps > 0) {
        const ref = inp.reference
          ? new ReferenceStream(inp.reference, be, { seed: seedOf(c.seed, 'reference', ti), steps, startStep: step, imageSize: S, workers: 0, ...(pool ? { pool } : {}) })
          : null;
        currentRef = ref;
        if (midTask) await method.loadState({ json: st.methodJson, tensors: restored!.tensors.method }, ctx);
        else await method.beginTask(ctx);
        const opt = new AdamW(student.parameters(), { lr: task.lr, weightDecay: c.train.weightDecay });
        if (midTask) opt.loadStateDict({ step: st.optimizerStep, m: restored!.tensors.optM, v: restored!.tensors.optV });
        const loaderSeed = seedOf(c.seed, 'train', ti);
        const loader = new DataLoader(task.train, {
          batchSize: task.batchSize, iterations: steps, seed: loaderSeed, size: S, skipCorrupt: c.skipCorrupt,
          ...(midTask && st.loader ? { resume: st.loader } : {}), ...loaderPlace,
        });
        restored = null;
        let images = 0;
        const startStep = step;
        const tStart = performance.now();
        for await (const batch of loader) {
          step = batch.iteration;
          const lr = warmupCosineLr(step, task.lr, task.warmup, steps);
          const termValues = await scopeAsync(async () => {
            const { images: x, labels } = toTensors(batch, be);
            const out = await method.loss({ images: x, labels, labelsHost: batch.labels }, ctx);
            const values: Record<string, number> = {};
            for (const [k, t] of Object.entries(out.terms)) values[k] = t.item();
            const total = out.total.item();
            for (const [k, v] of [...Object.entries(values), ['total', total] as const]) {
              if (!Number.isFinite(v)) throw new Error(`${v} in loss term '${k}' at task ${ti + 1} (${task.name}), step ${step + 1} of method ${method.name}`);
            }
            opt.zeroGrad();
            backward(out.total);
            const { scale, norm } = c.train.gradClip > 0 ? clipScale(opt.params, c.train.gradClip) : { scale: 1, norm: 0 };
            if (!Number.isFinite(norm)) throw new Error(`non-finite gradient norm at task ${ti + 1} (${task.name}), step ${step + 1}`);
            opt.step(lr, scale);
            return values;
          });
          opt.zeroGrad();
          method.afterStep(ctx);
          images += batch.size;
          const secs = (performance.now() - tStart) / 1000;
          const done = step + 1;
          progress.emit({
            event: 'step', task: task.name, taskIndex: ti, tasks: stream.tasks.length, step, steps, lr, terms: termValues,
            imagesPerSecond: images / Math.max(secs, 1e-9),
            etaSeconds: ((steps - done) * secs) / Math.max(done - startStep, 1),
          });
          inp.onStep?.(ti, step);
          if (c.checkpointEvery > 0 && done % c.checkpointEvery === 0 && done < steps) {
            const ms = method.saveState();
            const od = opt.stateDict();
            saveCheckpoint(out, {
              ...st, taskIndex: ti, step: done, optimizerStep: od.step, loader: loader.state() as LoaderState, methodJson: ms.json,
              taskSecondsSoFar: (performance.now() - t0) / 1000, cost: { ...cost },
            }, { student: student.stateArrays(), optM: od.m, optV: od.v, method: ms.tensors });
          }
        }
        await ref?.close();
        currentRef = null;
        await method.endTask(ctx);
        if (loader.skipped) progress.emit({ event: 'info', message: `${task.name}: skipped ${loader.skipped} corrupt image(s)` });
      }

      const row = method.trains ? await evaluateAll(student, tok, tests, evalOpts) : [...st.zeroShot!];
      st.matrix = [...st.matrix, row];
      st.perTaskSeconds = [...st.perTaskSeconds, (performance.now() - t0) / 1000];
      st.taskIndex = ti + 1;
      st.step = 0;
      st.loader = null;
      st.methodJson = null;
      st.cost = { ...cost };
      progress.emit({ event: 'task-end', taskIndex: ti, row, message: `after task ${ti + 1}/${stream.tasks.length} (${task.name}): ${fmtRow(stream, row)}` });
      publish(false);
      saveCheckpoint(out, st, { student: student.stateArrays(), optM: new Map(), optV: new Map(), method: new Map() });
    }
    const final = publish(true);
    progress.emit({ event: 'info', message: `Transfer ${fmt(final.metrics.transfer)}  Avg ${fmt(final.metrics.avg)}  Last ${fmt(final.metrics.last)}  -> ${join(out, 'results.json')}, ${join(out, 'report.html')}` });
    return final;
  } finally {
    await pool?.close();
  }

  function makeContext(task: Task, taskIndex: number, totalSteps: number, stepOf: () => number): MethodContext {
    const classPrompts = task.train.classNames.map((n) => fillTemplate(task.train.templates[0]!, n));
    return {
      backend: be,
      student,
      initial: () => {
        if (!initial) {
          initial = inp.loadModel(be).model;
          initial.setTrainable(false).eval();
          cost.extraStorageBytes += 4 * initial.parameterCount();
        }
        return initial;
      },
      tokenizer: tok,
      task,
      taskIndex,
      totalSteps,
      get step() {
        return stepOf();
      },
      classPrompts,
      logitScale,
      labelSmoothing: c.train.labelSmoothing,
      rng: new Rng(seedOf(c.seed, 'method', taskIndex)),
      cost,
      get reference(): ReferenceData | null {
        return currentRef;
      },
      trainImages: (o) => trainImages(task, o),
      log: (m) => progress.emit({ event: 'info', message: m }),
    };
  }

  async function* trainImages(task: Task, o: { perClassCap?: number; batchSize?: number }) {
    let ds = task.train;
    if (o.perClassCap) {
      const seen = new Map<number, number>();
      const keepIdx: number[] = [];
      for (let i = 0; i < ds.length; i++) {
        const l = ds.label(i);
        const n = seen.get(l) ?? 0;
        if (n < o.perClassCap) keepIdx.push(i);
        seen.set(l, n + 1);
      }
      ds = subset(ds, keepIdx);
    }
    const loader = new DataLoader(ds, { batchSize: o.batchSize ?? c.eval.batchSize, mode: 'eval', size: S, skipCorrupt: c.skipCorrupt, ...loaderPlace });
    for await (const b of loader) {
      const images = noGrad(() => tensor(b.images, [b.size, 3, S, S], { device: be }));
      yield { images, labels: b.labels };
      if (images.storage.alive) {
        untrack(images.storage);
        be.release(images.storage);
      }
    }
  }
}

/** Which parameters train: all but the logit scale, or one tower (with its projection). */
export function setTrainable(m: ClipModel, which: 'all' | 'image' | 'text'): void {
  m.setTrainable(false);
  m.setTrainable(true, (n) => {
    if (n === 'logit_scale') return false;
    if (which === 'image') return n.startsWith('vision_model.') || n.startsWith('visual_projection.');
    if (which === 'text') return n.startsWith('text_model.') || n.startsWith('text_projection.');
    return true;
  });
}

function fmt(v: number | null): string {
  return v === null ? '-' : v.toFixed(2);
}

function fmtRow(s: Stream, row: number[]): string {
  return s.tasks.map((t, j) => `${t.name} ${row[j]!.toFixed(1)}`).join(', ');
}

