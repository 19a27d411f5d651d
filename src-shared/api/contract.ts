/**
 * The control API contract (SPEC §4.6): every method with its request and response schema, and
 * every pushed event with its payload schema. Server, `cq ctl`, the Electron main process and
 * the renderer all take the API from here; method and event names are fixed forever because
 * scripts depend on them.
 */
import { z } from 'zod';
import {
  absoluteFolderSchema,
  alertSchema,
  bulkResultSchema,
  countSchema,
  countsSchema,
  definitionsImportEmailSchema,
  definitionsImportSchema,
  definitionsSetSchema,
  coverageSchema,
  emailAnalysisSchema,
  emailMessagesSchema,
  emailSubmitRequestSchema,
  epochMsSchema,
  historyEntrySchema,
  logEntrySchema,
  logLevelSchema,
  MAX_PAGE_ROWS,
  quotaSchema,
  sampleErrorSchema,
  sampleIdSchema,
  sampleIdsSchema,
  sampleStatusSchema,
  sampleSubmissionSchema,
  sampleSummarySchema,
  searchTextSchema,
  sequenceSchema,
  sessionUserSchema,
  writeResultSchema,
  targetIdSchema,
  targetIdsSchema,
  targetSchema,
} from './models.js';

export * from './models.js';
export * from './wire.js';

/** What a method is: its request, its response and a one-line summary for `cq ctl --help`. */
export interface MethodSpec {
  readonly request: z.ZodType;
  readonly response: z.ZodType;
  readonly summary: string;
}

/** The columns `samples.list` can sort by (the list pane's columns plus the id). */
export const SAMPLE_SORT_KEYS = [
  'fileName',
  'userName',
  'computer',
  'domain',
  'receivedOn',
  'submittedOn',
  'submittedBy',
  'status',
  'virus',
  'analyzed',
  'age',
  'sampleState',
  'definitionsNeeded',
  'sampleErrors',
  'id',
] as const;

/** A sort column of `samples.list`. */
export type SampleSortKey = (typeof SAMPLE_SORT_KEYS)[number];

const bulkRequest = z.strictObject({ ids: sampleIdsSchema });
const emptyRequest = z.strictObject({});
const configRecord = z.record(z.string(), z.unknown());
const sampleResponse = z.strictObject({ sample: sampleSummarySchema });

/** Every control API method. */
export const METHODS = {
  'session.login': {
    request: z.strictObject({
      user: z.string().min(1).max(256),
      password: z.string().max(1024),
      domain: z.string().max(256).optional(),
    }),
    response: sessionUserSchema,
    summary: 'Log a remote console in (user, password, optional domain).',
  },
  'server.info': {
    request: emptyRequest,
    response: z.strictObject({
      name: z.string(),
      version: z.string(),
      setupType: z.enum(['internet', 'email']),
      activeDefinitions: z.strictObject({ sequence: countSchema, version: z.string() }).nullable(),
      counts: countsSchema,
      quota: quotaSchema,
      listeners: z.record(z.string(), z.string()),
      startedAt: epochMsSchema,
      /** False until Customer Information (and, for email, the submission address) is set. */
      setupComplete: z.boolean(),
    }),
    summary: 'Name, version, setup type, active definitions, counts, quota and listeners.',
  },
  'server.setup': {
    request: z.strictObject({
      setupType: z.enum(['internet', 'email']),
      patch: configRecord,
    }),
    response: z.strictObject({ config: configRecord }),
    summary:
      'First-run setup: choose the setup type and apply the first settings; refused once setup is complete.',
  },
  'samples.list': {
    request: z.strictObject({
      offset: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).default(0),
      limit: z.number().int().min(1).max(MAX_PAGE_ROWS).default(100),
      sort: z.enum(SAMPLE_SORT_KEYS).default('receivedOn'),
      order: z.enum(['asc', 'desc']).default('desc'),
      filter: z
        .strictObject({
          status: z.array(sampleStatusSchema).min(1).max(32).optional(),
          host: searchTextSchema.optional(),
          virus: searchTextSchema.optional(),
          text: searchTextSchema.optional(),
        })
        .optional(),
    }),
    response: z.strictObject({
      total: countSchema,
      offset: countSchema,
      rows: z.array(sampleSummarySchema),
    }),
    summary: 'One page of quarantined items, sorted and filtered.',
  },
  'samples.get': {
    request: z.strictObject({ id: sampleIdSchema }),
    response: z.strictObject({
      sample: sampleSummarySchema,
      attributes: z.record(z.string(), z.string()),
      history: z.array(historyEntrySchema),
      errors: z.array(sampleErrorSchema),
    }),
    summary: 'One item with its X- attributes, history and errors.',
  },
  'samples.delete': {
    request: bulkRequest,
    response: bulkResultSchema,
    summary: 'Delete items (content and rows).',
  },
  'samples.release': {
    request: bulkRequest,
    response: bulkResultSchema,
    summary: 'Queue held items for automatic analysis.',
  },
  'samples.hold': {
    request: bulkRequest,
    response: bulkResultSchema,
    summary: 'Hold items back from automatic submission.',
  },
  'samples.restart': {
    request: bulkRequest,
    response: bulkResultSchema,
    summary: 'Restart processing of items from quarantined.',
  },
  'samples.restore': {
    request: z.strictObject({
      ids: sampleIdsSchema,
      destination: absoluteFolderSchema,
      overwrite: z.boolean().optional(),
    }),
    response: z.strictObject({
      done: z.array(z.strictObject({ id: sampleIdSchema, path: z.string() })),
      refused: z.array(z.strictObject({ id: sampleIdSchema, reason: z.string() })),
    }),
    summary: 'Write the original content of items into a folder.',
  },
  'samples.repair': {
    request: z.strictObject({
      ids: sampleIdsSchema,
      destination: absoluteFolderSchema,
      overwrite: z.boolean().optional(),
    }),
    response: writeResultSchema,
    summary:
      'Repair items with the active definitions and write the copies that then scan clean into a folder.',
  },
  'samples.rescan': {
    request: bulkRequest,
    response: bulkResultSchema,
    summary: 'Scan items again with the active definitions and record the results.',
  },
  'definitions.list': {
    request: emptyRequest,
    response: z.strictObject({
      active: countSchema.nullable(),
      sets: z.array(definitionsSetSchema),
    }),
    summary: 'Definitions sets installed on the server, newest first, and the active sequence.',
  },
  'definitions.import': {
    request: definitionsImportSchema,
    response: z.strictObject({ set: definitionsSetSchema }),
    summary: 'Check and install a definitions package (a file on the server, or its base64 bytes).',
  },
  'definitions.activate': {
    request: z.strictObject({ sequence: sequenceSchema }),
    response: z.strictObject({ set: definitionsSetSchema }),
    summary:
      'Make an installed definitions set the active one; items it may resolve are rescanned.',
  },
  'samples.setPriority': {
    request: z.strictObject({
      id: sampleIdSchema,
      priority: z.number().int().min(0).max(1000),
    }),
    response: sampleResponse,
    summary: 'Set the submission priority of one item (0 = none).',
  },
  'config.get': {
    request: emptyRequest,
    response: z.strictObject({ config: configRecord }),
    summary: 'The server configuration (secrets masked).',
  },
  'config.set': {
    request: z.strictObject({ patch: configRecord }),
    response: z.strictObject({ config: configRecord }),
    summary: 'Change part of the server configuration; returns the new configuration.',
  },
  'log.query': {
    request: z.strictObject({
      since: epochMsSchema.optional(),
      level: logLevelSchema.optional(),
      text: searchTextSchema.optional(),
      limit: z.number().int().min(1).max(MAX_PAGE_ROWS).optional(),
    }),
    response: z.strictObject({ entries: z.array(logEntrySchema) }),
    summary: 'Quarantine Log entries, newest first.',
  },
  'alerts.list': {
    request: z.strictObject({
      open: z.boolean().optional(),
      limit: z.number().int().min(1).max(MAX_PAGE_ROWS).optional(),
    }),
    response: z.strictObject({ alerts: z.array(alertSchema) }),
    summary: 'Alert history, newest first (only open alerts with open: true).',
  },
  'audit.verify': {
    request: emptyRequest,
    response: z.strictObject({
      ok: z.boolean(),
      rows: countSchema,
      brokenAt: countSchema.nullable(),
      reason: z.string().nullable(),
    }),
    summary: 'Check the audit chain end to end.',
  },
  'samples.queueForDelivery': {
    request: bulkRequest,
    response: bulkResultSchema,
    summary:
      'Queue available items for definitions delivery to their endpoints (guide eligibility).',
  },
  'targets.list': {
    request: emptyRequest,
    response: z.strictObject({ targets: z.array(targetSchema) }),
    summary: 'Defcast targets: endpoints that forwarded samples and selected computers.',
  },
  'targets.select': {
    request: z.strictObject({ ids: targetIdsSchema, selected: z.boolean() }),
    response: z.strictObject({ targets: z.array(targetSchema) }),
    summary: 'Select or unselect targets for automatic definitions delivery.',
  },
  'coverage.get': {
    request: z.strictObject({
      checksum: z.string().regex(/^[0-9a-fA-F]{32}$/, 'expected an MD5 in hex'),
    }),
    response: coverageSchema,
    summary: 'How many endpoints that reported a checksum run the definitions that fix it.',
  },
  'definitions.deliver': {
    request: z.strictObject({ sequence: sequenceSchema, targets: targetIdsSchema }),
    response: z.strictObject({
      queued: z.array(targetIdSchema),
      refused: z.array(z.strictObject({ id: targetIdSchema, reason: z.string() })),
    }),
    summary: 'Push a stored definitions set to targets now (Defcast).',
  },
  'samples.queueForAnalysis': {
    request: bulkRequest,
    response: bulkResultSchema,
    summary:
      'Queue items for automatic analysis (guide eligibility: priority 0, never submitted, not finished).',
  },
  'samples.submission': {
    request: z.strictObject({ id: sampleIdSchema }),
    response: z.strictObject({ submission: sampleSubmissionSchema }),
    summary:
      'The submission state of one item: cookie, analysis state, attempts, errors, next try.',
  },
  // ---- Email Scan and Deliver (SPEC §9) ----
  'samples.analyzeForEmail': {
    request: bulkRequest,
    response: z.strictObject({
      samples: z.array(emailAnalysisSchema),
      refused: z.array(z.strictObject({ id: sampleIdSchema, reason: z.string() })),
    }),
    summary:
      'Scan items with the current definitions, recommend whether to submit them by email, and preview stripping.',
  },
  'samples.previewEmail': {
    request: emailSubmitRequestSchema,
    response: emailMessagesSchema,
    summary: 'The exact submission messages samples.submitByEmail would send, without sending.',
  },
  'samples.submitByEmail': {
    request: emailSubmitRequestSchema,
    response: emailMessagesSchema,
    summary:
      'Send items to the analysis mailbox (email setup): X- headers, attributes.txt and an encrypted zip.',
  },
  'definitions.importEmail': {
    request: definitionsImportEmailSchema,
    response: z.strictObject({
      set: definitionsSetSchema,
      attachment: z.string(),
      rescanned: bulkResultSchema,
      samples: z.array(
        z.strictObject({
          id: sampleIdSchema,
          before: sampleStatusSchema,
          after: sampleStatusSchema,
        }),
      ),
    }),
    summary:
      'Import the definitions package carried by an .eml, install it and rescan the items it may resolve.',
  },
} as const satisfies Record<string, MethodSpec>;

/** A control API method name. */
export type MethodName = keyof typeof METHODS;

/** Every method name, in contract order. */
export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

/** What a caller passes to a method (defaults may be left out). */
export type RequestOf<M extends MethodName> = z.input<(typeof METHODS)[M]['request']>;

/** What a handler receives once the request is validated (defaults filled in). */
export type ParamsOf<M extends MethodName> = z.output<(typeof METHODS)[M]['request']>;

/** What a method returns. */
export type ResponseOf<M extends MethodName> = z.output<(typeof METHODS)[M]['response']>;

/** True when `name` is a method of the contract. */
export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(METHODS, name);
}

/** Every event the server pushes to attached consoles. */
export const EVENTS = {
  'sample.added': z.strictObject({ sample: sampleSummarySchema }),
  'sample.changed': z.strictObject({ sample: sampleSummarySchema }),
  'sample.deleted': z.strictObject({ ids: z.array(sampleIdSchema) }),
  'alert.raised': alertSchema,
  'alert.cleared': alertSchema,
  'definitions.installed': z.strictObject({ sequence: countSchema, version: z.string() }),
  'server.status': z.strictObject({
    state: z.enum(['running', 'stopping']),
    quota: quotaSchema.optional(),
    counts: countsSchema.optional(),
  }),
} as const satisfies Record<string, z.ZodType>;

/** A pushed event name. */
export type EventName = keyof typeof EVENTS;

/** Every event name, in contract order. */
export const EVENT_NAMES = Object.keys(EVENTS) as EventName[];

/** The payload of one event. */
export type EventOf<E extends EventName> = z.output<(typeof EVENTS)[E]>;

/** True when `name` is an event of the contract. */
export function isEventName(name: string): name is EventName {
  return Object.prototype.hasOwnProperty.call(EVENTS, name);
}
