/** What the gateway's HTTP routes share: the store, who may call, limits, and the runner's bell. */
import type { CustomerAuthenticator } from '../customers.js';
import type { GatewayStore } from '../store/gateway-store.js';
import type { Timings } from '../timings.js';

/** Limits that bound what the gateway takes on. */
export interface GatewayLimits {
  /** Largest decoded sample accepted (bytes). */
  readonly maxSampleSize: number;
  /** Uploads received at once; more are refused with 503 and Retry-After. */
  readonly maxConcurrentUploads: number;
  /** Analyses waiting for the runner; more submissions are refused with 503 and Retry-After. */
  readonly maxBacklog: number;
  /** Seconds a refused client is asked to wait. */
  readonly retryAfterSeconds: number;
}

/** Shared by the routes of one gateway. */
export interface RouteContext {
  readonly store: GatewayStore;
  readonly auth: CustomerAuthenticator;
  readonly limits: GatewayLimits;
  readonly timings: Timings;
  /** Path of a stored package file, by its MD5. */
  readonly packagePath: (md5: string) => string;
  /** Uploads being received right now. */
  uploads: number;
  /** Tell the pipeline runner that new work arrived. */
  readonly wake: () => void;
}
