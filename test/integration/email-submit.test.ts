/**
 * Email Scan and Deliver (SPEC §9) against a real SMTP server: the message's X- headers,
 * attributes.txt and the AES zip (password `infected`) holding exactly the bytes sent, stripped
 * and whole; the recommendation and its override; and SMTP failures that change nothing.
 */
import { randomBytes } from 'node:crypto';
import { Uint8ArrayReader, Uint8ArrayWriter, ZipReader } from '@zip.js/zip.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src-shared/api/client-api.js';
import { decodeHeaderValue, encodeHeaderValue } from '../../src-shared/codec/headers.js';
import { md5Hex } from '../../src-main/codec/content.js';
import { emailHandlers } from '../../src-main/server/control/email-handlers.js';
import { stripSample } from '../../src-main/strip/strip-sample.js';
import type { CallContext } from '../../src-main/transport/rpc-server.js';
import {
  connectControl,
  type ConnectedControlClient,
} from '../../src-main/transport/rpc-client.js';
import {
  closedPort,
  oleMacroDocument,
  startSilentServer,
  startSmtpCapture,
  type ReceivedMail,
} from '../fixtures/email/email-fixtures.js';
import { rawRequest } from '../helpers/http.js';
import { forwardRequest } from '../helpers/samples.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const CONTACT = {
  company: 'Example Ltd',
  account: '4711',
  contactName: 'Ann Admin',
  telephone: '+1 555 0100',
  email: 'ann@example.test',
};

let server: TestServer;
let client: ConnectedControlClient;
let smtp: { port: number; received: ReceivedMail[] };

// A minimal DOS executable: infectable code, sent whole even when stripping is asked for.
function exe(): Buffer {
  return Buffer.concat([Buffer.from('MZ'), Buffer.alloc(62), randomBytes(400)]);
}

async function forward(bytes: Buffer, file: string): Promise<string> {
  const res = await rawRequest({
    port: server.intakePort,
    ...forwardRequest(bytes, { 'X-Sample-File': encodeHeaderValue(file) }),
  });
  expect(res.status).toBe(201);
  return String(res.headers['x-sample-id']);
}

async function refusal(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error('the call was expected to fail');
}

async function openZip(bytes: Buffer, password?: string): Promise<Map<string, Buffer>> {
  const reader = new ZipReader(new Uint8ArrayReader(bytes), password ? { password } : {});
  const out = new Map<string, Buffer>();
  for (const entry of await reader.getEntries()) {
    expect(entry.encrypted).toBe(true);
    expect(entry.zipCrypto).toBe(false);
    if (entry.directory) continue;
    out.set(entry.filename, Buffer.from(await entry.getData(new Uint8ArrayWriter())));
  }
  await reader.close();
  return out;
}

function attachment(mail: ReceivedMail, name: string): Buffer {
  const found = mail.parsed.attachments.find((a) => a.filename === name);
  expect(found, `attachment ${name}`).toBeDefined();
  return found!.content;
}

function header(mail: ReceivedMail, name: string): string | undefined {
  const value = mail.parsed.headers.get(name.toLowerCase());
  // mailparser leaves unknown headers as they came: decode RFC 2047 as an analyst's tools would.
  return typeof value === 'string' ? decodeHeaderValue(value) : undefined;
}

beforeAll(async () => {
  smtp = await startSmtpCapture();
  server = await startTestServer({
    config: {
      setupType: 'email',
      customerInformation: CONTACT,
      email: {
        submissionAddress: 'samples@av.example.test',
        from: 'quarantine@example.test',
        smtp: { host: '127.0.0.1', port: smtp.port, secure: false, user: '', password: '' },
      },
    },
    server: { autoScan: false },
  });
  client = await connectControl({ socket: server.socketPath });
});

afterAll(async () => {
  await client.close();
});

describe('samples.analyzeForEmail', () => {
  it('recommends submitting code and not submitting data, with a strip preview', async () => {
    const code = await forward(exe(), 'C:\\temp\\tool.exe');
    const data = await forward(randomBytes(300), 'C:\\temp\\notes.dat');
    const doc = await forward(oleMacroDocument(), 'C:\\temp\\report.doc');
    const result = await client.call('samples.analyzeForEmail', {
      ids: [code, data, doc, '999999'],
    });
    const byId = new Map(result.samples.map((s) => [s.id, s]));
    expect(byId.get(code)?.recommendation.action).toBe('submit');
    expect(byId.get(code)?.strip).toMatchObject({ possible: true, method: 'none-needed' });
    expect(byId.get(data)?.recommendation).toMatchObject({ action: 'not-needed' });
    expect(byId.get(data)?.recommendation.reason).toMatch(/data only/);
    expect(byId.get(data)?.strip.possible).toBe(false);
    const docStrip = byId.get(doc)?.strip;
    expect(docStrip).toMatchObject({ possible: true, method: 'ole-macro-streams' });
    if (docStrip?.possible) expect(docStrip.removed).toContain('WordDocument');
    expect(result.refused).toEqual([{ id: '999999', reason: 'no such sample' }]);
  });
});

describe('samples.submitByEmail', () => {
  it('sends the whole sample with X- headers, attributes.txt and an AES zip', async () => {
    const file = 'C:\\Users\\jürgen\\Desktop\\Prüfung.exe';
    const EXE = exe();
    const id = await forward(EXE, file);
    const preview = await client.call('samples.previewEmail', { ids: [id], strip: false });
    const before = smtp.received.length;
    const sent = await client.call('samples.submitByEmail', { ids: [id], strip: false });
    expect(sent.refused).toEqual([]);
    expect(smtp.received.length).toBe(before + 1);
    const mail = smtp.received.at(-1)!;
    const message = sent.messages[0]!;
    expect(mail.envelopeTo).toEqual(['samples@av.example.test']);
    expect(mail.parsed.messageId).toBe(message.messageId);
    expect(mail.parsed.subject).toBe(message.subject);
    expect(message.subject).toContain('Prüfung.exe');
    // The preview described exactly what went out (the message id aside).
    expect({ ...preview.messages[0], messageId: '' }).toEqual({ ...message, messageId: '' });
    expect(message.attachments.map((a) => a.name)).toEqual(['attributes.txt', `sample-${id}.zip`]);

    expect(header(mail, 'X-Sample-File')).toBe(file);
    expect(mail.raw.toString('latin1')).toMatch(/^X-Sample-File: =\?UTF-8\?B\?/m);
    expect(header(mail, 'X-Sample-Checksum')).toBe(md5Hex(EXE));
    expect(header(mail, 'X-Sample-Size')).toBe(String(EXE.length));
    expect(header(mail, 'X-Customer-Name')).toBe('Example Ltd');
    expect(header(mail, 'X-Sample-Strip')).toBeUndefined();
    expect(mail.parsed.text).toContain('Ann Admin');
    expect(mail.parsed.text).toContain('+1 555 0100');

    const listing = attachment(mail, 'attributes.txt').toString('utf8');
    expect(listing).toContain(`X-Sample-File: ${file}\r\n`);
    expect(listing).toContain(`X-Sample-Checksum: ${md5Hex(EXE)}\r\n`);
    const zip = attachment(mail, `sample-${id}.zip`);
    expect(zip.length).toBe(message.attachments[1]!.size);
    await expect(openZip(zip, 'wrong')).rejects.toThrow();
    const entries = await openZip(zip, 'infected');
    expect([...entries.keys()]).toEqual(['Prüfung.exe']);
    expect(entries.get('Prüfung.exe')!.equals(EXE)).toBe(true);
    expect(md5Hex(entries.get('Prüfung.exe')!)).toBe(header(mail, 'X-Sample-Checksum'));

    const detail = await client.call('samples.get', { id });
    expect(detail.sample.status).toBe('submitted');
    expect(detail.attributes['X-Date-Submitted']).toMatch(/GMT$/);
    expect(detail.attributes['X-Sample-Strip']).toBeUndefined();
    expect(
      detail.history.some((h) => h.to === 'submitted' && h.reason?.includes(message.messageId)),
    ).toBe(true);
    // Submitted once: a second submission is refused with the guide's reason.
    const again = await client.call('samples.submitByEmail', { ids: [id], strip: false });
    expect(again.messages).toEqual([]);
    expect(again.refused[0]?.reason).toMatch(/already submitted|not possible while/);
  });

  it('sends the stripped document when asked, and records X-Sample-Strip', async () => {
    const original = oleMacroDocument();
    const id = await forward(original, 'C:\\Users\\ann\\Secret plans.doc');
    const expected = await stripSample(original, { fileName: 'Secret plans.doc' });
    expect(expected.ok).toBe(true);
    if (!expected.ok) return;
    const sent = await client.call('samples.submitByEmail', { ids: [id], strip: true });
    const mail = smtp.received.at(-1)!;
    expect(sent.messages[0]?.strip).toBe('ole-macro-streams');
    expect(header(mail, 'X-Sample-Strip')).toBe('ole-macro-streams');
    expect(header(mail, 'X-Sample-File')).toBeUndefined();
    expect(header(mail, 'X-Sample-Checksum')).toBe(md5Hex(expected.bytes));
    expect(header(mail, 'X-Sample-Size')).toBe(String(expected.bytes.length));
    expect(attachment(mail, 'attributes.txt').toString('utf8')).not.toContain('Secret plans');
    const entries = await openZip(attachment(mail, `sample-${id}.zip`), 'infected');
    expect([...entries.keys()]).toEqual([`sample-${id}.doc`]);
    const inside = entries.get(`sample-${id}.doc`)!;
    expect(inside.equals(expected.bytes)).toBe(true);
    expect(inside.includes(Buffer.from('CONFIDENTIAL'))).toBe(false);
    expect(md5Hex(inside)).toBe(header(mail, 'X-Sample-Checksum'));
    const detail = await client.call('samples.get', { id });
    expect(detail.sample.status).toBe('submitted');
    expect(detail.attributes['X-Sample-Strip']).toBe('ole-macro-streams');
  });

  it('refuses data-only content unless overridden, then sends it whole', async () => {
    const bytes = randomBytes(500);
    const id = await forward(bytes, 'C:\\temp\\blob.dat');
    const refused = await client.call('samples.submitByEmail', { ids: [id], strip: true });
    expect(refused.messages).toEqual([]);
    expect(refused.refused[0]?.reason).toMatch(/not needed.*override/);
    expect((await client.call('samples.get', { id })).sample.status).toBe('quarantined');
    const sent = await client.call('samples.submitByEmail', {
      ids: [id],
      strip: true,
      override: true,
      contact: { ...CONTACT, contactName: 'Bob Backup' },
    });
    const mail = smtp.received.at(-1)!;
    expect(sent.messages[0]?.strip).toBeNull();
    expect(header(mail, 'X-Customer-Contact-Name')).toBe('Bob Backup');
    const entries = await openZip(attachment(mail, `sample-${id}.zip`), 'infected');
    expect(entries.get('blob.dat')?.equals(bytes)).toBe(true);
  });
});

describe('SMTP failures change nothing', () => {
  const cases: [string, () => Promise<Record<string, unknown>>, RegExp][] = [
    [
      'connection refused',
      async () => ({
        host: '127.0.0.1',
        port: await closedPort(),
        secure: false,
        user: '',
        password: '',
      }),
      /refused the connection/,
    ],
    [
      'authentication failed',
      async () => ({
        host: '127.0.0.1',
        port: (await startSmtpCapture({ user: 'cq', password: 'right' })).port,
        secure: false,
        user: 'cq',
        password: 'wrong',
      }),
      /refused the user name or password/,
    ],
  ];

  it.each(cases)('%s', async (_name, smtpOf, pattern) => {
    const id = await forward(exe(), 'C:\\temp\\fail.exe');
    const before = await client.call('samples.get', { id });
    const error = await refusal(
      client.call('samples.submitByEmail', {
        ids: [id],
        strip: false,
        smtp: (await smtpOf()) as never,
      }),
    );
    expect(error.code).toBe('unavailable');
    expect(error.message).toMatch(pattern);
    expect(await client.call('samples.get', { id })).toEqual(before);
  });

  it('timeout', async () => {
    const id = await forward(exe(), 'C:\\temp\\slow.exe');
    const before = await client.call('samples.get', { id });
    const port = await startSilentServer();
    const handlers = emailHandlers(server.context, { smtpTimeoutMs: 300 });
    const ctx = { user: null } as unknown as CallContext;
    const error = await refusal(
      Promise.resolve(
        handlers['samples.submitByEmail']!(
          {
            ids: [id],
            strip: false,
            smtp: { host: '127.0.0.1', port, secure: false, user: '', password: '' },
          },
          ctx,
        ),
      ),
    );
    expect(error.code).toBe('unavailable');
    expect(error.message).toMatch(/did not answer in time/);
    expect(await client.call('samples.get', { id })).toEqual(before);
  });
});

describe('setup type', () => {
  it('refuses email submission on an Internet-based server', async () => {
    const internet = await startTestServer({ server: { autoScan: false } });
    const other = await connectControl({ socket: internet.socketPath });
    try {
      const error = await refusal(other.call('samples.analyzeForEmail', { ids: ['1'] }));
      expect(error.code).toBe('not-allowed');
      expect(error.message).toMatch(/Internet-based/);
    } finally {
      await other.close();
    }
  });
});
