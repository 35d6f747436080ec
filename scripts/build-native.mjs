#!/usr/bin/env node
// Builds the native CPU addon (native/cpu) with node-gyp during `npm install` / `npm ci`.
// A failed build is not an install failure: mulki then says so in one line at run time and uses the
// pure-TypeScript 'ref' backend.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const verbose = process.argv.includes('--verbose');
const dir = join(root, 'native', 'cpu');

function nodeGyp() {
  // npm ships node-gyp; npm_config_node_gyp points at it during lifecycle scripts.
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return [process.execPath, [fromNpm]];
  const bundled = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (existsSync(bundled)) return [process.execPath, [bundled]];
  return ['node-gyp', []];
}

if (!existsSync(join(dir, 'binding.gyp'))) {
  console.log('mulki: native/cpu/binding.gyp not found; skipping the native CPU backend build');
  process.exit(0);
}
/**
 * The Node headers: npm passes its `nodedir` setting as npm_config_nodedir; when this script runs outside npm,
 * use the headers installed next to this node binary (<prefix>/include/node) so node-gyp needs no download.
 */
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

const [cmd, pre] = nodeGyp();
const r = spawnSync(cmd, [...pre, 'rebuild', '--release', '-j', '2', ...nodedirArgs()], {
  cwd: dir,
  stdio: verbose ? 'inherit' : 'pipe',
  encoding: 'utf8',
});
if (r.status !== 0) {
  const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
  console.log(`mulki: the native CPU backend did not build (node-gyp exit ${r.status}); mulki will use the slower pure-TypeScript 'ref' backend.\n${tail}`);
} else {
  console.log('mulki: native CPU backend built (native/cpu/build/Release/mulki_cpu.node)');
}

// The CUDA addon, where nvcc exists (scripts/build-cuda.mjs prints one line and exits 0 otherwise). MULKI_SKIP_CUDA=1
// skips it.
if (!process.env.MULKI_SKIP_CUDA) {
  const cuda = spawnSync(process.execPath, [join(root, 'scripts', 'build-cuda.mjs'), ...(verbose ? ['--verbose'] : [])], {
    cwd: root, stdio: 'inherit', encoding: 'utf8',
  });
  if (cuda.status !== 0) console.log(`mulki: the CUDA addon build exited with ${cuda.status}; the cuda backend will be unavailable`);
}
