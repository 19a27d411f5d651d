/**
 * Definitions returned by email (SPEC §9): an `.eml` carrying a package is checked, installed
 * and the items it may resolve are rescanned; a damaged one is refused and nothing changes.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src-shared/api/client-api.js';
import {
  connectControl,
  type ConnectedControlClient,
} from '../../src-main/transport/rpc-client.js';
import { rawRequest } from '../helpers/http.js';
import { forwardRequest } from '../helpers/samples.js';
import { hdbLine, writePackage } from '../helpers/scan-sets.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';

let server: TestServer;
let client: ConnectedControlClient;

function eml(attachments: { filename: string; content: Buffer }[]): Promise<Buffer> {
  return new MailComposer({
    from: 'analysis@av.example.test',
    to: 'quarantine@example.test',
    subject: 'Definitions for your submission',
    text: 'The attached definitions detect and repair the sample you sent.',
    attachments,
  })
    .compile()
    .build();
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

beforeAll(async () => {
  server = await startTestServer({ config: { setupType: 'email' }, server: { autoScan: false } });
  client = await connectControl({ socket: server.socketPath });
});

afterAll(async () => {
  await client.close();
});

describe('definitions.importEmail', () => {
  it('installs the attached package and rescans the items it may resolve', async () => {
    const threat = randomBytes(700);
    const res = await rawRequest({ port: server.intakePort, ...forwardRequest(threat) });
    expect(res.status).toBe(201);
    const id = String(res.headers['x-sample-id']);
    const pkg = await writePackage(2, { 'mail.hdb': hdbLine(threat, 'CQ.Test.Mailed') + '\n' });
    const message = await eml([{ filename: path.basename(pkg), content: fs.readFileSync(pkg) }]);
    const file = path.join(tempDir('cq-eml-'), 'definitions.eml');
    fs.writeFileSync(file, message);

    const result = await client.call('definitions.importEmail', { path: file });
    expect(result.attachment).toBe('00000002.all.zip');
    expect(result.set).toMatchObject({ sequence: 2, active: true });
    expect(result.rescanned.done).toContain(id);
    expect(result.samples.find((s) => s.id === id)?.before).toBe('quarantined');
    const detail = await client.call('samples.get', { id });
    expect(detail.attributes['X-Scan-Virus-Name']).toBe('CQ.Test.Mailed');
    expect(detail.attributes['X-Scan-Signatures-Sequence']).toBe('00000002');
    expect((await client.call('definitions.list', {})).active).toBe(2);
  });

  const damaged: [string, () => Promise<Buffer>, RegExp][] = [
    ['no attachment', () => eml([]), /no definitions package.*no attachments/],
    [
      'an attachment that is not a package',
      () => eml([{ filename: 'readme.txt', content: Buffer.from('hello') }]),
      /no definitions package.*readme\.txt/,
    ],
    [
      'a damaged package',
      () => eml([{ filename: '00000003.all.zip', content: randomBytes(2000) }]),
      /^unpackage/,
    ],
  ];

  it.each(damaged)('refuses a message with %s and changes nothing', async (_n, make, pattern) => {
    const before = await client.call('definitions.list', {});
    const bytes = (await make()).toString('base64');
    const error = await refusal(client.call('definitions.importEmail', { bytes }));
    expect(error.code).toBe('invalid-request');
    expect(error.message).toMatch(pattern);
    expect(await client.call('definitions.list', {})).toEqual(before);
  });
});
