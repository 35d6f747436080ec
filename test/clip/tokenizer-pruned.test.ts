/**
 * Pruned vocabularies (the built-in model's): texts made of kept tokens encode to the same tokens as with the full
 * vocabulary (renumbered), anything else becomes <|unk|>, the end token keeps the largest id, every merge left is
 * inside the vocabulary (what Hugging Face's BPE requires), and the saved folder reloads identically.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClipTokenizer } from '../../src/clip/tokenizer.js';

test('a pruned tokenizer keeps the tokens of its texts, their merges, and <|unk|> for the rest', () => {
  const base = ClipTokenizer.default();
  const texts = ['a doodle of a tiger.', 'a photo of the number: "7 - seven".', 'clip art of a vehicle.'];
  const keep = new Set<number>();
  for (const t of texts) for (const id of base.encode(t)) keep.add(id);
  const { tokenizer: small, idMap } = base.pruned(keep);
  for (const t of texts) assert.deepEqual(small.encode(t), base.encode(t).map((id) => idMap.get(id)), t);
  assert.equal(small.eotId, small.vocabSize - 1, 'end token has the largest id');
  assert.equal(small.sotId, small.vocabSize - 2);
  assert.equal(small.unkId, small.vocabSize - 3);
  assert.ok(small.vocabSize < 200, `small vocabulary (${small.vocabSize})`);
  const unk = small.encode('xylophone zebra');
  assert.ok(unk.includes(small.unkId!), 'unknown words encode with <|unk|>');
  assert.ok(unk.every((id) => id < small.vocabSize));

  const dir = mkdtempSync(join(tmpdir(), 'mulki-pruned-'));
  try {
    small.saveHfFiles(dir);
    const vocab = JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')) as Record<string, number>;
    const merges = readFileSync(join(dir, 'merges.txt'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(' '));
    assert.ok(merges.length > 0);
    for (const [a, b] of merges) assert.ok(a! in vocab && b! in vocab && a! + b! in vocab, `merge ${a} ${b} stays inside the vocabulary`);
    assert.equal(JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')).unk_token, '<|unk|>');
    const again = ClipTokenizer.fromHfFolder(dir);
    for (const t of [...texts, 'xylophone zebra']) assert.deepEqual(again.encode(t), small.encode(t));
    assert.deepEqual(again.tokenize(texts, 20), small.tokenize(texts, 20));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
