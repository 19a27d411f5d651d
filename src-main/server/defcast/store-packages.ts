/**
 * Defcast's view of the server's definitions store. Downloads get the package file exactly as
 * imported. Pushes get a whole set: an `incr` package is only useful on top of its base, which
 * an endpoint may not run, so Defcast sends an `all` package rebuilt from the installed (merged)
 * folder — same sequence, version, certification and dates, checked by the endpoint with the
 * same verification as any import.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseHttpDate } from '../../../src-shared/codec/dates.js';
import {
  MANIFEST_FILE,
  formatPackageName,
  isPackageFileName,
  parseManifest,
} from '../../../src-shared/definitions/manifest.js';
import type { DefinitionsStore } from '../definitions/definitions-api.js';
import { buildPackage } from '../definitions/package.js';
import type { DefcastPackage, DefcastPackages } from './defcast-types.js';

function md5Hex(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

async function rebuildWhole(folder: string, stored: DefcastPackage): Promise<DefcastPackage> {
  const parsed = parseManifest(
    JSON.parse(await fs.promises.readFile(path.join(folder, MANIFEST_FILE), 'utf8')),
  );
  if (!parsed.ok)
    throw new Error(`installed manifest of set ${stored.sequence} is invalid: ${parsed.reason}`);
  const manifest = parsed.manifest;
  const files = new Map<string, Buffer>();
  for (const name of (await fs.promises.readdir(folder)).sort()) {
    if (name === MANIFEST_FILE || !isPackageFileName(name)) continue;
    files.set(name, await fs.promises.readFile(path.join(folder, name)));
  }
  const built = await buildPackage({
    sequence: manifest.sequence,
    certified: manifest.certified,
    kind: 'all',
    files,
    version: manifest.version,
    produced: parseHttpDate(manifest.produced) ?? Date.now(),
    published: parseHttpDate(manifest.published) ?? Date.now(),
    ...(manifest.blessed ? { blessed: parseHttpDate(manifest.blessed) ?? Date.now() } : {}),
  });
  return { ...stored, bytes: built.bytes, md5: built.md5, name: built.name };
}

/** Adapt the definitions store for Defcast. */
export function definitionsPackages(store: DefinitionsStore): DefcastPackages {
  const stored = async (sequence: number): Promise<DefcastPackage | null> => {
    const file = store.packagePath(sequence);
    const info = store.list().find((s) => s.sequence === sequence);
    if (!file || !info) return null;
    const bytes = await fs.promises.readFile(file).catch(() => null);
    if (!bytes) return null;
    return {
      sequence,
      version: info.version,
      certified: info.certified,
      bytes,
      md5: md5Hex(bytes),
      name: formatPackageName(sequence, info.kind),
    };
  };
  return {
    active: () => {
      const set = store.active();
      return set && { sequence: set.sequence, version: set.version, certified: set.certified };
    },
    stored,
    read: async (sequence) => {
      const pkg = await stored(sequence);
      if (!pkg || !pkg.name.endsWith('.incr.zip')) return pkg;
      return rebuildWhole(path.dirname(store.packagePath(sequence)!), pkg);
    },
    onActivated: (listener) =>
      store.onActivated((set) =>
        listener({ sequence: set.sequence, version: set.version, certified: set.certified }),
      ),
  };
}
