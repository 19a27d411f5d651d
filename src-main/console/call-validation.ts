/**
 * Checks a console call against the control API contract before it leaves the console: the
 * method must exist and be one a console may call directly, and the params must match the
 * method's request schema. Used by the attach manager for both the web host and Electron IPC.
 */
import {
  isMethodName,
  METHODS,
  summarizeIssues,
  type MethodName,
} from '../../src-shared/api/contract.js';
import type { ApiErrorBody } from '../../src-shared/api/wire.js';

/**
 * Methods the renderer may not call itself: logging in is the attach manager's job (it holds
 * the credentials), so a renderer cannot switch a session to another user behind its back.
 */
export const CONSOLE_BLOCKED_METHODS: ReadonlySet<string> = new Set(['session.login']);

/** A call that passed the checks, with the params as the contract parsed them. */
export type CheckedCall =
  | { readonly ok: true; readonly method: MethodName; readonly params: unknown }
  | { readonly ok: false; readonly error: ApiErrorBody };

/** Validate `method` and `params` (undefined means `{}`). */
export function checkConsoleCall(method: unknown, params: unknown): CheckedCall {
  if (typeof method !== 'string' || !isMethodName(method)) {
    return {
      ok: false,
      error: { code: 'unknown-method', message: `no method "${String(method)}"` },
    };
  }
  if (CONSOLE_BLOCKED_METHODS.has(method)) {
    return {
      ok: false,
      error: {
        code: 'not-allowed',
        message: `${method} is done by attaching to the server, not called directly`,
      },
    };
  }
  const parsed = METHODS[method].request.safeParse(params ?? {});
  if (!parsed.success) {
    const { message, issues } = summarizeIssues(parsed.error);
    return {
      ok: false,
      error: { code: 'invalid-request', message: `${method}: ${message}`, details: { issues } },
    };
  }
  return { ok: true, method, params: parsed.data };
}
