import { describe, expect, it } from 'vitest';
import { ApiError, isApiError } from '../../src-shared/api/client-api.js';
import {
  API_ERROR_CODES,
  EVENT_NAMES,
  EVENTS,
  frameSchema,
  isEventName,
  isMethodName,
  METHOD_NAMES,
  METHODS,
  requestFrameSchema,
  responseFrameSchema,
  summarizeIssues,
  type EventName,
  type EventOf,
  type MethodName,
  type RequestOf,
  type ResponseOf,
  type SampleSummary,
} from '../../src-shared/api/contract.js';

const sample: SampleSummary = {
  id: '42',
  fileName: 'C:\\Users\\ann\\invoice.doc',
  userName: 'ann',
  computer: 'WS-017',
  domain: 'CORP',
  receivedOn: 1_700_000_000_000,
  submittedOn: null,
  submittedBy: null,
  status: 'quarantined',
  virus: null,
  analyzed: false,
  sampleState: null,
  definitionsNeeded: null,
  errors: 0,
  checksum: '0123456789abcdef0123456789abcdef',
  size: 1024,
  priority: 0,
  changes: 1,
};

const definitionsSet = {
  sequence: 679,
  version: '2024.01.03.001',
  displayVersion: '240103a',
  certified: true,
  kind: 'all',
  state: 'active',
  active: true,
  checksum: '8B37247C71443D40A2D7FCF16867803A',
  installedAt: 1_700_000_000_000,
} as const;

const emailMessage = {
  id: '1',
  messageId: '<abc@cq.example.test>',
  from: 'ann@example.test',
  recipients: ['samples@av.example.test'],
  subject: 'Sample submission: invoice.doc',
  headers: { 'X-Sample-Checksum': '0123456789ABCDEF0123456789ABCDEF' },
  text: 'A sample for analysis.',
  attachments: [
    { name: 'attributes.txt', size: 120, contentType: 'text/plain' },
    { name: 'sample-1.zip', size: 900, contentType: 'application/zip' },
  ],
  strip: 'ole-macro-streams',
};

const bulk = { done: ['1'], refused: [{ id: '2', reason: 'already submitted' }] };

const target = {
  id: '3',
  host: 'WS-017',
  addresses: ['10.0.0.17'],
  guid: '0123456789ABCDEF0123456789ABCDEF',
  managed: true,
  defcastPort: 8849,
  distributor: null,
  sequence: 678,
  version: '2024.01.02.003',
  lastSeen: 1_700_000_000_000,
  selected: false,
  pendingSequence: 679,
  attempts: 2,
  nextAttemptAt: 1_700_000_060_000,
  lastError: 'cannot reach 10.0.0.17:8849',
  installedAt: null,
};

/** One valid request per method; the table must cover the whole contract. */
const VALID_REQUESTS: { [M in MethodName]: RequestOf<M> } = {
  'session.login': { user: 'admin', password: 'secret', domain: 'CORP' },
  'server.info': {},
  'server.setup': { setupType: 'email', patch: { customerInformation: { company: 'Example' } } },
  'samples.list': {
    offset: 0,
    limit: 50,
    sort: 'virus',
    order: 'asc',
    filter: { status: ['held', 'released'], host: 'WS', virus: 'EICAR', text: 'invoice' },
  },
  'samples.get': { id: '42' },
  'samples.delete': { ids: ['1', '2'] },
  'samples.release': { ids: ['1'] },
  'samples.hold': { ids: ['1'] },
  'samples.restart': { ids: ['1'] },
  'samples.restore': { ids: ['1'], destination: '/srv/restore', overwrite: false },
  'samples.setPriority': { id: '42', priority: 1000 },
  'samples.repair': { ids: ['1', '2'], destination: 'C:\\Repaired', overwrite: true },
  'samples.rescan': { ids: ['1'] },
  'definitions.list': {},
  'definitions.import': { path: '/srv/incoming/00000679.all.zip', expectedMd5: 'ab'.repeat(16) },
  'definitions.activate': { sequence: 679 },
  'config.get': {},
  'config.set': { patch: { samplePolicy: { automaticSubmission: false } } },
  'log.query': { since: 0, level: 'warn', text: 'gateway', limit: 10 },
  'alerts.list': { open: true, limit: 50 },
  'audit.verify': {},
  'samples.queueForDelivery': { ids: ['1', '2'] },
  'targets.list': {},
  'targets.select': { ids: ['3'], selected: true },
  'coverage.get': { checksum: '0123456789abcdef0123456789ABCDEF' },
  'definitions.deliver': { sequence: 679, targets: ['3', '4'] },
  'samples.queueForAnalysis': { ids: ['1', '2'] },
  'samples.submission': { id: '42' },
  'samples.analyzeForEmail': { ids: ['1', '2'] },
  'samples.previewEmail': { ids: ['1'], strip: true },
  'samples.submitByEmail': {
    ids: ['1'],
    strip: false,
    smtp: { host: 'mail.example.test', port: 587, secure: false, user: 'cq', password: 'pw' },
    contact: {
      company: 'Example Ltd',
      account: '4711',
      contactName: 'Ann Admin',
      telephone: '+1 555 0100',
      email: 'ann@example.test',
    },
    override: true,
  },
  'definitions.importEmail': { path: '/tmp/definitions.eml' },
};

/** One valid response per method, to keep the response schemas honest. */
const VALID_RESPONSES: { [M in MethodName]: ResponseOf<M> } = {
  'session.login': { user: 'admin', domain: 'CORP' },
  'server.info': {
    name: 'cq-1',
    version: '0.1.0',
    setupType: 'internet',
    activeDefinitions: { sequence: 678, version: '2024.01.02.003' },
    counts: { total: 3, byStatus: { held: 2, released: 1 } },
    quota: { usedBytes: 10, maxBytes: 100, freeBytes: 90 },
    listeners: { intake: '127.0.0.1:8847', control: '/run/cq.sock' },
    setupComplete: true,
    startedAt: 1_700_000_000_000,
  },
  'server.setup': { config: { setupType: 'email' } },
  'samples.list': { total: 1, offset: 0, rows: [sample] },
  'samples.get': {
    sample,
    attributes: { 'X-Sample-Status': 'quarantined' },
    history: [
      {
        seq: 1,
        at: 1,
        actor: 'intake',
        action: 'received',
        from: null,
        to: 'quarantined',
        reason: null,
      },
    ],
    errors: [
      { at: 2, code: 'overrun', params: ['10', '11'], source: 'intake', message: 'too long' },
    ],
  },
  'samples.delete': bulk,
  'samples.release': bulk,
  'samples.hold': bulk,
  'samples.restart': bulk,
  'samples.restore': { done: [{ id: '1', path: '/srv/restore/a.doc' }], refused: [] },
  'samples.setPriority': { sample },
  'samples.repair': {
    done: [{ id: '1', path: '/srv/repaired/a.doc' }],
    refused: [{ id: '2', reason: 'still detected after repair' }],
  },
  'samples.rescan': bulk,
  'definitions.list': { active: 679, sets: [definitionsSet] },
  'definitions.import': { set: { ...definitionsSet, active: false, state: 'installed' } },
  'definitions.activate': { set: definitionsSet },
  'config.get': { config: { general: { maxSizeMB: 500 } } },
  'config.set': { config: { general: { maxSizeMB: 600 } } },
  'log.query': {
    entries: [{ id: '7', at: 3, level: 'info', source: 'agent', message: 'sent', sampleId: '42' }],
  },
  'alerts.list': {
    alerts: [
      { id: '3', event: 'gatewayUnreachable', sampleId: null, message: 'cannot connect', at: 1 },
      { id: '4', event: 'sampleHeld', sampleId: '12', message: 'held', at: 2 },
    ],
  },
  'audit.verify': { ok: false, rows: 10, brokenAt: 4, reason: 'hash mismatch' },
  'samples.queueForDelivery': bulk,
  'targets.list': { targets: [target] },
  'targets.select': { targets: [{ ...target, selected: true }] },
  'coverage.get': {
    checksum: '0123456789abcdef0123456789abcdef',
    fixingSequence: 679,
    endpoints: 2,
    covered: 1,
    managed: 1,
    rows: [
      {
        sampleId: '42',
        host: 'WS-017',
        targetId: '3',
        managed: true,
        sequence: 679,
        covered: true,
        status: 'installed',
      },
      {
        sampleId: '43',
        host: 'MAIL-1',
        targetId: '4',
        managed: false,
        sequence: null,
        covered: false,
        status: 'available',
      },
    ],
  },
  'definitions.deliver': { queued: ['3'], refused: [{ id: '4', reason: 'nonmanaged endpoint' }] },
  'samples.queueForAnalysis': bulk,
  'samples.submission': {
    submission: {
      id: '42',
      status: 'submitted',
      cookie: '0123456789ABCDEF0123456789ABCDEF',
      state: 'binaryReplicating',
      issue: '000042',
      service: null,
      virusName: null,
      signaturesSequence: null,
      priority: 0,
      submittedOn: 1_700_000_000_000,
      analyzedOn: null,
      finishedOn: null,
      attempts: 2,
      lastAttemptAt: 1_700_000_000_000,
      lastError: { at: 1_699_999_990_000, code: null, message: 'connection refused' },
      nextAttemptAt: 1_700_000_060_000,
      strip: {
        method: 'ole-macro-streams',
        checksum: '0123456789ABCDEF0123456789ABCDEF',
        size: 9,
        removed: 3,
      },
      queueForAnalysis: { allowed: false, reason: 'already submitted (X-Date-Submitted is set)' },
      agent: { running: true, gatewayUnreachableSince: null },
    },
  },
  'samples.analyzeForEmail': {
    samples: [
      {
        id: '1',
        fileName: 'invoice.doc',
        status: 'held',
        size: 1024,
        eligible: { allowed: true, reason: null },
        scan: { sequence: 679, virusName: null, repairable: false, notScanned: null },
        recommendation: { action: 'submit', reason: 'definitions 679 do not detect it' },
        strip: {
          possible: true,
          method: 'ole-macro-streams',
          size: 512,
          checksum: '0123456789ABCDEF0123456789ABCDEF',
          removed: ['WordDocument'],
        },
      },
      {
        id: '2',
        fileName: null,
        status: 'quarantined',
        size: 10,
        eligible: { allowed: true, reason: null },
        scan: { sequence: 679, virusName: null, repairable: false, notScanned: null },
        recommendation: { action: 'not-needed', reason: 'data only' },
        strip: { possible: false, reason: 'not an Office document' },
      },
    ],
    refused: [{ id: '3', reason: 'no such sample' }],
  },
  'samples.previewEmail': { messages: [emailMessage], refused: [] },
  'samples.submitByEmail': {
    messages: [emailMessage],
    refused: [{ id: '2', reason: 'not eligible' }],
  },
  'definitions.importEmail': {
    set: definitionsSet,
    attachment: '00000679.all.zip',
    rescanned: bulk,
    samples: [{ id: '1', before: 'submitted', after: 'available' }],
  },
};

const alert = { id: '9', event: 'sampleHeld', sampleId: '42', message: 'held', at: 5 } as const;

/** One valid payload per event. */
const VALID_EVENTS: { [E in EventName]: EventOf<E> } = {
  'sample.added': { sample },
  'sample.changed': { sample },
  'sample.deleted': { ids: ['1', '2'] },
  'alert.raised': alert,
  'alert.cleared': alert,
  'definitions.installed': { sequence: 679, version: '2024.01.03.001' },
  'server.status': { state: 'stopping' },
};

const tooManyIds = Array.from({ length: 1001 }, (_, i) => String(i + 1));

/** Requests that must be refused, with why. */
const INVALID_REQUESTS: [MethodName, string, unknown][] = [
  ['session.login', 'missing password', { user: 'admin' }],
  ['session.login', 'empty user', { user: '', password: 'x' }],
  ['session.login', 'numeric user', { user: 7, password: 'x' }],
  ['session.login', 'oversize password', { user: 'a', password: 'x'.repeat(1025) }],
  ['server.info', 'a parameter', { verbose: true }],
  ['samples.list', 'limit 0', { limit: 0 }],
  ['samples.list', 'limit over 1000', { limit: 1001 }],
  ['samples.list', 'fractional offset', { offset: 1.5 }],
  ['samples.list', 'negative offset', { offset: -1 }],
  ['samples.list', 'unknown sort', { sort: 'checksum' }],
  ['samples.list', 'unknown order', { order: 'up' }],
  ['samples.list', 'unknown filter key', { filter: { colour: 'red' } }],
  ['samples.list', 'status not a list', { filter: { status: 'held' } }],
  ['samples.list', 'oversize text', { filter: { text: 'x'.repeat(257) } }],
  ['samples.get', 'non-digit id', { id: 'abc' }],
  ['samples.get', 'numeric id', { id: 42 }],
  ['samples.get', 'id over 20 digits', { id: '1'.repeat(21) }],
  ['samples.delete', 'empty ids', { ids: [] }],
  ['samples.delete', 'over 1000 ids', { ids: tooManyIds }],
  ['samples.release', 'ids not an array', { ids: '1' }],
  ['samples.hold', 'a bad id in the list', { ids: ['1', 'x'] }],
  ['samples.restart', 'no ids', {}],
  ['samples.restore', 'relative destination', { ids: ['1'], destination: 'restore' }],
  ['samples.restore', 'NUL in destination', { ids: ['1'], destination: '/srv/a\0b' }],
  ['samples.restore', 'overwrite not boolean', { ids: ['1'], destination: '/srv', overwrite: 1 }],
  ['samples.setPriority', 'priority over 1000', { id: '1', priority: 1001 }],
  ['samples.repair', 'no destination', { ids: ['1'] }],
  ['samples.repair', 'relative destination', { ids: ['1'], destination: '..\\out' }],
  [
    'samples.repair',
    'overwrite as a string',
    { ids: ['1'], destination: '/srv', overwrite: 'yes' },
  ],
  ['samples.rescan', 'empty ids', { ids: [] }],
  ['samples.rescan', 'numeric id', { ids: [1] }],
  ['definitions.list', 'a parameter', { all: true }],
  ['definitions.import', 'neither path nor bytes', {}],
  ['definitions.import', 'both path and bytes', { path: '/srv/a.zip', bytes: 'AAAA' }],
  ['definitions.import', 'relative path', { path: 'a.zip' }],
  ['definitions.import', 'bytes that are not base64', { bytes: 'not base64!' }],
  ['definitions.import', 'base64 of a bad length', { bytes: 'AAAAA' }],
  ['definitions.import', 'oversize bytes', { bytes: 'A'.repeat(16 * 1024 * 1024 + 4) }],
  ['definitions.import', 'bad MD5', { path: '/srv/a.zip', expectedMd5: 'xyz' }],
  ['definitions.activate', 'sequence 0', { sequence: 0 }],
  ['definitions.activate', 'sequence as a string', { sequence: '679' }],
  ['samples.setPriority', 'negative priority', { id: '1', priority: -1 }],
  ['samples.setPriority', 'fractional priority', { id: '1', priority: 0.5 }],
  ['config.get', 'a parameter', { section: 'general' }],
  ['config.set', 'patch not an object', { patch: 'general' }],
  ['config.set', 'no patch', {}],
  ['log.query', 'unknown level', { level: 'debug' }],
  ['log.query', 'limit over 1000', { limit: 5000 }],
  ['log.query', 'since as a string', { since: 'yesterday' }],
  ['audit.verify', 'a parameter', { deep: true }],
  ['alerts.list', 'open not boolean', { open: 'yes' }],
  ['alerts.list', 'limit too large', { limit: 100000 }],
  ['samples.queueForDelivery', 'empty ids', { ids: [] }],
  ['targets.select', 'selected missing', { ids: ['1'] }],
  ['targets.select', 'a bad id', { ids: ['x'], selected: true }],
  ['coverage.get', 'not an MD5', { checksum: 'abc' }],
  ['definitions.deliver', 'sequence 0', { sequence: 0, targets: ['1'] }],
  ['definitions.deliver', 'sequence over 8 digits', { sequence: 100_000_000, targets: ['1'] }],
  ['definitions.deliver', 'no targets', { sequence: 1, targets: [] }],
  ['samples.queueForAnalysis', 'empty ids', { ids: [] }],
  ['samples.queueForAnalysis', 'a numeric id', { ids: [1] }],
  ['samples.submission', 'no id', {}],
  ['samples.submission', 'ids instead of id', { ids: ['1'] }],
  ['samples.analyzeForEmail', 'empty ids', { ids: [] }],
  ['samples.previewEmail', 'strip missing', { ids: ['1'] }],
  [
    'samples.submitByEmail',
    'smtp port 0',
    {
      ids: ['1'],
      strip: false,
      smtp: { host: 'h', port: 0, secure: false, user: '', password: '' },
    },
  ],
  [
    'samples.submitByEmail',
    'contact email invalid',
    {
      ids: ['1'],
      strip: false,
      contact: { company: 'c', account: '', contactName: 'n', telephone: '1', email: 'nope' },
    },
  ],
  ['definitions.importEmail', 'relative path', { path: 'mail.eml' }],
  ['definitions.importEmail', 'bytes not base64', { bytes: '!!!!' }],
];

describe('control API methods', () => {
  it('has a valid example for every method', () => {
    expect(Object.keys(VALID_REQUESTS).sort()).toEqual([...METHOD_NAMES].sort());
  });

  it.each(METHOD_NAMES)('%s accepts a valid request', (method) => {
    expect(METHODS[method].request.safeParse(VALID_REQUESTS[method]).success).toBe(true);
  });

  it.each(METHOD_NAMES)('%s refuses unknown keys', (method) => {
    const params = { ...(VALID_REQUESTS[method] as object), unexpected: 1 };
    expect(METHODS[method].request.safeParse(params).success).toBe(false);
  });

  it.each(METHOD_NAMES)('%s refuses a non-object', (method) => {
    expect(METHODS[method].request.safeParse(['x']).success).toBe(false);
    expect(METHODS[method].request.safeParse('x').success).toBe(false);
  });

  it.each(INVALID_REQUESTS)('%s refuses %s', (method, _why, params) => {
    expect(METHODS[method].request.safeParse(params).success).toBe(false);
  });

  it.each(METHOD_NAMES)('%s accepts a valid response', (method) => {
    const result = METHODS[method].response.safeParse(VALID_RESPONSES[method]);
    expect(result.error).toBeUndefined();
  });

  it.each(METHOD_NAMES)('%s has a summary', (method) => {
    expect(METHODS[method].summary.length).toBeGreaterThan(10);
  });

  it('fills the defaults of samples.list', () => {
    expect(METHODS['samples.list'].request.parse({})).toEqual({
      offset: 0,
      limit: 100,
      sort: 'receivedOn',
      order: 'desc',
    });
  });

  it.each(['/srv/restore', 'C:\\Restore', 'D:/restore', '\\\\nas\\share\\restore'])(
    'accepts %s as an absolute destination',
    (destination) => {
      const params = { ids: ['1'], destination };
      expect(METHODS['samples.restore'].request.safeParse(params).success).toBe(true);
    },
  );

  it('refuses a sample summary with an unknown field in a response', () => {
    const rows = [{ ...sample, secret: 'x' }];
    const result = METHODS['samples.list'].response.safeParse({ total: 1, offset: 0, rows });
    expect(result.success).toBe(false);
  });

  it('knows its method names', () => {
    expect(isMethodName('samples.get')).toBe(true);
    expect(isMethodName('samples.nope')).toBe(false);
    expect(isMethodName('toString')).toBe(false);
  });
});

describe('control API events', () => {
  it('has a valid example for every event', () => {
    expect(Object.keys(VALID_EVENTS).sort()).toEqual([...EVENT_NAMES].sort());
  });

  it.each(EVENT_NAMES)('%s accepts a valid payload', (event) => {
    expect(EVENTS[event].safeParse(VALID_EVENTS[event]).error).toBeUndefined();
  });

  it.each(EVENT_NAMES)('%s refuses unknown keys', (event) => {
    expect(EVENTS[event].safeParse({ ...VALID_EVENTS[event], extra: 1 }).success).toBe(false);
  });

  it('refuses an alert for an event that is not in the catalog', () => {
    expect(EVENTS['alert.raised'].safeParse({ ...alert, event: 'coffeeLow' }).success).toBe(false);
  });

  it('knows its event names', () => {
    expect(isEventName('server.status')).toBe(true);
    expect(isEventName('server.exploded')).toBe(false);
  });
});

describe('control API frames', () => {
  it.each([
    ['numeric id', { type: 'request', id: 1, method: 'server.info', params: {} }],
    ['string id', { type: 'request', id: 'a-1', method: 'server.info', params: {} }],
    ['no params', { type: 'request', id: 1, method: 'server.info' }],
  ])('accepts a request frame with %s', (_why, frame) => {
    expect(requestFrameSchema.safeParse(frame).success).toBe(true);
  });

  it.each([
    ['no id', { type: 'request', method: 'server.info', params: {} }],
    ['negative id', { type: 'request', id: -1, method: 'x', params: {} }],
    ['object id', { type: 'request', id: {}, method: 'x', params: {} }],
    ['oversize id', { type: 'request', id: 'x'.repeat(65), method: 'x', params: {} }],
    ['numeric method', { type: 'request', id: 1, method: 5, params: {} }],
    ['extra key', { type: 'request', id: 1, method: 'x', params: {}, user: 'root' }],
    ['wrong type', { type: 'call', id: 1, method: 'x', params: {} }],
  ])('refuses a request frame with %s', (_why, frame) => {
    expect(requestFrameSchema.safeParse(frame).success).toBe(false);
  });

  it.each([
    [{ type: 'response', id: 1, ok: true, value: { a: 1 } }, true],
    [{ type: 'response', id: null, ok: false, error: { code: 'too-large', message: 'm' } }, true],
    [{ type: 'response', id: 1, ok: false, error: { code: 'teapot', message: 'm' } }, false],
    [{ type: 'response', id: 1, ok: true, error: { code: 'internal', message: 'm' } }, false],
  ])('response frame %j valid: %s', (frame, valid) => {
    expect(responseFrameSchema.safeParse(frame).success).toBe(valid);
  });

  it('accepts every kind of frame through one schema', () => {
    for (const frame of [
      { type: 'request', id: 1, method: 'm', params: {} },
      { type: 'response', id: 1, ok: true, value: null },
      { type: 'event', event: 'server.status', payload: { state: 'running' } },
    ]) {
      expect(frameSchema.safeParse(frame).success).toBe(true);
    }
  });

  it('summarises issues with their paths', () => {
    const result = METHODS['samples.list'].request.safeParse({ filter: { status: [1] }, x: 1 });
    expect(result.success).toBe(false);
    const summary = summarizeIssues(result.error!);
    expect(summary.issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['filter.status.0', '(root)']),
    );
    expect(summary.message).toContain('filter.status.0');
  });
});

describe('ApiError', () => {
  it.each(API_ERROR_CODES)('round-trips %s through the wire body', (code) => {
    const error = new ApiError(code, 'message', { issues: [] });
    const back = ApiError.fromBody(error.toBody());
    expect(back).toBeInstanceOf(ApiError);
    expect(back).toMatchObject({ code, message: 'message', details: { issues: [] } });
  });

  it('leaves details out of the body when there are none', () => {
    expect(new ApiError('not-found', 'gone').toBody()).toEqual({
      code: 'not-found',
      message: 'gone',
    });
  });

  it('recognises API errors, also by shape', () => {
    expect(isApiError(new ApiError('conflict', 'x'))).toBe(true);
    expect(isApiError({ name: 'ApiError', code: 'conflict', message: 'x' })).toBe(true);
    expect(isApiError({ name: 'ApiError', code: 'teapot' })).toBe(false);
    expect(isApiError(new Error('x'))).toBe(false);
  });
});
