/**
 * Helpers for the data tests: temporary data roots, tiny real JPEGs, and the committed fixtures
 * (test/fixtures/data, made by scripts/make-test-fixtures.py).
 */
import { accessSync, constants, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { packageRoot } from '../../src/assets.js';

export function fixture(...parts: string[]): string {
  return join(packageRoot(), 'test', 'fixtures', 'data', ...parts);
}

/** Memory-backed /dev/shm when usable: the full-size layouts create tens of thousands of files. */
function scratchDir(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

/** A fresh temporary folder; call `done()` to remove it. */
export function tempRoot(prefix: string): { root: string; done: () => void } {
  const root = mkdtempSync(join(scratchDir(), `mulki-${prefix}-`));
  return { root, done: () => rmSync(root, { recursive: true, force: true }) };
}

const jpegCache = new Map<string, Buffer>();

/** A real 8x8 JPEG of one colour. */
export async function tinyJpeg(r = 200, g = 100, b = 50): Promise<Buffer> {
  const key = `${r},${g},${b}`;
  let buf = jpegCache.get(key);
  if (!buf) {
    buf = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r, g, b } } }).jpeg().toBuffer();
    jpegCache.set(key, buf);
  }
  return buf;
}

export function writeFile(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
}

/** Writes the same tiny JPEG at every path. */
export async function writeJpegs(paths: readonly string[]): Promise<void> {
  const jpg = await tinyJpeg();
  for (const p of paths) writeFile(p, jpg);
}

export function copyFixture(rel: string, root: string, dest = rel): void {
  const to = join(root, dest);
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(fixture(rel), to);
}

/** Whether the sharp decoder can read the file as an image (the layouts hold real images). */
export async function isImage(path: string): Promise<boolean> {
  try {
    const m = await sharp(path).metadata();
    return (m.width ?? 0) > 0;
  } catch {
    return false;
  }
}
