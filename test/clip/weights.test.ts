/**
 * Weights in and out: Hugging Face save -> load is exact; missing, unexpected and mis-shaped tensors are errors that
 * name the tensor and the file; open_clip (OpenAI-named) safetensors load through their key map; the HF config
 * round-trips.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRefBackend } from '../../src/engine/backends/ref/index.js';
import { readSafetensors, writeSafetensors, type TensorToWrite } from '../../src/engine/io/safetensors.js';
import { fromHfConfig, toHfConfig } from '../../src/clip/config.js';
import { createClip } from '../../src/clip/model.js';
import { loadClip, openClipKeyMap, saveClip } from '../../src/clip/weights.js';
import { TINY_CONFIG } from '../helpers/tiny-run.js';
import { fixturesDir } from '../helpers/backends.js';

const be = createRefBackend();

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'mulki-weights-'));
}

test('save -> load round trip is exact (f32), and the HF config converts both ways', () => {
  const dir = tmp();
  try {
    const a = createClip(be, TINY_CONFIG, 5);
    saveClip(a, dir);
    const b = loadClip(be, dir);
    const sa = a.stateArrays();
    for (const [n, v] of b.stateArrays()) assert.deepEqual(v, sa.get(n), n);
    assert.deepEqual(fromHfConfig(toHfConfig(TINY_CONFIG)), { ...TINY_CONFIG, name: undefined });
    // The saved file uses Hugging Face names: q/k/v separately.
    const keys = [...readSafetensors(join(dir, 'model.safetensors')).keys()];
    assert.ok(keys.includes('vision_model.encoder.layers.0.self_attn.q_proj.weight'));
    assert.ok(!keys.some((k) => k.includes('in_proj')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a folder with a missing, unexpected or mis-shaped tensor fails naming it', () => {
  const dir = tmp();
  try {
    saveClip(createClip(be, TINY_CONFIG, 5), dir);
    const file = join(dir, 'model.safetensors');
    const good = readSafetensors(file);
    const rewrite = (edit: (m: Map<string, TensorToWrite>) => void): void => {
      const m = new Map<string, TensorToWrite>([...good].map(([k, t]) => [k, { shape: t.shape, data: t.data }]));
      edit(m);
      writeSafetensors(file, m);
    };
    rewrite((m) => m.delete('text_model.final_layer_norm.bias'));
    assert.throws(() => loadClip(be, dir), /missing tensor 'text_model\.final_layer_norm\.bias'.*model\.safetensors|model\.safetensors.*missing tensor 'text_model\.final_layer_norm\.bias'/);
    rewrite((m) => m.set('vision_model.extra.weight', { shape: [2], data: new Float32Array(2) }));
    assert.throws(() => loadClip(be, dir), /unexpected tensor 'vision_model\.extra\.weight'/);
    rewrite((m) => m.set('visual_projection.weight', { shape: [3, 4], data: new Float32Array(12) }));
    assert.throws(() => loadClip(be, dir), /'visual_projection\.weight' has shape \[3,4\], expected \[32,48\]/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('open_clip safetensors (OpenAI names, fused in_proj, [in, out] projections) load to the same model', () => {
  const dir = tmp();
  try {
    const a = createClip(be, TINY_CONFIG, 7);
    const state = a.stateArrays();
    const shapes = new Map(a.namedParameters().map(([n, p]) => [n, p.shape]));
    const out = new Map<string, TensorToWrite>();
    for (const e of openClipKeyMap(a)) {
      const v = state.get(e.ours)!;
      const sh = shapes.get(e.ours)!;
      if (e.transpose) {
        const [r, c] = sh as [number, number];
        const t = new Float32Array(v.length);
        for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[j * r + i] = v[i * c + j]!;
        out.set(e.keys[0]!, { shape: [c, r], data: t });
      } else out.set(e.keys[0]!, { shape: sh.length ? [...sh] : [], data: v });
    }
    out.set('attn_mask', { shape: [2], data: new Float32Array(2) }); // a buffer open_clip files may hold: ignored
    const file = join(dir, 'open_clip_model.safetensors');
    writeSafetensors(file, out);
    const b = loadClip(be, file, { config: TINY_CONFIG });
    for (const [n, v] of b.stateArrays()) assert.deepEqual(v, state.get(n), n);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the fixture folder (HF, f32) loads; f16 storage loads within f16 precision', () => {
  const dir = tmp();
  try {
    const fix = join(fixturesDir(), 'hf-clip-tiny');
    const a = loadClip(be, fix);
    copyFileSync(join(fix, 'config.json'), join(dir, 'config.json'));
    saveClip(a, dir, { dtype: 'F16' });
    writeFileSync(join(dir, 'note.txt'), 'f16 copy');
    const b = loadClip(be, dir);
    const sa = a.stateArrays();
    for (const [n, v] of b.stateArrays()) {
      const ref = sa.get(n)!;
      for (let i = 0; i < v.length; i++) assert.ok(Math.abs(v[i]! - ref[i]!) <= 1e-3 * Math.max(1, Math.abs(ref[i]!)), `${n}[${i}]`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
