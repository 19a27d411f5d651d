/**
 * Control API methods of Defcast (SPEC §4.6): the targets registry, fix coverage, pushing a set
 * by hand, and the guide's "Queue item for definition delivery".
 */
import { ApiError } from '../../../src-shared/api/client-api.js';
import type { BulkResult, Target } from '../../../src-shared/api/contract.js';
import { canQueueForDelivery } from '../../../src-shared/catalog/lifecycle.js';
import { isSampleStatus } from '../../../src-shared/catalog/tokens.js';
import type { MethodHandlers } from '../../transport/rpc-server.js';
import type { ServerContext } from '../context.js';
import { computeCoverage } from '../defcast/coverage.js';
import type { Defcast } from '../defcast/defcast-service.js';
import type { TargetRow } from '../store/targets-repo.js';
import { actorOf } from './sample-handlers.js';
import { toSampleSummary } from './sample-views.js';

/** A target for the console. */
export function toTarget(row: TargetRow): Target {
  return {
    id: String(row.id),
    host: row.host,
    addresses: row.addresses,
    guid: row.guid,
    managed: row.managed,
    defcastPort: row.defcastPort,
    distributor: row.distributor,
    sequence: row.sequence,
    version: row.version,
    lastSeen: row.lastSeen,
    selected: row.selected,
    pendingSequence: row.pendingSequence,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt,
    lastError: row.lastError,
    installedAt: row.installedAt,
  };
}

/** The Defcast methods of the control API. */
export function defcastHandlers(server: ServerContext, defcast: Defcast): MethodHandlers {
  return {
    'targets.list': () => ({ targets: defcast.targets.list().map(toTarget) }),

    'targets.select': async (params, ctx) => {
      const ids = params.ids.map(Number);
      const done = await server.store.committer.commit(() =>
        defcast.targets.select(ids, params.selected),
      );
      const missing = ids.filter((id) => !done.includes(id));
      if (missing.length > 0)
        throw new ApiError('not-found', `no target with id ${missing.join(', ')}`);
      server.qlog.info(
        'control',
        `${actorOf(ctx)}: ${params.selected ? 'selected' : 'unselected'} target(s) ${done.join(', ')} for definitions delivery`,
      );
      return {
        targets: done
          .map((id) => defcast.targets.get(id))
          .filter((t) => t !== undefined)
          .map(toTarget),
      };
    },

    'coverage.get': (params) =>
      computeCoverage(params.checksum, defcast.targets.coverage(params.checksum)),

    'definitions.deliver': async (params, ctx) => {
      const result = await defcast.deliver(
        params.sequence,
        params.targets.map(Number),
        actorOf(ctx),
      );
      if (!result)
        throw new ApiError(
          'not-found',
          `definitions ${params.sequence} are not stored on this server`,
        );
      return {
        queued: result.queued.map(String),
        refused: result.refused.map((r) => ({ id: String(r.id), reason: r.reason })),
      };
    },

    'samples.queueForDelivery': async (params, ctx) => {
      const actor = actorOf(ctx);
      const result: BulkResult = { done: [], refused: [] };
      for (const id of new Set(params.ids)) {
        const row = server.store.samples.get(Number(id));
        if (!row) {
          result.refused.push({ id, reason: 'no such sample' });
          continue;
        }
        if (!isSampleStatus(row.status)) {
          result.refused.push({ id, reason: `unknown status ${row.status}` });
          continue;
        }
        const attributes = server.store.samples.attributes(row.id);
        const eligible = canQueueForDelivery(row.status, (name) => attributes[name]);
        if (!eligible.allowed) {
          result.refused.push({ id, reason: eligible.reason });
          continue;
        }
        const after = await server.store.committer.commit(() =>
          server.store.samples.transition(row.id, 'distribute', actor, 'admin queueForDelivery'),
        );
        server.qlog.info(
          'control',
          `${actor}: queued sample ${row.id} for definitions delivery`,
          row.id,
        );
        server.events.emit('sample.changed', { sample: toSampleSummary(after) });
        result.done.push(id);
      }
      if (result.done.length > 0) defcast.kick();
      return result;
    },
  };
}
