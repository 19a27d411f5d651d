/**
 * Control API methods of the Quarantine Scanner and the definitions store (SPEC §4.6, §6):
 * rescanning and repairing items, and listing, importing and activating definitions sets. Every
 * action is recorded in the audit chain (on the sample's history when it concerns one) and in
 * the Quarantine Log.
 */
import { ApiError } from '../../../src-shared/api/client-api.js';
import type { DefinitionsSet } from '../../../src-shared/api/contract.js';
import { WireError } from '../../../src-shared/catalog/errors.js';
import { parsePackageName } from '../../../src-shared/definitions/manifest.js';
import type { MethodHandlers } from '../../transport/rpc-server.js';
import type { ServerContext } from '../context.js';
import {
  DefinitionsAccessError,
  DefinitionsStoreError,
  type DefinitionsSetInfo,
  type DefinitionsStore,
} from '../definitions/definitions-store.js';
import { repairSample } from '../scanner/sample-repair.js';
import { ScannerUnavailable, type ScanService } from '../scanner/scan-service.js';
import type { SampleRow } from '../store/index.js';
import { checkDestination, safeFileName, writeIntoFolder } from './restore.js';
import { actorOf, protectedDirs } from './sample-handlers.js';

/** A definitions set for the console. */
export function toDefinitionsSet(info: DefinitionsSetInfo): DefinitionsSet {
  return {
    sequence: info.sequence,
    version: info.version,
    displayVersion: info.displayVersion,
    certified: info.certified,
    kind: info.kind,
    state: info.state,
    active: info.state === 'active',
    checksum: info.checksum,
    installedAt: info.installedAt,
  };
}

/** The API error for a failure of the scanner or the definitions store. */
function apiErrorOf(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ScannerUnavailable) return new ApiError('unavailable', error.message);
  if (error instanceof DefinitionsAccessError) return new ApiError('unavailable', error.message);
  if (error instanceof DefinitionsStoreError) return new ApiError('not-found', error.message);
  if (error instanceof WireError) {
    // A refused package: `unpackage` and its reason, as the wire would say it.
    return new ApiError('invalid-request', `${error.code}: ${error.params.join(' ')}`, {
      xError: error.message,
    });
  }
  return new ApiError('internal', (error as Error).message);
}

function setInfo(definitions: DefinitionsStore, sequence: number): DefinitionsSet {
  const info = definitions.list().find((s) => s.sequence === sequence);
  if (!info) throw new ApiError('not-found', `definitions set ${sequence} is not recorded`);
  return toDefinitionsSet(info);
}

/** The scanner and definitions methods of the control API. */
export function scanHandlers(
  server: ServerContext,
  scanner: ScanService,
  definitions: DefinitionsStore,
): MethodHandlers {
  const { store, qlog } = server;

  /** Repair one sample and write the clean copy into `folder` under its sanitised name. */
  const repairInto = async (
    row: SampleRow,
    folder: string,
    overwrite: boolean,
  ): Promise<
    { path: string; detail: Record<string, unknown> } | { reason: string; notRepaired: boolean }
  > => {
    try {
      const result = await repairSample(store, scanner, row);
      if (!result.ok) return result;
      const attributes = store.samples.attributes(row.id);
      const name = safeFileName(attributes['X-Sample-File'], `sample-${row.id}.bin`);
      const written = await writeIntoFolder(folder, name, result.bytes, { overwrite });
      return {
        path: written,
        detail: {
          virus: result.virusName,
          definitions: result.set.sequence,
          rounds: result.rounds,
        },
      };
    } catch (error) {
      if (error instanceof ScannerUnavailable) throw apiErrorOf(error);
      return { reason: (error as Error).message, notRepaired: false };
    }
  };

  return {
    'samples.rescan': async (params) => {
      try {
        return await scanner.rescan(params.ids);
      } catch (error) {
        throw apiErrorOf(error);
      }
    },

    'samples.repair': async (params, ctx) => {
      const actor = actorOf(ctx);
      const problem = checkDestination(params.destination, protectedDirs(server));
      if (problem) throw new ApiError('invalid-request', problem, { path: ['destination'] });
      if (!scanner.activeSet)
        throw apiErrorOf(new ScannerUnavailable('no definitions are installed'));
      const done: { id: string; path: string }[] = [];
      const refused: { id: string; reason: string }[] = [];
      for (const id of new Set(params.ids)) {
        const row = store.samples.get(Number(id));
        if (!row) {
          refused.push({ id, reason: 'no such sample' });
          continue;
        }
        const outcome = await repairInto(row, params.destination, params.overwrite ?? false);
        if ('path' in outcome) {
          await store.committer.commit(() =>
            store.audit.append({
              actor,
              action: 'repair',
              sampleId: row.id,
              reason: 'repaired copy written by administrator',
              detail: {
                ...outcome.detail,
                path: outcome.path,
                overwrite: params.overwrite ?? false,
              },
            }),
          );
          qlog.info('control', `${actor}: repaired sample ${row.id} to ${outcome.path}`, row.id);
          scanner.conditions.set(
            'sampleNotRepaired',
            false,
            `sample ${row.id} was repaired`,
            row.id,
          );
          done.push({ id, path: outcome.path });
          continue;
        }
        if (outcome.notRepaired) {
          // An attempt the definitions could not carry out belongs in the item's history.
          await store.committer.commit(() =>
            store.audit.append({
              actor,
              action: 'repair',
              sampleId: row.id,
              reason: outcome.reason,
              detail: { written: false },
            }),
          );
          qlog.warn(
            'control',
            `${actor}: sample ${row.id} was not repaired: ${outcome.reason}`,
            row.id,
          );
          scanner.conditions.set(
            'sampleNotRepaired',
            true,
            `sample ${row.id}: ${outcome.reason}`,
            row.id,
          );
        }
        refused.push({ id, reason: outcome.reason });
      }
      return { done, refused };
    },

    'definitions.list': () => {
      const sets = definitions.list().map(toDefinitionsSet);
      return { active: definitions.active()?.sequence ?? null, sets };
    },

    'definitions.import': async (params, ctx) => {
      const actor = actorOf(ctx);
      // The schema admitted only well-formed base64 for `bytes`.
      const source = 'path' in params ? params.path : Buffer.from(params.bytes, 'base64');
      try {
        const result = await definitions.importPackage(source, {
          ...(params.expectedMd5 ? { expectedMd5: params.expectedMd5 } : {}),
        });
        await scanner.settled();
        await store.committer.commit(() =>
          store.audit.append({
            actor,
            action: 'definitions.import',
            reason: result.installed ? 'installed' : 'already installed',
            detail: { sequence: result.sequence, version: result.version, active: result.active },
          }),
        );
        qlog.info(
          'control',
          `${actor}: definitions ${result.sequence} (${result.version}) ${result.installed ? 'installed' : 'were already installed'}${result.active ? ' and active' : ''}`,
        );
        return { set: setInfo(definitions, result.sequence) };
      } catch (error) {
        const failure = apiErrorOf(error);
        qlog.error('control', `${actor}: definitions import refused: ${failure.message}`);
        const named =
          'path' in params ? parsePackageName(params.path.split(/[\\/]/).pop() ?? '') : null;
        if (named) scanner.definitionsFailed(named.sequence, failure.message);
        throw failure;
      }
    },

    'definitions.activate': async (params, ctx) => {
      const actor = actorOf(ctx);
      try {
        await definitions.activate(params.sequence);
        await scanner.settled();
      } catch (error) {
        throw apiErrorOf(error);
      }
      await store.committer.commit(() =>
        store.audit.append({
          actor,
          action: 'definitions.activate',
          reason: 'activated by administrator',
          detail: { sequence: params.sequence },
        }),
      );
      qlog.info('control', `${actor}: definitions ${params.sequence} activated`);
      return { set: setInfo(definitions, params.sequence) };
    },
  };
}
