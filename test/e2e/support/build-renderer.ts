/**
 * Builds the console renderer with Vite once for all end-to-end tests: a stamp in
 * dist-renderer/ records a hash of every source the bundle is made from, so an up-to-date build
 * is reused, and a lock folder keeps two test workers from building at the same time.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this module with `bin/cq.js` (works from dist/ too). */
export const REPO_ROOT = ((): string => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'bin', 'cq.js'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find bin/cq.js above ${import.meta.url}`);
    dir = parent;
  }
  return dir;
})();

/** Where the built renderer goes (vite.config.ts). */
export const RENDERER_DIR = path.join(REPO_ROOT, 'dist-renderer');

const STAMP = path.join(RENDERER_DIR, '.build-stamp');
const LOCK = path.join(REPO_ROOT, '.renderer-build.lock');
const SOURCES = ['src-renderer', 'src-shared', 'assets', 'vite.config.ts', 'package-lock.json'];

function listFiles(entry: string, out: string[]): void {
  const stat = fs.statSync(entry, { throwIfNoEntry: false });
  if (!stat) return;
  if (stat.isFile()) {
    out.push(entry);
    return;
  }
  for (const name of fs.readdirSync(entry).sort()) listFiles(path.join(entry, name), out);
}

/** Hash of every file the bundle is built from. */
export function sourceHash(): string {
  const hash = createHash('sha256');
  const files: string[] = [];
  for (const source of SOURCES) listFiles(path.join(REPO_ROOT, source), files);
  for (const file of files) {
    hash.update(path.relative(REPO_ROOT, file));
    hash.update('\0');
    hash.update(fs.readFileSync(file));
  }
  return hash.digest('hex');
}

function upToDate(hash: string): boolean {
  try {
    return (
      fs.readFileSync(STAMP, 'utf8').trim() === hash &&
      fs.existsSync(path.join(RENDERER_DIR, 'index.html'))
    );
  } catch {
    return false;
  }
}

function runVite(): Promise<void> {
  const vite = path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
      cwd: REPO_ROOT,
      // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`vite build failed (${code}):\n${output}`)),
    );
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Make sure dist-renderer/ holds a build of the current sources. */
export async function ensureRendererBuilt(): Promise<void> {
  const hash = sourceHash();
  if (upToDate(hash)) return;
  for (let waited = 0; ; waited += 250) {
    try {
      fs.mkdirSync(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock older than five minutes belongs to a build that died.
      const age =
        Date.now() - (fs.statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 300_000) fs.rmSync(LOCK, { recursive: true, force: true });
      if (waited > 300_000) throw new Error('timed out waiting for another renderer build');
      await sleep(250);
      if (upToDate(hash)) return;
    }
  }
  try {
    if (upToDate(hash)) return;
    await runVite();
    fs.writeFileSync(STAMP, `${hash}\n`);
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}
