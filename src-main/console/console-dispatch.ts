/**
 * One ConsoleApi operation, as it arrives from a renderer over any bridge (the web host's
 * WebSocket; the Electron main may use it for IPC too), answered from the attach manager.
 */
import {
  bridgeRequestSchema,
  type BridgeRequest,
  type ConsoleResult,
} from '../../src-shared/api/console-api.js';
import { summarizeIssues } from '../../src-shared/api/wire.js';
import type { AttachManager } from './attach-manager.js';

/** A parsed bridge request, or the error reply to send for a frame that is not one. */
export type ParsedBridgeRequest =
  | { readonly ok: true; readonly request: BridgeRequest }
  | { readonly ok: false; readonly id: number | null; readonly result: ConsoleResult<never> };

/** Check an incoming frame (already JSON-decoded) against the bridge protocol. */
export function parseBridgeRequest(frame: unknown): ParsedBridgeRequest {
  const parsed = bridgeRequestSchema.safeParse(frame);
  if (parsed.success) return { ok: true, request: parsed.data };
  // Answer with the id when one can be read, so the renderer's call settles.
  const rawId = (frame as { id?: unknown } | null)?.id;
  const id = typeof rawId === 'number' && Number.isSafeInteger(rawId) && rawId >= 0 ? rawId : null;
  const { message, issues } = summarizeIssues(parsed.error);
  return {
    ok: false,
    id,
    result: {
      ok: false,
      error: {
        code: 'invalid-request',
        message: `bad console request: ${message}`,
        details: { issues },
      },
    },
  };
}

/** Run one operation on the attach manager; never throws. */
export async function dispatchBridgeRequest(
  manager: AttachManager,
  request: BridgeRequest,
): Promise<ConsoleResult<unknown>> {
  try {
    switch (request.op) {
      case 'listServers':
        return { ok: true, value: manager.list() };
      case 'attach':
        return await manager.attach(request.request);
      case 'detach':
        return await manager.detach(request.serverId);
      case 'call':
        return await manager.call(request.serverId, request.method, request.params);
    }
  } catch (error) {
    return {
      ok: false,
      error: { code: 'internal', message: error instanceof Error ? error.message : String(error) },
    };
  }
}
