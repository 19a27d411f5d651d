/**
 * The set a new gateway starts from (sequence 1 on a fresh data folder). It is the server's
 * starter package from `assets/definitions/` when that exists, so that server and gateway agree
 * on what sequence 1 is; otherwise a minimal certified set built here (the EICAR test file by
 * hash), built with fixed dates so every gateway makes the same bytes.
 */
import fs from 'node:fs';
import { parseHttpDate } from '../../../src-shared/codec/dates.js';
import { buildPackage, verifyPackage } from '../../server/definitions/package.js';
import { findStarterPackage } from '../../server/definitions/starter-package.js';
import { createLogger } from '../../log/logger.js';
import type { GatewayStore } from '../store/gateway-store.js';
import { signatureNames } from './set-builder.js';
import type { SetFiles } from './set-files.js';

const log = createLogger('gateway-sets');

/** The fallback starter: a certified sequence 1 that detects the EICAR test file. */
export function builtinStarter(): ReturnType<typeof buildPackage> {
  const when = Date.UTC(2024, 0, 1);
  return buildPackage({
    sequence: 1,
    certified: true,
    kind: 'all',
    produced: when,
    published: when,
    blessed: when,
    files: { 'starter.hdb': '44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n' },
  });
}

/**
 * Install the starting set unless the gateway already has sets. `starter` is a package file;
 * undefined = the server's shipped starter (or the builtin one without it); null = the builtin one.
 */
export async function ensureBaseSet(
  store: GatewayStore,
  files: SetFiles,
  starter?: string | null,
): Promise<void> {
  if (store.sets.maxSequence() > 0) return;
  const starterFile = starter === undefined ? (findStarterPackage() ?? null) : starter;
  const bytes =
    starterFile !== null ? fs.readFileSync(starterFile) : (await builtinStarter()).bytes;
  const pkg = await verifyPackage(bytes);
  const { manifest } = pkg;
  if (manifest.kind !== 'all') throw new Error(`starter set ${starterFile} is not a whole set`);
  await files.writeSetDir(manifest.sequence, pkg.files);
  await files.storePackage(pkg.md5, pkg.bytes);
  const producedAt = parseHttpDate(manifest.produced) ?? Date.now();
  store.transaction(() => {
    store.sets.insertBase({
      sequence: manifest.sequence,
      version: manifest.version,
      producedAt,
      publishedAt: parseHttpDate(manifest.published) ?? producedAt,
      blessedAt: manifest.blessed === null ? null : (parseHttpDate(manifest.blessed) ?? producedAt),
      md5: pkg.md5,
    });
    store.sets.addSignatures(manifest.sequence, signatureNames(pkg.files));
  });
  log.info('starting set installed', {
    sequence: manifest.sequence,
    source: starterFile ?? 'builtin',
  });
}
