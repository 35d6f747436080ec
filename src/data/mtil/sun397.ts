/**
 * SUN397: SUN397/ClassName.txt (lines like "/a/abbey"; name = line minus "/x/", '_' -> space) and images
 * SUN397/<letter>/<class path>/sun_*.jpg. torchvision lists the images with Path.rglob, whose order depends on the
 * file system; here they are sorted by relative path (code point order), and ZSCL's seeded 80/20 split
 * (assets/splits/sun397.json) is applied to that order. The permutation is ZSCL's; which image lands where cannot
 * match ZSCL's runs exactly.
 */
import { join } from 'node:path';
import { fileDataset } from './examples.js';
import { byCodePoint, listFiles, readLines, requireDir } from './fs.js';
import { mtilInfo, underscoreToSpace } from './info.js';
import { checkSplit, type MtilReader, type MtilSplit } from './reader.js';
import { zsclSplitIndices } from './splits.js';

const NAME = 'SUN397';
const IMAGE = /^sun_.*\.jpg$/;
const CLASS_LINE = /^\/[a-z]\/(.+)$/;

/** Class paths ("a/abbey", "a/apartment_building/outdoor") from ClassName.txt, in file order. */
export function sun397Classes(root: string): { paths: string[]; file: string } {
  const file = join(root, 'SUN397', 'ClassName.txt');
  const paths = readLines(NAME, file, 'class list').map(({ line, n }) => {
    const t = line.trim();
    if (!CLASS_LINE.test(t)) throw new Error(`${NAME}: ${file}:${n}: expected a class like "/a/abbey", got "${t}"`);
    return t.slice(1);
  });
  return { paths, file };
}

/** Every example of the full dataset, sorted by relative path. */
export function sun397All(root: string): { paths: string[]; labels: number[]; classPaths: string[]; dir: string } {
  const dir = join(root, 'SUN397');
  requireDir(NAME, dir);
  const classPaths = sun397Classes(root).paths;
  const entries: { rel: string; label: number }[] = [];
  classPaths.forEach((cp, label) => {
    const classDir = join(dir, ...cp.split('/'));
    for (const f of listFiles(NAME, classDir)) if (IMAGE.test(f)) entries.push({ rel: `${cp}/${f}`, label });
  });
  entries.sort((a, b) => byCodePoint(a.rel, b.rel));
  return {
    paths: entries.map((e) => join(dir, ...e.rel.split('/'))),
    labels: entries.map((e) => e.label),
    classPaths,
    dir,
  };
}

/** The class name of a class path: "a/apartment_building/outdoor" -> "apartment building/outdoor" (torchvision
 * strips the "/x/" letter folder, ZSCL turns '_' into spaces). */
export function sun397ClassName(classPath: string): string {
  return underscoreToSpace(classPath.slice(2));
}

function load(root: string, split: MtilSplit) {
  checkSplit(NAME, split);
  const info = mtilInfo('sun397');
  const all = sun397All(root);
  const idx = zsclSplitIndices('sun397', NAME, all.dir, all.paths.length, split);
  const classNames = all.classPaths.map(sun397ClassName);
  return fileDataset(
    { name: NAME, split, classNames, templates: info.templates },
    Array.from(idx, (i) => all.paths[i]!),
    Array.from(idx, (i) => all.labels[i]!),
  );
}

export const sun397: MtilReader = {
  name: NAME,
  aliases: ['SUN', 'SUN-397'],
  key: 'sun397',
  folders: ['SUN397'],
  load,
};
