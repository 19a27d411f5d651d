/** Messages between the event loop and the intake commit thread (`commit-thread.ts`, `commit-worker.ts`). */
import type { IntakeCommitted, IntakeJob } from './intake-commit.js';

/** What the thread needs to open its connection. */
export interface CommitThreadData {
  /** The server's database file (already migrated by the event loop's connection). */
  readonly file: string;
  /** Rows the Quarantine Log keeps. */
  readonly logRetention?: number;
  /** `wal_autocheckpoint` for the thread's connection (pages). */
  readonly autocheckpointPages: number;
  /** How long one attempt waits for the other writer's lock (default: the store's). */
  readonly busyTimeoutMs?: number;
}

/** One job as sent: `seq` pairs it with its reply. */
export interface NumberedJob {
  readonly seq: number;
  readonly job: IntakeJob;
}

/** Event loop → thread. */
export type CommitRequest =
  | { readonly op: 'batch'; readonly jobs: readonly NumberedJob[] }
  /** Start no batch until `release`: the event loop's connection is about to write. */
  | { readonly op: 'hold' }
  | { readonly op: 'release' }
  | { readonly op: 'close' };

/** An error as it crosses to the event loop. */
export interface CarriedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
}

/** One job's outcome. */
export type JobReply =
  | { readonly seq: number; readonly ok: true; readonly value: IntakeCommitted }
  | { readonly seq: number; readonly ok: false; readonly error: CarriedError };

/** Thread → event loop. */
export type CommitReply =
  /** The connection is open: jobs sent from now on are committed by the thread. */
  | { readonly op: 'ready' }
  /** The connection could not be opened: no job sent to the thread was committed. */
  | { readonly op: 'unavailable'; readonly message: string }
  /** Answer to `hold`: no batch is running, and none starts until `release`. */
  | { readonly op: 'held' }
  /** Outcomes of jobs committed (or refused) in one transaction. */
  | {
      readonly op: 'committed';
      readonly replies: readonly JobReply[];
      /** Times the batch was begun again because the other writer kept the lock. */
      readonly busyRetries: number;
    };

/** An error in the form that crosses the thread boundary. */
export function carryError(error: unknown): CarriedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    message: error.message,
    ...(typeof code === 'string' ? { code } : {}),
  };
}
