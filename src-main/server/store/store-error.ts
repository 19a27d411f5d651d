/** Why the store refused an operation; callers map these to wire errors or API envelopes. */
export type StoreErrorCode =
  | 'newer-schema'
  | 'not-found'
  | 'invalid-sample'
  | 'invalid-query'
  | 'invalid-blob'
  | 'exists'
  | 'closed';

/** A typed refusal from the durable store (never a raw SQLite error for a known condition). */
export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** The refusal of work handed to a committer after it was closed. */
export function storeClosed(): StoreError {
  return new StoreError('closed', 'the store is closed');
}
