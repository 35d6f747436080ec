/**
 * Locating files that ship with the package (architecture configs, class names, split lists, the built-in model)
 * under <package root>/assets, whether mulki runs from the repository or from an installed package.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

/** The folder holding mulki's package.json. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'mulki') return (root = dir);
      } catch {
        /* keep walking up */
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the mulki package root (package.json named "mulki")');
    dir = up;
  }
}

/** Path of a shipped asset, e.g. assetPath('splits', 'caltech101.json'). */
export function assetPath(...parts: string[]): string {
  return join(packageRoot(), 'assets', ...parts);
}

/** Reads and parses a shipped JSON asset, naming the file on failure. */
export function readJsonAsset<T>(...parts: string[]): T {
  const p = assetPath(...parts);
  if (!existsSync(p)) throw new Error(`missing asset ${p}`);
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as T;
  } catch (e) {
    throw new Error(`asset ${p} is not valid JSON: ${(e as Error).message}`);
  }
}
