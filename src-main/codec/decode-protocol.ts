/** Messages between the event loop and a decode thread (`decode-pool.ts`, `decode-worker.ts`). */
import type { ErrorCode } from '../../src-shared/catalog/errors.js';
import type { DecodeResult, DecodeSpec } from './content.js';

/** Event loop → decode thread. */
export type DecodeRequest =
  | {
      readonly op: 'start';
      readonly id: number;
      readonly spec: DecodeSpec;
      /** Temp file to create (exclusively) and write the body to, as received. */
      readonly tempPath: string;
    }
  | { readonly op: 'chunk'; readonly id: number; readonly data: Uint8Array }
  | { readonly op: 'end'; readonly id: number }
  | { readonly op: 'abort'; readonly id: number; readonly reason: string };

/** Decode thread → event loop. */
export type DecodeReply =
  | { readonly op: 'consumed'; readonly id: number; readonly bytes: number }
  | {
      readonly op: 'done';
      readonly id: number;
      readonly result: DecodeResult;
      /** Bytes in the temp file, which is fsynced and closed. */
      readonly storedSize: number;
    }
  | {
      readonly op: 'refused';
      readonly id: number;
      readonly code: ErrorCode;
      readonly params: (string | number)[];
      readonly status: number;
    }
  | { readonly op: 'failed'; readonly id: number; readonly message: string };
