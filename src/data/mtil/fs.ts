/**
 * File-system helpers for dataset readers: every failure names the dataset and the file or folder involved.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Code-point order, as Python's sorted() on str (what torchvision uses for folder listings). */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function requireDir(dataset: string, dir: string, hint = ''): void {
  if (!existsSync(dir)) throw new Error(`${dataset}: missing folder ${dir}${hint ? ` (${hint})` : ''}`);
  if (!statSync(dir).isDirectory()) throw new Error(`${dataset}: ${dir} is not a folder`);
}

export function requireFile(dataset: string, file: string, what = 'file'): void {
  if (!existsSync(file)) throw new Error(`${dataset}: missing ${what} ${file}`);
  if (!statSync(file).isFile()) throw new Error(`${dataset}: ${what} ${file} is not a file`);
}

/** The first of several candidate files that exists, or an error listing all of them. */
export function firstExisting(dataset: string, candidates: readonly string[], what: string): string {
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error(`${dataset}: missing ${what} (looked for ${candidates.join(', ')})`);
}

export function readText(dataset: string, file: string, what = 'file'): string {
  requireFile(dataset, file, what);
  return readFileSync(file, 'utf8');
}

/** Lines of a text file with their 1-based line numbers, without line ends; blank lines are skipped. */
export function readLines(dataset: string, file: string, what = 'file'): { line: string; n: number }[] {
  const out: { line: string; n: number }[] = [];
  readText(dataset, file, what)
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.replace(/\r$/, '');
      if (line.trim() !== '') out.push({ line, n: i + 1 });
    });
  return out;
}

export function readJson(dataset: string, file: string, what = 'file'): unknown {
  const text = readText(dataset, file, what);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${dataset}: ${what} ${file} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Sub-folder names of `dir`, sorted by code point. */
export function listDirs(dataset: string, dir: string): string[] {
  requireDir(dataset, dir);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() || (d.isSymbolicLink() && statSync(join(dir, d.name)).isDirectory()))
    .map((d) => d.name)
    .sort(byCodePoint);
}

/** File names in `dir` (not folders), sorted by code point. */
export function listFiles(dataset: string, dir: string): string[] {
  requireDir(dataset, dir);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile() || (d.isSymbolicLink() && statSync(join(dir, d.name)).isFile()))
    .map((d) => d.name)
    .sort(byCodePoint);
}

/** Compares a folder listing with the expected one; the error lists what is missing and what is unexpected. */
export function expectFolders(dataset: string, dir: string, found: readonly string[], expected: readonly string[]): void {
  const f = new Set(found);
  const e = new Set(expected);
  const missing = expected.filter((x) => !f.has(x));
  const extra = found.filter((x) => !e.has(x));
  if (missing.length || extra.length) {
    const parts = [];
    if (missing.length) parts.push(`missing ${missing.length} (${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', ...' : ''})`);
    if (extra.length) parts.push(`unexpected ${extra.length} (${extra.slice(0, 8).join(', ')}${extra.length > 8 ? ', ...' : ''})`);
    throw new Error(`${dataset}: the class folders in ${dir} differ from the expected ${expected.length}: ${parts.join('; ')}`);
  }
}
