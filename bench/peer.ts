/**
 * Running a PyTorch peer script in the same job: finds a python3 that imports torch (PATH's python3, then
 * Debian's /usr/bin/python3), runs the script, parses its last JSON line.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let python: string | null | undefined;

export function torchPython(): string | null {
  if (python !== undefined) return python;
  for (const p of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(p, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return (python = p);
  }
  return (python = null);
}

/** Runs bench/torch/<script> with args; returns the parsed last JSON line of its stdout. */
export function runTorchPeer<T>(script: string, args: (string | number)[], timeoutMs = 1_800_000): T {
  const py = torchPython();
  if (!py) throw new Error('no python3 with torch');
  // The peer scripts live in the source tree (bench/torch), next to this file's source.
  const here = dirname(fileURLToPath(import.meta.url));
  const path = join(here, '..', '..', 'bench', 'torch', script);
  const r = spawnSync(py, [path, ...args.map(String)], { encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`${script} failed (${r.status ?? r.signal}): ${r.stderr.slice(-2000)}`);
  const line = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(line) as T;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function result(name: string, value: number, unit: string): void {
  console.log(`RESULT ${name} ${Number(value.toPrecision(4))} ${unit}`);
}
