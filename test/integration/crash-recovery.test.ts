/**
 * Nothing acknowledged is lost across kill -9 (SPEC §5, §12). A real `cq server` child takes
 * concurrent forwards and is killed with SIGKILL at random moments, round after round on the
 * same data folder. After every kill, before anything recovers, every acknowledged sample must
 * already be on disk; after every restart the folder must also be clean (no temp files, no
 * orphan blobs); at the end a clean stop leaves nothing to recover and the audit chain holds.
 *
 * The run plan comes from one seed, printed in the test name; set CQ_CRASH_SEED to replay it
 * (which forward is in flight at the kill still depends on timing).
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { createHash, randomInt } from 'node:crypto';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createBlobDecoder } from '../../src-main/codec/content.js';
import { openStore } from '../../src-main/server/store/index.js';
import {
  repoRoot,
  spawnServer,
  type ChildExit,
  type ChildServer,
} from '../bench/support/child-server.js';
import { inspectDataDir } from '../helpers/crash-inspect.js';
import { rawRequest } from '../helpers/http.js';
import { AckLedger, createRandom, runForwarders, type Random } from '../helpers/crash-workload.js';
import { tempDir } from '../helpers/temp.js';

const SEED = process.env.CQ_CRASH_SEED ? Number(process.env.CQ_CRASH_SEED) : randomInt(1, 2 ** 31);
const ROUNDS = 24;
const FORWARDERS = 6;
/** Every so many rounds the server is first killed during start-up (recovery included). */
const STARTUP_KILL_EVERY = 5;
/** Enough room that no forward is refused for quota; no per-platform cap. */
const CONFIG = { general: { maxSizeMB: 100_000, maxSamplesPerPlatform: 0 } };

/** Servers still running: a failed assertion must not leave one behind. */
const running = new Set<ChildProcess>();
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
}

function startServer(dataDir: string): Promise<ChildServer> {
  return spawnServer({ dataDir, config: CONFIG, onSpawn: track });
}

/** Start a server and SIGKILL it `delayMs` after spawning, listening or not. */
async function killDuringStartup(dataDir: string, delayMs: number): Promise<ChildExit> {
  let exited: Promise<ChildExit> | undefined;
  const started = spawnServer({
    dataDir,
    config: CONFIG,
    onSpawn: (child: ChildProcess) => {
      track(child);
      exited = new Promise((resolve) => {
        child.once('exit', (code, signal) => resolve({ code, signal }));
      });
      setTimeout(() => child.kill('SIGKILL'), delayMs);
    },
  });
  // It either got to listen before the kill or died on the way; both are fine here.
  await started.catch(() => undefined);
  return exited!;
}

/** One round: restart, check the recovered folder, forward, kill, check the crashed folder. */
async function crashRound(
  dataDir: string,
  random: Random,
  ledger: AckLedger,
  verified: Map<string, string>,
  context: string,
): Promise<void> {
  const server = await startServer(dataDir);
  expect(
    inspectDataDir({
      dataDir,
      acknowledged: ledger.acknowledged,
      crashed: false,
      verifiedBlobs: verified,
    }),
    `${context}: after restart`,
  ).toEqual([]);

  let stopped = false;
  const forwarding = runForwarders(
    { host: server.host, port: server.port, stopped: () => stopped },
    FORWARDERS,
    random,
    ledger,
  );
  await sleep(random.int(20, 900));
  stopped = true;
  const exit = await server.kill('SIGKILL');
  await forwarding;
  expect(exit.signal, `${context}: ${server.stderr()}`).toBe('SIGKILL');
  expect(ledger.problems, context).toEqual([]);

  // Before any recovery: whatever was acknowledged is already durable and whole.
  expect(
    inspectDataDir({
      dataDir,
      acknowledged: ledger.acknowledged,
      crashed: true,
      verifiedBlobs: verified,
    }),
    `${context}: straight after SIGKILL`,
  ).toEqual([]);
}

describe('crash recovery (SPEC §5, §12)', () => {
  it(`keeps every acknowledged sample across ${ROUNDS} SIGKILLs of a forwarded-to server (seed ${SEED})`, async () => {
    const dataDir = path.join(tempDir('cq-crash-'), 'data');
    const random = createRandom(SEED);
    const ledger = new AckLedger();
    const verified = new Map<string, string>();
    let startupKills = 0;

    for (let round = 1; round <= ROUNDS; round++) {
      const context = `seed ${SEED}, round ${round}`;
      if (round % STARTUP_KILL_EVERY === 0) {
        // Killed while starting, perhaps in the middle of recovering from the last kill.
        const exit = await killDuringStartup(dataDir, random.int(0, 500));
        expect(exit.signal, context).toBe('SIGKILL');
        startupKills++;
        expect(
          inspectDataDir({
            dataDir,
            acknowledged: ledger.acknowledged,
            crashed: true,
            verifiedBlobs: verified,
          }),
          `${context}: killed during start-up`,
        ).toEqual([]);
      }
      await crashRound(dataDir, random, ledger, verified, context);
    }

    // A last start recovers from the last kill; a clean stop must then leave nothing behind.
    const server = await startServer(dataDir);
    // An answered request also proves the CLI is past installing its SIGTERM handler, which
    // it does in the same tick as printing the listening line.
    const health = await rawRequest({ port: server.port, method: 'GET', path: '/health' });
    expect(health.status).toBe(200);
    const exit = await server.stop();
    expect(exit, server.stderr()).toEqual({ code: 0, signal: null, timedOut: false });
    expect(
      inspectDataDir({ dataDir, acknowledged: ledger.acknowledged, crashed: false }),
      `seed ${SEED}: after the final clean stop (every blob decoded again)`,
    ).toEqual([]);

    const store = openStore({ dataDir });
    try {
      expect(store.recovery).toEqual({
        tempsRemoved: 0,
        orphanBlobsRemoved: 0,
        unreferencedRemoved: 0,
        refsRepaired: 0,
        lostSamples: 0,
      });
      // Every acknowledged sample read back the way the server reads content: streamed from
      // its blob file through the blob decoder.
      for (const [id, md5] of ledger.acknowledged) {
        const row = store.samples.get(id);
        expect(row?.checksum, `seed ${SEED}: sample ${id}`).toBe(md5);
        const blob = store.blobsRepo.get(row!.blobSha256);
        expect(blob, `seed ${SEED}: blob row of sample ${id}`).toBeDefined();
        const hash = createHash('md5');
        await pipeline(store.blobs.openStored(blob!.sha256), createBlobDecoder(blob!.size), hash);
        expect(hash.digest('hex').toUpperCase(), `seed ${SEED}: content of sample ${id}`).toBe(md5);
      }
      expect(store.blobs.listBlobFiles()).toEqual(store.blobsRepo.all().map((b) => b.sha256));
      expect(store.blobs.listTempFiles()).toEqual([]);
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(store.audit.verify()).toMatchObject({ ok: true });
    } finally {
      await store.committer.close();
      store.close();
    }

    const audit = await promisify(execFile)(process.execPath, [
      path.join(repoRoot(), 'bin', 'cq.js'),
      'audit',
      'verify',
      '--data-dir',
      dataDir,
    ]);
    expect(audit.stdout).toMatch(/^audit chain ok: \d+ rows/);

    expect(ledger.problems, `seed ${SEED}`).toEqual([]);
    // The workload really ran: samples were created, recognised as duplicates, and cut off.
    expect(ledger.created).toBeGreaterThan(ROUNDS * 5);
    expect(ledger.duplicates).toBeGreaterThan(0);
    expect(ledger.unanswered).toBeGreaterThan(0);
    expect(startupKills).toBe(Math.floor(ROUNDS / STARTUP_KILL_EVERY));
    process.stdout.write(
      `crash-recovery seed ${SEED}: ${ROUNDS} rounds (${startupKills} killed in start-up), ${ledger.acknowledged.size} samples acknowledged (${ledger.created} created, ${ledger.duplicates} duplicates), ${ledger.unanswered} forwards cut off by kills\n`,
    );
  }, 240_000);
});
