/**
 * The gateway wire protocol (SPEC §4.1, §4.3) as tables: one row per rule and per error code of
 * each endpoint, each against a real gateway on a loopback port with a real SQLite file.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CUSTOMER_IDENTIFIER } from '../../src-shared/config/schema.js';
import { formatHttpDate } from '../../src-shared/codec/dates.js';
import { xorVampish } from '../../src-shared/codec/transforms.js';
import {
  createGateway,
  type Gateway,
  type GatewayOptions,
} from '../../src-main/gateway/gateway.js';
import { openGatewayStore } from '../../src-main/gateway/store/gateway-store.js';
import { TIMING_PRESETS } from '../../src-main/gateway/timings.js';
import { verifyPackage } from '../../src-main/server/definitions/package.js';
import { findStarterPackage } from '../../src-main/server/definitions/starter-package.js';
import { BlobStore } from '../../src-main/server/store/blob-store.js';
import { rawRequest, type RawResponse } from '../helpers/http.js';
import { forwardRequest } from '../helpers/samples.js';
import { tempDir } from '../helpers/temp.js';
import { makeTestCertificate } from '../helpers/tls.js';
import { waitFor } from '../helpers/wait.js';

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex').toUpperCase();
const LOOPBACK = {
  'X-Customer-Identifier': DEFAULT_CUSTOMER_IDENTIFIER,
  'X-Customer-Credentials': '',
};
const ALICE = {
  identifier: '100001-ALICEplatinum 1',
  credentials: 'alice-secret',
  name: 'Alice Ltd',
  serviceClass: 'platinum',
} as const;
const BOB = {
  identifier: '100002-BOBgold 2',
  credentials: 'bob-secret',
  name: 'Bob Inc',
  serviceClass: 'gold',
} as const;
const asAlice = {
  'X-Customer-Identifier': ALICE.identifier,
  'X-Customer-Credentials': ALICE.credentials,
};
const asBob = {
  'X-Customer-Identifier': BOB.identifier,
  'X-Customer-Credentials': BOB.credentials,
};

const gateways: Gateway[] = [];
afterAll(async () => {
  for (const g of gateways.splice(0)) await g.close();
});

async function start(
  options: Partial<GatewayOptions> = {},
): Promise<{ port: number; dataDir: string }> {
  const dataDir = tempDir('cq-gateway-');
  const gateway = createGateway({ port: 0, timings: TIMING_PRESETS.fast, ...options, dataDir });
  gateways.push(gateway);
  const address = await gateway.listen();
  return { port: address.port, dataDir };
}

let main: { port: number; dataDir: string };
let customers: { port: number; dataDir: string };

beforeAll(async () => {
  main = await start();
  customers = await start({ customers: [ALICE, BOB] });
});

function post(
  port: number,
  headers: Record<string, string | string[]>,
  body: Buffer | string,
): Promise<RawResponse> {
  return rawRequest({ port, path: '/v1/samples', headers, body });
}

function submit(
  overrides: Record<string, string | undefined> = {},
  bytes?: Buffer,
  port = main.port,
): Promise<RawResponse> {
  const { headers, body } = forwardRequest(bytes, overrides);
  return post(port, { ...LOOPBACK, ...headers }, body);
}

/** A GET whose body is kept as bytes (packages). */
function getBytes(
  port: number,
  route: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: route, headers: LOOPBACK }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
      })
      .on('error', reject);
  });
}

function get(
  port: number,
  route: string,
  headers: Record<string, string> = LOOPBACK,
  method = 'GET',
): Promise<RawResponse> {
  return rawRequest({ port, method, path: route, headers });
}

describe('§4.3 customers', () => {
  it.each([
    ['no X-Customer-Identifier', {}, 400, 'missing X-Customer-Identifier'],
    [
      'an unknown customer',
      { 'X-Customer-Identifier': '999999-NOBODYgold 9', 'X-Customer-Credentials': '' },
      403,
      'declined',
    ],
    [
      'the default customer with credentials',
      { 'X-Customer-Identifier': DEFAULT_CUSTOMER_IDENTIFIER, 'X-Customer-Credentials': 'guess' },
      403,
      'declined',
    ],
  ])('POST with %s → %i %s', async (_label, customer, status, xError) => {
    const { headers, body } = forwardRequest();
    const res = await post(main.port, { ...customer, ...headers }, body);
    expect(res.status).toBe(status);
    expect(res.xError).toBe(xError);
  });

  it.each([
    [
      'a listed customer with the wrong credentials',
      { ...asAlice, 'X-Customer-Credentials': 'alice-secreT' },
      403,
    ],
    ['the default customer, not listed in the customers file', LOOPBACK, 403],
    ['a listed customer', asAlice, 202],
    ['another listed customer', asBob, 202],
  ])('with a customers file, %s → %i', async (_label, customer, status) => {
    const { headers, body } = forwardRequest();
    const res = await post(customers.port, { ...customer, ...headers }, body);
    expect(res.status).toBe(status);
    if (status === 403) expect(res.xError).toBe('declined');
  });

  it('credentials sent twice are declined, not joined', async () => {
    const res = await rawRequest({
      port: main.port,
      method: 'GET',
      path: '/v1/signatures/newest',
      headers: {
        'X-Customer-Identifier': DEFAULT_CUSTOMER_IDENTIFIER,
        'X-Customer-Credentials': ['', ''],
      },
    });
    expect(res.status).toBe(403);
    expect(res.xError).toBe('declined');
  });
});

describe('§4.3 POST /v1/samples: attributes', () => {
  it.each([
    'X-Sample-Checksum',
    'X-Sample-Size',
    'X-Sample-Type',
    'X-Platform-Host',
    'X-Date-Captured',
  ])('missing %s → 400 missing <name>', async (name) => {
    const res = await submit({ [name]: undefined });
    expect(res.status).toBe(400);
    expect(res.xError).toBe(`missing ${name}`);
  });

  it.each([
    ['X-Sample-Checksum', 'not-a-checksum'],
    ['X-Sample-Size', '-5'],
    ['X-Date-Captured', 'yesterday'],
    ['X-Sample-Reason', 'bored'],
    ['X-Sample-Service', 'thorough'],
    ['X-Content-Compression', 'lzma'],
  ])('%s: %s → 400 malformed <name>', async (name, value) => {
    const res = await submit({ [name]: value });
    expect(res.status).toBe(400);
    expect(res.xError).toBe(`malformed ${name}`);
  });

  it('an unsupported X-Sample-Type → 415 type', async () => {
    const res = await submit({ 'X-Sample-Type': 'floppy' });
    expect(res.status).toBe(415);
    expect(res.xError).toBe('type floppy');
  });
});

describe('§4.1 POST /v1/samples: content', () => {
  it.each([
    ['content checksum wrong', { 'X-Content-Checksum': '0'.repeat(32) }, 'content'],
    ['sample checksum wrong', { 'X-Sample-Checksum': 'F'.repeat(32) }, 'sample'],
    ['decoded longer than X-Sample-Size', { 'X-Sample-Size': '4000' }, 'overrun'],
    ['decoded shorter than X-Sample-Size', { 'X-Sample-Size': '5000' }, 'underrun'],
  ])('%s → 400 %s', async (_label, overrides, code) => {
    const res = await submit(overrides, randomBytes(4096));
    expect(res.status).toBe(400);
    expect(res.xError?.split(' ')[0]).toBe(code);
  });

  it('a body that does not inflate → 400 unpackage', async () => {
    const garbage = Buffer.from(xorVampish(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x13, 0x37]), 0));
    const { headers } = forwardRequest();
    const res = await post(
      main.port,
      {
        ...LOOPBACK,
        ...headers,
        'X-Content-Checksum': md5(garbage),
        'Content-Length': String(garbage.length),
      },
      garbage,
    );
    expect(res.status).toBe(400);
    expect(res.xError?.split(' ')[0]).toBe('unpackage');
  });

  it('a connection cut before Content-Length (lost) stores nothing and the gateway keeps serving', async () => {
    const blobs = new BlobStore(path.join(main.dataDir, 'samples'));
    const before = blobs.listBlobFiles();
    const { headers, body } = forwardRequest(randomBytes(64 * 1024));
    await new Promise<void>((resolve) => {
      const socket = net.connect(main.port, '127.0.0.1', () => {
        const head = [
          'POST /v1/samples HTTP/1.1',
          'Host: 127.0.0.1',
          ...Object.entries({ ...LOOPBACK, ...headers }).map(([k, v]) => `${k}: ${v}`),
          '',
          '',
        ].join('\r\n');
        socket.write(head);
        socket.write(body.subarray(0, 1000), () => setTimeout(() => socket.destroy(), 50));
      });
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
    const newest = await get(main.port, '/v1/signatures/newest');
    expect(newest.status).toBe(200);
    // The half-received temp blob is removed once the gateway notices the cut.
    await waitFor(() => fs.readdirSync(blobs.tmpDir).length === 0, 'temp blob removed');
    expect(blobs.listBlobFiles()).toEqual(before);
  });

  it.each([
    ['deflate + scramble', { compress: true, scramble: true }],
    ['plain', { compress: false, scramble: false }],
    ['all + base64', { compress: true, scramble: true, base64: true }],
  ])('%s is accepted (202) and stored scrambled', async (_label, transforms) => {
    const bytes = Buffer.concat([Buffer.from('MZ'), randomBytes(8000)]);
    const { headers, body } = forwardRequest(bytes, {}, transforms);
    const res = await post(main.port, { ...LOOPBACK, ...headers }, body);
    expect(res.status).toBe(202);
    expect(res.headers['x-analysis-state']).toBe('accepted');
    expect(res.headers['x-analysis-cookie']).toMatch(/^[0-9A-F]{32}$/);
    expect(res.headers['x-analysis-issue']).toMatch(/^\d{8}$/);
    expect(res.headers['x-date-submitted']).toMatch(/ GMT$/);
    expect(res.headers['x-date-finished']).toBeUndefined();
    const sha = createHash('sha256').update(bytes).digest('hex');
    const stored = fs.readFileSync(new BlobStore(path.join(main.dataDir, 'samples')).pathFor(sha));
    expect(stored.subarray(0, 2).toString('latin1')).not.toBe('MZ');
  });
});

describe('§4.3 POST /v1/samples: limits', () => {
  it('a sample over the size limit → 413 declined sample-size', async () => {
    const small = await start({ limits: { maxSampleSize: 1024 } });
    const { headers, body } = forwardRequest(randomBytes(2048));
    const res = await post(small.port, { ...LOOPBACK, ...headers }, body);
    expect(res.status).toBe(413);
    expect(res.xError).toBe('declined sample-size 2048 1024');
  });

  it('a body far larger than any sample → 413 declined content-length', async () => {
    const small = await start({ limits: { maxSampleSize: 1024 } });
    const { headers } = forwardRequest(randomBytes(100), { 'Content-Length': '10000000' });
    const res = await post(small.port, { ...LOOPBACK, ...headers }, '');
    expect(res.status).toBe(413);
    expect(res.xError?.startsWith('declined content-length 10000000')).toBe(true);
  });

  it.each([
    ['the analysis backlog is full', { maxBacklog: 0 }, 'declined busy backlog 0'],
    ['too many uploads at once', { maxConcurrentUploads: 0 }, 'declined busy uploads 0'],
  ])('%s → 503 with Retry-After', async (_label, limits, xError) => {
    const busy = await start({ limits: { ...limits, retryAfterSeconds: 7 } });
    const { headers, body } = forwardRequest();
    const res = await post(busy.port, { ...LOOPBACK, ...headers }, body);
    expect(res.status).toBe(503);
    expect(res.xError).toBe(xError);
    expect(res.headers['retry-after']).toBe('7');
  });
});

describe('§4.3 GET /v1/samples/{cookie}', () => {
  it('a known cookie → 200 with the status attributes', async () => {
    const sent = await submit();
    const cookie = sent.headers['x-analysis-cookie'] as string;
    const res = await get(main.port, `/v1/samples/${cookie}`);
    expect(res.status).toBe(200);
    expect(res.headers['x-analysis-cookie']).toBe(cookie);
    expect(res.headers['x-analysis-issue']).toBe(sent.headers['x-analysis-issue']);
    expect(res.headers['x-analysis-state']).toMatch(/^[a-zA-Z]+$/);
    expect(res.headers['x-date-submitted']).toBe(sent.headers['x-date-submitted']);
  });

  it.each([
    ['never issued', 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF'],
    ['not even cookie-shaped', '..%2F..%2Fgateway.db'],
  ])('a cookie %s → 404 crumbled', async (_label, cookie) => {
    const res = await get(main.port, `/v1/samples/${cookie}`);
    expect(res.status).toBe(404);
    expect(res.xError).toBe('crumbled');
  });

  it("another customer's cookie → 404 crumbled, like one never issued", async () => {
    const { headers, body } = forwardRequest();
    const sent = await post(customers.port, { ...asAlice, ...headers }, body);
    const cookie = sent.headers['x-analysis-cookie'] as string;
    expect((await get(customers.port, `/v1/samples/${cookie}`, asAlice)).status).toBe(200);
    const res = await get(customers.port, `/v1/samples/${cookie}`, asBob);
    expect(res.status).toBe(404);
    expect(res.xError).toBe('crumbled');
  });

  it.each([
    ['no customer', {}, 400, 'missing X-Customer-Identifier'],
    [
      'an unknown customer',
      { 'X-Customer-Identifier': 'nobody', 'X-Customer-Credentials': '' },
      403,
      'declined',
    ],
  ])('%s → %i %s', async (_label, customer, status, xError) => {
    const res = await get(main.port, '/v1/samples/FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF', customer);
    expect(res.status).toBe(status);
    expect(res.xError).toBe(xError);
  });
});

describe('§4.3 GET /v1/signatures', () => {
  let sets: { port: number; dataDir: string };

  beforeAll(async () => {
    sets = await start();
    // Sets in every state the endpoint distinguishes, written as the back office records them.
    const store = openGatewayStore(sets.dataDir);
    const row = (sequence: number) => ({
      sequence,
      version: '2025.01.02.001',
      kind: 'incr' as const,
      base: 1,
      state: 'building' as const,
      certified: false,
      producedAt: Date.now(),
      analysisId: null,
    });
    store.transaction(() => {
      store.sets.insert(row(2));
      store.sets.fail(2, 'abandoned', 'unit test hit a clean file');
      store.sets.insert(row(3));
      store.sets.fail(3, 'unpublished', 'over the publishing limit');
      store.sets.insert(row(4));
    });
    store.close();
  });

  it.each([
    ['?certified=1', '00000001'],
    ['?certified=0', '00000001'],
    ['', '00000001'],
  ])('newest%s → 200 with the set attributes', async (query, sequence) => {
    const res = await get(sets.port, `/v1/signatures/newest${query}`);
    expect(res.status).toBe(200);
    expect(res.headers['x-signatures-sequence']).toBe(sequence);
    expect(res.headers['x-signatures-version']).toMatch(/^\d{4}\.\d{2}\.\d{2}\.\d{3}$/);
    expect(res.headers['x-signatures-checksum']).toMatch(/^[0-9A-F]{32}$/);
    expect(res.headers['x-date-produced']).toMatch(/ GMT$/);
    expect(res.headers['x-date-published']).toMatch(/ GMT$/);
    expect(res.headers['x-date-blessed']).toMatch(/ GMT$/);
  });

  it('newest?certified=yes → 400 malformed certified', async () => {
    const res = await get(sets.port, '/v1/signatures/newest?certified=yes');
    expect(res.status).toBe(400);
    expect(res.xError).toBe('malformed certified');
  });

  it('a published sequence → 200 with the package, its attributes and MD5', async () => {
    const res = await getBytes(sets.port, '/v1/signatures/1');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['content-disposition']).toBe('attachment; filename="00000001.all.zip"');
    expect(res.headers['x-signatures-checksum']).toBe(md5(res.body));
    const pkg = await verifyPackage(res.body);
    expect(pkg.manifest).toMatchObject({ sequence: 1, kind: 'all', certified: true });
  });

  it("sequence 1 is the server's starter package, byte for byte", async () => {
    const starter = findStarterPackage();
    expect(starter).not.toBeNull();
    const res = await getBytes(sets.port, '/v1/signatures/1');
    expect(res.body.equals(fs.readFileSync(starter!))).toBe(true);
  });

  it('without a starter package the gateway builds its own certified sequence 1', async () => {
    const own = await start({ starterPackage: null });
    const res = await getBytes(own.port, '/v1/signatures/1');
    const pkg = await verifyPackage(res.body);
    expect(pkg.manifest).toMatchObject({ sequence: 1, kind: 'all', certified: true });
    expect(pkg.files.get('starter.hdb')?.toString()).toContain(':68:Eicar-Test-Signature');
  });

  it('HEAD of a published sequence → 200 with the attributes and no body', async () => {
    const res = await get(sets.port, '/v1/signatures/1', LOOPBACK, 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers['x-signatures-sequence']).toBe('00000001');
    expect(res.body).toBe('');
  });

  it.each([
    ['abc', 400, 'malformed sequence'],
    ['0', 400, 'malformed sequence'],
    ['1?kind=incr', 400, 'malformed kind'],
    ['99', 404, 'unavailable 00000099'],
    ['4', 404, 'unavailable 00000004'],
    ['2', 410, 'abandoned 00000002'],
    ['3', 410, 'unpublished 00000003'],
  ])('/v1/signatures/%s → %i %s', async (route, status, xError) => {
    const res = await get(sets.port, `/v1/signatures/${route}`);
    expect(res.status).toBe(status);
    expect(res.xError).toBe(xError);
  });

  it('a sequence below the newest certified set → 410 superseded naming that set', async () => {
    const store = openGatewayStore(sets.dataDir);
    store.transaction(() =>
      store.sets.insertBase({
        sequence: 5,
        version: '2025.01.03.001',
        producedAt: Date.now(),
        publishedAt: Date.now(),
        blessedAt: Date.now(),
        md5: '0'.repeat(32),
      }),
    );
    store.close();
    const res = await get(sets.port, '/v1/signatures/1');
    expect(res.status).toBe(410);
    expect(res.xError).toBe('superseded 00000005');
    const newest = await get(sets.port, '/v1/signatures/newest?certified=1');
    expect(newest.headers['x-signatures-sequence']).toBe('00000005');
  });

  it.each([
    ['/v1/signatures/newest', {}, 400, 'missing X-Customer-Identifier'],
    ['/v1/signatures/1', { 'X-Customer-Identifier': 'nobody' }, 403, 'declined'],
  ])('%s without an accepted customer → %i %s', async (route, customer, status, xError) => {
    const res = await get(sets.port, route, customer);
    expect(res.status).toBe(status);
    expect(res.xError).toBe(xError);
  });
});

describe('§4.3 routes', () => {
  it.each([
    ['GET', '/v1/samples', 405],
    ['DELETE', '/v1/samples/ABC', 405],
    ['POST', '/v1/signatures/newest', 405],
    ['PUT', '/v1/signatures/1', 405],
    ['GET', '/v1', 404],
    ['GET', '/samples', 404],
  ])('%s %s → %i', async (method, route, status) => {
    const res = await rawRequest({ port: main.port, method, path: route, headers: LOOPBACK });
    expect(res.status).toBe(status);
    if (status === 405) expect(res.headers.allow).toBeTruthy();
  });
});

describe('§4.3 HTTPS', () => {
  it('serves the same protocol over TLS with the given certificate', async () => {
    const cert = makeTestCertificate();
    const secure = await start({ tls: { cert: cert.cert, key: cert.key } });
    const res = await new Promise<{ status: number; sequence: unknown }>((resolve, reject) => {
      https
        .get(
          {
            host: '127.0.0.1',
            port: secure.port,
            path: '/v1/signatures/newest?certified=1',
            headers: LOOPBACK,
            ca: cert.cert,
          },
          (r) => {
            r.resume();
            r.on('end', () =>
              resolve({ status: r.statusCode ?? 0, sequence: r.headers['x-signatures-sequence'] }),
            );
          },
        )
        .on('error', reject);
    });
    expect(res).toEqual({ status: 200, sequence: '00000001' });
    const plain = await rawRequest({
      port: secure.port,
      method: 'GET',
      path: '/v1/signatures/newest',
    }).catch((error: Error) => error);
    expect(plain instanceof Error || plain.status === 400).toBe(true);
  });
});

describe('§3.1 dates', () => {
  it('X-Date-Submitted is the gateway clock, whatever the sender clock says', async () => {
    const before = Date.now();
    const res = await submit({ Date: formatHttpDate(before - 3_600_000) });
    expect(res.status).toBe(202);
    // Whole seconds on the wire, so compare against the second the test started in.
    const submitted = Date.parse(res.headers['x-date-submitted'] as string);
    expect(submitted).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
  });
});
