/**
 * The control API as a caller sees it, independent of how messages travel: `cq ctl` and the
 * Electron main process get it over a socket, the renderer through its bridge. No Node or DOM
 * types here so every side can implement or consume it.
 */
import type { EventName, EventOf, MethodName, RequestOf, ResponseOf } from './contract.js';
import { API_ERROR_CODES, type ApiErrorBody, type ApiErrorCode } from './wire.js';

/** A typed connection to one Quarantine Server's control API. */
export interface ControlClient {
  /** Call one method; rejects with an `ApiError` when the server refuses or the link fails. */
  call<M extends MethodName>(method: M, params: RequestOf<M>): Promise<ResponseOf<M>>;
  /** Listen to one pushed event; returns the function that stops listening. */
  on<E extends EventName>(event: E, listener: (payload: EventOf<E>) => void): () => void;
  /** Drop the connection; pending calls reject with `unavailable`. */
  close(): Promise<void>;
}

/** A typed control API failure, the same on both sides of the wire. */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The error half of the envelope, as sent on the wire. */
  toBody(): ApiErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  /** Rebuild an error received on the wire. */
  static fromBody(body: ApiErrorBody): ApiError {
    return new ApiError(body.code, body.message, body.details);
  }
}

/** True when `value` is an `ApiError` (also across bundles, where `instanceof` can fail). */
export function isApiError(value: unknown): value is ApiError {
  if (value instanceof ApiError) return true;
  if (typeof value !== 'object' || value === null) return false;
  const { name, code } = value as { name?: unknown; code?: unknown };
  return (
    name === 'ApiError' &&
    typeof code === 'string' &&
    (API_ERROR_CODES as readonly string[]).includes(code)
  );
}
