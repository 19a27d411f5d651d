/**
 * The records that cross the control API: field schemas shared by requests and responses, and
 * the shapes of samples, history, errors, alerts and log entries as the console sees them.
 * Request-side schemas are bounded (they come from outside); response-side ones describe what
 * the server produces.
 */
import { z } from 'zod';
import { ERROR_CODES } from '../catalog/errors.js';
import { ALERT_EVENT_IDS } from '../catalog/events.js';

/** Largest number of ids one bulk request may name. */
export const MAX_BULK_IDS = 1000;

/** Largest page `samples.list` and `log.query` return. */
export const MAX_PAGE_ROWS = 1000;

/** A sample id: the decimal form of the store's row id (strings, so 64-bit ids survive JSON). */
export const sampleIdSchema = z
  .string()
  .regex(/^\d{1,20}$/, 'expected a sample id (1 to 20 digits)');

/** The ids of a bulk sample action. */
export const sampleIdsSchema = z.array(sampleIdSchema).min(1).max(MAX_BULK_IDS);

/**
 * A sample status token. Kept as a bounded string until the token catalog
 * (`src-shared/catalog/tokens.ts`, SAMPLE_STATUSES) lands; switch to its enum then.
 */
export const sampleStatusSchema = z
  .string()
  .regex(/^[a-z]{1,32}$/, 'expected a sample status token');

/** Milliseconds since the Unix epoch. */
export const epochMsSchema = z.number().int().nonnegative();

/** A non-negative integer count or size. */
export const countSchema = z.number().int().nonnegative();

/** Free text typed by an administrator into a search or filter box. */
export const searchTextSchema = z.string().max(256);

/** Windows drive (`C:\`), UNC (`\\host\share`) or POSIX (`/`) absolute path. */
const ABSOLUTE_PATH = /^(?:[A-Za-z]:[\\/]|\\\\[^\\/]+[\\/]|\/)/;

/**
 * An absolute folder chosen by an administrator (restore/repair destinations). Relative paths are
 * refused here because the server's working directory means nothing to a remote console.
 */
export const absoluteFolderSchema = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.includes('\0'), 'path must not contain NUL characters')
  .refine((p) => ABSOLUTE_PATH.test(p), 'destination must be an absolute folder path');

/** One row of the Quarantined Items list (the guide's list columns plus what the UI needs). */
export const sampleSummarySchema = z.strictObject({
  id: sampleIdSchema,
  fileName: z.string().nullable(),
  userName: z.string().nullable(),
  computer: z.string().nullable(),
  domain: z.string().nullable(),
  receivedOn: epochMsSchema,
  submittedOn: epochMsSchema.nullable(),
  submittedBy: z.string().nullable(),
  status: sampleStatusSchema,
  virus: z.string().nullable(),
  analyzed: z.boolean(),
  sampleState: z.string().nullable(),
  definitionsNeeded: countSchema.nullable(),
  errors: countSchema,
  checksum: z.string(),
  size: countSchema,
  priority: countSchema,
  changes: countSchema,
});

/** A list row. */
export type SampleSummary = z.infer<typeof sampleSummarySchema>;

/** One transition or admin action in a sample's history (the Actions tab). */
export const historyEntrySchema = z.strictObject({
  seq: countSchema,
  at: epochMsSchema,
  actor: z.string(),
  action: z.string(),
  from: z.string().nullable(),
  to: z.string().nullable(),
  reason: z.string().nullable(),
});

/** A history row. */
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

/** An error kept on a sample (the Errors tab), with the wire error code of SPEC §3.4. */
export const sampleErrorSchema = z.strictObject({
  at: epochMsSchema,
  code: z.enum(ERROR_CODES),
  params: z.array(z.string()),
  source: z.string(),
  message: z.string(),
});

/** An error row on a sample. */
export type SampleError = z.infer<typeof sampleErrorSchema>;

/** Outcome of a bulk action: each id is either done or refused with the reason the UI shows. */
export const bulkResultSchema = z.strictObject({
  done: z.array(sampleIdSchema),
  refused: z.array(z.strictObject({ id: sampleIdSchema, reason: z.string() })),
});

/** Outcome of a bulk action. */
export type BulkResult = z.infer<typeof bulkResultSchema>;

/** Quarantine storage use in bytes. */
export const quotaSchema = z.strictObject({
  usedBytes: countSchema,
  maxBytes: countSchema,
  freeBytes: countSchema,
});

/** Sample counts, overall and per status token. */
export const countsSchema = z.strictObject({
  total: countSchema,
  byStatus: z.record(z.string(), countSchema),
});

/** An alert as raised or cleared (SPEC §8). */
export const alertSchema = z.strictObject({
  id: z.string(),
  event: z.enum(ALERT_EVENT_IDS),
  sampleId: sampleIdSchema.nullable(),
  message: z.string(),
  at: epochMsSchema,
});

/** An alert. */
export type Alert = z.infer<typeof alertSchema>;

/** Severity of a Quarantine Log entry. */
export const logLevelSchema = z.enum(['info', 'warn', 'error']);

/** One Quarantine Log entry. */
export const logEntrySchema = z.strictObject({
  id: z.string(),
  at: epochMsSchema,
  level: logLevelSchema,
  source: z.string(),
  message: z.string(),
  sampleId: sampleIdSchema.nullable(),
});

/** A Quarantine Log entry. */
export type LogEntry = z.infer<typeof logEntrySchema>;

/** Who a session is logged in as; `domain` is '' for a user without one. */
export const sessionUserSchema = z.strictObject({
  user: z.string(),
  domain: z.string(),
});

/** Who a session is logged in as. */
export type SessionUser = z.infer<typeof sessionUserSchema>;
