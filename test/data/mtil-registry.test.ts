/** The shipped class names and templates against the MTIL protocol, and the dataset registry. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mtilInfo } from '../../src/data/mtil/info.js';
import { EXTRA_DATASETS, MTIL_DATASETS, MTIL_ORDER_I, MTIL_ORDER_II, loadMtilDataset, mtilReader } from '../../src/data/mtil/registry.js';

// The protocol's templates (docs: mtil-protocol.md, "Prompt templates"), copied verbatim.
const PROTOCOL_TEMPLATES: Record<string, string[]> = {
  Aircraft: ['a photo of a {c}, a type of aircraft.', 'a photo of the {c}, a type of aircraft.'],
  Caltech101: ['a photo of a {c}.', 'a painting of a {c}.', 'a plastic {c}.', 'a sculpture of a {c}.',
    'a sketch of a {c}.', 'a tattoo of a {c}.', 'a toy {c}.', 'a rendition of a {c}.', 'a embroidered {c}.',
    'a cartoon {c}.', 'a {c} in a video game.', 'a plushie {c}.', 'a origami {c}.', 'art of a {c}.',
    'graffiti of a {c}.', 'a drawing of a {c}.', 'a doodle of a {c}.', 'a photo of the {c}.',
    'a painting of the {c}.', 'the plastic {c}.', 'a sculpture of the {c}.', 'a sketch of the {c}.',
    'a tattoo of the {c}.', 'the toy {c}.', 'a rendition of the {c}.', 'the embroidered {c}.',
    'the cartoon {c}.', 'the {c} in a video game.', 'the plushie {c}.', 'the origami {c}.',
    'art of the {c}.', 'graffiti of the {c}.', 'a drawing of the {c}.', 'a doodle of the {c}.'],
  CIFAR100: ['a photo of a {c}.', 'a blurry photo of a {c}.', 'a black and white photo of a {c}.',
    'a low contrast photo of a {c}.', 'a high contrast photo of a {c}.', 'a bad photo of a {c}.',
    'a good photo of a {c}.', 'a photo of a small {c}.', 'a photo of a big {c}.', 'a photo of the {c}.',
    'a blurry photo of the {c}.', 'a black and white photo of the {c}.', 'a low contrast photo of the {c}.',
    'a high contrast photo of the {c}.', 'a bad photo of the {c}.', 'a good photo of the {c}.',
    'a photo of the small {c}.', 'a photo of the big {c}.'],
  DTD: ['a photo of a {c} texture.', 'a photo of a {c} pattern.', 'a photo of a {c} thing.',
    'a photo of a {c} object.', 'a photo of the {c} texture.', 'a photo of the {c} pattern.',
    'a photo of the {c} thing.', 'a photo of the {c} object.'],
  EuroSAT: ['a centered satellite photo of {c}.', 'a centered satellite photo of a {c}.',
    'a centered satellite photo of the {c}.'],
  Flowers: ['a photo of a {c}, a type of flower.'],
  Food: ['a photo of a {c}, a type of food.'],
  MNIST: ['a photo of the number: "{c}".'],
  OxfordPet: ['a photo of a {c}, a type of pet.'],
  StanfordCars: ['a photo of a {c}, a type of car.', 'a photo of a {c}.', 'a photo of the {c}.',
    'a photo of my {c}.', 'i love my {c}!', 'a photo of my dirty {c}.', 'a photo of my clean {c}.',
    'a photo of my new {c}.', 'a photo of my old {c}.'],
  SUN397: ['a photo of a {c}.', 'a photo of the {c}.'],
};

test('templates are exactly the protocol templates, first = training template', () => {
  for (const r of MTIL_DATASETS) assert.deepEqual(mtilInfo(r.key).templates, PROTOCOL_TEMPLATES[r.name], r.name);
  assert.deepEqual(mtilInfo('cifar10').templates, PROTOCOL_TEMPLATES.CIFAR100);
});

test('class counts and protocol split sizes (1,201 classes in all)', () => {
  const counts = Object.fromEntries(MTIL_DATASETS.map((r) => [r.name, mtilInfo(r.key).counts]));
  assert.equal(Object.values(counts).reduce((a, c) => a + c.classes, 0), 1201);
  assert.deepEqual(counts.Aircraft, { train: 3334, test: 3333, classes: 100 });
  assert.deepEqual(counts.Caltech101, { train: 6941, test: 1736, classes: 101 });
  assert.deepEqual(counts.SUN397, { train: 87003, test: 21751, classes: 397 });
  assert.deepEqual(counts.Flowers, { train: 1020, test: 6149, classes: 102 });
  for (const r of MTIL_DATASETS) assert.equal(mtilInfo(r.key).name, r.name, 'asset name = reader name');
});

test('hard-coded class names match the protocol (spot checks of the tricky ones)', () => {
  const names = (k: string) => mtilInfo(k).classNames!;
  assert.equal(names('caltech101')[0], 'off-center face');
  assert.equal(names('caltech101')[29], 'head of a  crocodile', 'double space kept verbatim');
  assert.equal(names('caltech101')[83], 'snoopy (cartoon beagle)');
  assert.equal(names('caltech101')[100], 'yin and yang symbol');
  assert.equal(mtilInfo('caltech101').folders![29], 'crocodile_head');
  assert.equal(mtilInfo('caltech101').imagesPerFolder!.reduce((a, b) => a + b, 0), 8677);
  assert.deepEqual(names('eurosat'), [
    'annual crop land', 'forest', 'brushland or shrubland', 'highway or road',
    'industrial buildings or commercial buildings', 'pasture land', 'permanent crop land',
    'residential buildings or homes or apartments', 'river', 'lake or sea',
  ]);
  assert.equal(mtilInfo('eurosat').imagesPerFolder!.reduce((a, b) => a + b, 0), 27000);
  assert.equal(names('flowers')[11], "colt's foot");
  assert.equal(names('flowers')[101], 'blackberry lily');
  assert.equal(names('dtd')[30], 'polka-dotted');
  assert.deepEqual(names('dtd'), [...names('dtd')].sort(), 'DTD names are the sorted folder names');
  assert.equal(names('oxfordpet')[36], 'Yorkshire Terrier');
  assert.equal(names('cifar100')[1], 'aquarium fish');
  assert.equal(names('aircraft')[74], 'Falcon 2000');
  assert.equal(names('mnist')[9], '9 - nine');
});

test('registry: canonical names, aliases, orders', () => {
  assert.equal(mtilReader('Cars').name, 'StanfordCars');
  assert.equal(mtilReader('stanford cars').name, 'StanfordCars');
  assert.equal(mtilReader('Food101').name, 'Food');
  assert.equal(mtilReader('flowers-102').name, 'Flowers');
  assert.equal(mtilReader('FGVC_Aircraft').name, 'Aircraft');
  assert.equal(mtilReader('oxford pets').name, 'OxfordPet');
  assert.equal(mtilReader('cifar-10').name, 'CIFAR10');
  assert.equal(mtilReader('sun397').name, 'SUN397');
  assert.deepEqual(MTIL_ORDER_I, [...MTIL_ORDER_I].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
  assert.deepEqual([...MTIL_ORDER_II].sort(), [...MTIL_ORDER_I].sort());
  assert.equal(MTIL_ORDER_II[0], 'StanfordCars');
  assert.equal(EXTRA_DATASETS[0]!.name, 'CIFAR10');
  assert.throws(
    () => mtilReader('ImageNet'),
    (e: Error) => /unknown MTIL dataset "ImageNet"; known datasets: Aircraft/.test(e.message) && /StanfordCars \(Cars/.test(e.message),
  );
  assert.throws(() => loadMtilDataset('DTD', '/nonexistent-root', 'val' as 'train'), /DTD: unknown split 'val'/);
});
