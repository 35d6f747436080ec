/**
 * Crash and resume: a run killed with SIGKILL in the middle of a task, then resumed with --resume semantics,
 * gives exactly the results of an uninterrupted run (same seed, same config).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runContinual } from '../../src/cl/trainer.js';
import { Progress } from '../../src/cl/progress.js';
import { tinyInputs } from '../helpers/tiny-run.js';

const quiet = new Progress(false, { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream);
const child = join(dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'tiny-run-child.js');

test('a run killed mid-task (SIGKILL) and resumed gives identical results', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mulki-resume-'));
  try {
    const over = { checkpointEvery: 20, methodOptions: { avgEvery: 10 } };
    const full = await runContinual({ ...tinyInputs(join(dir, 'full'), 'mulki', over, 60), progress: quiet });

    const out = join(dir, 'crashed');
    // Killed in the second task, 15 steps after its checkpoint at step 20.
    const r = spawnSync(process.execPath, [child, out, 'mulki', '1', '35'], { encoding: 'utf8', env: process.env });
    assert.equal(r.signal, 'SIGKILL', `child should die by SIGKILL (status ${r.status}, stderr ${r.stderr})`);
    assert.ok(!existsSync(join(out, 'results.json')) || !JSON.parse((await import('node:fs')).readFileSync(join(out, 'results.json'), 'utf8')).finishedAt,
      'the killed run must not have finished');
    const resumed = await runContinual({ ...tinyInputs(out, 'mulki', over, 60), progress: quiet, resume: true });

    assert.deepEqual(resumed.zeroShot, full.zeroShot);
    assert.deepEqual(resumed.matrix, full.matrix, 'accuracy matrix after resume');
    assert.deepEqual(resumed.metrics, full.metrics);
    assert.equal(resumed.cost.teacherForwards, full.cost.teacherForwards, 'teacher forwards counted once');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
