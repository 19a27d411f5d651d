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

/** A target id: the decimal form of the targets table's row id. */
export const targetIdSchema = z
  .string()
  .regex(/^\d{1,20}$/, 'expected a target id (1 to 20 digits)');

/** The ids a targets request names. */
export const targetIdsSchema = z.array(targetIdSchema).min(1).max(MAX_BULK_IDS);

/** A definitions sequence (8 digits at most, as in package names). */
export const sequenceSchema = z.number().int().min(1).max(99_999_999);

/**
 * A computer Defcast knows (SPEC §4.5): every endpoint that forwarded a sample plus the ones an
 * administrator selected. `managed` endpoints carry a GUID and a Defcast port and can be pushed
 * to; the others are told about new definitions through an alert.
 */
export const targetSchema = z.strictObject({
  id: targetIdSchema,
  host: z.string(),
  addresses: z.array(z.string()),
  guid: z.string().nullable(),
  managed: z.boolean(),
  defcastPort: countSchema.nullable(),
  /** Server that hands this endpoint its definitions (X-Platform-Distributor), if it named one. */
  distributor: z.string().nullable(),
  /** Sequence and version the endpoint last reported; null = never asked or never answered. */
  sequence: countSchema.nullable(),
  version: z.string().nullable(),
  lastSeen: epochMsSchema.nullable(),
  selected: z.boolean(),
  /** Delivery in progress: the sequence being pushed, attempts so far, next try, last failure. */
  pendingSequence: countSchema.nullable(),
  attempts: countSchema,
  nextAttemptAt: epochMsSchema.nullable(),
  lastError: z.string().nullable(),
  installedAt: epochMsSchema.nullable(),
});

/** A Defcast target. */
export type Target = z.infer<typeof targetSchema>;

/** How far the definitions that fix one threat (by checksum) have reached its endpoints. */
export const coverageSchema = z.strictObject({
  checksum: z.string(),
  /** Lowest sequence that fixes it (the highest X-Signatures-Sequence its samples need); null = none known. */
  fixingSequence: countSchema.nullable(),
  /** Endpoints that reported the checksum. */
  endpoints: countSchema,
  /** Of those, how many run the fixing sequence or a higher one. */
  covered: countSchema,
  /** Of those, how many can receive definitions by Defcast. */
  managed: countSchema,
  rows: z.array(
    z.strictObject({
      sampleId: sampleIdSchema,
      host: z.string().nullable(),
      targetId: targetIdSchema.nullable(),
      managed: z.boolean(),
      sequence: countSchema.nullable(),
      covered: z.boolean(),
      status: sampleStatusSchema,
    }),
  ),
});

/** Fix coverage of one checksum. */
export type Coverage = z.infer<typeof coverageSchema>;

/**
 * The submission state of one sample (`samples.submission`): the gateway's answers, what the
 * agent is doing about the sample, and whether the gateway can be reached.
 */
export const sampleSubmissionSchema = z.strictObject({
  id: sampleIdSchema,
  status: sampleStatusSchema,
  cookie: z.string().nullable(),
  state: z.string().nullable(),
  issue: z.string().nullable(),
  service: z.string().nullable(),
  virusName: z.string().nullable(),
  /** The definitions sequence that resolves the sample, once the gateway named it. */
  signaturesSequence: countSchema.nullable(),
  priority: countSchema,
  submittedOn: epochMsSchema.nullable(),
  analyzedOn: epochMsSchema.nullable(),
  finishedOn: epochMsSchema.nullable(),
  /** Submission attempts since the sample was last released. */
  attempts: countSchema,
  lastAttemptAt: epochMsSchema.nullable(),
  /** The last gateway problem for this sample (code = its X-Error, when there was one). */
  lastError: z
    .strictObject({ at: epochMsSchema, code: z.string().nullable(), message: z.string() })
    .nullable(),
  /** When the agent next sends, queries or fetches for this sample; null = nothing planned. */
  nextAttemptAt: epochMsSchema.nullable(),
  /** How the submitted copy was stripped of user data (X-Sample-Strip), if it was. */
  strip: z
    .strictObject({
      method: z.string(),
      checksum: z.string(),
      size: countSchema,
      removed: countSchema,
    })
    .nullable(),
  /** Whether "Queue item for automatic analysis" is allowed, and why not. */
  queueForAnalysis: z.strictObject({ allowed: z.boolean(), reason: z.string().nullable() }),
  agent: z.strictObject({
    running: z.boolean(),
    gatewayUnreachableSince: epochMsSchema.nullable(),
  }),
});

/** The submission state of one sample. */
export type SampleSubmission = z.infer<typeof sampleSubmissionSchema>;

/** An absolute file path on the server's host (a package to import). */
export const absoluteFileSchema = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.includes('\0'), 'path must not contain NUL characters')
  .refine((p) => ABSOLUTE_PATH.test(p), 'must be an absolute file path');

/** Where a restore or repair wrote each item, and which items were refused and why. */
export const writeResultSchema = z.strictObject({
  done: z.array(z.strictObject({ id: sampleIdSchema, path: z.string() })),
  refused: z.array(z.strictObject({ id: sampleIdSchema, reason: z.string() })),
});

/** A definitions set the server has installed (SPEC §4.4). */
export const definitionsSetSchema = z.strictObject({
  sequence: countSchema,
  /** `YYYY.MM.DD.NNN`. */
  version: z.string(),
  /** `YYMMDDx`, as the console shows it. */
  displayVersion: z.string(),
  certified: z.boolean(),
  kind: z.enum(['all', 'incr']),
  /** The store's state of the set (installed, active, superseded, failed…). */
  state: z.string(),
  active: z.boolean(),
  /** MD5 of the package (X-Signatures-Checksum), when known. */
  checksum: z.string().nullable(),
  installedAt: epochMsSchema.nullable(),
});

/** A definitions set. */
export type DefinitionsSet = z.infer<typeof definitionsSetSchema>;

/** Largest base64 text of a package sent inline (the control API's frames hold 16 MiB). */
export const MAX_PACKAGE_BASE64 = 16 * 1024 * 1024;

const md5HexSchema = z.string().regex(/^[0-9a-fA-F]{32}$/, 'expected an MD5 in hex');

/** `definitions.import`: a package file on the server's host, or the package's bytes. */
export const definitionsImportSchema = z.union([
  z.strictObject({ path: absoluteFileSchema, expectedMd5: md5HexSchema.optional() }),
  z.strictObject({
    bytes: z
      .string()
      .min(4)
      .max(MAX_PACKAGE_BASE64)
      .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'expected base64 text')
      .refine((b) => b.length % 4 === 0, 'base64 text must be a multiple of 4 characters'),
    expectedMd5: md5HexSchema.optional(),
  }),
]);

// ---- Email Scan and Deliver (SPEC §9) ----

/** What the current definitions say about a sample, for the Scan and Deliver wizard. */
export const emailAnalysisSchema = z.strictObject({
  id: sampleIdSchema,
  fileName: z.string().nullable(),
  status: sampleStatusSchema,
  size: countSchema,
  /** Whether manual submission is allowed (guide eligibility), and why not. */
  eligible: z.strictObject({ allowed: z.boolean(), reason: z.string().nullable() }),
  scan: z.strictObject({
    sequence: countSchema.nullable(),
    virusName: z.string().nullable(),
    repairable: z.boolean(),
    /** Why the content was not scanned (engine down, no definitions); never read as clean. */
    notScanned: z.string().nullable(),
  }),
  recommendation: z.strictObject({
    action: z.enum(['submit', 'not-needed']),
    reason: z.string(),
  }),
  /** What stripping would send, or why this content cannot be stripped. */
  strip: z.union([
    z.strictObject({
      possible: z.literal(true),
      method: z.string(),
      size: countSchema,
      checksum: z.string(),
      removed: z.array(z.string()),
    }),
    z.strictObject({ possible: z.literal(false), reason: z.string() }),
  ]),
});

/** The wizard's analysis of one sample. */
export type EmailAnalysis = z.infer<typeof emailAnalysisSchema>;

/** One attachment of a submission message. */
export const emailAttachmentSchema = z.strictObject({
  name: z.string(),
  size: countSchema,
  contentType: z.string(),
});

/** A submission message as built (preview) or sent (with the server's message id). */
export const emailMessageSchema = z.strictObject({
  id: sampleIdSchema,
  messageId: z.string(),
  from: z.string(),
  recipients: z.array(z.string()),
  subject: z.string(),
  /** The X- headers exactly as they go on the wire (RFC 2047 where needed). */
  headers: z.record(z.string(), z.string()),
  text: z.string(),
  attachments: z.array(emailAttachmentSchema),
  /** `X-Sample-Strip` when the sample was stripped, else null. */
  strip: z.string().nullable(),
});

/** A submission message. */
export type EmailMessage = z.infer<typeof emailMessageSchema>;

/** The result of previewing or sending submissions: one message per sample, or a refusal. */
export const emailMessagesSchema = z.strictObject({
  messages: z.array(emailMessageSchema),
  refused: z.array(z.strictObject({ id: sampleIdSchema, reason: z.string() })),
});

const emailTextSchema = z.string().max(255);

/** The wizard's request to preview or send submissions by email. */
export const emailSubmitRequestSchema = z.strictObject({
  ids: sampleIdsSchema,
  strip: z.boolean(),
  /** A custom SMTP server for this submission (the configured one otherwise). */
  smtp: z
    .strictObject({
      host: z.string().min(1).max(255),
      port: z.number().int().min(1).max(65535),
      secure: z.boolean(),
      user: emailTextSchema,
      password: z.string().max(1024),
    })
    .optional(),
  /** Contact details for this submission (Customer Information otherwise). */
  contact: z
    .strictObject({
      company: emailTextSchema.min(1),
      account: emailTextSchema,
      contactName: emailTextSchema.min(1),
      telephone: emailTextSchema.min(1),
      email: z.email().max(255),
    })
    .optional(),
  /** Submit even where the analysis says no submission is needed. */
  override: z.boolean().optional(),
});

/** The request of `samples.previewEmail` and `samples.submitByEmail`. */
export type EmailSubmitRequest = z.infer<typeof emailSubmitRequestSchema>;

/** `definitions.importEmail`: an `.eml` file on the server's host, or its base64 bytes. */
export const definitionsImportEmailSchema = z.union([
  z.strictObject({ path: absoluteFileSchema }),
  z.strictObject({
    bytes: z
      .string()
      .min(4)
      .max(MAX_PACKAGE_BASE64)
      .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'expected base64 text')
      .refine((b) => b.length % 4 === 0, 'base64 text must be a multiple of 4 characters'),
  }),
]);
