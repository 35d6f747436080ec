import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  gitCommit,
  mulkiVersion,
  parseResults,
  readResults,
  RESULTS_SCHEMA,
  writeResults,
  type RunResults,
} from '../../src/cl/results.js';
import { makeResults, syntheticMatrix, ZERO_SHOT } from './fixture.js';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'mulki-results-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A JSON copy of valid results with one edit applied. */
function edited(edit: (o: Record<string, any>) => void): unknown {
  const o = JSON.parse(JSON.stringify(makeResults())) as Record<string, any>;
  edit(o);
  return o;
}

test('writeResults / readResults round trip, atomically, with metrics recomputed', () => {
  withDir((dir) => {
    const r = makeResults({ matrix: syntheticMatrix(ZERO_SHOT, 5) });
    const path = join(dir, 'results.json');
    // metrics passed in are ignored: the writer recomputes them from the matrix
    const written = writeResults(path, { ...r, metrics: { transfer: 1 } });
    assert.deepEqual(readdirSync(dir), ['results.json']);
    const back = readResults(path);
    assert.deepEqual(back, written);
    assert.deepEqual(back.metrics, r.metrics);
    assert.equal(back.schema, RESULTS_SCHEMA);
    assert.equal(back.metrics.rows, 5);
    assert.equal(back.metrics.complete, false);
    assert.equal(back.finishedAt, null);
    // numeric arrays stay on one line: the matrix reads as a matrix
    const text = readFileSync(path, 'utf8');
    assert.ok(text.includes(`"zeroShot": [${ZERO_SHOT.join(', ')}]`), text.slice(0, 800));
    assert.ok(text.includes(`    [${r.matrix[1]!.join(', ')}],\n`));
    assert.ok(text.includes(`"transfer": [null, ${r.metrics.perDataset.transfer.slice(1).join(', ')}]`));
  });
});

test('strings with brackets, commas and newlines survive the compact layout', () => {
  withDir((dir) => {
    const path = join(dir, 'results.json');
    const notes = ['a [\n 1,\n 2\n] b', '[3, 4]', ' ]'];
    const r = makeResults({ notes, tasks: ['x [1]', 'y, 2', 'z\n]'], zeroShot: [1, 2, 3] });
    writeResults(path, r);
    const back = readResults(path);
    assert.deepEqual(back.notes, notes);
    assert.deepEqual(back.tasks, ['x [1]', 'y, 2', 'z\n]']);
  });
});

test('errors name the file and the field', () => {
  withDir((dir) => {
    const path = join(dir, 'results.json');
    writeFileSync(path, '{"schema": ');
    assert.throws(() => readResults(path), (e: Error) => e.message.startsWith(`${path} is not valid JSON`));
    assert.throws(() => readResults(join(dir, 'missing.json')), /cannot read results file .*missing\.json/);
    writeFileSync(path, JSON.stringify(edited((o) => delete o.method)));
    assert.throws(() => readResults(path), (e: Error) => e.message === `${path}: method must be a string, got undefined`);
  });
  const cases: [string, (o: Record<string, any>) => void, RegExp][] = [
    ['schema', (o) => (o.schema = 'other/1'), /f\.json: schema must be "mulki\.results\/1"/],
    ['ragged row', (o) => o.matrix[2].pop(), /f\.json: matrix\[2\] has 10 values, expected 11 \(one per task\)/],
    ['too many rows', (o) => o.matrix.push(o.matrix[0]), /f\.json: matrix has 12 rows but there are only 11 tasks/],
    ['accuracy range', (o) => (o.matrix[1][3] = 140), /f\.json: matrix\[1\]\[3\] must be in \[0, 100\], got 140/],
    ['zero-shot length', (o) => o.zeroShot.push(50), /f\.json: zeroShot has 12 values, expected 11/],
    ['duplicate task', (o) => (o.tasks[3] = 'Aircraft'), /f\.json: tasks lists "Aircraft" twice/],
    ['time', (o) => (o.startedAt = 'yesterday'), /f\.json: startedAt must be an ISO 8601 date-time/],
    ['end before start', (o) => (o.finishedAt = '2025-02-01T00:00:00Z'), /f\.json: finishedAt .* is before startedAt/],
    ['wall times', (o) => o.wallTime.perTaskSeconds.pop(), /f\.json: wallTime\.perTaskSeconds has 10 values but the matrix has 11 rows/],
    ['seed', (o) => (o.seeds.run = 1.5), /f\.json: seeds\.run must be an integer/],
    ['cost', (o) => (o.cost.extraStorageBytes = -1), /f\.json: cost\.extraStorageBytes must be in \[0, Infinity\]/],
    ['commit', (o) => (o.gitCommit = 'main'), /f\.json: gitCommit must be null or a hexadecimal commit id/],
    ['notes', (o) => (o.notes = 'text'), /f\.json: notes must be an array/],
    ['stale metrics', (o) => (o.metrics.transfer += 1), /f\.json: metrics\.transfer is [\d.]+ but the matrix gives/],
    ['stale per-dataset', (o) => (o.metrics.perDataset.avg[4] = 0), /f\.json: metrics\.perDataset\.avg\[4\] is 0/],
    ['edited matrix', (o) => (o.matrix[10][10] = 3), /f\.json: metrics\.avg is [\d.]+ but the matrix gives/],
    ['missing metrics', (o) => delete o.metrics, /f\.json: metrics must be an object, got undefined/],
  ];
  for (const [name, edit, re] of cases) {
    assert.throws(() => parseResults(edited(edit), 'f.json'), re, name);
  }
});

test('a run with no trained task yet is valid', () => {
  const r = parseResults(
    edited((o) => {
      o.matrix = [];
      o.wallTime.perTaskSeconds = [];
      o.finishedAt = null;
    }),
    'f.json',
    false,
  );
  assert.equal(r.metrics.rows, 0);
  assert.equal(r.metrics.transfer, null);
  const again: RunResults = parseResults(JSON.parse(JSON.stringify(r)), 'g.json');
  assert.deepEqual(again, r);
});

test('mulkiVersion and gitCommit read the package and the .git folder', () => {
  assert.equal(mulkiVersion(), JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version);
  withDir((dir) => {
    assert.equal(gitCommit(dir), null);
    const sha = 'a'.repeat(40);
    mkdirSync(join(dir, '.git', 'refs', 'heads'), { recursive: true });
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(dir, '.git', 'packed-refs'), `# pack-refs\n${sha} refs/heads/main\n`);
    assert.equal(gitCommit(dir), sha);
    writeFileSync(join(dir, '.git', 'refs', 'heads', 'main'), 'b'.repeat(40) + '\n');
    assert.equal(gitCommit(dir), 'b'.repeat(40));
    writeFileSync(join(dir, '.git', 'HEAD'), 'c'.repeat(40) + '\n');
    assert.equal(gitCommit(dir), 'c'.repeat(40));
  });
});
