/**
 * results.json: what every run writes (and rewrites after each task, so a run in progress has a partial matrix).
 * `readResults` validates everything and names the file and the field on error; `writeResults` recomputes the
 * metrics from the matrix (they can never go stale) and writes atomically.
 *
 * Accuracies are percentages in [0, 100]. Columns of the matrix and of the zero-shot row follow `tasks`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageRoot } from '../assets.js';
import { writeFileAtomic } from '../engine/io/atomic.js';
import { runMetrics, type RunMetrics } from './metrics.js';

export const RESULTS_SCHEMA = 'mulki.results/1';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface RunResults {
  schema: typeof RESULTS_SCHEMA;
  /** mulki's package version and, when the code came from a git checkout, the commit. */
  mulkiVersion: string;
  gitCommit: string | null;
  /** ISO 8601 times; finishedAt is null while the run is in progress. */
  startedAt: string;
  finishedAt: string | null;
  /** The full resolved configuration (architecture, stream, method settings, CLI overrides): opaque JSON. */
  config: JsonValue;
  /** Named seeds, e.g. { "run": 1, "split": 42 }. */
  seeds: Record<string, number>;
  /** Method name as registered (e.g. "mulki", "zscl", "finetune"). */
  method: string;
  /** Human description of the model, e.g. "ViT-B/16 (openai/clip-vit-base-patch16)". */
  model: string;
  /** Name of the task stream, e.g. "MTIL Order I". */
  stream: string;
  /** Dataset names in training order: the columns. */
  tasks: string[];
  /** Accuracy on every dataset before any training. */
  zeroShot: number[];
  /** matrix[i][j]: accuracy on tasks[j] after training tasks[0..i]; fewer than tasks.length rows while running. */
  matrix: number[][];
  /** Derived from zeroShot and matrix (see metrics.ts); recomputed by writeResults. */
  metrics: RunMetrics;
  /** Wall-clock seconds: per trained task (one per matrix row, training + evaluation) and for the whole run. */
  wallTime: { perTaskSeconds: number[]; totalSeconds: number };
  /** Method cost: images passed through frozen teachers, and bytes kept beyond the student (teachers, prototypes,
   *  reference data, ensembles). */
  cost: { teacherForwards: number; extraStorageBytes: number };
  notes: string[];
}

/** The fields a caller provides; `schema` and `metrics` are filled in. */
export type RunResultsInput = Omit<RunResults, 'schema' | 'metrics'> & { schema?: string; metrics?: unknown };

class Checker {
  constructor(private readonly source: string) {}

  fail(field: string, problem: string): never {
    throw new Error(`${this.source}: ${field} ${problem}`);
  }

  object(v: unknown, field: string): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, `must be an object, got ${kind(v)}`);
    return v as Record<string, unknown>;
  }

  string(v: unknown, field: string, nonEmpty = true): string {
    if (typeof v !== 'string') this.fail(field, `must be a string, got ${kind(v)}`);
    if (nonEmpty && v.trim() === '') this.fail(field, 'must not be empty');
    return v;
  }

  number(v: unknown, field: string, min = -Infinity, max = Infinity): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(field, `must be a finite number, got ${kind(v)}`);
    if (v < min || v > max) this.fail(field, `must be in [${min}, ${max}], got ${v}`);
    return v;
  }

  integer(v: unknown, field: string, min = 0): number {
    const n = this.number(v, field, min);
    if (!Number.isInteger(n)) this.fail(field, `must be an integer, got ${n}`);
    return n;
  }

  array(v: unknown, field: string): unknown[] {
    if (!Array.isArray(v)) this.fail(field, `must be an array, got ${kind(v)}`);
    return v;
  }

  time(v: unknown, field: string): string {
    const s = this.string(v, field);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(s) || Number.isNaN(Date.parse(s))) {
      this.fail(field, `must be an ISO 8601 date-time such as 2025-01-31T12:00:00.000Z, got ${JSON.stringify(s)}`);
    }
    return s;
  }

  accuracies(v: unknown, field: string, length: number): number[] {
    const a = this.array(v, field);
    if (a.length !== length) this.fail(field, `has ${a.length} values, expected ${length} (one per task)`);
    return a.map((x, j) => this.number(x, `${field}[${j}]`, 0, 100));
  }
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v)}`;
  if (typeof v === 'number') return String(v);
  return typeof v;
}

function checkJson(c: Checker, v: unknown, field: string, depth = 0): JsonValue {
  if (depth > 64) c.fail(field, 'is nested too deeply');
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return c.number(v, field);
  if (Array.isArray(v)) return v.map((x, i) => checkJson(c, x, `${field}[${i}]`, depth + 1));
  if (typeof v === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, x] of Object.entries(v)) out[k] = checkJson(c, x, `${field}.${k}`, depth + 1);
    return out;
  }
  return c.fail(field, `must be JSON data, got ${typeof v}`);
}

/**
 * Validates a parsed results object; `source` (usually the file name) starts every error message.
 * With `checkMetrics`, stored metrics must agree with the ones recomputed from the matrix (within 1e-6).
 */
export function parseResults(value: unknown, source: string, checkMetrics = true): RunResults {
  const c = new Checker(source);
  const o = c.object(value, 'the top level');
  if (o.schema !== RESULTS_SCHEMA) {
    c.fail('schema', `must be ${JSON.stringify(RESULTS_SCHEMA)}, got ${kind(o.schema)}`);
  }
  const tasks = c.array(o.tasks, 'tasks').map((t, j) => c.string(t, `tasks[${j}]`));
  if (tasks.length === 0) c.fail('tasks', 'must list at least one dataset');
  const dup = tasks.find((t, j) => tasks.indexOf(t) !== j);
  if (dup !== undefined) c.fail('tasks', `lists ${JSON.stringify(dup)} twice`);
  const T = tasks.length;
  const rows = c.array(o.matrix, 'matrix');
  if (rows.length > T) c.fail('matrix', `has ${rows.length} rows but there are only ${T} tasks`);
  const matrix = rows.map((r, i) => c.accuracies(r, `matrix[${i}]`, T));
  const zeroShot = c.accuracies(o.zeroShot, 'zeroShot', T);

  const seedsObj = c.object(o.seeds, 'seeds');
  const seeds: Record<string, number> = {};
  for (const [k, v] of Object.entries(seedsObj)) seeds[k] = c.integer(v, `seeds.${k}`, -(2 ** 53));

  const startedAt = c.time(o.startedAt, 'startedAt');
  const finishedAt = o.finishedAt === null ? null : c.time(o.finishedAt, 'finishedAt');
  if (finishedAt !== null && Date.parse(finishedAt) < Date.parse(startedAt)) {
    c.fail('finishedAt', `(${finishedAt}) is before startedAt (${startedAt})`);
  }
  if (o.gitCommit !== null && !/^[0-9a-f]{7,64}$/.test(String(o.gitCommit))) {
    c.fail('gitCommit', `must be null or a hexadecimal commit id, got ${kind(o.gitCommit)}`);
  }

  const wt = c.object(o.wallTime, 'wallTime');
  const perTaskSeconds = c
    .array(wt.perTaskSeconds, 'wallTime.perTaskSeconds')
    .map((s, i) => c.number(s, `wallTime.perTaskSeconds[${i}]`, 0));
  if (perTaskSeconds.length !== matrix.length) {
    c.fail('wallTime.perTaskSeconds', `has ${perTaskSeconds.length} values but the matrix has ${matrix.length} rows`);
  }
  const totalSeconds = c.number(wt.totalSeconds, 'wallTime.totalSeconds', 0);
  const cost = c.object(o.cost, 'cost');

  const results: RunResults = {
    schema: RESULTS_SCHEMA,
    mulkiVersion: c.string(o.mulkiVersion, 'mulkiVersion'),
    gitCommit: o.gitCommit as string | null,
    startedAt,
    finishedAt,
    config: checkJson(c, o.config, 'config'),
    seeds,
    method: c.string(o.method, 'method'),
    model: c.string(o.model, 'model'),
    stream: c.string(o.stream, 'stream'),
    tasks,
    zeroShot,
    matrix,
    metrics: runMetrics(zeroShot, matrix),
    wallTime: { perTaskSeconds, totalSeconds },
    cost: {
      teacherForwards: c.integer(cost.teacherForwards, 'cost.teacherForwards'),
      extraStorageBytes: c.integer(cost.extraStorageBytes, 'cost.extraStorageBytes'),
    },
    notes: c.array(o.notes, 'notes').map((n, i) => c.string(n, `notes[${i}]`, false)),
  };
  if (checkMetrics) compareMetrics(c, o.metrics, results.metrics);
  return results;
}

/** Stored metrics must be what the matrix gives; names the first field that differs. */
function compareMetrics(c: Checker, stored: unknown, fresh: RunMetrics): void {
  const walk = (s: unknown, f: unknown, field: string): void => {
    if (typeof f === 'number') {
      if (typeof s !== 'number' || Math.abs(s - f) > 1e-6 * Math.max(1, Math.abs(f))) {
        c.fail(field, `is ${kind(s)} but the matrix gives ${f} (stale or edited metrics; rewrite with writeResults)`);
      }
    } else if (f === null || typeof f === 'boolean') {
      if (s !== f) c.fail(field, `is ${kind(s)} but the matrix gives ${String(f)}`);
    } else if (Array.isArray(f)) {
      if (!Array.isArray(s) || s.length !== f.length) c.fail(field, `must be an array of ${f.length} values`);
      f.forEach((x, i) => walk(s[i], x, `${field}[${i}]`));
    } else {
      const so = c.object(s, field);
      for (const [k, x] of Object.entries(f as object)) walk(so[k], x, `${field}.${k}`);
    }
  };
  walk(stored, fresh, 'metrics');
}

/** Reads and validates a results.json; errors name the file and the field. */
export function readResults(path: string): RunResults {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read results file ${path}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path} is not valid JSON: ${(e as Error).message}`);
  }
  return parseResults(value, path);
}

/** Fills in schema and metrics, validates, and returns the complete results object. */
export function finalizeResults(input: RunResultsInput, source = 'results'): RunResults {
  return parseResults({ ...input, schema: RESULTS_SCHEMA, metrics: null }, source, false);
}

/**
 * JSON with two-space indentation, except that arrays of numbers (and nulls) stay on one line, so the matrix reads
 * as a matrix. Only structural line breaks are touched: JSON strings cannot hold a raw newline.
 */
export function stringifyResults(results: RunResults): string {
  const num = '-?\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?|null';
  const flat = new RegExp(`\\[\\n\\s*((?:${num})(?:,\\n\\s*(?:${num}))*)\\n\\s*\\]`, 'g');
  return (
    JSON.stringify(results, null, 2).replace(flat, (_, items: string) => `[${items.replace(/,\n\s*/g, ', ')}]`) + '\n'
  );
}

/** Validates, recomputes the metrics and writes `path` atomically; returns what was written. */
export function writeResults(path: string, input: RunResultsInput): RunResults {
  const results = finalizeResults(input, path);
  writeFileAtomic(path, stringifyResults(results));
  return results;
}

/** mulki's version from its package.json. */
export function mulkiVersion(): string {
  const pj = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: string };
  return pj.version ?? 'unknown';
}

/** The commit checked out in `dir` (default: the package root), read from .git without running git; null if none. */
export function gitCommit(dir = packageRoot()): string | null {
  try {
    let gitDir = join(dir, '.git');
    if (existsSync(gitDir) && statSync(gitDir).isFile()) {
      // a worktree or submodule: ".git" is a file "gitdir: <path>"
      const target = /^gitdir: (.+)$/m.exec(readFileSync(gitDir, 'utf8'))?.[1]?.trim();
      if (!target) return null;
      gitDir = resolve(dir, target);
    }
    if (!existsSync(join(gitDir, 'HEAD'))) return null;
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    if (/^[0-9a-f]{40,64}$/.test(head)) return head;
    const ref = /^ref: (.+)$/.exec(head)?.[1];
    if (!ref) return null;
    // a worktree keeps its refs in the common git dir
    const common = existsSync(join(gitDir, 'commondir'))
      ? resolve(gitDir, readFileSync(join(gitDir, 'commondir'), 'utf8').trim())
      : gitDir;
    const loose = join(common, ref);
    if (existsSync(loose)) return readFileSync(loose, 'utf8').trim();
    const packed = join(common, 'packed-refs');
    if (!existsSync(packed)) return null;
    for (const line of readFileSync(packed, 'utf8').split('\n')) {
      const [sha, name] = line.split(' ');
      if (name === ref && sha && /^[0-9a-f]{40,64}$/.test(sha)) return sha;
    }
    return null;
  } catch {
    return null;
  }
}
