/**
 * Control API methods of the Quarantine Agent (SPEC §3.2, §4.6): "Queue item for automatic
 * analysis" with the guide's eligibility rule, and the submission state of one sample. The
 * sample actions that change the queue (release, set priority) are wrapped so the agent looks
 * at the queue at once instead of at its next check.
 */
import { ApiError } from '../../../src-shared/api/client-api.js';
import type { BulkResult } from '../../../src-shared/api/contract.js';
import { canQueueForAnalysis } from '../../../src-shared/catalog/lifecycle.js';
import { isSampleStatus } from '../../../src-shared/catalog/tokens.js';
import type { MethodHandlers } from '../../transport/rpc-server.js';
import type { QuarantineAgent } from '../agent/quarantine-agent.js';
import type { ServerContext } from '../context.js';
import { actorOf } from './sample-handlers.js';
import { toSampleSummary } from './sample-views.js';

/**
 * Priority given to a sample queued by hand: above the automatic queue (priority 0), and the
 * lowest such value, so administrators can still order queued samples with set priority.
 */
export const MANUAL_QUEUE_PRIORITY = 1;

/** Why queueing is refused for a sample, or null when it may be queued. */
function queueRefusal(server: ServerContext, id: number): string | null {
  const row = server.store.samples.get(id);
  if (!row) return 'no such sample';
  if (server.config.get().setupType !== 'internet') {
    return 'this server uses email-based Scan and Deliver: submit with the Scan and Deliver wizard';
  }
  if (!isSampleStatus(row.status)) return `unknown status ${row.status}`;
  const attributes = server.store.samples.attributes(id);
  const eligibility = canQueueForAnalysis(row.status, (name) => attributes[name]);
  return eligibility.allowed ? null : eligibility.reason;
}

/**
 * The agent's methods, plus `samples.release` and `samples.setPriority` from `base` wrapped to
 * nudge the agent.
 */
export function agentHandlers(
  server: ServerContext,
  agent: QuarantineAgent,
  base: MethodHandlers,
): MethodHandlers {
  const release = base['samples.release'];
  const setPriority = base['samples.setPriority'];
  return {
    'samples.queueForAnalysis': async (params, ctx) => {
      const actor = actorOf(ctx);
      const result: BulkResult = { done: [], refused: [] };
      for (const text of new Set(params.ids)) {
        const id = Number(text);
        const refusal = queueRefusal(server, id);
        if (refusal) {
          result.refused.push({ id: text, reason: refusal });
          continue;
        }
        // Checked again inside the write: the agent or another console may have moved it.
        const done = await server.store.committer.commit(() => {
          if (queueRefusal(server, id) !== null) return false;
          server.store.samples.setAttributes(
            id,
            { 'X-Sample-Priority': String(MANUAL_QUEUE_PRIORITY) },
            actor,
            'queued for automatic analysis',
          );
          server.store.samples.transition(id, 'released', actor, 'queued for automatic analysis');
          return true;
        });
        if (!done) {
          result.refused.push({
            id: text,
            reason: queueRefusal(server, id) ?? 'changed meanwhile',
          });
          continue;
        }
        result.done.push(text);
        server.qlog.info('control', `${actor}: queued sample ${id} for automatic analysis`, id);
        const row = server.store.samples.get(id);
        if (row) server.events.emit('sample.changed', { sample: toSampleSummary(row) });
      }
      if (result.done.length > 0) agent.nudge();
      return result;
    },

    'samples.submission': (params) => {
      const submission = agent.submission(Number(params.id));
      if (!submission) throw new ApiError('not-found', `no sample with id ${params.id}`);
      return { submission };
    },

    ...(release
      ? {
          'samples.release': async (params, ctx) => {
            const result = await release(params, ctx);
            if (result.done.length > 0) agent.nudge();
            return result;
          },
        }
      : {}),
    ...(setPriority
      ? {
          'samples.setPriority': async (params, ctx) => {
            const result = await setPriority(params, ctx);
            if (result.sample.status === 'released') agent.nudge();
            return result;
          },
        }
      : {}),
  };
}
