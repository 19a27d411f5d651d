/**
 * Control API methods on samples (SPEC §4.6): list, detail, delete, restore and the status
 * actions of SPEC §3.2. Every write goes through the group committer and is audited by the
 * repositories; every change is pushed to attached consoles.
 */
import os from 'node:os';
import path from 'node:path';
import { ApiError } from '../../../src-shared/api/client-api.js';
import type { BulkResult } from '../../../src-shared/api/contract.js';
import {
  adminMove,
  RESTART_CLEARS_DATES,
  RESTART_CLEARS_PREFIXES,
  type AdminAction,
} from '../../../src-shared/catalog/lifecycle.js';
import { isSampleStatus } from '../../../src-shared/catalog/tokens.js';
import type { MethodHandlers } from '../../transport/rpc-server.js';
import type { ServerContext } from '../context.js';
import type { SampleRow } from '../store/index.js';
import { openDecodedSample } from '../scanner/sample-content.js';
import { checkDestination, safeFileName, writeIntoFolder } from './restore.js';
import { toHistoryEntry, toSampleError, toSampleSummary } from './sample-views.js';

/** Who made a call, as recorded in history and the audit chain. */
export function actorOf(ctx: { user: { user: string; domain: string } | null }): string {
  if (!ctx.user) return `local:${os.userInfo().username}`;
  return ctx.user.domain ? `${ctx.user.domain}\\${ctx.user.user}` : ctx.user.user;
}

/** Folders no restore or repair may write into: the server's data and its quarantine. */
export function protectedDirs(server: ServerContext): string[] {
  return [path.dirname(server.store.db.name), server.store.blobs.quarantineDir];
}

function findRow(server: ServerContext, id: string): SampleRow | undefined {
  return server.store.samples.get(Number(id));
}

function mustFind(server: ServerContext, id: string): SampleRow {
  const row = findRow(server, id);
  if (!row) throw new ApiError('not-found', `no sample with id ${id}`);
  return row;
}

/**
 * Run `action` for each id; ids that do not exist or that the action refuses are reported with
 * the reason and do not stop the others.
 */
async function bulk(
  server: ServerContext,
  ids: readonly string[],
  action: (row: SampleRow) => Promise<string | null> | string | null,
): Promise<BulkResult> {
  const result: BulkResult = { done: [], refused: [] };
  for (const id of new Set(ids)) {
    const row = findRow(server, id);
    if (!row) {
      result.refused.push({ id, reason: 'no such sample' });
      continue;
    }
    const refusal = await action(row);
    if (refusal) result.refused.push({ id, reason: refusal });
    else result.done.push(id);
  }
  return result;
}

function changed(server: ServerContext, id: number): void {
  const row = server.store.samples.get(id);
  if (row) server.events.emit('sample.changed', { sample: toSampleSummary(row) });
}

/** Apply an admin status action to one sample, or say why not. */
async function moveStatus(
  server: ServerContext,
  row: SampleRow,
  action: AdminAction,
  actor: string,
): Promise<string | null> {
  if (!isSampleStatus(row.status)) return `unknown status ${row.status}`;
  const move = adminMove(action, row.status);
  if (!move.allowed) return move.reason;
  await server.store.committer.commit(() => {
    server.store.samples.transition(row.id, move.to, actor, `admin ${action}`);
    if (action === 'restart') {
      const attributes = server.store.samples.attributes(row.id);
      const clear: Record<string, null> = {};
      for (const name of Object.keys(attributes)) {
        if (
          RESTART_CLEARS_PREFIXES.some((p) => name.startsWith(p)) ||
          (RESTART_CLEARS_DATES as readonly string[]).includes(name)
        ) {
          clear[name] = null;
        }
      }
      if (Object.keys(clear).length > 0)
        server.store.samples.setAttributes(
          row.id,
          clear,
          actor,
          'restart clears processing results',
        );
      server.store.samples.transition(
        row.id,
        'quarantined',
        actor,
        'restart re-enters at quarantined',
      );
    }
  });
  server.qlog.info(
    'control',
    `${actor}: ${action} sample ${row.id} (${row.status} → ${action === 'restart' ? 'quarantined' : move.to})`,
    row.id,
  );
  changed(server, row.id);
  // Re-entering at quarantined means being scanned again, like a new sample.
  if (action === 'restart') server.scanner.enqueueNew(row.id);
  return null;
}

/** The sample methods of the control API. */
export function sampleHandlers(server: ServerContext): MethodHandlers {
  return {
    'samples.list': (params) => {
      const result = server.store.samples.list({
        offset: params.offset,
        limit: params.limit,
        sort: params.sort,
        order: params.order,
        filter: params.filter ?? {},
      });
      return { total: result.total, offset: params.offset, rows: result.rows.map(toSampleSummary) };
    },

    'samples.get': (params) => {
      const detail = server.store.samples.getDetail(Number(params.id));
      if (!detail) throw new ApiError('not-found', `no sample with id ${params.id}`);
      return {
        sample: toSampleSummary(detail.row),
        attributes: detail.attributes,
        history: detail.history.map(toHistoryEntry),
        errors: detail.errors.map(toSampleError),
      };
    },

    'samples.delete': async (params, ctx) => {
      const actor = actorOf(ctx);
      const existing = params.ids.filter((id) => findRow(server, id));
      const result: BulkResult = {
        done: [],
        refused: params.ids
          .filter((id) => !existing.includes(id))
          .map((id) => ({ id, reason: 'no such sample' })),
      };
      if (existing.length === 0) return result;
      const { deleted, freedBlobs } = await server.store.committer.commit(() =>
        server.store.samples.delete(existing.map(Number), actor, 'deleted by administrator'),
      );
      const freedBytes = await server.store.removeFreedBlobs(freedBlobs);
      server.quota.subtract(freedBytes);
      result.done.push(...deleted.map(String));
      server.qlog.info(
        'control',
        `${actor}: deleted ${deleted.length} sample(s): ${deleted.join(', ')}`,
      );
      if (deleted.length > 0) server.events.emit('sample.deleted', { ids: deleted.map(String) });
      server.scanner.forget(deleted);
      return result;
    },

    'samples.restore': async (params, ctx) => {
      const actor = actorOf(ctx);
      const problem = checkDestination(params.destination, protectedDirs(server));
      if (problem) throw new ApiError('invalid-request', problem, { path: ['destination'] });
      const done: { id: string; path: string }[] = [];
      const refused: { id: string; reason: string }[] = [];
      for (const id of new Set(params.ids)) {
        const row = findRow(server, id);
        if (!row) {
          refused.push({ id, reason: 'no such sample' });
          continue;
        }
        const attributes = server.store.samples.attributes(row.id);
        const name = safeFileName(attributes['X-Sample-File'], `sample-${row.id}.bin`);
        try {
          const written = await writeIntoFolder(
            params.destination,
            name,
            () => openDecodedSample(server.store.blobs, row.blobSha256, row.size),
            { overwrite: params.overwrite ?? false },
          );
          await server.store.committer.commit(() =>
            server.store.audit.append({
              actor,
              action: 'restore',
              sampleId: row.id,
              reason: 'restored by administrator',
              detail: { path: written, overwrite: params.overwrite ?? false },
            }),
          );
          server.qlog.warn(
            'control',
            `${actor}: restored sample ${row.id} unrepaired to ${written}`,
            row.id,
          );
          done.push({ id, path: written });
        } catch (error) {
          refused.push({ id, reason: (error as Error).message });
        }
      }
      return { done, refused };
    },

    'samples.setPriority': async (params, ctx) => {
      const actor = actorOf(ctx);
      const row = mustFind(server, params.id);
      await server.store.committer.commit(() => {
        server.store.samples.setAttributes(
          row.id,
          { 'X-Sample-Priority': String(params.priority) },
          actor,
          'priority set by administrator',
        );
        // A held sample given a priority is queued for analysis (SPEC §3.2: held → released).
        if (params.priority > 0 && row.status === 'held') {
          server.store.samples.transition(row.id, 'released', actor, 'priority raised above 0');
        }
      });
      changed(server, row.id);
      return { sample: toSampleSummary(mustFind(server, params.id)) };
    },

    'samples.release': (params, ctx) =>
      bulk(server, params.ids, (row) => moveStatus(server, row, 'release', actorOf(ctx))),
    'samples.hold': (params, ctx) =>
      bulk(server, params.ids, (row) => moveStatus(server, row, 'hold', actorOf(ctx))),
    'samples.restart': (params, ctx) =>
      bulk(server, params.ids, (row) => moveStatus(server, row, 'restart', actorOf(ctx))),
  };
}
