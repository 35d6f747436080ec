import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emojibaseIndex, emojiCategory, emojiKey, listNotoEmoji, loadNotoEmoji } from '../../src/data/offline/emoji.js';
import { listOpenMoji, renderOpenMoji } from '../../src/data/offline/openmoji.js';
import { listTwemoji, renderTwemoji } from '../../src/data/offline/twemoji.js';
import type { RgbaImage } from '../../src/data/offline/raster.js';

function opaqueFraction(img: RgbaImage): number {
  let n = 0;
  for (let p = 0; p < img.width * img.height; p++) if (img.data[p * 4 + 3]! > 128) n++;
  return n / (img.width * img.height);
}

test('emojiKey ignores case and U+FE0F', () => {
  assert.equal(emojiKey('2764-FE0F'), '2764');
  assert.equal(emojiKey('1F3F3-FE0F-200D-1F308'), '1f3f3-200d-1f308');
  assert.equal(emojiKey('1f436'), '1f436');
});

test('emojibase index: names, tags, groups and skin-tone variants', () => {
  const index = emojibaseIndex();
  assert.ok(index.size > 3000, `${index.size} entries`);
  const dog = index.get('1f436')!;
  assert.equal(dog.label, 'dog face');
  assert.equal(dog.group, 'animals-nature');
  assert.equal(dog.subgroup, 'animal-mammal');
  assert.ok(dog.tags.includes('dog'));
  assert.equal(dog.baseKey, null);
  const thumbsDark = index.get('1f44d-1f3ff')!;
  assert.equal(thumbsDark.baseKey, '1f44d');
  assert.equal(emojiCategory(dog.subgroup), 'animal');
  assert.equal(emojiCategory('transport-air'), 'vehicle');
  assert.equal(emojiCategory('no-such-subgroup'), null);
});

test('Noto emoji: every base emoji has a name and a 64x64 PNG that decodes', async () => {
  const list = listNotoEmoji();
  assert.ok(list.length >= 1800, `${list.length} Noto emoji`);
  assert.equal(new Set(list.map((e) => e.id)).size, list.length, 'ids are unique');
  for (const e of list) assert.ok(e.name.length > 0 && e.group.length > 0, `${e.id} has a name and a group`);
  const index = emojibaseIndex();
  assert.ok(list.every((e) => (index.get(e.key)?.baseKey ?? null) === null), 'skin-tone variants are left out');
  const dog = list.find((e) => e.key === '1f436')!;
  assert.equal(dog.name, 'dog face');
  const img = await loadNotoEmoji(dog, 48);
  assert.deepEqual([img.width, img.height], [48, 48]);
  const f = opaqueFraction(img);
  assert.ok(f > 0.3 && f < 0.95, `dog face covers ${f} of its square`);
});

test('OpenMoji: annotations and tags, colour and black line art render', () => {
  const list = listOpenMoji();
  assert.ok(list.length >= 2000, `${list.length} OpenMoji`);
  assert.ok(list.every((e) => !e.skinTone));
  assert.ok(listOpenMoji({ skinTones: true }).length > list.length + 1000);
  const cat = list.find((e) => e.hexcode === '1F408')!;
  assert.equal(cat.name, 'cat');
  assert.equal(cat.group, 'animals-nature');
  const colour = renderOpenMoji(cat, 40, 'color');
  const line = renderOpenMoji(cat, 40, 'black');
  assert.ok(opaqueFraction(colour) > 0.1);
  // The line art is black: every clearly visible pixel is dark.
  let bright = 0;
  for (let p = 0; p < 40 * 40; p++) if (line.data[p * 4 + 3]! > 200 && line.data[p * 4]! > 100) bright++;
  assert.equal(bright, 0);
  assert.ok(opaqueFraction(line) < opaqueFraction(colour), 'line art has less ink than the colour drawing');
});

test('Twemoji: files matched to emojibase names, rendered from SVG', () => {
  const list = listTwemoji();
  assert.ok(list.length >= 1800, `${list.length} Twemoji`);
  assert.ok(list.every((e) => !e.skinTone && e.baseKey === e.key));
  const withTones = listTwemoji({ skinTones: true });
  assert.ok(withTones.length > list.length + 1000);
  assert.ok(withTones.filter((e) => e.skinTone).every((e) => e.baseKey !== e.key));
  const dog = list.find((e) => e.key === '1f436')!;
  assert.equal(dog.name, 'dog face');
  assert.equal(dog.id, 'twemoji:1f436');
  const img = renderTwemoji(dog, 32);
  assert.deepEqual([img.width, img.height], [32, 32]);
  assert.ok(opaqueFraction(img) > 0.3);
  assert.throws(() => renderTwemoji({ name: 'nothing', file: '/nonexistent/1f000.svg' }, 32), /npm install @twemoji\/svg/);
});
