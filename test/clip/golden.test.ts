/**
 * The CLIP model against the reference implementation (PyTorch + transformers) on the tiny fixture: embeddings,
 * logits, loss, last hidden states and every parameter's gradient, on every backend available here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { readSafetensors, type StoredTensor } from '../../src/engine/io/safetensors.js';
import { tensor } from '../../src/engine/ops/create.js';
import { crossEntropy } from '../../src/engine/ops/loss.js';
import { backward } from '../../src/engine/tape.js';
import { scope } from '../../src/engine/memory.js';
import { loadClip } from '../../src/clip/weights.js';
import { fixturesDir, relErr, testBackends } from '../helpers/backends.js';

const FIX = join(fixturesDir(), 'hf-clip-tiny');

function golden(): Map<string, StoredTensor> {
  return readSafetensors(join(FIX, 'golden.safetensors'));
}

for (const { name, backend, why } of testBackends()) {
  test(`hf-clip-tiny golden outputs and gradients (${name})`, { skip: backend ? false : why }, () => {
    const be = backend!;
    const g = golden();
    const get = (k: string): StoredTensor => {
      const t = g.get(k);
      if (!t) throw new Error(`golden.safetensors lacks ${k}`);
      return t;
    };
    const model = loadClip(be, FIX);
    scope(() => {
      const px = get('pixel_values');
      const ids = get('input_ids');
      const mask = get('attention_mask');
      const pixels = tensor(px.data as Float32Array, px.shape, { device: be });
      const idsT = tensor(ids.data as Int32Array, ids.shape, { device: be, dtype: 'i32' });
      const maskT = tensor(mask.data as Int32Array, mask.shape, { device: be, dtype: 'i32' });
      const out = model.forward(pixels, idsT, maskT);
      const labels = tensor(get('labels').data as Int32Array, [4], { device: be, dtype: 'i32' });
      const loss = crossEntropy(out.logitsPerImage, labels);

      const check = (ours: Float32Array, key: string, tol: number): void => {
        const e = relErr(ours, get(key).data as Float32Array);
        assert.ok(e < tol, `${key}: relative error ${e.toExponential(2)} >= ${tol}`);
      };
      check(out.imageEmbeds.toArray() as Float32Array, 'image_embeds', 1e-4);
      check(out.textEmbeds.toArray() as Float32Array, 'text_embeds', 1e-4);
      check(out.logitsPerImage.toArray() as Float32Array, 'logits_per_image', 1e-4);
      check(loss.toArray() as Float32Array, 'loss', 1e-4);
      check(out.visionLastHidden.toArray() as Float32Array, 'vision_last_hidden_state', 1e-4);

      // Text hidden states only at positions before each sequence's padding (fixture README).
      const th = out.textLastHidden.toArray() as Float32Array;
      const ref = get('text_last_hidden_state').data as Float32Array;
      const [B, T, W] = get('text_last_hidden_state').shape as [number, number, number];
      const m = mask.data as Int32Array;
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < B; i++) for (let t = 0; t < T; t++) {
        if (!m[i * T + t]) continue;
        for (let c = 0; c < W; c++) {
          a.push(th[(i * T + t) * W + c]!);
          b.push(ref[(i * T + t) * W + c]!);
        }
      }
      const e = relErr(a, b);
      assert.ok(a.length > 0 && e < 1e-4, `text_last_hidden_state (unpadded positions): relative error ${e.toExponential(2)}`);

      backward(loss);
    });

    // Every parameter's gradient; fused q/k/v gradients are compared part by part.
    let compared = 0;
    for (const [pname, p] of model.namedParameters()) {
      assert.ok(p.grad, `no gradient for ${pname}`);
      const ours = p.grad!.toArray() as Float32Array;
      const fused = /^(.*\.self_attn)\.in_proj\.(weight|bias)$/.exec(pname);
      const parts = fused ? ['q_proj', 'k_proj', 'v_proj'].map((x) => `grad.${fused[1]}.${x}.${fused[2]}`) : [`grad.${pname}`];
      const per = ours.length / parts.length;
      parts.forEach((k, i) => {
        const mine = ours.subarray(i * per, (i + 1) * per);
        const theirs = get(k).data as Float32Array;
        if (k.endsWith('k_proj.bias')) {
          // Exactly zero in exact arithmetic (adding a constant to every key logit of a query row leaves its
          // softmax unchanged): both sides hold rounding noise (~1e-8), so compare in absolute terms.
          const big = (a: Float32Array): number => a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
          assert.ok(big(mine) < 1e-6 && big(theirs) < 1e-6, `${k}: expected ~0, got max ${big(mine)} (reference ${big(theirs)})`);
          compared++;
          return;
        }
        const e = relErr(mine, theirs);
        assert.ok(e < 1e-3, `${k}: relative error ${e.toExponential(2)} >= 1e-3`);
        compared++;
      });
    }
    assert.equal(compared, [...g.keys()].filter((k) => k.startsWith('grad.')).length, 'every reference gradient compared');
  });
}
