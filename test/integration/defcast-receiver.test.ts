/**
 * The endpoint's Defcast receiver (SPEC §4.5) on a real port: it reports its sequence, accepts
 * only pushes signed by its server for itself, refuses every package the server's import would
 * refuse (`unpackage` with the reason) without touching the set in force, installs good ones
 * atomically, and then treats its local quarantine with the configured action.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatHttpDate } from '../../src-shared/codec/dates.js';
import {
  createDefcastReceiver,
  type DefcastReceiver,
} from '../../src-main/client/defcast-receiver.js';
import {
  EndpointDefinitions,
  type InstalledSet,
} from '../../src-main/client/endpoint-definitions.js';
import { LocalQuarantine } from '../../src-main/client/local-quarantine.js';
import { rescanQuarantine, type ClientAction } from '../../src-main/client/rescan.js';
import { md5Hex } from '../../src-main/codec/content.js';
import {
  SIGNATURE_HEADER,
  TARGET_HEADER,
  signPush,
  type OutcomeEntry,
} from '../../src-main/server/defcast/defcast-wire.js';
import { queryEndpoint, pushPackage } from '../../src-main/server/defcast/endpoint-link.js';
import {
  loadOrCreateSigningKey,
  type SigningKey,
} from '../../src-main/server/defcast/signing-key.js';
import { buildPackage } from '../../src-main/server/definitions/package.js';
import { createBuiltinEngine } from '../../src-main/server/scanner/builtin/builtin-engine.js';
import { readSample } from '../fixtures/samples/samples.js';
import { rawRequest } from '../helpers/http.js';
import { tempDir } from '../helpers/temp.js';

const GUID = '0123456789ABCDEF0123456789ABCDEF';
const SCRIPT = readSample('cq-test-script.txt');
const REPAIRED_MD5 = '1e527f1d4bb6cea26eb25c0647d3381e';
const MARKER_NDB =
  'CQ.Test.Script.Marker:7:*:6563686f2063712d746573742d736372697074206d61726b6572207061796c6f6164\n';
const md5 = (bytes: Uint8Array | string): string => createHash('md5').update(bytes).digest('hex');

let key: SigningKey;
let receiver: DefcastReceiver;
let port: number;
let definitions: EndpointDefinitions;
let reports: InstalledSet[];

async function goodPackage(sequence: number, extra: Record<string, string> = {}): Promise<Buffer> {
  const built = await buildPackage({
    sequence,
    certified: false,
    files: {
      'script.ndb': MARKER_NDB,
      'repair.json': JSON.stringify({ 'CQ.Test.Script.Marker': { action: 'excise' } }),
      ...extra,
    },
  });
  return built.bytes;
}

/** A PUT signed like the server signs, with parts overridable to test each check. */
function put(
  bytes: Buffer,
  sequence: number,
  override: {
    headers?: Record<string, string>;
    signWith?: SigningKey;
    target?: string;
    date?: string;
  } = {},
) {
  const date = override.date ?? formatHttpDate(Date.now());
  const sum = md5(bytes);
  const target = override.target ?? GUID;
  return rawRequest({
    port,
    method: 'PUT',
    path: '/definitions',
    headers: {
      Date: date,
      'Content-Length': String(bytes.length),
      'X-Signatures-Sequence': String(sequence),
      'X-Signatures-Checksum': sum,
      [TARGET_HEADER]: target,
      [SIGNATURE_HEADER]: signPush((override.signWith ?? key).privateKey, {
        date,
        md5: sum,
        sequence,
        target,
      }),
      ...override.headers,
    },
    body: bytes,
  });
}

/** A zip written byte by byte, so that it can say anything (names, sizes). */
function rawZip(entries: readonly { name: string; data: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const body = deflateRawSync(entry.data);
    const crc = crc32(entry.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(entry.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

function manifest(
  sequence: number,
  files: Record<string, Buffer>,
  extra: Record<string, unknown> = {},
): Buffer {
  const date = formatHttpDate(Date.UTC(2026, 2, 14));
  return Buffer.from(
    JSON.stringify({
      sequence,
      version: '2026.03.14.001',
      certified: false,
      kind: 'all',
      produced: date,
      published: date,
      blessed: null,
      files: Object.fromEntries(Object.entries(files).map(([n, b]) => [n, md5(b)])),
      ...extra,
    }),
  );
}

const NDB = Buffer.from(MARKER_NDB);

/** Packages the server's import refuses, and the reason each must name. */
const HOSTILE: [string, Buffer, RegExp][] = [
  ['not a zip at all', Buffer.from('this is not a zip archive, just text'), /not a readable zip/],
  [
    'an entry outside the package (zip-slip)',
    rawZip([
      { name: 'manifest.json', data: manifest(9, { 'a.ndb': NDB }) },
      { name: 'a.ndb', data: NDB },
      { name: '../../evil.ndb', data: NDB },
    ]),
    /zip-slip/,
  ],
  [
    'an absolute path',
    rawZip([
      { name: 'manifest.json', data: manifest(9, { 'a.ndb': NDB }) },
      { name: '/etc/cron.d/x', data: NDB },
    ]),
    /absolute path/,
  ],
  [
    'a file the manifest does not list',
    rawZip([
      { name: 'manifest.json', data: manifest(9, { 'a.ndb': NDB }) },
      { name: 'a.ndb', data: NDB },
      { name: 'b.ndb', data: NDB },
    ]),
    /not listed in the manifest/,
  ],
  [
    'a listed file that is missing',
    rawZip([
      { name: 'manifest.json', data: manifest(9, { 'a.ndb': NDB, 'b.hdb': NDB }) },
      { name: 'a.ndb', data: NDB },
    ]),
    /listed in the manifest is missing/,
  ],
  [
    'a file whose MD5 differs from the manifest',
    rawZip([
      { name: 'manifest.json', data: manifest(9, { 'a.ndb': NDB }) },
      { name: 'a.ndb', data: Buffer.from('Other:0:*:41424344\n') },
    ]),
    /has MD5 .* the manifest says/,
  ],
  ['no manifest', rawZip([{ name: 'a.ndb', data: NDB }]), /manifest\.json is missing|not listed/],
  [
    'an invalid manifest',
    rawZip([
      { name: 'manifest.json', data: Buffer.from('{"sequence": "nine"}') },
      { name: 'a.ndb', data: NDB },
    ]),
    /manifest\.json is not valid/,
  ],
  [
    'a nested archive',
    rawZip([
      { name: 'manifest.json', data: manifest(9, { 'a.ndb': gzipSync(NDB) }) },
      { name: 'a.ndb', data: gzipSync(NDB) },
    ]),
    /nested gzip archive/,
  ],
  [
    'a zip bomb (past the total inflated size the receiver allows)',
    rawZip([
      { name: 'manifest.json', data: manifest(9, { 'big.ndb': Buffer.alloc(300_000, 0x41) }) },
      { name: 'big.ndb', data: Buffer.alloc(300_000, 0x41) },
    ]),
    /inflates to more than/,
  ],
];

beforeAll(async () => {
  key = loadOrCreateSigningKey(tempDir('cq-key-'));
  definitions = new EndpointDefinitions(tempDir('cq-receiver-'));
  reports = [];
  receiver = createDefcastReceiver({
    host: '127.0.0.1',
    port: 0,
    definitions,
    guid: GUID,
    serverKey: () => key.publicKeyPem,
    limits: { maxTotalBytes: 200_000, maxPackageBytes: 1_000_000 },
    afterInstall: (set): Promise<OutcomeEntry[]> => {
      reports.push(set);
      return Promise.resolve([{ sampleId: '17', action: 'repaired' }]);
    },
  });
  port = (await receiver.listen()).port;
});

afterAll(async () => {
  await receiver?.close();
});

describe('Defcast receiver', () => {
  it('reports sequence 0 before anything is installed', async () => {
    const report = await queryEndpoint({ host: '127.0.0.1', port }, 5_000);
    expect(report).toEqual({ sequence: 0, version: null, installedAt: null, outcome: [] });
  });

  it('installs a signed package atomically, answers X-Date-Installed, then reports the rescan', async () => {
    const bytes = await goodPackage(5);
    const answer = await pushPackage(
      { host: '127.0.0.1', port },
      GUID,
      { bytes, md5: md5(bytes), sequence: 5 },
      key,
      5_000,
    );
    expect(answer.sequence).toBe(5);
    expect(answer.installedAt).toMatch(/GMT$/);
    const report = await queryEndpoint({ host: '127.0.0.1', port }, 5_000);
    expect(report).toMatchObject({
      sequence: 5,
      outcome: [{ sampleId: '17', action: 'repaired' }],
    });
    expect(report.version).toMatch(/^\d{4}\.\d{2}\.\d{2}\.\d{3}$/);
    const current = definitions.current()!;
    expect(current).toMatchObject({ sequence: 5, name: '00000005.all.zip' });
    expect(fs.readFileSync(path.join(current.dir, 'script.ndb'), 'utf8')).toBe(MARKER_NDB);
    expect(reports.map((r) => r.sequence)).toEqual([5]);
    // The pointer survives a restart (a fresh reader sees the same set).
    expect(new EndpointDefinitions(path.dirname(definitions.dir)).current()?.sequence).toBe(5);
  });

  it.each(HOSTILE)(
    'refuses %s with unpackage and keeps the set in force',
    async (_what, bytes, reason) => {
      const answer = await put(bytes, 9);
      expect(answer.status).toBe(400);
      expect(answer.xError).toMatch(/^unpackage /);
      expect(answer.xError!.replace(/_/g, ' ')).toMatch(reason);
      expect(definitions.current()?.sequence).toBe(5);
    },
  );

  it.each([
    ['no signature', { headers: { [SIGNATURE_HEADER]: '' } }, 403, /^declined signature$/],
    [
      'a signature by another key',
      { signWith: loadOrCreateSigningKey(tempDir('cq-key-')) },
      403,
      /^declined signature$/,
    ],
    [
      'a push meant for another endpoint',
      { target: 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF' },
      403,
      /^declined target$/,
    ],
    [
      'a stale date (replay)',
      { date: formatHttpDate(Date.now() - 3_600_000) },
      403,
      /^declined date$/,
    ],
    [
      'a checksum that is not the body',
      { headers: { 'X-Signatures-Checksum': '0'.repeat(32) } },
      400,
      /^content /,
    ],
  ] as const)('refuses %s', async (_what, override, status, error) => {
    const answer = await put(await goodPackage(6), 6, override);
    expect(answer.status).toBe(status);
    expect(answer.xError).toMatch(error);
    expect(definitions.current()?.sequence).toBe(5);
  });

  it('refuses a package that is not the announced sequence, an oversize body and a missing length', async () => {
    const mismatch = await put(await goodPackage(7), 8);
    expect(mismatch.xError!.replace(/_/g, ' ')).toMatch(/^unpackage .*not the announced 8/);
    const big = await rawRequest({
      port,
      method: 'PUT',
      path: '/definitions',
      headers: { 'Content-Length': '2000000' },
      body: Buffer.alloc(10),
    });
    expect(big.status).toBe(413);
    expect(big.xError).toBe('declined package-size 2000000 1000000');
    const chunked = await rawRequest({
      port,
      method: 'PUT',
      path: '/definitions',
      headers: { 'Transfer-Encoding': 'chunked' },
      body: 'x',
    });
    expect(chunked.status).toBe(411);
    expect(chunked.xError).toBe('missing Content-Length');
    expect((await rawRequest({ port, method: 'DELETE', path: '/definitions' })).status).toBe(405);
    expect((await rawRequest({ port, method: 'GET', path: '/other' })).status).toBe(404);
    expect(definitions.current()?.sequence).toBe(5);
  });

  it('answers an older or equal set with the one in force, changing nothing', async () => {
    const older = await goodPackage(3);
    const answer = await put(older, 3);
    expect(answer.status).toBe(200);
    expect(answer.headers['x-signatures-sequence']).toBe('5');
    expect(reports).toHaveLength(1);
  });

  it('merges an incr set onto the base it names and refuses one whose base it does not run', async () => {
    const orphan = await buildPackage({
      sequence: 12,
      certified: false,
      kind: 'incr',
      base: 11,
      files: { 'more.hdb': `${md5('x')}:1:More.Hash\n` },
    });
    const refused = await put(orphan.bytes, 12);
    expect(refused.xError!.replace(/_/g, ' ')).toMatch(
      /^unpackage base set 11 of this incr set is not installed/,
    );
    const incr = await buildPackage({
      sequence: 6,
      certified: false,
      kind: 'incr',
      base: 5,
      files: { 'more.hdb': `${md5('x')}:1:More.Hash\n` },
    });
    expect((await put(incr.bytes, 6)).status).toBe(200);
    const current = definitions.current()!;
    expect(current.sequence).toBe(6);
    expect(fs.readdirSync(current.dir).sort()).toEqual([
      'manifest.json',
      'more.hdb',
      'repair.json',
      'script.ndb',
    ]);
  });
});

describe('treating the local quarantine after an install', () => {
  async function setUp(
    action: ClientAction,
  ): Promise<{ quarantine: LocalQuarantine; victim: string; outcome: OutcomeEntry[] }> {
    const dataDir = tempDir('cq-endpoint-');
    const quarantine = LocalQuarantine.open(dataDir);
    const folder = tempDir('cq-victims-');
    const victim = path.join(folder, 'install.sh');
    fs.writeFileSync(victim, SCRIPT);
    const clean = path.join(folder, 'notes.txt');
    fs.writeFileSync(clean, 'nothing to see here\n');
    const infected = await quarantine.capture(victim, { reason: 'suspicious' });
    const harmless = await quarantine.capture(clean, { reason: 'manual' });
    quarantine.store.recordForwarded(infected.id, '41', Date.now());
    quarantine.store.recordForwarded(harmless.id, '42', Date.now());
    expect(fs.existsSync(victim)).toBe(false);
    const engineDefs = new EndpointDefinitions(dataDir);
    const { verifyPackage } = await import('../../src-main/server/definitions/package.js');
    const set = await engineDefs.install(await verifyPackage(await goodPackage(5)));
    const engine = createBuiltinEngine();
    await engine.load(set);
    const outcome = await rescanQuarantine({ quarantine, engine, set, action });
    await engine.close();
    return { quarantine, victim, outcome };
  }

  it('repair: the quarantined copy is replaced by its repaired form, still scrambled', async () => {
    const { quarantine, outcome, victim } = await setUp('repair');
    expect(outcome).toEqual([{ sampleId: '41', action: 'repaired' }]);
    const [infected, harmless] = quarantine.store.list();
    expect(infected).toMatchObject({ state: 'repaired', action: 'repaired', actionSequence: 5 });
    expect(md5Hex(await quarantine.read(infected!)).toLowerCase()).toBe(REPAIRED_MD5);
    expect(harmless).toMatchObject({ state: 'forwarded', action: null });
    // Stored scrambled: the raw file is not the repaired text, and the infected content is gone.
    const stored = fs.readFileSync(quarantine.pathFor(infected!.sha256));
    expect(stored.includes(Buffer.from('echo'))).toBe(false);
    expect(fs.readdirSync(quarantine.folder)).toHaveLength(2);
    expect(fs.existsSync(victim)).toBe(false);
    quarantine.close();
  });

  it('restore: the repaired file goes back to its original path', async () => {
    const { quarantine, outcome, victim } = await setUp('restore');
    expect(outcome).toEqual([{ sampleId: '41', action: 'restored' }]);
    expect(md5(fs.readFileSync(victim))).toBe(REPAIRED_MD5);
    expect(quarantine.store.list()[0]).toMatchObject({ state: 'restored' });
    quarantine.close();
  });

  it('delete: the item and its content are removed', async () => {
    const { quarantine, outcome } = await setUp('delete');
    expect(outcome).toEqual([{ sampleId: '41', action: 'deleted' }]);
    expect(quarantine.store.list()[0]).toMatchObject({ state: 'deleted' });
    expect(fs.readdirSync(quarantine.folder)).toHaveLength(1);
    quarantine.close();
  });

  it('leave: nothing changes but the report', async () => {
    const { quarantine, outcome } = await setUp('leave');
    expect(outcome).toEqual([{ sampleId: '41', action: 'left' }]);
    expect(quarantine.store.list()[0]).toMatchObject({ state: 'forwarded', action: 'left' });
    quarantine.close();
  });
});
