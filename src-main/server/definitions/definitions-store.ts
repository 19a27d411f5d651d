/**
 * The server's installed definitions sets (SPEC §4.4): `<dataDir>/definitions/<sequence>/`
 * folders plus their rows in the `definitions` table, whose `active` row is the pointer engines
 * load.
 *
 * Installing is crash-safe: the package is verified in memory, written to a temporary folder
 * with fsync and read back, renamed into place, and only then is the row recorded and the
 * pointer flipped, in one transaction. A crash before the commit leaves a folder with no row,
 * which the next start removes; the active set never changes until the commit. An `incr` set's
 * folder holds its base merged with the increment, so an engine always loads one folder.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WireError } from '../../../src-shared/catalog/errors.js';
import { parseHttpDate } from '../../../src-shared/codec/dates.js';
import {
  MANIFEST_FILE,
  displayDefinitionsVersion,
  formatPackageName,
} from '../../../src-shared/definitions/manifest.js';
import { createLogger } from '../../log/logger.js';
import type { ActiveSet } from '../scanner/engine.js';
import {
  DefinitionsRepo,
  type DefinitionsRow,
  type DefinitionsState,
} from '../store/definitions-repo.js';
import {
  DefinitionsAccessError,
  DefinitionsStoreError,
  type DefinitionsStore,
  type DefinitionsStoreOptions,
  type ImportOptions,
  type ImportResult,
} from './definitions-api.js';
import { TEMP_PREFIX, moveIntoPlace, writeTempFolder } from './install-folder.js';
import { mergeIncrement } from './merge-increment.js';
import { verifyPackage, type VerifiedPackage } from './package-reader.js';
import { findStarterPackage } from './starter-package.js';

export {
  DefinitionsAccessError,
  DefinitionsStoreError,
  type DefinitionsSetInfo,
  type DefinitionsStore,
  type DefinitionsStoreOptions,
  type ImportOptions,
  type ImportResult,
} from './definitions-api.js';

const log = createLogger('definitions');

const LIVE: readonly DefinitionsState[] = ['active', 'previous', 'installed'];

function toMillis(date: string | null | undefined): number | null {
  return date ? parseHttpDate(date) : null;
}

/** Open the store of `dataDir`: reconcile folders with rows, and install the starter set if fresh. */
export async function openDefinitionsStore(
  options: DefinitionsStoreOptions,
): Promise<DefinitionsStore> {
  const dir = path.join(options.dataDir, 'definitions');
  const repo = new DefinitionsRepo(options.db);
  const keep = options.keep ?? 3;
  const limits = options.limits ?? {};
  const activatedListeners = new Set<(set: ActiveSet) => void>();
  const accessListeners = new Set<(error: DefinitionsAccessError) => void>();
  if (options.onAccessError) accessListeners.add(options.onAccessError);
  let queue: Promise<unknown> = Promise.resolve();

  const folderOf = (sequence: number): string => path.join(dir, String(sequence));
  const activeSetOf = (row: DefinitionsRow): ActiveSet => ({
    sequence: row.sequence,
    version: row.version,
    certified: row.certified,
    dir: folderOf(row.sequence),
    name: formatPackageName(row.sequence, row.kind),
  });

  const accessError = (error: unknown, what: string): DefinitionsAccessError => {
    if (error instanceof DefinitionsAccessError) return error;
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    const failure = new DefinitionsAccessError(
      dir,
      code,
      `Unable to access definition directory ${dir}: ${what} failed (${code})`,
    );
    log.error(failure.message);
    for (const listener of accessListeners) {
      try {
        listener(failure);
      } catch (listenerError) {
        log.error('access error listener failed', { error: String(listenerError) });
      }
    }
    return failure;
  };

  /** Run `task` after every earlier one: installs, activations and prunes never interleave. */
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  };

  const notifyActivated = (sequence: number): void => {
    const row = repo.get(sequence);
    if (!row) return;
    const set = activeSetOf(row);
    log.info('definitions activated', { sequence: set.sequence, version: set.version });
    for (const listener of activatedListeners) {
      try {
        listener(set);
      } catch (error) {
        log.error('activation listener failed', { error: String(error) });
      }
    }
  };

  const prune = async (): Promise<void> => {
    const live = repo.list().filter((row) => LIVE.includes(row.state));
    const kept = new Set(live.slice(0, keep).map((row) => row.sequence));
    for (const row of live) {
      if (kept.has(row.sequence) || row.state !== 'installed') continue;
      // The row goes first: a crash before the folder is gone leaves an orphan that start-up removes.
      repo.setState(row.sequence, 'pruned', null);
      try {
        await fs.promises.rm(folderOf(row.sequence), { recursive: true, force: true });
      } catch (error) {
        throw accessError(error, `removing set ${row.sequence}`);
      }
      log.info('definitions pruned', { sequence: row.sequence });
    }
  };

  const reconcile = async (): Promise<void> => {
    let entries: string[];
    try {
      await fs.promises.mkdir(dir, { recursive: true });
      entries = await fs.promises.readdir(dir);
    } catch (error) {
      throw accessError(error, 'opening the folder');
    }
    const live = new Map(
      repo
        .list()
        .filter((r) => LIVE.includes(r.state))
        .map((r) => [String(r.sequence), r]),
    );
    for (const entry of entries) {
      const leftover = entry.startsWith(TEMP_PREFIX) || (/^\d+$/.test(entry) && !live.has(entry));
      if (!leftover) continue;
      log.warn('removing an unfinished definitions folder', { folder: entry });
      await fs.promises.rm(path.join(dir, entry), { recursive: true, force: true });
    }
    for (const [name, row] of live) {
      if (entries.includes(name)) continue;
      if (row.state === 'active') {
        accessError(
          Object.assign(new Error('missing'), { code: 'ENOENT' }),
          `reading active set ${name}`,
        );
      } else {
        repo.setState(row.sequence, 'missing', null);
        log.warn('installed definitions folder is missing', { sequence: row.sequence });
      }
    }
  };

  const install = async (pkg: VerifiedPackage, options: ImportOptions): Promise<ImportResult> => {
    const { manifest } = pkg;
    const base: Omit<ImportResult, 'installed' | 'active'> = {
      sequence: manifest.sequence,
      version: manifest.version,
      name: pkg.name,
    };
    const existing = repo.get(manifest.sequence);
    if (existing && LIVE.includes(existing.state)) {
      if (existing.checksum !== pkg.md5) {
        throw new WireError('unpackage', [
          `sequence ${manifest.sequence} is already installed from a different package (MD5 ${existing.checksum})`,
        ]);
      }
      return { ...base, installed: false, active: existing.state === 'active' };
    }
    let files: ReadonlyMap<string, Buffer> = pkg.files;
    if (manifest.kind === 'incr') {
      const baseRow = repo.get(manifest.base!);
      if (!baseRow || !LIVE.includes(baseRow.state)) {
        throw new WireError('unpackage', [
          `base set ${manifest.base} of this incr set is not installed`,
        ]);
      }
      try {
        files = await mergeIncrement(folderOf(baseRow.sequence), pkg.files);
      } catch (error) {
        if (error instanceof WireError) throw error;
        throw accessError(error, `reading base set ${baseRow.sequence}`);
      }
    }
    const content = new Map<string, Uint8Array>(files);
    content.set(MANIFEST_FILE, Buffer.from(JSON.stringify(manifest, null, 2) + '\n'));
    content.set(pkg.name, pkg.bytes);
    const expected = new Map(
      [...content].map(([name, bytes]) => [name, createHash('md5').update(bytes).digest('hex')]),
    );
    const target = folderOf(manifest.sequence);
    try {
      const temp = await writeTempFolder(dir, String(manifest.sequence), content, expected);
      await moveIntoPlace(temp, target);
    } catch (error) {
      throw accessError(error, `writing set ${manifest.sequence}`);
    }
    const current = repo.active();
    const activate = options.activate ?? (!current || manifest.sequence > current.sequence);
    try {
      repo.recordAndActivate(
        {
          sequence: manifest.sequence,
          version: manifest.version,
          certified: manifest.certified,
          kind: manifest.kind,
          checksum: pkg.md5,
          produced: toMillis(manifest.produced),
          published: toMillis(manifest.published),
          blessed: toMillis(manifest.blessed),
          installedAt: Date.now(),
          path: target,
        },
        activate,
      );
    } catch (error) {
      // Not recorded: the folder must not linger as if installed.
      await fs.promises.rm(target, { recursive: true, force: true }).catch(() => undefined);
      throw error;
    }
    log.info('definitions installed', {
      sequence: manifest.sequence,
      version: manifest.version,
      certified: manifest.certified,
      kind: manifest.kind,
    });
    if (activate) notifyActivated(manifest.sequence);
    await prune();
    return { ...base, installed: true, active: activate };
  };

  const importPackage = (
    source: Uint8Array | string,
    options: ImportOptions = {},
  ): Promise<ImportResult> =>
    serial(async () => {
      const pkg = await verifyPackage(source, {
        ...(options.expectedMd5 !== undefined ? { expectedMd5: options.expectedMd5 } : {}),
        limits,
      });
      return install(pkg, options);
    });

  const requireFolder = async (sequence: number): Promise<void> => {
    try {
      await fs.promises.access(folderOf(sequence), fs.constants.R_OK);
    } catch (error) {
      throw accessError(error, `reading set ${sequence}`);
    }
  };

  await reconcile();
  if (repo.count() === 0) {
    const starter =
      options.starterPackage === undefined ? findStarterPackage() : options.starterPackage;
    if (starter) {
      const result = await importPackage(starter);
      log.info('starter definitions installed', {
        sequence: result.sequence,
        version: result.version,
      });
    } else if (options.starterPackage === undefined) {
      log.error('the starter definitions package is missing from assets/definitions');
    }
  }

  return {
    dir,
    active: () => {
      const row = repo.active();
      return row ? activeSetOf(row) : null;
    },
    list: () =>
      repo.list().map((row) => ({
        sequence: row.sequence,
        version: row.version,
        displayVersion: displayDefinitionsVersion(row.version),
        certified: row.certified,
        kind: row.kind,
        checksum: row.checksum,
        name: formatPackageName(row.sequence, row.kind),
        produced: row.produced,
        published: row.published,
        blessed: row.blessed,
        installedAt: row.installedAt,
        state: row.state,
      })),
    importPackage,
    activate: (sequence) =>
      serial(async () => {
        const row = repo.get(sequence);
        if (!row || !LIVE.includes(row.state)) {
          throw new DefinitionsStoreError(
            'not-installed',
            `definitions set ${sequence} is not installed`,
          );
        }
        await requireFolder(sequence);
        if (row.state !== 'active') {
          repo.activate(sequence);
          notifyActivated(sequence);
        }
        return activeSetOf(repo.get(sequence)!);
      }),
    rollback: () =>
      serial(async () => {
        const previous = repo.previous();
        if (!previous) {
          throw new DefinitionsStoreError(
            'no-previous',
            'there is no previous definitions set to return to',
          );
        }
        await requireFolder(previous.sequence);
        const below = repo.inState('installed').find((row) => row.sequence < previous.sequence);
        repo.rollback(below?.sequence ?? null);
        notifyActivated(previous.sequence);
        return activeSetOf(repo.get(previous.sequence)!);
      }),
    onActivated: (listener) => {
      activatedListeners.add(listener);
      return () => activatedListeners.delete(listener);
    },
    onAccessError: (listener) => {
      accessListeners.add(listener);
      return () => accessListeners.delete(listener);
    },
    checkAccess: async () => {
      try {
        await fs.promises.access(dir, fs.constants.R_OK | fs.constants.W_OK);
        const row = repo.active();
        if (row) {
          for (const name of await fs.promises.readdir(folderOf(row.sequence))) {
            await fs.promises.access(path.join(folderOf(row.sequence), name), fs.constants.R_OK);
          }
        }
        return null;
      } catch (error) {
        return accessError(error, 'checking the folder');
      }
    },
    packagePath: (sequence) => {
      const row = repo.get(sequence);
      if (!row || !LIVE.includes(row.state)) return null;
      return path.join(folderOf(sequence), formatPackageName(sequence, row.kind));
    },
  };
}
