/**
 * Checkpoints of a run: everything needed to continue exactly where it stopped. Each checkpoint is two files,
 * written atomically (temp file + rename): ckpt-<n>.safetensors (student weights, optimiser moments, method
 * tensors) and ckpt-<n>.json (position, loader and RNG state, results so far); then latest.json is switched to
 * point at it, and older checkpoints are removed. A crash at any moment leaves a complete previous checkpoint.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, type TensorToWrite } from '../engine/io/safetensors.js';
import { writeJsonAtomic } from '../engine/io/atomic.js';
import type { LoaderState } from '../data/loader.js';

export interface CheckpointState {
  /** Task to run next (or being run) and the next step within it; step 0 = the task has not begun. */
  taskIndex: number;
  step: number;
  optimizerStep: number;
  loader: LoaderState | null;
  methodJson: unknown;
  zeroShot: number[] | null;
  matrix: number[][];
  perTaskSeconds: number[];
  /** Seconds spent in the current task before this checkpoint. */
  taskSecondsSoFar: number;
  cost: { teacherForwards: number; extraStorageBytes: number };
  startedAt: string;
}

export interface CheckpointTensors {
  student: Map<string, Float32Array>;
  optM: Map<string, Float32Array>;
  optV: Map<string, Float32Array>;
  method: Map<string, Float32Array>;
}

const PREFIX = { student: 'student.', optM: 'opt.m.', optV: 'opt.v.', method: 'method.' } as const;

export function checkpointDir(runDir: string): string {
  return join(runDir, 'checkpoints');
}

export function saveCheckpoint(runDir: string, state: CheckpointState, tensors: CheckpointTensors): number {
  const dir = checkpointDir(runDir);
  const prev = latestSeq(runDir);
  const seq = (prev ?? 0) + 1;
  const out = new Map<string, TensorToWrite>();
  for (const key of Object.keys(PREFIX) as (keyof typeof PREFIX)[]) {
    for (const [n, v] of tensors[key]) out.set(PREFIX[key] + n, { shape: [v.length], data: v });
  }
  writeSafetensors(join(dir, `ckpt-${seq}.safetensors`), out, { metadata: { format: 'mulki-checkpoint' } });
  writeJsonAtomic(join(dir, `ckpt-${seq}.json`), { version: 1, seq, ...state });
  writeJsonAtomic(join(dir, 'latest.json'), { seq });
  for (const f of readdirSync(dir)) {
    const m = /^ckpt-(\d+)\.(json|safetensors)$/.exec(f);
    if (m && Number(m[1]) !== seq) rmSync(join(dir, f), { force: true });
  }
  return seq;
}

function latestSeq(runDir: string): number | null {
  const p = join(checkpointDir(runDir), 'latest.json');
  if (!existsSync(p)) return null;
  try {
    const j = JSON.parse(readFileSync(p, 'utf8')) as { seq?: unknown };
    if (typeof j.seq !== 'number') throw new Error('no seq');
    return j.seq;
  } catch (e) {
    throw new Error(`${p}: unreadable checkpoint pointer: ${(e as Error).message}`);
  }
}

export function hasCheckpoint(runDir: string): boolean {
  return latestSeq(runDir) !== null;
}

export function loadCheckpoint(runDir: string): { state: CheckpointState; tensors: CheckpointTensors } {
  const seq = latestSeq(runDir);
  if (seq === null) throw new Error(`${runDir}: no checkpoint to resume from (checkpoints/latest.json missing)`);
  const jp = join(checkpointDir(runDir), `ckpt-${seq}.json`);
  const tp = join(checkpointDir(runDir), `ckpt-${seq}.safetensors`);
  if (!existsSync(jp) || !existsSync(tp)) throw new Error(`${runDir}: checkpoint ${seq} is incomplete (${existsSync(jp) ? tp : jp} missing)`);
  let state: CheckpointState;
  try {
    state = JSON.parse(readFileSync(jp, 'utf8')) as CheckpointState;
  } catch (e) {
    throw new Error(`${jp}: not valid JSON: ${(e as Error).message}`);
  }
  const raw = readSafetensors(tp);
  const tensors: CheckpointTensors = { student: new Map(), optM: new Map(), optV: new Map(), method: new Map() };
  for (const [name, t] of raw) {
    const key = (Object.keys(PREFIX) as (keyof typeof PREFIX)[]).find((k) => name.startsWith(PREFIX[k]));
    if (!key) throw new Error(`${tp}: unexpected tensor '${name}'`);
    tensors[key].set(name.slice(PREFIX[key].length), t.data as Float32Array);
  }
  return { state, tensors };
}
