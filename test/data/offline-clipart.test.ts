import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clipArtAvailable, CLIPART_DIR, listClipArt, parseClipArtMetadata, renderClipArt } from '../../src/data/offline/clipart.js';

const missing = clipArtAvailable() ? false : `Open Clip Art is not installed (${CLIPART_DIR}); install it with: apt-get install openclipart-svg`;

test('clip-art metadata: title, keywords and creator from the RDF block', () => {
  const head = `<svg><metadata><rdf:RDF><cc:Work rdf:about="">
    <dc:title>Red &amp; Blue Apple</dc:title>
    <dc:subject><rdf:Bag><rdf:li>fruit</rdf:li><rdf:li></rdf:li><rdf:li>food</rdf:li></rdf:Bag></dc:subject>
    <dc:publisher><cc:Agent><dc:title>Open Clip Art Library</dc:title></cc:Agent></dc:publisher>
    <dc:creator><cc:Agent><dc:title>Jane Doe</dc:title></cc:Agent></dc:creator>
  </cc:Work></rdf:RDF></metadata></svg>`;
  const m = parseClipArtMetadata(head);
  assert.equal(m.title, 'Red & Blue Apple');
  assert.deepEqual(m.keywords, ['fruit', 'food']);
  assert.equal(m.creator, 'Jane Doe');
  assert.deepEqual(parseClipArtMetadata('<svg/>'), { title: '', keywords: [], creator: '' });
});

test('a missing clip-art folder is reported with the install command', () => {
  assert.throws(() => listClipArt('/nonexistent/openclipart'), /apt-get install openclipart-svg/);
});

test('Open Clip Art: one item per real file, categories from every place it is filed', { skip: missing }, () => {
  const items = listClipArt();
  assert.ok(items.length > 7000, `${items.length} drawings`);
  assert.equal(new Set(items.map((i) => i.rel)).size, items.length);
  const categories = new Set(items.flatMap((i) => i.categories));
  for (const c of ['animals', 'food', 'people', 'computer', 'shapes', 'signs_and_symbols']) assert.ok(categories.has(c), c);
  assert.ok(categories.size >= 20, `${categories.size} categories`);
  // Symbolic links file some drawings under a second folder, sometimes in another category.
  const linked = items.filter((i) => i.paths.length > 1);
  assert.ok(linked.length > 300, `${linked.length} drawings filed more than once`);
  assert.ok(items.some((i) => i.categories.length > 1));
  for (const i of items) {
    assert.ok(i.paths.includes(i.rel));
    assert.ok(i.categories.includes(i.rel.split('/')[0]!));
  }
  const named = items.filter((i) => i.name !== '').length;
  assert.ok(named / items.length > 0.99, `${named} of ${items.length} have a usable name`);
  // Generic collection titles are replaced by words from the file name, without the author's name.
  const flat = items.find((i) => i.rel === 'computer/icons/flat-theme/applications/ksysguard.svg');
  if (flat) assert.equal(flat.name, 'ksysguard');
  const eagle = items.find((i) => i.rel === 'animals/birds/acquila_architetto_franc_01.svg');
  if (eagle) {
    assert.equal(eagle.title, 'Acquila');
    assert.ok(eagle.keywords.includes('bird'));
    assert.ok(!eagle.keywords.some((k) => k.includes('architetto')), 'the author is not a keyword');
  }
});

test('Open Clip Art drawings render, including files without an SVG namespace', { skip: missing }, () => {
  const items = listClipArt();
  const sample = items.filter((_, k) => k % 97 === 0);
  let ok = 0;
  for (const it of sample) {
    try {
      const img = renderClipArt(it, 32);
      assert.deepEqual([img.width, img.height], [32, 32]);
      ok++;
    } catch (e) {
      assert.match((e as Error).message, new RegExp(it.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    }
  }
  assert.ok(ok / sample.length > 0.95, `${ok} of ${sample.length} render`);
  const star = items.find((i) => i.rel === 'shapes/stars/star_11pt04step.svg');
  if (star) assert.equal(renderClipArt(star, 32).width, 32);
});
