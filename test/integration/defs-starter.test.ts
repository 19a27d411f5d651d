/**
 * The starter definitions set shipped in assets/definitions: built from its sources, installed
 * on a fresh server, it detects the EICAR test file and every project test sample as
 * samples.json says, and repairs the repairable ones. The samples stay scrambled in the repo.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDefinitionsStore } from '../../src-main/server/definitions/definitions-store.js';
import { verifyPackage } from '../../src-main/server/definitions/package.js';
import { findStarterPackage } from '../../src-main/server/definitions/starter-package.js';
import {
  createBuiltinEngine,
  type BuiltinEngine,
} from '../../src-main/server/scanner/builtin/builtin-engine.js';
import { chunksOf, repairAndVerify, scanBytes } from '../../src-main/server/scanner/repair.js';
import { openDatabase } from '../../src-main/server/store/database.js';
import { listSamples, readSample, unscrambleSamples } from '../fixtures/samples/samples.js';
import { tempDir } from '../helpers/temp.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

let engine: BuiltinEngine;

beforeAll(async () => {
  const dataDir = tempDir('cq-starter-');
  const db = openDatabase(path.join(dataDir, 'quarantine.db'));
  const store = await openDefinitionsStore({ dataDir, db });
  engine = createBuiltinEngine();
  const report = await engine.load(store.active()!);
  expect(report.unusable).toEqual([]);
  db.close();
});

describe('the starter package', () => {
  it('is sequence 1, certified, and holds exactly the files of assets/definitions/starter', async () => {
    const file = findStarterPackage();
    expect(file).toBe(path.join(ROOT, 'assets', 'definitions', '00000001.all.zip'));
    const pkg = await verifyPackage(file!);
    expect(pkg.manifest).toMatchObject({ sequence: 1, certified: true, kind: 'all' });
    const sourceDir = path.join(ROOT, 'assets', 'definitions', 'starter');
    const sources = fs.readdirSync(sourceDir).sort();
    expect([...pkg.files.keys()].sort()).toEqual(sources);
    for (const name of sources) {
      expect(md5(pkg.files.get(name)!), name).toBe(
        md5(fs.readFileSync(path.join(sourceDir, name))),
      );
    }
  });
});

describe('the test samples', () => {
  const samples = listSamples();

  it('unscramble to the bytes samples.json describes', () => {
    const paths = unscrambleSamples(tempDir('cq-samples-'));
    expect(paths.size).toBe(samples.length);
    for (const sample of samples) {
      const bytes = fs.readFileSync(paths.get(sample.file)!);
      expect(bytes.length, sample.file).toBe(sample.size);
      expect(md5(bytes), sample.file).toBe(sample.md5);
    }
  });

  it.each(samples.map((s) => [s.file, s] as const))(
    '%s is detected as samples.json says',
    async (_file, sample) => {
      const bytes = readSample(sample.file);
      for (const chunk of [7, 65536]) {
        const verdict = await engine.scan(chunksOf(bytes, chunk), bytes.length);
        expect(verdict.result).toBe(sample.expect.result);
        expect(verdict.virusName).toBe(sample.expect.virus ?? null);
        expect(verdict.repair?.action ?? null).toBe(sample.expect.repair ?? null);
      }
    },
  );

  it.each(samples.filter((s) => s.expect.repairedMd5).map((s) => [s.file, s] as const))(
    '%s is repaired to a clean copy',
    async (_file, sample) => {
      const bytes = readSample(sample.file);
      const repaired = await repairAndVerify(engine, bytes, await scanBytes(engine, bytes));
      expect(repaired.ok).toBe(true);
      if (repaired.ok) expect(md5(repaired.bytes)).toBe(sample.expect.repairedMd5);
    },
  );

  it('the EICAR string appears in clear in no file of the repository', () => {
    const eicar = readSample('eicar.com');
    expect(eicar.length).toBe(68);
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        if (['node_modules', 'dist', 'dist-renderer', 'release', '.git'].includes(entry.name))
          continue;
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.isFile() && fs.readFileSync(full).includes(eicar)) offenders.push(full);
      }
    };
    walk(ROOT);
    expect(offenders).toEqual([]);
  });
});
