/**
 * The reference gateway and automated back office (SPEC §4.3, §7) as a library:
 * `createGateway(options)` → `{ listen, close, address }`. `listen` opens the data folder
 * (SQLite + scrambled sample blobs + sets), installs the starting set on first use, loads the
 * research rules, starts the pipeline runner and then the HTTP(S) listener; `close` drains the
 * listener, lets the stage in progress finish and closes everything.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { decodeBlob } from '../codec/content.js';
import { createLogger } from '../log/logger.js';
import { lockDataDir } from '../server/data-dir-lock.js';
import { createBuiltinEngine } from '../server/scanner/builtin/builtin-engine.js';
import type { ScanEngine } from '../server/scanner/engine.js';
import { ensureCleanCorpus, readCorpus, type CorpusFile } from './analysis/clean-corpus.js';
import { ResearchRules } from './analysis/research-rules.js';
import { createCustomerAuthenticator } from './customers.js';
import { createGatewayHandler } from './http/gateway-http.js';
import { createListener, type Listener, type TlsMaterial } from '../http/listener.js';
import type { GatewayLimits, RouteContext } from './http/route-context.js';
import type { AnalysisRow, Customer } from './model.js';
import { NewestSetScanner } from './pipeline/newest-set-scanner.js';
import { PipelineRunner } from './pipeline/runner.js';
import { ensureBaseSet } from './sets/base-set.js';
import { SetFiles } from './sets/set-files.js';
import { openGatewayStore, recoverGatewayStore, type GatewayStore } from './store/gateway-store.js';
import { TIMING_PRESETS, type Timings } from './timings.js';

const log = createLogger('gateway');

/** The gateway's default port (SPEC §4.3). */
export const DEFAULT_GATEWAY_PORT = 8848;

/** Default limits; see GatewayLimits. */
export const DEFAULT_GATEWAY_LIMITS: GatewayLimits = {
  maxSampleSize: 100 * 1024 * 1024,
  maxConcurrentUploads: 16,
  maxBacklog: 10_000,
  retryAfterSeconds: 5,
};

/** How to run a gateway. */
export interface GatewayOptions {
  readonly dataDir: string;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 8848; 0 = any free port. */
  readonly port?: number;
  /** Accepted customers; absent = only the default customer, from loopback. */
  readonly customers?: readonly Customer[];
  /** Folder of research rules (see analysis/research-rules.ts); absent = none. */
  readonly researchRulesDir?: string;
  /** Default: the `normal` preset. */
  readonly timings?: Timings;
  readonly tls?: TlsMaterial;
  /** Certify published sets after this many seconds; absent = only by `cq gateway bless`. */
  readonly blessAfterSeconds?: number;
  /** Clean corpus for unit tests; default `<dataDir>/clean-corpus`, generated when empty. */
  readonly cleanCorpusDir?: string;
  /** Starting set package; default the server's starter; null = the gateway's builtin one. */
  readonly starterPackage?: string | null;
  /** Scan engine factory; default the builtin engine. */
  readonly createEngine?: () => ScanEngine;
  readonly limits?: Partial<GatewayLimits>;
  /** Packages larger than this are `unpublished`; default 64 MiB. */
  readonly publishLimitBytes?: number;
}

/** A gateway. */
export interface Gateway {
  listen(): Promise<AddressInfo>;
  /** Drain requests (up to `graceMs`), finish the running stage, close the store. */
  close(graceMs?: number): Promise<void>;
  address(): AddressInfo | null;
}

interface Running {
  readonly store: GatewayStore;
  readonly runner: PipelineRunner;
  readonly listener: Listener;
  readonly research: ResearchRules;
  readonly newest: NewestSetScanner;
  readonly unlock: () => void;
}

function sampleReader(store: GatewayStore): (a: AnalysisRow) => Buffer {
  return (a) => {
    let stored: Buffer;
    try {
      stored = fs.readFileSync(store.blobs.pathFor(a.sha256));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new Error('lost: the stored sample is missing');
      throw error;
    }
    return decodeBlob(stored, a.size);
  };
}

/** Create a gateway (nothing is opened until `listen`). */
export function createGateway(options: GatewayOptions): Gateway {
  let running: Running | undefined;
  let closing: Promise<void> | undefined;

  async function start(): Promise<AddressInfo> {
    const dataDir = path.resolve(options.dataDir);
    fs.mkdirSync(dataDir, { recursive: true });
    const createEngine = options.createEngine ?? (() => createBuiltinEngine());
    const unlock = lockDataDir(dataDir);
    const cleanups: (() => Promise<void> | void)[] = [unlock];
    try {
      const store = openGatewayStore(dataDir);
      cleanups.unshift(() => store.close());
      recoverGatewayStore(store);
      const files = new SetFiles(dataDir);
      files.removeStaging();
      await ensureBaseSet(store, files, options.starterPackage);
      const corpusDir = options.cleanCorpusDir ?? path.join(dataDir, 'clean-corpus');
      if (options.cleanCorpusDir === undefined) ensureCleanCorpus(corpusDir);
      // Read once; a changed folder is picked up on the next start.
      const corpus: readonly CorpusFile[] = readCorpus(corpusDir);
      const research = await ResearchRules.load(
        options.researchRulesDir,
        path.join(dataDir, 'research'),
        createEngine,
      );
      cleanups.unshift(() => research.close());
      const newest = new NewestSetScanner(store, files, createEngine);
      cleanups.unshift(() => newest.close());
      const timings = options.timings ?? TIMING_PRESETS.normal;
      const runner = new PipelineRunner(
        {
          store,
          timings,
          research,
          newest,
          readSample: sampleReader(store),
          workshop: {
            store,
            files,
            createEngine: createEngine,
            cleanCorpus: () => corpus,
            publishLimitBytes: options.publishLimitBytes ?? 64 * 1024 * 1024,
          },
        },
        {
          blessAfterMs:
            options.blessAfterSeconds === undefined ? null : options.blessAfterSeconds * 1000,
        },
      );
      const ctx: RouteContext = {
        store,
        auth: createCustomerAuthenticator(options.customers ?? null),
        limits: { ...DEFAULT_GATEWAY_LIMITS, ...options.limits },
        timings,
        packagePath: (md5) => files.packagePath(md5),
        uploads: 0,
        wake: () => runner.wake(),
      };
      const listener = createListener(createGatewayHandler(ctx), options.tls);
      const address = await listener.listen(
        options.port ?? DEFAULT_GATEWAY_PORT,
        options.host ?? '127.0.0.1',
      );
      runner.start();
      running = { store, runner, listener, research, newest, unlock };
      log.info('gateway listening', {
        address: `${address.address}:${address.port}`,
        rules: research.size,
      });
      return address;
    } catch (error) {
      for (const cleanup of cleanups) await cleanup();
      throw error;
    }
  }

  async function stop(graceMs?: number): Promise<void> {
    const r = running;
    if (r === undefined) return;
    await r.listener.close(graceMs);
    await r.runner.stop();
    await r.research.close();
    await r.newest.close();
    r.store.close();
    r.unlock();
    running = undefined;
  }

  return {
    listen: async () => {
      if (running !== undefined) throw new Error('the gateway is already listening');
      return start();
    },
    close: (graceMs) => (closing ??= stop(graceMs).finally(() => (closing = undefined))),
    address: () => running?.listener.address() ?? null,
  };
}
