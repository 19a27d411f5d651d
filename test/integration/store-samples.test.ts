import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  openStore,
  SAMPLE_SORT_KEYS,
  StoreError,
  type SampleRow,
  type SampleSortKey,
  type Store,
} from '../../src-main/server/store/index.js';

let dir: string;
let store: Store;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cq-'));
  store = openStore({ dataDir: dir });
});
afterEach(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const sha = (n: number): string => n.toString(16).padStart(64, '0');
const md5 = (n: number): string => n.toString(16).padStart(32, 'a');
const rfc1123 = (ms: number): string => new Date(ms).toUTCString();
const T0 = Date.UTC(2024, 0, 1);

interface AddOptions {
  readonly blob?: number;
  readonly platformKey?: string;
  readonly receivedAt?: number;
  readonly attributes?: Record<string, string>;
}

let counter = 0;
function add(options: AddOptions = {}): number {
  counter++;
  const blob = sha(options.blob ?? counter);
  store.blobsRepo.addRef(blob, 10, 8);
  return store.samples.insert({
    blobSha256: blob,
    attributes: {
      'X-Sample-Checksum': md5(options.blob ?? counter),
      'X-Sample-Size': '10',
      'X-Sample-Type': 'file',
      'X-Platform-Host': 'PC1',
      ...options.attributes,
    },
    platformKey: options.platformKey ?? 'guid-1',
    receivedAt: options.receivedAt ?? T0 + counter,
    skewMs: 0,
    actor: 'intake',
  });
}

function row(id: number): SampleRow {
  const r = store.samples.get(id);
  if (r === undefined) throw new Error(`no sample ${id}`);
  return r;
}

describe('SamplesRepo.insert', () => {
  it('derives the indexed columns from the attributes and keeps every attribute', () => {
    const id = add({
      receivedAt: T0,
      attributes: {
        'X-Sample-Checksum': '8b37247c71443d40a2d7fcf16867803a',
        'X-Sample-Size': '10138',
        'X-Platform-Correlator': 'CORR1',
        'X-Platform-GUID': '{GUID-1}',
        'X-Platform-User': 'Zoë',
        'X-Platform-Domain': 'CORP',
        'X-Sample-File': 'C:\\Users\\Zoë\\Documents\\évil report.doc',
        'X-Analysis-State': 'infected',
        'X-Date-Analyzed': rfc1123(T0 + 5000),
        'X-Date-Finished': rfc1123(T0 + 9000),
        'X-Signatures-Sequence': '678',
        'X-Scan-Virus-Name': 'W97M.Scan',
        'X-Sample-Priority': '3',
        'X-Vendor-Unknown': 'kept verbatim ✓',
      },
    });
    const r = row(id);
    expect(r).toMatchObject({
      checksum: '8B37247C71443D40A2D7FCF16867803A',
      size: 10138,
      status: 'quarantined',
      platformKey: 'guid-1',
      correlator: 'CORR1',
      guid: '{GUID-1}',
      host: 'PC1',
      userName: 'Zoë',
      domain: 'CORP',
      fileName: 'évil report.doc',
      receivedAt: T0,
      statusSince: T0,
      submittedAt: null,
      submittedBy: null,
      analysisState: 'infected',
      analyzedAt: T0 + 5000,
      finishedAt: T0 + 9000,
      defsNeeded: 678,
      virusName: 'W97M.Scan',
      priority: 3,
      changes: 1,
      errorCount: 0,
    });
    const attributes = store.samples.attributes(id);
    expect(attributes['X-Sample-Checksum']).toBe('8b37247c71443d40a2d7fcf16867803a');
    expect(attributes['X-Vendor-Unknown']).toBe('kept verbatim ✓');
    expect(attributes['X-Sample-Status']).toBe('quarantined');
    expect(attributes['X-Sample-Changes']).toBe('1');
  });

  it.each([
    ['C:\\dir\\sub\\a.exe', 'a.exe'],
    ['/home/u/b.sh', 'b.sh'],
    ['D:c.com', 'c.com'],
    ['plain.txt', 'plain.txt'],
  ])('takes the base name of %s', (file, base) => {
    expect(row(add({ attributes: { 'X-Sample-File': file } })).fileName).toBe(base);
  });

  it('prefers the analysis virus name over the scan virus name', () => {
    const both = add({
      attributes: { 'X-Scan-Virus-Name': 'Scan.A', 'X-Analysis-Virus-Name': 'Analysis.A' },
    });
    expect(row(both).virusName).toBe('Analysis.A');
  });

  it("adds the server's change to the agent's X-Sample-Changes", () => {
    const id = add({ attributes: { 'X-Sample-Changes': '4' } });
    expect(row(id).changes).toBe(5);
    expect(store.samples.attributes(id)['X-Sample-Changes']).toBe('5');
  });

  it('appends the intake row of its history', () => {
    const id = add();
    const detail = store.samples.getDetail(id);
    expect(detail?.history).toHaveLength(1);
    expect(detail?.history[0]).toMatchObject({
      action: 'intake',
      actor: 'intake',
      sampleId: id,
      from: null,
      to: 'quarantined',
    });
    expect(detail?.errors).toEqual([]);
  });

  it.each([
    ['no checksum', { 'X-Sample-Checksum': undefined }],
    ['a bad checksum', { 'X-Sample-Checksum': 'xyz' }],
    ['a bad size', { 'X-Sample-Size': '-1' }],
  ])('refuses a sample with %s', (_label, patch) => {
    store.blobsRepo.addRef(sha(999), 1, 1);
    const attributes: Record<string, string> = {
      'X-Sample-Checksum': md5(1),
      'X-Sample-Size': '1',
    };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete attributes[k];
      else attributes[k] = v;
    }
    const insert = (): number =>
      store.samples.insert({
        blobSha256: sha(999),
        attributes,
        platformKey: 'p',
        receivedAt: T0,
        skewMs: 0,
        actor: 'intake',
      });
    expect(insert).toThrow(StoreError);
    expect(store.samples.list().total).toBe(0);
  });

  it('insertRow returns the row exactly as a later get reads it', () => {
    store.blobsRepo.addRef(sha(777), 10, 8);
    const inserted = store.samples.insertRow({
      blobSha256: sha(777),
      attributes: {
        'X-Sample-Checksum': md5(777),
        'X-Sample-Size': '10',
        'X-Sample-File': 'C:\\temp\\a.exe',
        'X-Platform-Host': 'PC7',
        'X-Date-Submitted': rfc1123(T0),
      },
      platformKey: 'guid-7',
      receivedAt: T0 + 7,
      skewMs: 3,
      actor: 'console',
    });
    expect(inserted).toEqual(row(inserted.id));
    expect(inserted).toMatchObject({ host: 'PC7', fileName: 'a.exe', submittedBy: 'console' });
  });

  it('insertRow undoes its own writes when it fails part way, unless told its caller does', () => {
    store.blobsRepo.addRef(sha(778), 10, 8);
    const sample = {
      blobSha256: sha(778),
      attributes: { 'X-Sample-Checksum': md5(778), 'X-Sample-Size': '10' },
      platformKey: 'guid-8',
      receivedAt: T0,
      skewMs: 0,
      actor: 'intake',
    };
    const before = store.samples.list({ limit: 1 }).total;
    expect(() => store.samples.insertRow(sample, { inSavepoint: true })).toThrow(
      /outside a transaction/,
    );
    // The audit row is written last: failing there leaves the sample and attribute rows.
    const append = store.audit.append.bind(store.audit);
    store.audit.append = () => {
      throw new Error('audit refused');
    };
    try {
      // A caller that goes on after the failure sees what insertRow left; the transaction is
      // then rolled back, so that this test leaves nothing behind.
      const attempt = (options: { inSavepoint?: boolean }): number => {
        let seen = -1;
        expect(() =>
          store.db.transaction(() => {
            expect(() => store.samples.insertRow(sample, options)).toThrow(/audit refused/);
            seen = store.samples.list({ limit: 1 }).total;
            throw new Error('rolled back');
          })(),
        ).toThrow(/rolled back/);
        return seen;
      };
      expect(attempt({})).toBe(before);
      // Told that its caller rolls back, it leaves that to the caller (the intake job does).
      expect(attempt({ inSavepoint: true })).toBe(before + 1);
    } finally {
      store.audit.append = append;
    }
    expect(store.samples.list({ limit: 1 }).total).toBe(before);
  });

  it('refuses a sample whose blob row does not exist', () => {
    expect(() =>
      store.samples.insert({
        blobSha256: sha(12345),
        attributes: { 'X-Sample-Checksum': md5(1), 'X-Sample-Size': '1' },
        platformKey: 'p',
        receivedAt: T0,
        skewMs: 0,
        actor: 'intake',
      }),
    ).toThrow(expect.objectContaining({ code: 'invalid-blob' }));
  });
});

describe('SamplesRepo.list', () => {
  /** Per sort key: the row field it orders by, and whether it reads the field backwards. */
  const FIELD: Record<SampleSortKey, readonly [keyof SampleRow, boolean]> = {
    fileName: ['fileName', false],
    userName: ['userName', false],
    computer: ['host', false],
    domain: ['domain', false],
    receivedOn: ['receivedAt', false],
    submittedOn: ['submittedAt', false],
    submittedBy: ['submittedBy', false],
    status: ['status', false],
    virus: ['virusName', false],
    analyzed: ['analyzedAt', false],
    age: ['receivedAt', true],
    sampleState: ['analysisState', false],
    definitionsNeeded: ['defsNeeded', false],
    sampleErrors: ['errorCount', false],
    id: ['id', false],
  };

  /** SQLite order: NULL first, then numbers or (ASCII) text; ties by id. */
  function expectedOrder(rows: SampleRow[], key: SampleSortKey): number[] {
    const [field, reversed] = FIELD[key];
    const sorted = [...rows].sort((a, b) => {
      const x = a[field];
      const y = b[field];
      if (x !== y) {
        if (x === null) return -1;
        if (y === null) return 1;
        return x < y ? -1 : 1;
      }
      return a.id - b.id;
    });
    const ids = sorted.map((r) => r.id);
    return reversed ? ids.reverse() : ids;
  }

  function seed(): SampleRow[] {
    const spec = [
      { user: 'bob', host: 'PC2', domain: 'CORP', file: 'b.exe', virus: 'W32.Beta', received: 50 },
      { user: 'alice', host: 'PC1', domain: 'LAB', file: 'a.doc', virus: undefined, received: 10 },
      {
        user: undefined,
        host: 'pc3',
        domain: 'CORP',
        file: '100%_done.exe',
        virus: 'W32.Alpha',
        received: 30,
      },
      {
        user: 'carol',
        host: 'PC2',
        domain: undefined,
        file: '1000xdone.exe',
        virus: 'W32.Beta',
        received: 30,
      },
      { user: 'bob', host: 'PC1', domain: 'LAB', file: 'c_d.js', virus: 'JS.Gamma', received: 70 },
      {
        user: 'dave',
        host: 'PC4',
        domain: 'CORP',
        file: undefined,
        virus: undefined,
        received: 20,
      },
    ];
    const ids = spec.map((s) =>
      add({
        receivedAt: T0 + s.received,
        attributes: {
          'X-Platform-Host': s.host,
          ...(s.user ? { 'X-Platform-User': s.user } : {}),
          ...(s.domain ? { 'X-Platform-Domain': s.domain } : {}),
          ...(s.file ? { 'X-Sample-File': `C:\\q\\${s.file}` } : {}),
          ...(s.virus ? { 'X-Scan-Virus-Name': s.virus } : {}),
        },
      }),
    );
    const [a, b, c, d, e] = ids as [number, number, number, number, number, number];
    store.samples.setAttributes(a, { 'X-Date-Submitted': rfc1123(T0 + 900) }, 'agent');
    store.samples.setAttributes(c, { 'X-Date-Submitted': rfc1123(T0 + 800) }, 'admin');
    store.samples.setAttributes(
      d,
      {
        'X-Date-Submitted': rfc1123(T0 + 900),
        'X-Date-Analyzed': rfc1123(T0 + 1000),
        'X-Analysis-State': 'infected',
        'X-Signatures-Sequence': '700',
      },
      'agent',
    );
    store.samples.setAttributes(
      e,
      {
        'X-Date-Analyzed': rfc1123(T0 + 500),
        'X-Analysis-State': 'uninfected',
        'X-Signatures-Sequence': '12',
      },
      'agent',
    );
    store.samples.transition(b, 'held', 'scanner', 'not detected');
    store.samples.transition(d, 'submitted', 'agent', 'accepted');
    for (const id of [c, c, e]) {
      store.errors.add({
        sampleId: id,
        code: 'internal',
        params: [],
        source: 'test',
        message: 'x',
      });
    }
    return ids.map(row);
  }

  it('has one sort key per list column', () => {
    expect([...SAMPLE_SORT_KEYS].sort()).toEqual(Object.keys(FIELD).sort());
  });

  it.each(SAMPLE_SORT_KEYS.flatMap((key) => [[key, 'asc'] as const, [key, 'desc'] as const]))(
    'sorts by %s %s with ties broken by id',
    (sort, order) => {
      const rows = seed();
      const expected = expectedOrder(rows, sort);
      if (order === 'desc') expected.reverse();
      const result = store.samples.list({ sort, order, limit: 100 });
      expect(result.total).toBe(rows.length);
      expect(result.rows.map((r) => r.id)).toEqual(expected);
    },
  );

  it('orders the seeded data in a way that exercises every key', () => {
    const rows = seed();
    for (const key of SAMPLE_SORT_KEYS) {
      // An order equal to plain id order would not prove the key is honoured.
      if (key !== 'id') expect(expectedOrder(rows, key), key).not.toEqual(rows.map((r) => r.id));
    }
  });

  it.each([
    [
      'status',
      { status: ['held', 'submitted'] },
      (r: SampleRow) => ['held', 'submitted'].includes(r.status),
    ],
    ['an empty status list (no filter)', { status: [] }, () => true],
    ['host, ignoring case', { host: 'pc2' }, (r: SampleRow) => r.host?.toLowerCase() === 'pc2'],
    ['virus', { virus: 'w32.beta' }, (r: SampleRow) => r.virusName === 'W32.Beta'],
    [
      'text in a file name, % and _ literal',
      { text: '%_' },
      (r: SampleRow) => r.fileName === '100%_done.exe',
    ],
    ['text _ literal', { text: 'c_d' }, (r: SampleRow) => r.fileName === 'c_d.js'],
    ['text in a user name', { text: 'ALI' }, (r: SampleRow) => r.userName === 'alice'],
    ['text in a host', { text: 'pc4' }, (r: SampleRow) => r.host === 'PC4'],
    ['text in a virus name', { text: 'gamma' }, (r: SampleRow) => r.virusName === 'JS.Gamma'],
    [
      'host and status together',
      { host: 'PC2', status: ['quarantined'] },
      (r: SampleRow) => r.host === 'PC2' && r.status === 'quarantined',
    ],
  ])('filters by %s', (_label, filter, keep) => {
    const rows = seed();
    const expected = rows.filter(keep).map((r) => r.id);
    expect(expected.length).toBeGreaterThan(0);
    const result = store.samples.list({ filter, limit: 100 });
    expect(result.rows.map((r) => r.id)).toEqual(expected);
    expect(result.total).toBe(expected.length);
  });

  it('pages with offset and limit and reports the full total', () => {
    const rows = seed();
    const all = store.samples.list({ sort: 'receivedOn', limit: 100 }).rows.map((r) => r.id);
    const pages: number[] = [];
    for (let offset = 0; offset < rows.length; offset += 4) {
      const page = store.samples.list({ sort: 'receivedOn', offset, limit: 4 });
      expect(page.total).toBe(rows.length);
      expect(page.rows.length).toBe(Math.min(4, rows.length - offset));
      pages.push(...page.rows.map((r) => r.id));
    }
    expect(pages).toEqual(all);
    expect(store.samples.list({ offset: 100, limit: 4 })).toEqual({ total: rows.length, rows: [] });
  });

  it.each([
    [{ sort: 'id; DROP TABLE samples' as SampleSortKey }],
    [{ order: 'sideways' as 'asc' }],
    [{ limit: -1 }],
    [{ offset: 1.5 }],
    [{ limit: 1_000_000 }],
  ])('refuses %j', (query) => {
    expect(() => store.samples.list(query)).toThrow(
      expect.objectContaining({ code: 'invalid-query' }),
    );
  });
});

describe('SamplesRepo changes', () => {
  it('setAttributes updates columns, removes nulls, bumps changes and writes history', () => {
    const id = add({ attributes: { 'X-Platform-User': 'bob', 'X-Sample-Changes': '1' } });
    expect(row(id).changes).toBe(2);
    const after = store.samples.setAttributes(
      id,
      {
        'X-Platform-User': null,
        'X-Analysis-State': 'accepted',
        'X-Date-Submitted': rfc1123(T0 + 60_000),
        'X-Analysis-Cookie': '12345',
        'X-Sample-Changes': '99',
      },
      'agent',
      'gateway accepted',
    );
    expect(after).toMatchObject({
      userName: null,
      analysisState: 'accepted',
      submittedAt: T0 + 60_000,
      submittedBy: 'agent',
      changes: 3,
    });
    const detail = store.samples.getDetail(id);
    expect(detail?.attributes['X-Platform-User']).toBeUndefined();
    expect(detail?.attributes['X-Analysis-Cookie']).toBe('12345');
    // The store owns X-Sample-Changes: the patched value is ignored.
    expect(detail?.attributes['X-Sample-Changes']).toBe('3');
    expect(detail?.history.map((h) => h.action)).toEqual(['intake', 'attributes']);
    expect(detail?.history[1]).toMatchObject({
      actor: 'agent',
      reason: 'gateway accepted',
      from: null,
      to: null,
    });
    expect(detail?.history[1]?.detail).toMatchObject({
      'X-Platform-User': null,
      'X-Analysis-State': 'accepted',
    });
  });

  it('setAttributes of the status records it as a status change', () => {
    const id = add();
    const after = store.samples.setAttributes(id, { 'X-Sample-Status': 'held' }, 'admin');
    expect(after.status).toBe('held');
    expect(store.samples.getDetail(id)?.history[1]).toMatchObject({
      from: 'quarantined',
      to: 'held',
    });
  });

  it('setAttributes refuses to drop a required attribute and changes nothing', () => {
    const id = add();
    const before = row(id);
    expect(() => store.samples.setAttributes(id, { 'X-Sample-Checksum': null }, 'admin')).toThrow(
      expect.objectContaining({ code: 'invalid-sample' }),
    );
    expect(row(id)).toEqual(before);
    expect(store.samples.getDetail(id)?.history).toHaveLength(1);
  });

  it('transition sets the status everywhere and appends from/to', () => {
    const id = add({ receivedAt: T0 });
    const after = store.samples.transition(id, 'released', 'scanner', 'automatic submission');
    expect(after.status).toBe('released');
    expect(after.statusSince).toBeGreaterThan(T0);
    expect(after.changes).toBe(2);
    expect(store.samples.attributes(id)['X-Sample-Status']).toBe('released');
    const history = store.samples.getDetail(id)?.history ?? [];
    expect(history.map((h) => [h.action, h.from, h.to, h.reason])).toEqual([
      ['intake', null, 'quarantined', null],
      ['transition', 'quarantined', 'released', 'automatic submission'],
    ]);
    expect(store.samples.countsByStatus()).toEqual({ released: 1 });
  });

  it('bumpChanges returns the new count and records why', () => {
    const id = add();
    expect(store.samples.bumpChanges(id, 'intake', 'duplicate forward')).toBe(2);
    expect(store.samples.bumpChanges(id, 'intake', 'duplicate forward')).toBe(3);
    expect(store.samples.attributes(id)['X-Sample-Changes']).toBe('3');
    expect(store.samples.getDetail(id)?.history.at(-1)).toMatchObject({
      action: 'changes',
      reason: 'duplicate forward',
    });
  });

  it('changes to a missing sample are refused', () => {
    expect(() => store.samples.transition(4242, 'held', 'a', 'r')).toThrow(
      expect.objectContaining({ code: 'not-found' }),
    );
    expect(store.samples.getDetail(4242)).toBeUndefined();
  });
});

describe('SamplesRepo lookups and delete', () => {
  it('finds a duplicate only with the same checksum, platform and SHA-256', () => {
    const id = add({ blob: 77, platformKey: 'guid-A' });
    expect(store.samples.findDuplicate(md5(77).toLowerCase(), 'guid-A', sha(77))).toBe(id);
    expect(store.samples.findDuplicate(md5(77), 'guid-B', sha(77))).toBeUndefined();
    expect(store.samples.findDuplicate(md5(77), 'guid-A', sha(78))).toBeUndefined();
    expect(store.samples.findDuplicate(md5(78), 'guid-A', sha(77))).toBeUndefined();
  });

  it('counts by correlator and lists the samples of a blob', () => {
    const a = add({ blob: 5, attributes: { 'X-Platform-Correlator': 'C1' } });
    const b = add({
      blob: 5,
      platformKey: 'guid-2',
      attributes: { 'X-Platform-Correlator': 'C1' },
    });
    add({ blob: 6 });
    expect(store.samples.countByCorrelator('C1')).toBe(2);
    expect(store.samples.countByCorrelator('C2')).toBe(0);
    expect(store.samples.idsWithBlob(sha(5))).toEqual([a, b]);
    expect(store.blobsRepo.get(sha(5))?.refs).toBe(2);
  });

  it('delete cascades, releases blob refs and reports freed blobs', () => {
    const a = add({ blob: 9 });
    const b = add({ blob: 9, platformKey: 'guid-2' });
    store.errors.add({ sampleId: a, code: 'lost', params: [], source: 't', message: 'm' });
    expect(store.samples.delete([a, 4242], 'admin')).toEqual({ deleted: [a], freedBlobs: [] });
    expect(store.samples.get(a)).toBeUndefined();
    expect(store.samples.attributes(a)).toEqual({});
    expect(store.errors.forSample(a)).toEqual([]);
    expect(store.blobsRepo.get(sha(9))?.refs).toBe(1);
    expect(store.samples.delete([b, b], 'admin')).toEqual({ deleted: [b], freedBlobs: [sha(9)] });
    expect(store.blobsRepo.get(sha(9))).toBeUndefined();
    // The history outlives the sample, and the chain is still whole.
    expect(store.audit.forSample(b).map((h) => [h.action, h.from, h.to])).toEqual([
      ['intake', null, 'quarantined'],
      ['delete', 'quarantined', null],
    ]);
    expect(store.audit.verify().ok).toBe(true);
  });

  it('removeFreedBlobs deletes the files of freed blobs only', async () => {
    const id = add({ blob: 11 });
    const file = store.blobs.pathFor(sha(11));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.alloc(8));
    const { freedBlobs } = store.samples.delete([id], 'admin');
    // Reused meanwhile: the row is back, so the file stays.
    store.blobsRepo.addRef(sha(11), 10, 8);
    expect(await store.removeFreedBlobs(freedBlobs)).toBe(0);
    expect(fs.existsSync(file)).toBe(true);
    store.blobsRepo.release(sha(11));
    expect(await store.removeFreedBlobs(freedBlobs)).toBe(8);
    expect(fs.existsSync(file)).toBe(false);
  });
});

describe('ErrorsRepo', () => {
  it('keeps sample errors with a count and server errors apart', () => {
    const id = add();
    store.errors.add({
      sampleId: id,
      code: 'overrun',
      params: ['10', '11'],
      source: 'intake',
      message: 'm',
    });
    store.errors.add({
      sampleId: null,
      code: 'internal',
      params: [],
      source: 'agent',
      message: 'g',
    });
    expect(row(id).errorCount).toBe(1);
    expect(store.errors.forSample(id)).toMatchObject([{ code: 'overrun', params: ['10', '11'] }]);
    expect(store.errors.general()).toMatchObject([
      { sampleId: null, code: 'internal', source: 'agent' },
    ]);
    expect(store.errors.has(id, 'overrun')).toBe(true);
    expect(store.errors.has(id, 'lost')).toBe(false);
  });
});
