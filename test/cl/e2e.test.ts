/**
 * End to end: every method on a tiny model and two tiny offline tasks. Checks the matrix shape, that the metrics in
 * results.json are the metric functions of its matrix, the report files, and that continual fine-tuning forgets
 * the first task more than MulKI.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runContinual } from '../../src/cl/trainer.js';
import { runMetrics } from '../../src/cl/metrics.js';
import { readResults } from '../../src/cl/results.js';
import { Progress } from '../../src/cl/progress.js';
import { tinyInputs } from '../helpers/tiny-run.js';

const quiet = new Progress(false, { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream);

test('every method runs two tasks end to end; fine-tuning forgets more than MulKI', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mulki-e2e-'));
  try {
    const forgetting: Record<string, number> = {};
    for (const method of ['zeroshot', 'finetune', 'lwf', 'wiseft', 'zscl', 'mulki']) {
      const out = join(dir, method);
      const r = await runContinual({ ...tinyInputs(out, method, method === 'mulki' ? { methodOptions: { avgEvery: 10 } } : method === 'zscl' ? { methodOptions: { avgEvery: 10, refBatch: 16 } } : {}), progress: quiet });
      assert.equal(r.zeroShot.length, 2, `${method}: zero-shot row`);
      assert.equal(r.matrix.length, 2, `${method}: rows`);
      for (const row of r.matrix) assert.equal(row.length, 2, `${method}: columns`);
      const onDisk = readResults(join(out, 'results.json'));
      assert.deepEqual(onDisk.metrics, runMetrics(onDisk.zeroShot, onDisk.matrix), `${method}: metrics`);
      assert.ok(onDisk.finishedAt, `${method}: finished`);
      assert.ok(existsSync(join(out, 'report.html')), `${method}: report.html`);
      if (method === 'zeroshot') assert.deepEqual(r.matrix, [r.zeroShot, r.zeroShot]);
      // From random weights, methods that pull towards T0 (WiSE-FT, ZSCL) are meant to stay near it; fine-tuning must learn.
      if (method === 'finetune') assert.ok(r.matrix[0]![0]! > r.zeroShot[0]! + 30, `finetune learned task 1: ${r.zeroShot[0]} -> ${r.matrix[0]![0]}`);
      forgetting[method] = r.matrix[0]![0]! - r.matrix[1]![0]!;
      if (method === 'mulki' || method === 'zscl' || method === 'lwf') assert.ok(r.cost.teacherForwards > 0, `${method} used its teachers`);
    }
    assert.ok(forgetting.finetune! > forgetting.mulki! + 5,
      `fine-tuning should forget task 1 more than MulKI: finetune ${forgetting.finetune!.toFixed(1)} vs mulki ${forgetting.mulki!.toFixed(1)} points`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
