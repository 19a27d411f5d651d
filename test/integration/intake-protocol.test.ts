/**
 * Intake protocol (SPEC §4.1, §4.2) as tables: one row per rule and per error code, each
 * against a real server on a loopback port.
 */
import { createHash, randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import net from 'node:net';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatHttpDate } from '../../src-shared/codec/dates.js';
import { xorVampish } from '../../src-shared/codec/transforms.js';
import { decodeBlob } from '../../src-main/codec/content.js';
import { rawRequest } from '../helpers/http.js';
import { forwardRequest } from '../helpers/samples.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex').toUpperCase();

let server: TestServer;

beforeAll(async () => {
  // Statuses and change counts stay as intake left them: scanning has its own tests.
  server = await startTestServer({ server: { autoScan: false } });
});

async function post(headers: Record<string, string>, body: Buffer) {
  return rawRequest({ port: server.intakePort, headers, body });
}

async function send(bytes?: Buffer, overrides: Record<string, string | undefined> = {}) {
  const { headers, body } = forwardRequest(bytes, overrides);
  return post(headers, body);
}

function countSamples(): number {
  return server.context.store.samples.list({ limit: 1 }).total;
}

/** Larger than what intake keeps in memory: such bodies are streamed to a temp blob. */
const LARGE = 300 * 1024;
const tmp = (): string => path.join(server.context.store.blobs.quarantineDir, 'tmp');

/** No sample was added, and no temp file is left behind. */
async function expectNothingLeft(before: number): Promise<void> {
  expect(countSamples()).toBe(before);
  await waitFor(() => readdirSync(tmp()).length === 0, 'the temp folder to be emptied');
}

/** Forward `garbage` as a deflated, scrambled body with a matching content checksum. */
async function postUndecodable(garbage: Buffer) {
  const scrambled = Buffer.from(xorVampish(garbage, 0));
  return post(
    {
      ...forwardRequest().headers,
      'X-Content-Checksum': md5(scrambled),
      'Content-Length': String(scrambled.length),
    },
    scrambled,
  );
}

/** Send the headers and the first `sent` bytes of a forward, then drop the connection. */
async function cutForward(bytes: Buffer, sent: number): Promise<void> {
  const { headers, body } = forwardRequest(bytes);
  await new Promise<void>((resolve) => {
    const socket = net.connect(server.intakePort, '127.0.0.1', () => {
      const head = [
        `POST /samples HTTP/1.1`,
        `Host: 127.0.0.1`,
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
        '',
        '',
      ].join('\r\n');
      socket.write(head);
      socket.write(body.subarray(0, sent), () => setTimeout(() => socket.destroy(), 50));
    });
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
  });
}

describe('§4.2 required attributes', () => {
  it.each([
    'X-Sample-Checksum',
    'X-Sample-Size',
    'X-Sample-Type',
    'X-Platform-Host',
    'X-Date-Captured',
  ])('missing %s → 400 missing <name>, nothing stored', async (name) => {
    const before = countSamples();
    const { headers, body } = forwardRequest(undefined, { [name]: undefined });
    const res = await post(headers, body);
    expect(res.status).toBe(400);
    expect(res.xError).toBe(`missing ${name}`);
    expect(countSamples()).toBe(before);
  });
});

describe('§4.2 malformed attributes', () => {
  it.each([
    ['X-Sample-Checksum', 'not-a-checksum'],
    ['X-Sample-Checksum', '0123456789ABCDEF0123456789ABCDE'],
    ['X-Sample-Size', 'twelve'],
    ['X-Sample-Size', '-5'],
    ['X-Date-Captured', 'yesterday'],
    ['X-Date-Captured', 'Wed, 27 Jan 1998 14:32:45 GMT'],
    ['X-Sample-Priority', '1001'],
    ['X-Sample-Reason', 'bored'],
    ['X-Platform-Correlator', 'X'.repeat(33)],
    ['X-Customer-Identifier', 'Y'.repeat(64)],
    ['X-Checksum-Method', 'sha1'],
    ['X-Content-Compression', 'lzma'],
    ['X-Content-Scrambling', 'rot13'],
    ['X-Content-Encoding', 'uuencode'],
  ])('%s: %s → 400 malformed <name>', async (name, value) => {
    const before = countSamples();
    const { headers, body } = forwardRequest(undefined, { [name]: value });
    const res = await post(headers, body);
    expect(res.status).toBe(400);
    expect(res.xError).toBe(`malformed ${name}`);
    expect(countSamples()).toBe(before);
  });

  it('a repeated attribute is malformed, not joined', async () => {
    const { headers, body } = forwardRequest();
    const res = await rawRequest({
      port: server.intakePort,
      headers: { ...headers, 'X-Sample-Reason': ['manual', 'variant'] },
      body,
    });
    expect(res.status).toBe(400);
    expect(res.xError).toBe('malformed X-Sample-Reason');
  });
});

describe('§4.2 sample type', () => {
  it.each(['floppy', 'directory'])('X-Sample-Type %s → 415 type', async (type) => {
    const { headers, body } = forwardRequest(undefined, { 'X-Sample-Type': type });
    const res = await post(headers, body);
    expect(res.status).toBe(415);
    expect(res.xError).toBe(`type ${type}`);
  });

  it('sector samples are accepted', async () => {
    const { headers, body } = forwardRequest(randomBytes(512), {
      'X-Sample-Type': 'sector',
      'X-Sample-Sector': '0/0/0-0/0/31 799/7/31',
      'X-Sample-File': undefined,
    });
    const res = await post(headers, body);
    expect(res.status).toBe(201);
  });
});

describe('§4.1 content verification', () => {
  it('content checksum wrong → 400 content', async () => {
    const { headers, body } = forwardRequest(undefined, { 'X-Content-Checksum': '0'.repeat(32) });
    const res = await post(headers, body);
    expect(res.status).toBe(400);
    expect(res.xError?.split(' ')[0]).toBe('content');
  });

  it('sample checksum wrong → 400 sample', async () => {
    const { headers, body } = forwardRequest(undefined, { 'X-Sample-Checksum': 'F'.repeat(32) });
    const res = await post(headers, body);
    expect(res.status).toBe(400);
    expect(res.xError?.split(' ')[0]).toBe('sample');
  });

  it('decoded content longer than X-Sample-Size → 400 overrun', async () => {
    const bytes = randomBytes(4096);
    const { headers, body } = forwardRequest(bytes, { 'X-Sample-Size': '4000' });
    const res = await post(headers, body);
    expect(res.status).toBe(400);
    expect(res.xError?.split(' ')[0]).toBe('overrun');
  });

  it('a deflate bomb stops at the declared size → overrun, nothing stored', async () => {
    const bomb = deflateRawSync(Buffer.alloc(50 * 1024 * 1024));
    const scrambled = Buffer.from(xorVampish(bomb, 0));
    const before = countSamples();
    const res = await post(
      {
        Date: formatHttpDate(Date.now()),
        'X-Sample-Type': 'file',
        'X-Platform-Host': 'bomb.example.test',
        'X-Date-Captured': formatHttpDate(Date.now()),
        'X-Sample-Checksum': md5(Buffer.alloc(1000)),
        'X-Sample-Size': '1000',
        'X-Checksum-Method': 'md5',
        'X-Content-Compression': 'deflate',
        'X-Content-Scrambling': 'xor-vampish',
        'Content-Length': String(scrambled.length),
      },
      scrambled,
    );
    expect(res.status).toBe(400);
    expect(res.xError?.split(' ')[0]).toBe('overrun');
    expect(countSamples()).toBe(before);
  });

  it('decoded content shorter than X-Sample-Size → 400 underrun', async () => {
    const { headers, body } = forwardRequest(randomBytes(4096), { 'X-Sample-Size': '5000' });
    const res = await post(headers, body);
    expect(res.status).toBe(400);
    expect(res.xError?.split(' ')[0]).toBe('underrun');
  });

  it('garbage that does not inflate → 400 unpackage', async () => {
    const res = await postUndecodable(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x13, 0x37]));
    expect(res.status).toBe(400);
    expect(res.xError?.split(' ')[0]).toBe('unpackage');
  });

  it('invalid base64 → 400 unpackage', async () => {
    const body = Buffer.from('@@@not base64@@@');
    const res = await post(
      {
        ...forwardRequest(undefined, {}, { base64: true }).headers,
        'X-Content-Checksum': md5(body),
        'Content-Length': String(body.length),
      },
      body,
    );
    expect(res.status).toBe(400);
    expect(res.xError?.split(' ')[0]).toBe('unpackage');
  });

  it.each([
    ['deflate + scramble', { compress: true, scramble: true }],
    ['deflate only', { compress: true, scramble: false }],
    ['scramble only', { compress: false, scramble: true }],
    ['plain', { compress: false, scramble: false }],
    ['all + base64', { compress: true, scramble: true, base64: true }],
  ])('%s is accepted and stored scrambled', async (_label, options) => {
    const bytes = Buffer.concat([Buffer.from('MZ'), randomBytes(8000)]);
    const { headers, body } = forwardRequest(bytes, {}, options);
    const res = await post(headers, body);
    expect(res.status).toBe(201);
    const id = Number(res.headers['x-sample-id']);
    const row = server.context.store.samples.get(id)!;
    expect(row.checksum).toBe(md5(bytes));
    // The stored file never starts with the executable's own bytes.
    const stored = server.context.store.blobs.pathFor(row.blobSha256);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(stored).subarray(0, 2).toString('latin1')).not.toBe('MZ');
  });
});

describe('§4.2 acceptance', () => {
  it('answers 201 with id, status and forwarded date, keeping every attribute', async () => {
    const { headers, body } = forwardRequest(undefined, { 'X-Vendor-Special': 'kept as is' });
    const res = await post(headers, body);
    expect(res.status).toBe(201);
    expect(res.headers['x-sample-status']).toBe('quarantined');
    expect(res.headers['x-sample-id']).toMatch(/^\d+$/);
    expect(res.headers['x-date-forwarded']).toMatch(/ GMT$/);
    const detail = server.context.store.samples.getDetail(Number(res.headers['x-sample-id']))!;
    expect(detail.attributes['X-Vendor-Special']).toBe('kept as is');
    expect(detail.attributes['X-Sample-Status']).toBe('quarantined');
    expect(detail.attributes['X-Platform-User']).toBe('alice');
    expect(detail.history.at(-1)?.to).toBe('quarantined');
  });

  it('decodes RFC 2047 file names', async () => {
    const file = 'C:\\Users\\Jürgen\\Документы\\счёт.exe';
    const encoded = `=?UTF-8?B?${Buffer.from(file).toString('base64')}?=`;
    const { headers, body } = forwardRequest(undefined, { 'X-Sample-File': encoded });
    const res = await post(headers, body);
    expect(res.status).toBe(201);
    const row = server.context.store.samples.get(Number(res.headers['x-sample-id']))!;
    expect(row.fileName).toBe('счёт.exe');
  });

  it('corrects dates by the sender clock skew', async () => {
    const hour = 3_600_000;
    const senderNow = Date.now() - hour;
    const captured = senderNow - 60_000;
    const { headers, body } = forwardRequest(undefined, {
      Date: formatHttpDate(senderNow),
      'X-Date-Captured': formatHttpDate(captured),
    });
    const res = await post(headers, body);
    expect(res.status).toBe(201);
    const detail = server.context.store.samples.getDetail(Number(res.headers['x-sample-id']))!;
    const stored = Date.parse(detail.attributes['X-Date-Captured']!);
    expect(Math.abs(stored - (captured + hour))).toBeLessThan(5_000);
  });

  it('the same content from the same platform is a duplicate: 200, same id, changes bumped', async () => {
    const bytes = randomBytes(3000);
    const first = await send(bytes);
    const second = await send(bytes);
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.headers['x-sample-id']).toBe(first.headers['x-sample-id']);
    expect(Number(second.headers['x-sample-changes'])).toBeGreaterThan(1);
  });

  it('the same content from another platform is a new sample sharing one blob', async () => {
    const bytes = randomBytes(3000);
    const a = await send(bytes);
    const b = await send(bytes, {
      'X-Platform-Host': 'ws-777',
      'X-Platform-Correlator': 'FEDCBA9876543210FEDCBA9876543210',
    });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers['x-sample-id']).not.toBe(a.headers['x-sample-id']);
    const rowA = server.context.store.samples.get(Number(a.headers['x-sample-id']))!;
    const rowB = server.context.store.samples.get(Number(b.headers['x-sample-id']))!;
    expect(rowB.blobSha256).toBe(rowA.blobSha256);
    expect(server.context.store.blobsRepo.get(rowA.blobSha256)?.refs).toBe(2);
  });

  it('a connection cut before Content-Length stores nothing and the server keeps serving', async () => {
    const before = countSamples();
    const refused = server.context.decodePool.stats.refused;
    await cutForward(randomBytes(64 * 1024), 1000);
    // Its body is past the in-memory size: a decode thread refuses it once the server saw the
    // connection go. Counted only after its temp file is gone, so it is awaited here, or it
    // would land in a later test's count.
    await waitFor(
      () => server.context.decodePool.stats.refused === refused + 1,
      'the decode thread to refuse the cut body',
    );
    const health = await rawRequest({ port: server.intakePort, method: 'GET', path: '/health' });
    expect(health.status).toBe(200);
    expect(countSamples()).toBe(before);
    const tmp = path.join(server.context.store.blobs.quarantineDir, 'tmp');
    // The aborted temp blob is removed once the server has seen the connection close.
    await waitFor(() => readdirSync(tmp).length === 0, 'the temp folder to be emptied');
    expect(readdirSync(tmp)).toEqual([]);
  });
});

describe('§4.1 content verification of large bodies (received on a decode thread)', () => {
  it('a large sample is stored as received and decodes to what was sent', async () => {
    const bytes = randomBytes(LARGE);
    const received = server.context.decodePool.stats.received;
    const res = await send(bytes, { 'X-Platform-Host': 'large.example.test' });
    expect(res.status).toBe(201);
    expect(server.context.decodePool.stats.received).toBe(received + 1);
    const row = server.context.store.samples.get(Number(res.headers['x-sample-id']))!;
    expect(row.blobSha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const stored = readFileSync(server.context.store.blobs.pathFor(row.blobSha256));
    expect(md5(decodeBlob(stored))).toBe(md5(bytes));
    expect(readdirSync(tmp())).toEqual([]);
  });

  it.each([
    ['content checksum wrong', 'content', { 'X-Content-Checksum': '0'.repeat(32) }],
    ['sample checksum wrong', 'sample', { 'X-Sample-Checksum': 'F'.repeat(32) }],
    ['decoded content longer than X-Sample-Size', 'overrun', { 'X-Sample-Size': `${LARGE - 1}` }],
    ['decoded content shorter than X-Sample-Size', 'underrun', { 'X-Sample-Size': `${LARGE + 1}` }],
  ])('%s → 400 %s, nothing stored, no temp file', async (_label, code, overrides) => {
    const before = countSamples();
    const refused = server.context.decodePool.stats.refused;
    const res = await send(randomBytes(LARGE), overrides);
    // Refused on a decode thread, not on the event loop.
    expect(server.context.decodePool.stats.refused).toBe(refused + 1);
    expect(res.status).toBe(400);
    expect(res.xError?.split(' ')[0]).toBe(code);
    await expectNothingLeft(before);
  });

  it('a large body sent chunked (no Content-Length) is streamed on a thread and checked', async () => {
    const chunked = (bytes: Buffer, overrides: Record<string, string> = {}) => {
      const { headers, body } = forwardRequest(bytes, overrides);
      delete headers['Content-Length'];
      return post({ ...headers, 'Transfer-Encoding': 'chunked' }, body);
    };
    const received = server.context.decodePool.stats.received;
    const bytes = randomBytes(LARGE);
    const ok = await chunked(bytes, { 'X-Platform-Host': 'chunked.example.test' });
    expect(ok.status).toBe(201);
    expect(server.context.decodePool.stats.received).toBe(received + 1);
    const row = server.context.store.samples.get(Number(ok.headers['x-sample-id']))!;
    expect(md5(decodeBlob(readFileSync(server.context.store.blobs.pathFor(row.blobSha256))))).toBe(
      md5(bytes),
    );
    const before = countSamples();
    const bad = await chunked(randomBytes(LARGE), { 'X-Sample-Checksum': 'F'.repeat(32) });
    expect(bad.status).toBe(400);
    expect(bad.xError?.split(' ')[0]).toBe('sample');
    await expectNothingLeft(before);
  });

  it('a large body that does not inflate → 400 unpackage, nothing stored', async () => {
    const before = countSamples();
    const refused = server.context.decodePool.stats.refused;
    // A stored block whose length check (NLEN) fails: undecodable (the thread reads the body
    // whole, checks it, then finds that it does not inflate).
    const res = await postUndecodable(
      Buffer.concat([Buffer.from([0x00, 0x10, 0x00, 0x10, 0x00]), randomBytes(LARGE)]),
    );
    expect(res.status).toBe(400);
    expect(res.xError?.split(' ')[0]).toBe('unpackage');
    expect(server.context.decodePool.stats.refused).toBe(refused + 1);
    await expectNothingLeft(before);
  });

  it('a large connection cut part way stores nothing and leaves no temp file', async () => {
    const before = countSamples();
    const refused = server.context.decodePool.stats.refused;
    await cutForward(randomBytes(LARGE), 100 * 1024);
    // Refused (lost) on its decode thread once the server saw the connection go.
    await waitFor(
      () => server.context.decodePool.stats.refused === refused + 1,
      'the decode thread to refuse the cut body',
    );
    const health = await rawRequest({ port: server.intakePort, method: 'GET', path: '/health' });
    expect(health.status).toBe(200);
    await expectNothingLeft(before);
  });
});

describe('§4.2 large bodies not in the stored form: decoded while streaming on the event loop', () => {
  const FORMS = [
    ['plain', { compress: false, scramble: false }],
    ['deflate only', { scramble: false }],
    ['base64', { base64: true }],
  ] as const;
  const sendAs = (
    options: (typeof FORMS)[number][1],
    bytes: Buffer,
    overrides: Record<string, string> = {},
  ) => {
    const { headers, body } = forwardRequest(bytes, overrides, options);
    return post(headers, body);
  };

  it.each(FORMS)('%s: stored, and decodes to what was sent', async (form, options) => {
    const threads = server.context.decodePool.stats;
    const bytes = randomBytes(LARGE);
    const res = await sendAs(options, bytes, {
      'X-Platform-Host': `${form.replace(' ', '-')}.test`,
    });
    expect(res.status).toBe(201);
    // Not a thread's work: these forms are not the stored form.
    expect(server.context.decodePool.stats).toEqual(threads);
    const row = server.context.store.samples.get(Number(res.headers['x-sample-id']))!;
    expect(md5(decodeBlob(readFileSync(server.context.store.blobs.pathFor(row.blobSha256))))).toBe(
      md5(bytes),
    );
    expect(readdirSync(tmp())).toEqual([]);
  });

  it.each(
    FORMS.flatMap(([form, options]) =>
      (
        [
          ['content', { 'X-Content-Checksum': '0'.repeat(32) }],
          ['sample', { 'X-Sample-Checksum': 'F'.repeat(32) }],
          ['overrun', { 'X-Sample-Size': `${LARGE - 1}` }],
          ['underrun', { 'X-Sample-Size': `${LARGE + 1}` }],
        ] as const
      ).map(([code, overrides]) => [form, code, options, overrides] as const),
    ),
  )(
    '%s with %s wrong → 400, nothing stored, no temp file',
    async (_form, code, options, overrides) => {
      const before = countSamples();
      const threads = server.context.decodePool.stats;
      const res = await sendAs(options, randomBytes(LARGE), overrides);
      expect(res.status).toBe(400);
      expect(res.xError?.split(' ')[0]).toBe(code);
      expect(server.context.decodePool.stats).toEqual(threads);
      await expectNothingLeft(before);
    },
  );
});

describe('§5 content whose file went missing', () => {
  it('a forward of the same content puts the blob file back', async () => {
    const bytes = randomBytes(4096);
    const first = await send(bytes, { 'X-Platform-Host': 'before.example.test' });
    expect(first.status).toBe(201);
    const row = server.context.store.samples.get(Number(first.headers['x-sample-id']))!;
    const file = server.context.store.blobs.pathFor(row.blobSha256);
    rmSync(file);
    const second = await send(bytes, {
      'X-Platform-Host': 'after.example.test',
      'X-Platform-Correlator': 'FEDCBA9876543210FEDCBA9876543210',
    });
    expect(second.status).toBe(201);
    expect(md5(decodeBlob(readFileSync(file)))).toBe(md5(bytes));
  });
});

describe('§4.2 duplicates forwarded at the same moment', () => {
  it.each([
    ['small', 4096],
    ['large', 300 * 1024],
  ])('two identical %s forwards at once make one sample and one duplicate', async (_l, size) => {
    const { headers, body } = forwardRequest(randomBytes(size), {
      'X-Platform-Host': `twins-${size}.example.test`,
    });
    // Both forwards reach their commit before either commits: only a duplicate check inside
    // the commit can tell them apart.
    const committer = server.context.store.committer;
    const commit = committer.commit.bind(committer);
    let held: (() => void)[] = [];
    Object.assign(committer, {
      commit: <T>(work: () => T): Promise<T> =>
        new Promise<T>((resolve, reject) => {
          held.push(() => void commit(work).then(resolve, reject));
          if (held.length < 2) return;
          const both = held;
          held = [];
          for (const go of both) go();
        }),
    });
    const answers = await Promise.all([post(headers, body), post(headers, body)]).finally(() => {
      delete (committer as { commit?: unknown }).commit;
    });
    expect(answers.map((a) => a.status).sort()).toEqual([200, 201]);
    expect(answers[0].headers['x-sample-id']).toBe(answers[1].headers['x-sample-id']);
    const id = Number(answers[0].headers['x-sample-id']);
    expect(server.context.store.samples.get(id)?.changes).toBe(2);
  });
});

describe('§4.2 routes', () => {
  it.each([
    ['GET', '/health', 200],
    ['HEAD', '/health', 200],
    ['POST', '/health', 405],
    ['GET', '/samples', 405],
    ['DELETE', '/samples', 405],
    ['GET', '/nothing-here', 404],
    ['GET', '/', 404],
  ])('%s %s → %i', async (method, route, status) => {
    const res = await rawRequest({ port: server.intakePort, method, path: route });
    expect(res.status).toBe(status);
    if (status === 405) expect(res.headers.allow).toBeTruthy();
  });

  it.each([
    ['a 201', () => send()],
    ['a 400 refusal', () => send(undefined, { 'X-Sample-Checksum': '0'.repeat(32) })],
    ['a 404', () => rawRequest({ port: server.intakePort, method: 'GET', path: '/nowhere' })],
    ['a 405', () => rawRequest({ port: server.intakePort, method: 'GET', path: '/samples' })],
    ['health', () => rawRequest({ port: server.intakePort, method: 'GET', path: '/health' })],
  ])('%s answer has a Content-Length matching its body, not chunks', async (_name, request) => {
    const res = await request();
    expect(res.headers['transfer-encoding']).toBeUndefined();
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(res.body)));
    expect(res.body.length).toBeGreaterThan(0);
  });

  it('health reports sample counts, quota and where intake commits', async () => {
    const res = await rawRequest({ port: server.intakePort, method: 'GET', path: '/health' });
    const body = JSON.parse(res.body) as {
      status: string;
      quota: { maxBytes: number };
      intakeCommits: { mode: string; jobs: number; onEventLoop: number; threadsStarted: number };
    };
    expect(body.status).toBe('ok');
    expect(body.quota.maxBytes).toBe(500 * 1024 * 1024);
    // The tests above forwarded samples: all committed on the one commit thread.
    expect(body.intakeCommits).toMatchObject({ mode: 'thread', onEventLoop: 0, threadsStarted: 1 });
    expect(body.intakeCommits.jobs).toBeGreaterThan(0);
  });
});

describe('§4.2 limits', () => {
  it('a sample over the size limit → 413 declined sample-size', async () => {
    const limited = await startTestServer({ config: { general: { maxSampleSizeMB: 1 } } });
    const { headers, body } = forwardRequest(randomBytes(1024 * 1024 + 10));
    const res = await rawRequest({ port: limited.intakePort, headers, body });
    expect(res.status).toBe(413);
    expect(res.xError).toMatch(/^declined sample-size 1048586 1048576$/);
  });

  it('over the quota → 507 declined quota', async () => {
    const small = await startTestServer({
      config: { general: { maxSizeMB: 1, maxSampleSizeMB: 1 } },
    });
    const incompressible = () => randomBytes(400 * 1024);
    const r1 = await rawRequest({ port: small.intakePort, ...forwardRequest(incompressible()) });
    const r2 = await rawRequest({ port: small.intakePort, ...forwardRequest(incompressible()) });
    const r3 = await rawRequest({ port: small.intakePort, ...forwardRequest(incompressible()) });
    expect([r1.status, r2.status]).toEqual([201, 201]);
    expect(r3.status).toBe(507);
    expect(r3.xError?.startsWith('declined quota')).toBe(true);
  });

  it('per-platform limit by X-Platform-Correlator → 429 declined platform-limit', async () => {
    const limited = await startTestServer({ config: { general: { maxSamplesPerPlatform: 2 } } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await rawRequest({ port: limited.intakePort, ...forwardRequest() })).status);
    }
    expect(statuses).toEqual([201, 201, 429]);
    const other = await rawRequest({
      port: limited.intakePort,
      ...forwardRequest(undefined, { 'X-Platform-Correlator': 'AAAABBBBCCCCDDDDAAAABBBBCCCCDDDD' }),
    });
    expect(other.status).toBe(201);
  });
});
