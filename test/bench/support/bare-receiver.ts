/**
 * A bare receiver for the intake benchmark: the least work a server can do for a forwarded
 * deflate + xor-vampish sample and still keep it. For each `POST` it reads the body whole, and
 * on one of its threads (as many as the server's decode threads) writes it to a file in 256 KiB pieces, checks the body MD5,
 * unscrambles, inflates, checks the sample MD5, takes the SHA-256, fsyncs the file and renames
 * it; then it answers `201`. No database, no directory fsync, no duplicates, no scanning, no
 * events. What it reaches on this machine bounds what the real intake can reach.
 *
 * Run as a child process (`spawnBareReceiver`) so that it does not share the bench's event loop.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** A running bare receiver. */
export interface BareReceiver {
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  /** Stop it and remove its files. */
  stop(): Promise<void>;
}

const LISTENING = /^bare receiver listening on 127\.0\.0\.1:(\d+)$/m;

/** Give up waiting for the listening line after this long. */
const START_TIMEOUT_MS = 30_000;

/** Start the bare receiver (with `threads` threads) in a child process; resolves once it listens. */
export function spawnBareReceiver(threads: number): Promise<BareReceiver> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--serve', String(threads)], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return new Promise<BareReceiver>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bare receiver did not listen within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (text: string) => {
      out += text;
      const match = LISTENING.exec(out);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      resolve({
        pid: child.pid!,
        host: '127.0.0.1',
        port: Number(match[1]),
        stop: () => {
          // Already gone (it exits when a thread fails): nothing to wait for.
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bare receiver exited with code ${code}`));
    });
  });
}

/** One thread's work, as CommonJS run with `eval`; the xor module comes in by import. */
const WORKER_SOURCE = `
const fs = require('node:fs');
const { createHash } = require('node:crypto');
const { inflateRawSync } = require('node:zlib');
const { parentPort, workerData } = require('node:worker_threads');
const transforms = import(workerData.transforms);
const PIECE = 256 * 1024;
const md5 = (b) => createHash('md5').update(b).digest('hex').toUpperCase();
function check(m, xorVampishInPlace) {
  if (md5(m.body) !== m.contentChecksum) return false;
  xorVampishInPlace(m.body, 0);
  const sample = inflateRawSync(m.body, { chunkSize: m.sampleSize + 1, maxOutputLength: m.sampleSize + 1 });
  createHash('sha256').update(sample).digest('hex');
  return sample.length === m.sampleSize && md5(sample) === m.sampleChecksum;
}
// Any failure (a refused body, a full disk) is an answer, never a dead thread.
parentPort.on('message', async (m) => {
  const { xorVampishInPlace } = await transforms;
  let fd = -1;
  try {
    fd = fs.openSync(m.temp, 'wx', 0o600);
    for (let o = 0; o < m.body.length; o += PIECE) {
      fs.writeSync(fd, m.body, o, Math.min(PIECE, m.body.length - o));
    }
    let ok = false;
    try { ok = check(m, xorVampishInPlace); } catch {}
    await new Promise((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
    fs.closeSync(fd);
    fd = -1;
    if (ok) fs.renameSync(m.temp, m.temp + '.kept');
    else fs.rmSync(m.temp);
    parentPort.postMessage({ id: m.id, ok });
  } catch {
    if (fd >= 0) fs.closeSync(fd);
    fs.rmSync(m.temp, { force: true });
    parentPort.postMessage({ id: m.id, ok: false });
  }
});
`;

function serve(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cq-bench-bare-'));
  const transforms = pathToFileURL(
    path.join(
      path.dirname(fileURLToPath(import.meta.url)),
      '../../../src-shared/codec/transforms.js',
    ),
  ).href;
  const threads = Math.max(1, Number(process.argv[3]) || 1);
  const workers = Array.from(
    { length: threads },
    () => new Worker(WORKER_SOURCE, { eval: true, workerData: { transforms } }),
  );
  const waiting = new Map<number, (ok: boolean) => void>();
  for (const worker of workers) {
    // A thread that dies takes the receiver with it: forwards then fail at once instead of
    // waiting for answers that never come.
    worker.on('error', (error) => {
      console.error(`bare receiver thread failed: ${String(error)}`);
      process.exit(1);
    });
    worker.on('message', (reply: { id: number; ok: boolean }) => {
      waiting.get(reply.id)?.(reply.ok);
      waiting.delete(reply.id);
    });
  }
  let next = 0;
  const server = http.createServer((req, res) => {
    void (async () => {
      const length = Number(req.headers['content-length']);
      // The bench always sends a length; anything else is answered, never a crash.
      if (!Number.isSafeInteger(length) || length < 0 || length > 64 * 1024 * 1024) {
        res.writeHead(411, { 'Content-Length': '0', Connection: 'close' }).end();
        req.resume();
        return;
      }
      const body = Buffer.allocUnsafeSlow(length);
      let offset = 0;
      for await (const chunk of req) offset += (chunk as Buffer).copy(body, offset);
      const id = next++;
      const ok = await new Promise<boolean>((resolve) => {
        waiting.set(id, resolve);
        workers[id % workers.length]!.postMessage(
          {
            id,
            body: new Uint8Array(body.buffer),
            temp: path.join(dir, String(id)),
            contentChecksum: req.headers['x-content-checksum'],
            sampleChecksum: req.headers['x-sample-checksum'],
            sampleSize: Number(req.headers['x-sample-size']),
          },
          [body.buffer],
        );
      });
      res.writeHead(ok ? 201 : 422, { 'Content-Length': '0' }).end();
    })().catch((error: unknown) => {
      // A body cut short (or longer than declared) fails this forward only.
      console.error(`bare receiver: ${String(error)}`);
      res.destroy();
    });
  });
  process.once('SIGTERM', () => {
    server.close();
    for (const worker of workers) void worker.terminate();
    fs.rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    console.log(`bare receiver listening on 127.0.0.1:${port}`);
  });
}

if (process.argv[2] === '--serve' && process.argv[1] === fileURLToPath(import.meta.url)) serve();
