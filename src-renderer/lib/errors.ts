/**
 * Readable messages from API errors (STYLE: errors are values; never a stack trace in the UI).
 * Config refusals carry one issue per field in `details.issues`; dialogs put those next to
 * their fields.
 */
import type { ApiErrorBody } from '../../src-shared/api/wire.js';

const PREFIX: Readonly<Record<ApiErrorBody['code'], string>> = {
  'invalid-request': 'The server refused the request',
  'unknown-method': 'This server does not support that action',
  unauthenticated: 'Not logged in to the server',
  'login-failed': 'Login refused',
  'rate-limited': 'Too many attempts',
  'not-found': 'Not found',
  'not-allowed': 'Not allowed',
  conflict: 'Conflict',
  'too-large': 'Too large',
  unavailable: 'The server cannot be reached',
  internal: 'The server could not complete the request',
};

/** Keep only the first line and drop anything that looks like a stack frame. */
function firstLine(text: string): string {
  const line = text.split(/\r?\n/)[0] ?? '';
  return line.replace(/\s+at\s+\S+\s+\(.*\)$/, '').trim();
}

/** "Login refused: unknown user or wrong password". */
export function describeError(error: ApiErrorBody): string {
  const prefix = PREFIX[error.code] ?? 'Error';
  const message = firstLine(error.message);
  return message ? `${prefix}: ${message}` : prefix;
}

/** One problem with one field, as refusals of config.set and server.setup carry them. */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

/** The per-field issues of a refusal, if it has any. */
export function fieldIssues(error: ApiErrorBody): FieldIssue[] {
  const details = error.details as { issues?: unknown } | undefined;
  if (!details || !Array.isArray(details.issues)) return [];
  return details.issues.filter(
    (i): i is FieldIssue =>
      typeof i === 'object' &&
      i !== null &&
      typeof (i as FieldIssue).path === 'string' &&
      typeof (i as FieldIssue).message === 'string',
  );
}
