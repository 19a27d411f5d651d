/**
 * Before any test runs: the tests start `bin/cq.js` and worker threads from the compiled
 * `dist/`, so a source file changed since the last build would be tested in its old form.
 * Rebuild the Node side when any source tsconfig.build.json compiles (src-main, src-shared and
 * test/bench, which `cq bench` loads from dist/) is newer than its output. A deleted source
 * leaves its old output behind, which nothing imports.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The folders tsconfig.build.json includes. */
export const BUILT = ['src-main', 'src-shared', path.join('test', 'bench')];

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The first source whose compiled file is missing or older, if any. */
function staleSource(): string | undefined {
  for (const top of BUILT) {
    for (const file of sources(path.join(ROOT, top))) {
      const built = path.join(ROOT, 'dist', path.relative(ROOT, file)).replace(/\.tsx?$/, '.js');
      const output = fs.statSync(built, { throwIfNoEntry: false });
      if (!output || output.mtimeMs < fs.statSync(file).mtimeMs) return file;
    }
  }
  return undefined;
}

export default function setup(): void {
  const stale = staleSource();
  if (stale === undefined) return;
  process.stdout.write(
    `dist/ is older than ${path.relative(ROOT, stale)}: building before the tests\n`,
  );
  execFileSync(
    process.execPath,
    [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    { cwd: ROOT, stdio: 'inherit' },
  );
}
