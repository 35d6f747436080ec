#!/usr/bin/env node
// One-off migration of a model folder made with the first pruned-vocabulary format (kept tokens only, all merges) to
// the current one (kept tokens closed under their merges, merges filtered: loadable by Hugging Face's BPE).
// The embedding rows of the kept tokens, <|unk|>, <|startoftext|> and <|endoftext|> are copied; every token added
// by the closure gets <|unk|>'s row, which is what it encoded to before. Prompts made of kept tokens therefore give
// exactly the same features (the card's zero-shot scores are re-measured by the test suite).
// Usage: node scripts/migrate-builtin-vocab.mjs IN_DIR OUT_DIR
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClipTokenizer } from '../dist/src/clip/tokenizer.js';
import { readModelConfig, loadClip } from '../dist/src/clip/weights.js';
import { createClip } from '../dist/src/clip/model.js';
import { getBackend } from '../dist/src/engine/device.js';
import { writeCard, writeModelFolder } from '../dist/src/pretrain/model-card.js';

const [inDir, outDir] = process.argv.slice(2);
if (!inDir || !outDir) throw new Error('usage: node scripts/migrate-builtin-vocab.mjs IN_DIR OUT_DIR');
const be = getBackend('cpu');
const oldTok = ClipTokenizer.fromHfFolder(inDir);
const oldVocab = JSON.parse(readFileSync(join(inDir, 'vocab.json'), 'utf8'));
const base = ClipTokenizer.default();
const baseEncoder = JSON.parse(JSON.stringify(Object.fromEntries(base['encoder'])));
const keep = Object.keys(oldVocab).filter((t) => !t.startsWith('<|')).map((t) => baseEncoder[t]);
if (keep.some((id) => id === undefined)) throw new Error('a kept token is not in the base vocabulary');
const { tokenizer } = base.pruned(keep);
const newVocab = Object.fromEntries(tokenizer['encoder']);
const old = loadClip(be, inDir);
const cfg = readModelConfig(inDir);
const V = tokenizer.vocabSize;
const config = { ...cfg, text: { ...cfg.text, vocabSize: V, bosTokenId: V - 2, eosTokenId: V - 1 } };
const model = createClip(be, config, 0);
const state = old.stateArrays();
const W = cfg.text.width;
const oldEmb = state.get('text_model.embeddings.token_embedding.weight');
const emb = new Float32Array(V * W);
const unkRow = oldVocab['<|unk|>'];
let added = 0;
for (const [tok, k] of Object.entries(newVocab)) {
  const o = oldVocab[tok];
  if (o === undefined) added++;
  emb.set(oldEmb.subarray((o ?? unkRow) * W, ((o ?? unkRow) + 1) * W), k * W);
}
state.set('text_model.embeddings.token_embedding.weight', emb);
model.loadStateArrays(state, true, inDir);
mkdirSync(outDir, { recursive: true });
writeModelFolder(outDir, model, tokenizer, 'F16');
const card = JSON.parse(readFileSync(join(inDir, 'card.json'), 'utf8'));
card.architecture = config;
card.parameters = model.parameterCount();
card.vocabulary = {
  tokens: V,
  note: "OpenAI's CLIP BPE pruned to the tokens of the corpus captions and of MTIL-Offline's and common prompt templates, closed under the merges that build them (only merges whose parts and result are kept remain, so the folder loads in Hugging Face's BPE); other tokens map to <|unk|>; ids renumbered in the original order with <|unk|>, <|startoftext|>, <|endoftext|> last." +
    ` (${added} merge-intermediate tokens were added after training by scripts/migrate-builtin-vocab.mjs with <|unk|>'s embedding, which is what they encoded to before.)`,
};
writeCard(outDir, card);
console.log(`vocabulary ${oldTok.vocabSize} -> ${V} tokens (${added} added); ${model.parameterCount()} parameters -> ${outDir}`);
