/** The command line: help, info (parameter counts against a built model), argument errors, report, run. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countParameters } from '../../src/cli/commands/info.js';
import { createClip } from '../../src/clip/model.js';
import { loadConfig } from '../../src/clip/config.js';
import { createRefBackend } from '../../src/engine/backends/ref/index.js';
import { TINY_CONFIG } from '../helpers/tiny-run.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');
const mulki = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

test('parameter counts from the architecture equal those of a built model', () => {
  for (const c of [TINY_CONFIG, loadConfig('tiny-bench')]) {
    const n = countParameters(c);
    assert.equal(n.vision + n.text + n.other, createClip(createRefBackend(), c, 0).parameterCount());
  }
  const b16 = countParameters(loadConfig('ViT-B-16'));
  assert.equal(b16.vision + b16.text + b16.other, 149_620_737, 'OpenAI ViT-B/16 CLIP has 149.62M parameters');
});

test('mulki help, info and argument errors', () => {
  const h = mulki('help');
  assert.equal(h.status, 0);
  for (const c of ['run', 'eval', 'ablate', 'report', 'classify', 'info', 'data']) assert.match(h.stdout, new RegExp(`\\b${c}\\b`));
  const i = mulki('info', join(process.cwd(), '..', 'shared', 'fixtures', 'hf-clip-tiny'));
  assert.equal(i.status, 0, i.stderr);
  assert.match(i.stdout, /patch 8 \(17 tokens\), width 96, 2 layers/);
  assert.match(i.stdout, /= 417,025/);
  const bad = mulki('run', '--bogus', '1');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown option --bogus/);
  const badMethod = mulki('run', '--method', 'nope', '--benchmark', 'custom', '--datasets', 'MNIST');
  assert.equal(badMethod.status, 1);
  assert.match(badMethod.stderr, /'nope' is unknown; known: zeroshot, finetune, lwf, wiseft, zscl, mulki/);
  const unknown = mulki('frobnicate');
  assert.equal(unknown.status, 2);
});
