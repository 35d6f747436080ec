/** The command line: help, info (parameter counts against a built model), argument errors, report, run. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
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

test('the package bin (what `npx mulki` runs) is an executable script that starts the CLI', () => {
  const pkgRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const pkg = JSON.parse(readFileSync(join(pkgRoot, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const bin = join(pkgRoot, pkg.bin.mulki!);
  assert.ok(statSync(bin).mode & 0o100, `${pkg.bin.mulki} must be executable (git keeps the mode; compiled dist/ files are not)`);
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\d+\.\d+\.\d+/);
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

test('mulki data check names what is missing; mulki report re-renders a run and compares runs', async () => {
  const { mkdtempSync, rmSync, existsSync, statSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { runContinual } = await import('../../src/cl/trainer.js');
  const { Progress } = await import('../../src/cl/progress.js');
  const { tinyInputs } = await import('../helpers/tiny-run.js');
  const dir = mkdtempSync(join(tmpdir(), 'mulki-cli-'));
  try {
    const dc = mulki('data', 'check', '--data', dir);
    assert.equal(dc.status, 1, 'an empty folder is not a complete MTIL copy');
    assert.match(dc.stdout, /missing\s+Aircraft/);
    assert.match(dc.stdout, /missing\s+SUN397/);
    const quiet = new Progress(false, { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream);
    for (const m of ['finetune', 'zeroshot']) await runContinual({ ...tinyInputs(join(dir, m), m, {}, 3), progress: quiet });
    const before = statSync(join(dir, 'finetune', 'report.html')).mtimeMs;
    const r = mulki('report', join(dir, 'finetune'), join(dir, 'zeroshot'));
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(dir, 'finetune', 'report.md')));
    assert.ok(statSync(join(dir, 'finetune', 'report.html')).mtimeMs >= before);
    assert.match(r.stdout, /\| Method \| Model \| Stream \| Runs \| Transfer \| Avg \| Last \|/);
    assert.match(r.stdout, /\| finetune \|/);
    assert.match(r.stdout, /\| zeroshot \|/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mulki eval prints and writes the accuracy of a model on every test set of a stream', async () => {
  const { mkdtempSync, rmSync, readFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'mulki-eval-'));
  try {
    const r = mulki('eval', '--model', 'builtin', '--benchmark', 'custom', '--datasets', 'MNIST', '--workers', '0', '--out', dir);
    assert.equal(r.status, 0, r.stderr);
    const m = /MNIST\s+([\d.]+)%/.exec(r.stdout);
    assert.ok(m, r.stdout);
    const j = JSON.parse(readFileSync(join(dir, 'eval.json'), 'utf8')) as { datasets: string[]; accuracy: number[] };
    assert.deepEqual(j.datasets, ['MNIST']);
    assert.equal(j.accuracy[0]!.toFixed(2), Number(m![1]).toFixed(2));
    assert.ok(j.accuracy[0]! > 20, `the built-in model reads digits above twice chance: ${j.accuracy[0]}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
