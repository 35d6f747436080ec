import assert from 'node:assert/strict';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Rng } from '../../src/engine/rng.js';
import { clipArtAvailable, listClipArt } from '../../src/data/offline/clipart.js';
import type { RgbaImage } from '../../src/data/offline/raster.js';
import { buildCorpus, CORPUS_SOURCES } from '../../src/data/synth/build.js';
import { isPlural, objectCaptions, readableName, withArticle, type ObjectStyle } from '../../src/data/synth/captions.js';
import { selectClipArt } from '../../src/data/synth/clipart-source.js';
import { openCorpus } from '../../src/data/synth/corpus.js';
import {
  CLIPART_HELDOUT_CATEGORIES,
  clipArtTaskClass,
  DOWNSTREAM_ONLY_SOURCES,
  heldOutFileNames,
  inkThumbnail,
  isHeldOutClipArt,
  NearDuplicateIndex,
  sharesFileName,
} from '../../src/data/synth/holdout.js';
import { edgeMap } from '../../src/data/synth/image-ops.js';
import { renderObject } from '../../src/data/synth/object-styles.js';
import { numberWords } from '../../src/data/synth/text-source.js';
import { tempRoot } from './helpers.js';

const noClipArt = clipArtAvailable() ? false : 'Open Clip Art is not installed; install it with: apt-get install openclipart-svg';

/** A 64x64 RGBA drawing: a red square with a transparent margin. */
function redSquare(size = 64, from = 16, to = 48): RgbaImage {
  const data = new Uint8Array(size * size * 4);
  for (let y = from; y < to; y++) for (let x = from; x < to; x++) data.set([220, 20, 20, 255], (y * size + x) * 4);
  return { width: size, height: size, data };
}

test('captions: articles, plurals and readable emoji names', () => {
  assert.equal(withArticle('apple'), 'an apple');
  assert.equal(withArticle('dog face'), 'a dog face');
  assert.equal(withArticle('unicorn'), 'a unicorn');
  assert.equal(withArticle('hour glass'), 'an hour glass');
  assert.equal(withArticle('jeans'), 'jeans');
  assert.equal(withArticle('bus'), 'a bus');
  assert.equal(withArticle('dress'), 'a dress');
  assert.equal(withArticle('flag of Japan'), 'the flag of Japan');
  assert.ok(isPlural('chopsticks') && !isPlural('octopus') && !isPlural('glass'));
  assert.equal(readableName('flag: Japan'), 'flag of Japan');
  assert.equal(readableName('keycap: 1'), 'keycap 1');
  assert.equal(numberWords(7), 'seven');
  assert.equal(numberWords(42), 'forty-two');
  assert.equal(numberWords(13), 'thirteen');
});

test('captions: the first says what and how, the rest are distinct and tidy', () => {
  const concept = { names: ['running shoe', 'sneaker'], tags: ['athletic', 'shoe'], category: 'clothing', kind: 'emoji' as const };
  const styles: ObjectStyle[] = ['clean', 'color', 'gray', 'on-black', 'inverted', 'lowres', 'sketch', 'sketch-inverted', 'silhouette', 'line-art'];
  for (const style of styles) {
    const caps = objectCaptions(concept, style, new Rng(`t|${style}`), 5);
    assert.equal(caps.length, 5, style);
    assert.equal(new Set(caps).size, 5, `${style}: distinct`);
    assert.match(caps[0]!, /^[a-z].* a running shoe\.$/, `${style}: ${caps[0]}`);
    for (const c of caps) {
      assert.doesNotMatch(c, /\bof of\b|\s\s|\s[.,]|\.\.$/, `${style}: ${c}`);
      assert.ok(c.length < 120, c);
    }
  }
  const sketch = objectCaptions(concept, 'sketch', new Rng(1), 5)[0]!;
  assert.match(sketch, /sketch|drawing|doodle|outline/);
  assert.throws(() => objectCaptions({ ...concept, names: [] }, 'clean', new Rng(1), 3), /at least one name/);
});

test('image ops: a Sobel edge map draws the outline of a filled square only', () => {
  const e = edgeMap(redSquare());
  assert.equal(e[32 * 64 + 16], 1, 'left edge');
  assert.equal(e[16 * 64 + 32], 1, 'top edge');
  assert.equal(e[32 * 64 + 32], 0, 'inside');
  assert.equal(e[4 * 64 + 4], 0, 'outside');
});

test('object styles: sizes and the looks that bridge to the downstream tasks', () => {
  const obj = redSquare();
  const at = (img: { data: Uint8Array }, x: number, y: number) => [...img.data.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3)];
  const clean = renderObject(obj, 'clean', new Rng(1), { size: 32, allowFlip: true });
  assert.deepEqual([clean.width, clean.height, clean.channels, clean.data.length], [32, 32, 3, 32 * 32 * 3]);
  assert.deepEqual(at(clean, 0, 0), [255, 255, 255], 'white background');
  const c = at(clean, 16, 16);
  assert.ok(c[0]! > 200 && c[1]! < 60, `red centre ${c}`);
  const onBlack = renderObject(obj, 'on-black', new Rng(2), { size: 32, allowFlip: true });
  assert.deepEqual(at(onBlack, 0, 0), [0, 0, 0], 'black background');
  const grey = onBlack.data.filter((_, i) => i % 3 === 0);
  assert.ok(onBlack.data.every((v, i) => i % 3 !== 0 || (v === onBlack.data[i + 1] && v === onBlack.data[i + 2])), 'grey');
  assert.ok(Math.max(...grey) > 60, 'the object shows as grey on black');
  // Black line art would vanish on black: it shows as light lines instead.
  const black = redSquare();
  for (let p = 0; p < 64 * 64; p++) if (black.data[p * 4 + 3]) black.data.set([0, 0, 0], p * 4);
  const blackOnBlack = renderObject(black, 'on-black', new Rng(2), { size: 32, allowFlip: true });
  assert.deepEqual(at(blackOnBlack, 0, 0), [0, 0, 0]);
  assert.ok(Math.max(...blackOnBlack.data) > 200, 'a dark drawing stays visible on black');
  const sketch = renderObject(obj, 'sketch', new Rng(3), { size: 32, allowFlip: true });
  const dark = sketch.data.filter((v) => v < 128).length / 3;
  assert.ok(dark > 10 && dark < 300, `${dark} dark pixels: thin lines on white`);
  const inverted = renderObject(obj, 'inverted', new Rng(4), { size: 32, allowFlip: true });
  assert.deepEqual(at(inverted, 0, 0), [0, 0, 0]);
  assert.throws(() => renderObject(obj, 'line-art', new Rng(5), { size: 32, allowFlip: true }), /line-art/);
  assert.throws(() => renderObject(redSquare(50, 10, 20), 'clean', new Rng(5), { size: 32, allowFlip: true }), /multiple of 32/);
});

test('held-out policy: categories, task classes and near-duplicates', () => {
  assert.ok(isHeldOutClipArt({ categories: ['animals'] }));
  assert.ok(isHeldOutClipArt({ categories: ['computer', 'food'] }), 'a link into a held-out category holds a drawing out');
  assert.ok(!isHeldOutClipArt({ categories: ['computer', 'shapes'] }));
  assert.equal(clipArtTaskClass({ paths: ['animals/birds/x.svg'] }), 0);
  assert.equal(clipArtTaskClass({ paths: ['people/clothing/hats/x.svg'] }), -1, 'excluded folder');
  assert.equal(clipArtTaskClass({ paths: ['animals/x.svg', 'food/x.svg'] }), -1, 'ambiguous');
  assert.equal(clipArtTaskClass({ paths: ['computer/x.svg'] }), -1);
  const names = heldOutFileNames([{ categories: ['food'], paths: ['food/apple_01.svg', 'computer/apple_link.svg'] }]);
  assert.ok(sharesFileName({ paths: ['unsorted/APPLE_01.svg'] }, names));
  assert.ok(!sharesFileName({ paths: ['unsorted/pear.svg'] }, names));
  const index = new NearDuplicateIndex();
  index.add(inkThumbnail(redSquare()));
  assert.ok(index.has(inkThumbnail(redSquare())), 'the same picture');
  assert.ok(index.has(inkThumbnail(redSquare(64, 16, 47))), 'one pixel smaller');
  assert.ok(!index.has(inkThumbnail(redSquare(64, 4, 30))), 'a different picture');
  for (const s of DOWNSTREAM_ONLY_SOURCES) assert.ok(!(CORPUS_SOURCES as readonly string[]).includes(s), s);
});

test('clip-art selection keeps every held-out drawing (and its re-uploads) out of the corpus', { skip: noClipArt }, () => {
  const all = listClipArt();
  const sel = selectClipArt(all, 120, '0');
  const names = heldOutFileNames(all);
  assert.ok(sel.heldOut.length > 1000);
  assert.ok(sel.candidates.length > 2500, `${sel.candidates.length} candidates`);
  for (const it of sel.candidates) {
    assert.ok(!it.categories.some((c) => CLIPART_HELDOUT_CATEGORIES.includes(c)), it.rel);
    assert.ok(!sharesFileName(it, names), it.rel);
    assert.equal(clipArtTaskClass(it), -1, it.rel);
  }
  assert.equal(sel.candidates.length + sel.heldOut.length + sel.sameFileName.length + sel.unnamed.length + sel.overFolderCap.length, all.length);
});

test('buildCorpus: same seed, same bytes; another seed, other bytes; nothing downstream inside', async () => {
  const tmp = tempRoot('corpus');
  try {
    const opts = { size: 32 as const, seed: 7, maxPerSource: 3, captionsPerImage: 4 };
    const t0 = performance.now();
    const a = await buildCorpus({ ...opts, outDir: join(tmp.root, 'a') });
    const b = await buildCorpus({ ...opts, outDir: join(tmp.root, 'b') });
    const c = await buildCorpus({ ...opts, seed: 8, outDir: join(tmp.root, 'c') });
    assert.notEqual(c.manifest.files.images.sha256, a.manifest.files.images.sha256);
    const seconds = (performance.now() - t0) / 1000;
    for (const f of ['images.u8', 'entries.ndjson']) {
      assert.ok(readFileSync(join(tmp.root, 'a', f)).equals(readFileSync(join(tmp.root, 'b', f))), `${f}: same bytes`);
      assert.ok(!readFileSync(join(tmp.root, 'a', f)).equals(readFileSync(join(tmp.root, 'c', f))), `${f}: other seed, other bytes`);
    }
    assert.deepEqual(a.manifest.files, b.manifest.files);
    const m = a.manifest;
    const expected = m.sources.map((s) => s.name);
    for (const s of ['noto', 'openmoji', 'digits', 'text', 'shapes', 'patterns', 'colours']) assert.ok(expected.includes(s), s);
    if (!noClipArt) assert.ok(expected.includes('clipart'));
    for (const s of m.sources) {
      assert.ok(s.items <= 3 && s.items > 0, `${s.name}: ${s.items} items`);
      assert.ok(s.licence.length > 0, `${s.name} has a licence`);
    }
    assert.equal(m.sources.find((s) => s.name === 'noto')!.images, 3 * 6, 'six images per emoji');
    assert.deepEqual(m.heldOut.clipArtCategories, [...CLIPART_HELDOUT_CATEGORIES]);

    const corpus = openCorpus(join(tmp.root, 'a'), { verify: true });
    assert.equal(corpus.length, m.count);
    assert.equal(corpus.size, 32);
    const clip = noClipArt ? new Map() : new Map(listClipArt().map((i) => [i.id, i]));
    for (let i = 0; i < corpus.length; i++) {
      const e = corpus.entry(i);
      const img = corpus.image(i);
      assert.deepEqual([img.width, img.height, img.channels, img.data.length], [32, 32, 3, 3072]);
      assert.equal(e.captions.length, 4);
      assert.ok((CORPUS_SOURCES as readonly string[]).includes(e.source), e.source);
      assert.ok(!DOWNSTREAM_ONLY_SOURCES.some((d) => e.id.startsWith(d) || e.item.startsWith(d)), e.id);
      if (e.source === 'clipart') {
        const item = clip.get(e.item);
        assert.ok(item, `${e.item} is a clip-art file`);
        assert.ok(!isHeldOutClipArt(item), `${e.item} is not held out`);
      }
    }
    const out = corpus.readImages([2, 0], new Uint8Array(2 * 3072));
    assert.deepEqual(out.subarray(3072), corpus.image(0).data);
    assert.throws(() => corpus.image(corpus.length), /out of range/);
    console.log(`# three corpora of ${m.count} images in ${seconds.toFixed(1)} s`);

    // Damage is reported, not read.
    truncateSync(join(tmp.root, 'b', 'images.u8'), 100);
    assert.throws(() => openCorpus(join(tmp.root, 'b')), /images\.u8 has 100 bytes.*rebuild/);
    writeFileSync(join(tmp.root, 'c', 'manifest.json'), '{"format": "something else"}');
    assert.throws(() => openCorpus(join(tmp.root, 'c')), /format is "something else"/);
    assert.throws(() => openCorpus(join(tmp.root, 'nothing')), /no manifest\.json.*buildCorpus/);
  } finally {
    tmp.done();
  }
});

test('buildCorpus: other sizes, chosen sources, and an absent clip-art library', async () => {
  const tmp = tempRoot('corpus48');
  try {
    const r = await buildCorpus({ outDir: tmp.root, size: 48, seed: 1, maxPerSource: 5, sources: ['shapes', 'digits'], clipArtDir: '/nonexistent' });
    assert.deepEqual(r.manifest.sources.map((s) => s.name), ['digits', 'shapes']);
    const c = openCorpus(tmp.root);
    assert.equal(c.length, 10);
    assert.equal(c.image(0).data.length, 48 * 48 * 3);
    assert.match(c.captions(0)[0]!, /^the (digit|number)/);
    await assert.rejects(
      buildCorpus({ outDir: tmp.root, size: 32, seed: 1, maxPerSource: 1, sources: ['clipart'], clipArtDir: '/nonexistent' }),
      /"clipart" was asked for.*apt-get install openclipart-svg/,
    );
    const skipped = await buildCorpus({ outDir: tmp.root, size: 32, seed: 1, maxPerSource: 1, clipArtDir: '/nonexistent' });
    assert.ok(skipped.manifest.missingSources.some((s) => s.name === 'clipart' && /apt-get install openclipart-svg/.test(s.reason)));
    assert.ok(!skipped.manifest.sources.some((s) => s.name === 'clipart'));
    await assert.rejects(buildCorpus({ outDir: tmp.root, size: 40 as 32, seed: 1 }), /size must be 32, 48 or 64/);
    await assert.rejects(buildCorpus({ outDir: tmp.root, size: 32, seed: 1, sources: ['photos' as 'noto'] }), /unknown source "photos"/);
  } finally {
    tmp.done();
  }
});
