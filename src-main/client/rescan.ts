/**
 * What an endpoint does with its local quarantine after installing new definitions (SPEC §4.5):
 * every untreated item is rescanned, and an item the new set detects gets the configured action:
 *
 * - `repair`: the repair recipe is applied to a copy and rescanned (repair.ts); when clean, the
 *   repaired content replaces the capture in the quarantine (still scrambled).
 * - `restore`: as `repair`, then the repaired file goes back to its original path — only when
 *   that path is absolute, its folder exists and nothing is there now (never overwritten);
 *   otherwise the repaired copy stays in the quarantine.
 * - `delete`: the item and its content are removed.
 * - `leave`: nothing changes.
 *
 * A detection the set cannot repair is `norepair` and stays quarantined. Items the set does not
 * detect are left alone. The outcome of items the server knows (by X-Sample-Id) is reported.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createLogger } from '../log/logger.js';
import type { EndpointAction, OutcomeEntry } from '../server/defcast/defcast-wire.js';
import type { ScanEngine } from '../server/scanner/engine.js';
import { repairAndVerify, scanBytes } from '../server/scanner/repair.js';
import type { ItemState, LocalItem } from './client-store.js';
import type { InstalledSet } from './endpoint-definitions.js';
import type { LocalQuarantine } from './local-quarantine.js';

const log = createLogger('client-rescan');

/** What an endpoint does to items new definitions detect. */
export const CLIENT_ACTIONS = ['repair', 'restore', 'delete', 'leave'] as const;

/** One of CLIENT_ACTIONS. */
export type ClientAction = (typeof CLIENT_ACTIONS)[number];

/** What rescanning needs. */
export interface RescanOptions {
  readonly quarantine: LocalQuarantine;
  readonly engine: ScanEngine;
  readonly set: InstalledSet;
  readonly action: ClientAction;
}

/** Why writing to `target` would be unsafe, or null when it is fine. */
export async function restoreProblem(target: string): Promise<string | null> {
  if (!path.isAbsolute(target)) return 'the original path is not absolute';
  if (path.normalize(target) !== target || target.split(/[\\/]/).includes('..')) {
    return 'the original path is not in normal form';
  }
  try {
    const folder = await fs.promises.lstat(path.dirname(target));
    if (!folder.isDirectory()) return 'the original folder is not a folder';
  } catch {
    return 'the original folder no longer exists';
  }
  try {
    await fs.promises.lstat(target);
    return 'a file is at the original path now';
  } catch {
    return null;
  }
}

async function treat(
  options: RescanOptions,
  item: LocalItem,
): Promise<{ action: EndpointAction; state: ItemState | null; sha256: string } | null> {
  const { quarantine, engine } = options;
  const bytes = await quarantine.read(item);
  const verdict = await scanBytes(engine, bytes);
  if (verdict.notScanned) throw new Error(`not scanned: ${verdict.notScanned}`);
  if (verdict.virusName === null) return null;
  if (options.action === 'leave') return { action: 'left', state: null, sha256: item.sha256 };
  if (options.action === 'delete')
    return { action: 'deleted', state: 'deleted', sha256: item.sha256 };
  const repaired = await repairAndVerify(engine, bytes, verdict);
  if (!repaired.ok) {
    log.info('new definitions detect an item they cannot repair', {
      item: item.id,
      reason: repaired.reason,
    });
    return { action: 'norepair', state: null, sha256: item.sha256 };
  }
  if (options.action === 'restore') {
    const problem = await restoreProblem(item.originalPath);
    if (problem === null) {
      try {
        const handle = await fs.promises.open(item.originalPath, 'wx', 0o644);
        try {
          await handle.writeFile(repaired.bytes);
          await handle.sync();
        } finally {
          await handle.close();
        }
        return { action: 'restored', state: 'restored', sha256: item.sha256 };
      } catch (error) {
        log.warn('restoring a repaired item failed; it stays repaired in quarantine', {
          item: item.id,
          error: String(error),
        });
      }
    } else {
      log.warn('not restoring a repaired item', {
        item: item.id,
        path: item.originalPath,
        problem,
      });
    }
  }
  const sha256 = await quarantine.writeContent(repaired.bytes);
  return { action: 'repaired', state: 'repaired', sha256 };
}

/** Rescan the untreated items with `set` and apply the action; returns the report. */
export async function rescanQuarantine(options: RescanOptions): Promise<OutcomeEntry[]> {
  const { quarantine, set } = options;
  const outcome: OutcomeEntry[] = [];
  for (const item of quarantine.store.untreated()) {
    let result: Awaited<ReturnType<typeof treat>>;
    try {
      result = await treat(options, item);
    } catch (error) {
      log.error('rescanning an item failed', { item: item.id, error: String(error) });
      if (item.serverId) outcome.push({ sampleId: item.serverId, action: 'failed' });
      continue;
    }
    if (!result) continue;
    if (result.state === null) quarantine.store.recordNote(item.id, result.action, set.sequence);
    else {
      quarantine.store.recordTreated(
        item.id,
        result.state,
        result.action,
        set.sequence,
        result.sha256,
      );
      await quarantine.releaseContent(item.sha256);
    }
    log.info('new definitions treated a quarantined item', {
      item: item.id,
      sequence: set.sequence,
      action: result.action,
    });
    if (item.serverId) outcome.push({ sampleId: item.serverId, action: result.action });
  }
  return outcome;
}
