/**
 * Expected outputs for bench/gpu/hf_interop.py: mulki's own token ids, text embeddings and image embeddings of a
 * model folder, written to JSON so that Python transformers (on the GPU machine, where it is installed) can load the
 * same folder and compare. Usage: node dist/bench/gpu/hf-interop-expect.js MODEL_DIR OUT.json
 */
import { writeFileSync } from 'node:fs';
import { getBackend } from '../../src/engine/device.js';
import { tensor } from '../../src/engine/ops/create.js';
import { scope } from '../../src/engine/memory.js';
import { noGrad } from '../../src/engine/tape.js';
import { Rng } from '../../src/engine/rng.js';
import { openModel } from '../../src/clip/model-folder.js';

const [dir, out] = process.argv.slice(2);
if (!dir || !out) throw new Error('usage: node dist/bench/gpu/hf-interop-expect.js MODEL_DIR OUT.json');
const be = getBackend('cpu');
const { model, tokenizer } = openModel(dir, be);
const prompts = [
  'a photo of the number: "7 - seven".', 'a doodle of a tiger.', 'an emoji of a flag.', 'clip art of a vehicle.',
  'a black and white photo of a sneaker.', 'a photo of a dog.', 'the digit 3', 'a red circle in the top left corner.',
];
const ctx = model.config.text.contextLength;
const ids = tokenizer.tokenize(prompts, ctx);
const S = model.config.vision.imageSize;
const rng = new Rng(5);
const pixels = Float32Array.from({ length: 4 * 3 * S * S }, () => rng.normal());
const res = noGrad(() => scope(() => ({
  text: model.encodeText(tensor(ids, [prompts.length, ctx], { device: be, dtype: 'i32' })).toArray() as Float32Array,
  image: model.encodeImage(tensor(pixels, [4, 3, S, S], { device: be })).toArray() as Float32Array,
})));
writeFileSync(out, JSON.stringify({
  prompts, contextLength: ctx, ids: Array.from(ids), imageSize: S, pixels: Array.from(pixels),
  textEmbeds: Array.from(res.text), imageEmbeds: Array.from(res.image), embedDim: model.config.embedDim,
}));
console.log(`wrote ${out}`);
