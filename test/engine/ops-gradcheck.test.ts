/** Every op, through the tape, against finite differences, on every backend available here. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as F from '../../src/engine/ops/index.js';
import { tensor } from '../../src/engine/ops/create.js';
import type { Backend } from '../../src/engine/backend.js';
import type { Tensor } from '../../src/engine/tensor.js';
import { gradcheck, type GradInput } from '../helpers/gradcheck.js';
import { testBackends } from '../helpers/backends.js';

type Case = { name: string; inputs: GradInput[]; f: (xs: Tensor[], be: Backend) => Tensor; h?: number; positive?: boolean };

const pos = (n: number, lo = 0.5, hi = 2): Float32Array => Float32Array.from({ length: n }, (_, i) => lo + ((i * 0.6180339) % 1) * (hi - lo));

const cases: Case[] = [
  { name: 'add broadcast', inputs: [{ shape: [3, 4, 5] }, { shape: [4, 1] }], f: ([a, b]) => F.add(a!, b!) },
  { name: 'sub broadcast', inputs: [{ shape: [1, 5] }, { shape: [3, 1] }], f: ([a, b]) => F.sub(a!, b!) },
  { name: 'mul broadcast', inputs: [{ shape: [2, 3, 7] }, { shape: [7] }], f: ([a, b]) => F.mul(a!, b!) },
  { name: 'div broadcast', inputs: [{ shape: [2, 7] }, { shape: [7], data: pos(7) }], f: ([a, b]) => F.div(a!, b!) },
  { name: 'mul scalar-shaped', inputs: [{ shape: [4, 5] }, { shape: [] }], f: ([a, b]) => F.mul(a!, F.exp(b!)) },
  { name: 'affine', inputs: [{ shape: [9] }], f: ([a]) => F.affine(a!, -1.5, 0.25) },
  { name: 'exp', inputs: [{ shape: [7] }], f: ([a]) => F.exp(a!) },
  { name: 'log', inputs: [{ shape: [7], data: pos(7) }], f: ([a]) => F.log(a!) },
  { name: 'sqrt', inputs: [{ shape: [7], data: pos(7) }], f: ([a]) => F.sqrt(a!) },
  { name: 'rsqrt', inputs: [{ shape: [7], data: pos(7) }], f: ([a]) => F.rsqrt(a!) },
  { name: 'recip', inputs: [{ shape: [7], data: pos(7) }], f: ([a]) => F.recip(a!) },
  { name: 'square', inputs: [{ shape: [7] }], f: ([a]) => F.square(a!) },
  { name: 'expand', inputs: [{ shape: [1, 3, 1] }], f: ([a]) => F.expand(a!, [2, 3, 4]) },
  { name: 'sum axes', inputs: [{ shape: [3, 4, 5] }], f: ([a]) => F.sum(a!, [0, 2]) },
  { name: 'mean all', inputs: [{ shape: [3, 4] }], f: ([a]) => F.mean(a!) },
  { name: 'mean keepdims', inputs: [{ shape: [3, 4] }], f: ([a]) => F.mean(a!, -1, true) },
  { name: 'reshape', inputs: [{ shape: [2, 6] }], f: ([a]) => F.mul(F.reshape(a!, [3, -1]), F.reshape(a!, [3, 4])) },
  { name: 'permute', inputs: [{ shape: [2, 3, 4] }], f: ([a]) => F.permute(a!, [2, 0, 1]) },
  { name: 'transpose', inputs: [{ shape: [3, 5] }], f: ([a]) => F.transpose(a!) },
  { name: 'concat', inputs: [{ shape: [2, 1, 3] }, { shape: [2, 4, 3] }], f: ([a, b]) => F.concat([a!, b!, a!], 1) },
  { name: 'slice', inputs: [{ shape: [3, 7, 2] }], f: ([a]) => F.slice(a!, 1, 2, 6) },
  { name: 'matmul 2-D', inputs: [{ shape: [7, 5] }, { shape: [5, 3] }], f: ([a, b]) => F.matmul(a!, b!) },
  { name: 'matmul transA transB', inputs: [{ shape: [5, 7] }, { shape: [3, 5] }], f: ([a, b]) => F.matmul(a!, b!, { transA: true, transB: true }) },
  { name: 'matmul batched transB', inputs: [{ shape: [2, 4, 6] }, { shape: [2, 5, 6] }], f: ([a, b]) => F.matmul(a!, b!, { transB: true }) },
  { name: 'matmul batched x shared', inputs: [{ shape: [3, 4, 6] }, { shape: [6, 2] }], f: ([a, b]) => F.matmul(a!, b!) },
  { name: 'matmul shared x batched transA', inputs: [{ shape: [6, 4] }, { shape: [3, 6, 2] }], f: ([a, b]) => F.matmul(a!, b!, { transA: true }) },
  { name: 'matmul batched transA x shared transB', inputs: [{ shape: [2, 6, 4] }, { shape: [5, 6] }], f: ([a, b]) => F.matmul(a!, b!, { transA: true, transB: true }) },
  { name: 'linear', inputs: [{ shape: [2, 3, 6] }, { shape: [4, 6] }, { shape: [4] }], f: ([x, w, b]) => F.linear(x!, w!, b!) },
  { name: 'linear gelu', inputs: [{ shape: [5, 6] }, { shape: [7, 6] }, { shape: [7] }], f: ([x, w, b]) => F.linear(x!, w!, b!, 'gelu') },
  { name: 'linear quick_gelu no bias', inputs: [{ shape: [5, 6] }, { shape: [7, 6] }], f: ([x, w]) => F.linear(x!, w!, null, 'quick_gelu') },
  { name: 'gelu', inputs: [{ shape: [11] }], f: ([x]) => F.gelu(x!) },
  { name: 'gelu tanh', inputs: [{ shape: [11] }], f: ([x]) => F.geluTanh(x!) },
  { name: 'quick gelu', inputs: [{ shape: [11] }], f: ([x]) => F.quickGelu(x!) },
  { name: 'layerNorm', inputs: [{ shape: [4, 7] }, { shape: [7] }, { shape: [7] }], f: ([x, g, b]) => F.layerNorm(x!, g!, b!) },
  { name: 'layerNorm no affine', inputs: [{ shape: [3, 65] }], f: ([x]) => F.layerNorm(x!, null, null) },
  { name: 'softmax scaled', inputs: [{ shape: [3, 7] }], f: ([x]) => F.softmax(x!, 2) },
  { name: 'logSoftmax', inputs: [{ shape: [3, 7] }], f: ([x]) => F.logSoftmax(x!) },
  { name: 'l2Normalize', inputs: [{ shape: [3, 7] }], f: ([x]) => F.l2Normalize(x!) },
  { name: 'cosineSimilarity', inputs: [{ shape: [4, 6] }, { shape: [4, 6] }], f: ([a, b]) => F.cosineSimilarity(a!, b!) },
  {
    name: 'attention (separate q, k, v; key mask)', inputs: [{ shape: [2, 3, 8] }, { shape: [2, 5, 8] }, { shape: [2, 5, 8] }],
    f: ([q, k, v], be) => F.attention(q!, k!, v!, { heads: 2, keyMask: tensor(new Int32Array([1, 1, 1, 0, 0, 1, 1, 1, 1, 1]), [2, 5], { device: be, dtype: 'i32' }) }),
  },
  { name: 'attention packed causal', inputs: [{ shape: [2, 4, 12] }], f: ([x]) => F.attentionPacked(x!, { heads: 2, causal: true }) },
  { name: 'attention packed, q == k == v input', inputs: [{ shape: [1, 3, 6] }], f: ([x]) => F.attention(x!, x!, x!, { heads: 3 }) },
  { name: 'embedding', inputs: [{ shape: [5, 3] }], f: ([t], be) => F.embedding(t!, tensor(new Int32Array([4, 0, 4, 2]), [2, 2], { device: be, dtype: 'i32' })) },
  { name: 'indexSelect axis 1', inputs: [{ shape: [2, 5, 3] }], f: ([t], be) => F.indexSelect(t!, 1, tensor(new Int32Array([3, 3, 1]), [3], { device: be, dtype: 'i32' })) },
  { name: 'patchify', inputs: [{ shape: [2, 3, 4, 6] }], f: ([x]) => F.patchify(x!, 2) },
  {
    name: 'crossEntropy smoothing + ignore', inputs: [{ shape: [4, 5] }],
    f: ([x], be) => F.crossEntropyRows(x!, tensor(new Int32Array([1, -1, 4, 0]), [4], { device: be, dtype: 'i32' }), 0.2),
  },
  { name: 'crossEntropy mean', inputs: [{ shape: [3, 6] }], f: ([x], be) => F.crossEntropy(x!, tensor(new Int32Array([5, 0, 2]), [3], { device: be, dtype: 'i32' }), 0.1) },
  { name: 'klDiv both sides', inputs: [{ shape: [3, 6] }, { shape: [3, 6] }], f: ([s, t]) => F.klDivRows(s!, t!, 2) },
  { name: 'klDiv mean', inputs: [{ shape: [3, 6] }, { shape: [3, 6], constant: true }], f: ([s, t]) => F.klDiv(s!, t!, 1) },
];

for (const { name: bname, backend, why } of testBackends()) {
  for (const c of cases) {
    test(`gradcheck ${c.name} (${bname})`, { skip: backend ? false : why }, () => {
      const r = gradcheck(backend!, c.inputs, (xs) => c.f(xs, backend!), { h: c.h });
      assert.ok(r.worst <= 1, `${c.name}: gradient mismatch (ratio ${r.worst.toFixed(2)}) at ${r.where}`);
    });
  }
}
