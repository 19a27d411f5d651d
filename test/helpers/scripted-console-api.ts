/**
 * A console API for store tests: each method answers from a table (a value, a failure, or a
 * promise the test settles later), and every call is recorded. The real API is exercised end
 * to end in test/e2e.
 */
import type { ApiErrorBody } from '../../src-shared/api/wire.js';
import type { ConsoleApi } from '../../src-shared/api/console-api.js';

/** What a method answers: a value, an error, or (for ordering tests) a promise of either. */
export type ScriptedAnswer =
  | { readonly value: unknown }
  | { readonly error: ApiErrorBody }
  | Promise<{ readonly value: unknown } | { readonly error: ApiErrorBody }>;

/**
 * A scripted API and the names of the methods called on it, in order. An answer given as a
 * function is asked for each call of its method (with the call's number, from 0).
 */
export function scriptedConsoleApi(
  answers: Record<string, ScriptedAnswer | ((call: number) => ScriptedAnswer)>,
): {
  readonly api: ConsoleApi;
  readonly calls: string[];
} {
  const calls: string[] = [];
  const api = {
    app: { version: 'test', shell: 'web', platform: 'linux' },
    listServers: () => Promise.resolve({ ok: true, value: [] }),
    attach: () => Promise.reject(new Error('not scripted')),
    detach: () => Promise.reject(new Error('not scripted')),
    async call(_serverId: string, method: string) {
      const call = calls.filter((m) => m === method).length;
      calls.push(method);
      const scripted = answers[method] ?? { value: {} };
      const answer = await (typeof scripted === 'function' ? scripted(call) : scripted);
      return 'error' in answer
        ? { ok: false, error: answer.error }
        : { ok: true, value: answer.value };
    },
    onEvent: () => () => undefined,
    onServersChanged: () => () => undefined,
  } as unknown as ConsoleApi;
  return { api, calls };
}
