/**
 * Making definitions sets (SPEC §4.4, §7): allocate the next sequence, compose an incremental
 * set on top of the newest published one, unit-test it (it must detect the sample and must not
 * hit any clean-corpus file), publish its packages, and bless (certify) it later. Every step
 * writes its files durably before the database refers to them, and can be redone after a crash.
 */
import { formatDefinitionsVersion, REPAIR_FILE } from '../../../src-shared/definitions/manifest.js';
import { virusIdentifierFor } from '../../../src-shared/definitions/virus-identifier.js';
import {
  buildPackage,
  verifyPackage,
  type BuiltPackage,
} from '../../server/definitions/package.js';
import type { ScanEngine } from '../../server/scanner/engine.js';
import type { CorpusFile } from '../analysis/clean-corpus.js';
import { ruleNameOf } from '../analysis/research-rules.js';
import { scanBytes } from '../analysis/scan-bytes.js';
import type { GeneratedSignatures, SetRow } from '../model.js';
import type { GatewayStore } from '../store/gateway-store.js';
import type { SetFiles } from './set-files.js';

const DAY_MS = 86_400_000;
const pad8 = (n: number): string => String(n).padStart(8, '0');

/** What set making needs. */
export interface SetWorkshop {
  readonly store: GatewayStore;
  readonly files: SetFiles;
  readonly createEngine: () => ScanEngine;
  readonly cleanCorpus: () => readonly CorpusFile[];
  /** Packages larger than this are not published (`unpublished`). */
  readonly publishLimitBytes: number;
}

/** A set that cannot be made, tested or published; `state` is what the sequence becomes. */
export class SetFailure extends Error {
  constructor(
    readonly state: 'abandoned' | 'unpublished',
    message: string,
  ) {
    super(message);
    this.name = 'SetFailure';
  }
}

/**
 * Allocate the next sequence as an incremental set on top of the newest published set. Call in
 * a transaction while holding the builder lock.
 */
export function allocateSet(store: GatewayStore, analysisId: number, now: number): SetRow {
  const base = store.sets.newest();
  if (base === undefined) throw new Error('no published set to build on');
  const sequence = store.sets.maxSequence() + 1;
  const day = Math.floor(now / DAY_MS) * DAY_MS;
  const revision = Math.min(999, store.sets.producedBetween(day, day + DAY_MS) + 1);
  store.sets.insert({
    sequence,
    version: formatDefinitionsVersion(now, revision),
    kind: 'incr',
    base: base.sequence,
    state: 'building',
    certified: false,
    producedAt: now,
    analysisId,
  });
  return store.sets.get(sequence)!;
}

/** Signature names declared in a set's files. */
export function signatureNames(files: ReadonlyMap<string, Uint8Array | string>): string[] {
  const names = new Set<string>();
  for (const [file, content] of files) {
    const dot = file.lastIndexOf('.');
    const extension = dot < 0 ? '' : file.slice(dot).toLowerCase();
    if (!['.hdb', '.hsb', '.ndb'].includes(extension)) continue;
    for (const line of Buffer.from(content).toString('utf8').split(/\r?\n/)) {
      const name = ruleNameOf(extension, line);
      if (name !== null) names.add(name);
    }
  }
  return [...names];
}

function mergedRepair(
  base: Buffer | undefined,
  added: GeneratedSignatures['repair'],
): string | null {
  const recipes: Record<string, unknown> = base
    ? (JSON.parse(base.toString('utf8')) as Record<string, unknown>)
    : {};
  Object.assign(recipes, added);
  return Object.keys(recipes).length > 0 ? JSON.stringify(recipes, null, 2) + '\n' : null;
}

/**
 * The files of an incremental set and of the whole set it makes. New signature files are named
 * after the sequence so they never collide with the base's; `repair.json` carries every recipe
 * of the whole set, so installing the increment over its base leaves all recipes in place.
 */
export async function composeSet(
  workshop: SetWorkshop,
  set: SetRow,
  signatures: GeneratedSignatures,
): Promise<{ incr: Map<string, string>; full: Map<string, Buffer | string> }> {
  if (set.base === null) throw new Error(`set ${set.sequence} has no base`);
  const base = await workshop.files.readSetFiles(set.base);
  const incr = new Map<string, string>();
  const prefix = `gateway-${pad8(set.sequence)}`;
  if (signatures.hdb.length > 0) incr.set(`${prefix}.hdb`, signatures.hdb.join('\n') + '\n');
  if (signatures.ndb.length > 0) incr.set(`${prefix}.ndb`, signatures.ndb.join('\n') + '\n');
  const repair = mergedRepair(base.get(REPAIR_FILE), signatures.repair);
  if (repair !== null) incr.set(REPAIR_FILE, repair);
  const full = new Map<string, Buffer | string>(base);
  for (const [name, content] of incr) full.set(name, content);
  return { incr, full };
}

function packageOf(
  set: SetRow,
  kind: 'all' | 'incr',
  files: ReadonlyMap<string, Buffer | string>,
  published: number,
): Promise<BuiltPackage> {
  return buildPackage({
    sequence: set.sequence,
    certified: false,
    kind,
    ...(kind === 'incr' && set.base !== null ? { base: set.base } : {}),
    version: set.version,
    produced: set.producedAt,
    published,
    files,
  });
}

/** `incrBuilding`: write the whole set's folder and check that the increment packages. */
export async function buildSet(
  workshop: SetWorkshop,
  set: SetRow,
  signatures: GeneratedSignatures,
): Promise<void> {
  const { incr, full } = await composeSet(workshop, set, signatures);
  try {
    await packageOf(set, 'incr', incr, set.producedAt);
  } catch (error) {
    throw new SetFailure('abandoned', `build failed: ${(error as Error).message}`);
  }
  await workshop.files.writeSetDir(set.sequence, full);
}

/**
 * `incrUnitTesting`: the whole set must detect the sample under the expected name and must not
 * hit any clean-corpus file. Returns the identifier the engine reports for the virus.
 */
export async function unitTestSet(
  workshop: SetWorkshop,
  set: SetRow,
  sample: Buffer,
  virusName: string,
): Promise<number> {
  const engine = workshop.createEngine();
  try {
    const report = await engine.load(workshop.files.activeSet(set));
    const bad = report.unusable[0];
    if (bad !== undefined) {
      throw new SetFailure(
        'abandoned',
        `unit test: signature ${bad.name} in ${bad.file} is unusable: ${bad.reason}`,
      );
    }
    const verdict = await scanBytes(engine, sample);
    if (verdict.virusName !== virusName) {
      throw new SetFailure(
        'abandoned',
        `unit test: the set does not detect the sample as ${virusName} (got ${verdict.virusName ?? verdict.notScanned ?? 'nothing'})`,
      );
    }
    for (const file of workshop.cleanCorpus()) {
      const clean = await scanBytes(engine, file.bytes);
      if (clean.virusName !== null) {
        throw new SetFailure(
          'abandoned',
          `unit test: clean file ${file.name} is detected as ${clean.virusName}`,
        );
      }
    }
    return verdict.virusIdentifier ?? virusIdentifierFor(virusName);
  } finally {
    await engine.close();
  }
}

async function verified(pkg: BuiltPackage, limit: number): Promise<BuiltPackage> {
  if (pkg.bytes.length > limit) {
    throw new SetFailure(
      'unpublished',
      `package ${pkg.name} is ${pkg.bytes.length} bytes, over the publishing limit of ${limit}`,
    );
  }
  try {
    await verifyPackage(pkg.bytes, { expectedMd5: pkg.md5, limits: { maxPackageBytes: limit } });
  } catch (error) {
    throw new SetFailure(
      'unpublished',
      `package ${pkg.name} does not verify: ${(error as Error).message}`,
    );
  }
  return pkg;
}

/** Publish a tested set: its increment and its whole-set package, then the database row. */
export async function publishSet(
  workshop: SetWorkshop,
  set: SetRow,
  signatures: GeneratedSignatures,
  now: number,
): Promise<void> {
  const { incr, full } = await composeSet(workshop, set, signatures);
  const incrPackage = await verified(
    await packageOf(set, 'incr', incr, now),
    workshop.publishLimitBytes,
  );
  const fullPackage = await verified(
    await packageOf(set, 'all', full, now),
    workshop.publishLimitBytes,
  );
  await workshop.files.storePackage(incrPackage.md5, incrPackage.bytes);
  await workshop.files.storePackage(fullPackage.md5, fullPackage.bytes);
  workshop.store.transaction(() => {
    workshop.store.sets.publish(set.sequence, {
      packageMd5: incrPackage.md5,
      packageKind: 'incr',
      fullMd5: fullPackage.md5,
      publishedAt: now,
    });
    workshop.store.sets.addSignatures(set.sequence, signatureNames(incr));
  });
}

/** A bless that is not possible; the message says why. */
export class BlessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlessError';
  }
}

/**
 * Certify a published set: from now on it is served as a whole, certified package and every
 * lower sequence is superseded by it.
 */
export async function blessSet(
  store: GatewayStore,
  files: SetFiles,
  sequence: number,
  now: number,
): Promise<SetRow> {
  const set = store.sets.get(sequence);
  if (set === undefined) throw new BlessError(`no set ${pad8(sequence)}`);
  if (set.state !== 'published')
    throw new BlessError(`set ${pad8(sequence)} is ${set.state}, not published`);
  if (set.certified) throw new BlessError(`set ${pad8(sequence)} is already certified`);
  const newest = store.sets.newestCertified();
  if (newest !== undefined && newest.sequence > sequence) {
    throw new BlessError(
      `set ${pad8(sequence)} is older than the certified set ${pad8(newest.sequence)}`,
    );
  }
  const pkg = await buildPackage({
    sequence,
    certified: true,
    kind: 'all',
    version: set.version,
    produced: set.producedAt,
    published: set.publishedAt ?? now,
    blessed: now,
    files: await files.readSetFiles(sequence),
  });
  await verifyPackage(pkg.bytes, { expectedMd5: pkg.md5 });
  await files.storePackage(pkg.md5, pkg.bytes);
  if (!store.transaction(() => store.sets.bless(sequence, now, pkg.md5))) {
    throw new BlessError(`set ${pad8(sequence)} changed while it was being blessed`);
  }
  return store.sets.get(sequence)!;
}
