/** The `cq` command line (SPEC §13) as administrators run it: real processes, real ports. */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatHttpDate } from '../../src-shared/codec/dates.js';
import { runCq, startCq, type CqProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

describe('--help', () => {
  it.each([
    [[]],
    [['server']],
    [['forward']],
    [['ctl']],
    [['user', 'add']],
    [['audit', 'verify']],
    [['bench']],
  ])('cq %j --help exits 0 with usage', async (words) => {
    const result = await runCq([...words, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Usage: cq/);
  });

  it('an unknown command fails with a one-line reason', async () => {
    const result = await runCq(['frobnicate']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/unknown command/);
  });
});

describe('server, forward, ctl, user, audit', () => {
  let dataDir: string;
  let server: CqProcess;
  let intake: string;
  let socket: string;
  let control: string;

  beforeAll(async () => {
    dataDir = tempDir('cq-cli-');
    socket = path.join(dataDir, 'ctl.sock');
    server = await startCq(
      [
        'server',
        '--data-dir',
        dataDir,
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--control-port',
        '0',
        '--socket',
        socket,
      ],
      // The local socket's line and the TCP listener's line.
      ['intake', 'control', 'control'],
    );
    intake = server.listening.get('intake')![0]!;
    control = server.listening.get('control')!.find((a) => a !== socket)!;
  });

  afterAll(async () => {
    await server.stop('SIGKILL');
  });

  it('prints one listening line per listener', () => {
    expect(intake).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(server.listening.get('control')).toContain(socket);
    expect(control).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('cq forward sends a file with the platform attributes of this computer', async () => {
    const file = path.join(tempDir(), 'suspicious.exe');
    fs.writeFileSync(file, randomBytes(10_000));
    const result = await runCq([
      'forward',
      file,
      '--server',
      intake,
      '--reason',
      'suspicious',
      '--priority',
      '5',
    ]);
    expect(result.code).toBe(0);
    const id = result.stdout.trim();
    expect(id).toMatch(/^\d+$/);
    const get = await runCq(['ctl', '--socket', socket, 'samples.get', JSON.stringify({ id })]);
    expect(get.code).toBe(0);
    const detail = JSON.parse(get.stdout) as { attributes: Record<string, string> };
    for (const name of [
      'X-Platform-Host',
      'X-Platform-User',
      'X-Platform-Address',
      'X-Platform-System',
      'X-Platform-Processor',
      'X-Platform-Language',
    ]) {
      expect(detail.attributes[name], name).toBeTruthy();
    }
    expect(detail.attributes['X-Sample-Reason']).toBe('suspicious');
    expect(detail.attributes['X-Sample-Priority']).toBe('5');
    expect(detail.attributes['X-Sample-File']).toBe(file);
  });

  it('a plain curl --data-binary forward with hand-written headers works', () => {
    const file = path.join(tempDir(), 'plain.bin');
    const bytes = randomBytes(2048);
    fs.writeFileSync(file, bytes);
    const md5 = createHash('md5').update(bytes).digest('hex');
    const out = execFileSync('curl', [
      '-s',
      '-i',
      '--data-binary',
      `@${file}`,
      '-H',
      `X-Sample-Checksum: ${md5}`,
      '-H',
      `X-Sample-Size: ${bytes.length}`,
      '-H',
      'X-Sample-Type: file',
      '-H',
      'X-Platform-Host: curl-host',
      '-H',
      `X-Date-Captured: ${formatHttpDate(Date.now())}`,
      `http://${intake}/samples`,
    ]).toString();
    expect(out).toMatch(/^HTTP\/1\.1 201/);
    expect(out).toMatch(/X-Sample-Status: quarantined/i);
  });

  it('cq forward to a server that refuses prints the X-Error code', async () => {
    const file = path.join(tempDir(), 'too-big.bin');
    fs.writeFileSync(file, 'x');
    const result = await runCq(['forward', file, '--server', intake, '--reason', 'nonsense']);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    const unreachable = await runCq(['forward', file, '--server', '127.0.0.1:1']);
    expect(unreachable.code).not.toBe(0);
    expect(unreachable.stderr).toMatch(/cannot reach 127\.0\.0\.1:1/);
  });

  it('cq ctl over the socket lists samples; bad method and bad JSON fail clearly', async () => {
    const list = await runCq(['ctl', '--socket', socket, 'samples.list', '{"limit":5}']);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { total: number }).total).toBeGreaterThan(0);
    const unknown = await runCq(['ctl', '--socket', socket, 'samples.explode']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/unknown method "samples\.explode"/);
    const badJson = await runCq(['ctl', '--socket', socket, 'samples.list', '{limit']);
    expect(badJson.stderr).toMatch(/not JSON/);
    const badParams = await runCq(['ctl', '--socket', socket, 'samples.list', '{"limit":-1}']);
    expect(badParams.code).not.toBe(0);
    expect(badParams.stderr).toMatch(/^cq: invalid-request: /);
  });

  it('cq user add, then a remote cq ctl logs in; a wrong password is refused', async () => {
    const added = await runCq(['user', 'add', 'operator', '--data-dir', dataDir], {
      stdin: 'long enough password\n',
    });
    expect(added.code).toBe(0);
    const again = await runCq(['user', 'add', 'operator', '--data-dir', dataDir], {
      stdin: 'long enough password\n',
    });
    expect(again.code).not.toBe(0);
    const short = await runCq(['user', 'add', 'shorty', '--data-dir', dataDir], {
      stdin: 'short\n',
    });
    expect(short.stderr).toMatch(/at least 8/);

    const ok = await runCq([
      'ctl',
      '--connect',
      control,
      '--user',
      'operator',
      '--password',
      'long enough password',
      'server.info',
    ]);
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as { setupType: string }).setupType).toBe('internet');
    const bad = await runCq([
      'ctl',
      '--connect',
      control,
      '--user',
      'operator',
      '--password',
      'wrong',
      'server.info',
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/login-failed/);
  });

  it('a second server on the same data folder is refused', async () => {
    const second = await runCq([
      'server',
      '--data-dir',
      dataDir,
      '--port',
      '0',
      '--no-control',
      '--socket',
      path.join(dataDir, 'other.sock'),
    ]);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(/another server \(pid \d+\) is using/);
  });

  it('SIGTERM drains and exits 0; cq audit verify then passes, and fails once a row is edited', async () => {
    expect(await server.stop('SIGTERM')).toBe(0);
    const verify = await runCq(['audit', 'verify', '--data-dir', dataDir]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/audit chain ok: \d+ rows/);

    const db = new Database(path.join(dataDir, 'quarantine.db'));
    db.prepare("UPDATE audit SET reason = 'edited by an intruder' WHERE seq = 2").run();
    db.close();
    const broken = await runCq(['audit', 'verify', '--data-dir', dataDir]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/audit chain broken at row 2/);
  });
});
