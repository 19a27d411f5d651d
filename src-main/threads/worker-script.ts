/** Where the compiled script of a worker thread is. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The compiled worker script `name` (without extension) that sits beside the module at
 * `moduleUrl` (its `import.meta.url`): in the same folder when that module runs compiled, else
 * (running from the sources, as the tests do) at the same place under `dist/`.
 */
export function workerScriptBeside(moduleUrl: string, name: string): string {
  const here = fileURLToPath(moduleUrl);
  const folder = path.dirname(here);
  if (here.endsWith('.js')) return path.join(folder, `${name}.js`);
  const marker = `${path.sep}src-main${path.sep}`;
  const at = folder.lastIndexOf(marker);
  if (at < 0) throw new Error(`${here} is not under src-main`);
  const root = folder.slice(0, at);
  return path.join(root, 'dist', folder.slice(at + 1), `${name}.js`);
}
