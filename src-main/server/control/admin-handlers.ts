/** Control API methods on the server itself: info, configuration, Quarantine Log, audit. */
import os from 'node:os';
import { ApiError } from '../../../src-shared/api/client-api.js';
import { redactConfig } from '../../../src-shared/config/secrets.js';
import { isSetupComplete } from '../../../src-shared/config/setup.js';
import type { MethodHandlers } from '../../transport/rpc-server.js';
import { ConfigRejected } from '../config-service.js';
import type { ServerContext } from '../context.js';
import { actorOf } from './sample-handlers.js';

const MiB = 1024 * 1024;

/** The server, configuration, log and audit methods of the control API. */
export function adminHandlers(server: ServerContext): MethodHandlers {
  return {
    'server.info': () => {
      const config = server.config.get();
      const byStatus = server.store.samples.countsByStatus();
      const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
      const active = server.definitions.active();
      return {
        name: config.serverName || os.hostname(),
        version: server.version,
        setupType: config.setupType,
        activeDefinitions: active ? { sequence: active.sequence, version: active.version } : null,
        counts: { total, byStatus },
        quota: {
          usedBytes: server.quota.usedBytes,
          maxBytes: config.general.maxSizeMB * MiB,
          freeBytes: server.freeBytes(),
        },
        listeners: server.listeners,
        startedAt: server.startedAt,
        setupComplete: isSetupComplete(config),
      };
    },

    'server.setup': (params, ctx) => {
      const actor = actorOf(ctx);
      try {
        server.config.setup(params.setupType, params.patch, actor);
      } catch (error) {
        if (error instanceof ConfigRejected) {
          throw new ApiError('not-allowed', error.message, { issues: error.issues });
        }
        throw error;
      }
      server.qlog.info(
        'control',
        `${actor}: server set up for ${params.setupType} Scan and Deliver`,
      );
      return { config: redactConfig(server.config.get()) as unknown as Record<string, unknown> };
    },

    'config.get': () => ({
      config: redactConfig(server.config.get()) as unknown as Record<string, unknown>,
    }),

    'config.set': (params, ctx) => {
      const actor = actorOf(ctx);
      try {
        server.config.set(params.patch, actor);
      } catch (error) {
        if (error instanceof ConfigRejected) {
          throw new ApiError('invalid-request', error.message, { issues: error.issues });
        }
        throw error;
      }
      server.qlog.info('control', `${actor}: configuration changed`);
      return { config: redactConfig(server.config.get()) as unknown as Record<string, unknown> };
    },

    'log.query': (params) => ({
      entries: server.store.log
        .query({
          ...(params.since !== undefined ? { since: params.since } : {}),
          ...(params.level !== undefined ? { level: params.level } : {}),
          ...(params.text !== undefined ? { text: params.text } : {}),
          limit: params.limit ?? 200,
        })
        .map((row) => ({
          id: String(row.id),
          at: row.at,
          level: row.level === 'debug' ? 'info' : row.level,
          source: row.source,
          message: row.message,
          sampleId: row.sampleId === null ? null : String(row.sampleId),
        })),
    }),

    'alerts.list': (params) => ({
      alerts: server.alerts.list(params.open ?? false, params.limit ?? 500),
    }),

    'audit.verify': () => {
      const result = server.store.audit.verify();
      return {
        ok: result.ok,
        rows: result.rows,
        brokenAt: result.brokenAt ?? null,
        reason: result.reason ?? null,
      };
    },
  };
}
