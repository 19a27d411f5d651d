/**
 * The Quarantine Server as a library (SPEC §1, §4.2, §4.6, §5): opens the store, loads the
 * configuration, and runs the intake and control listeners. `cq server` and the console's
 * embedded server are thin wrappers around `startQuarantineServer`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiError } from '../../src-shared/api/client-api.js';
import type { SetupType } from '../../src-shared/config/schema.js';
import { createLogger } from '../log/logger.js';
import { createIpcTransport } from '../transport/ipc-transport.js';
import { createRpcServer } from '../transport/rpc-server.js';
import { createTcpTransport } from '../transport/tcp-transport.js';
import type { TransportServer } from '../transport/connection.js';
import { createServerAgent } from './agent/server-agent.js';
import { ConfigService } from './config-service.js';
import { createQuarantineLog, ForwardingEventBus, type ServerContext } from './context.js';
import { adminHandlers } from './control/admin-handlers.js';
import { agentHandlers } from './control/agent-handlers.js';
import { emailHandlers } from './control/email-handlers.js';
import { createLoginGuard } from './control/auth.js';
import { sampleHandlers } from './control/sample-handlers.js';
import { toSampleSummary } from './control/sample-views.js';
import { lockDataDir } from './data-dir-lock.js';
import { DecodePool } from '../codec/decode-pool.js';
import { IntakeActivity } from './intake/intake-activity.js';
import { createIntakeServer } from './intake/intake-server.js';
import { EventLoopCommitter, IntakeCommitThread } from './intake/commit-thread.js';
import { QuotaGauge } from './quota-gauge.js';
import { QuotaMonitor } from './quota-monitor.js';
import { AlertEngine } from './alerts/alert-engine.js';
import { connectAlerts, reportQuota } from './alerts/wire-alerts.js';
import { AlertsRepo } from './store/alerts-repo.js';
import { createConfiguredEngine, engineKey, type ClamdRuntime } from './scanner/engine-factory.js';
import { ScanService } from './scanner/scan-service.js';
import { openDefinitionsStore } from './definitions/definitions-store.js';
import { scanHandlers } from './control/scan-handlers.js';
import { defcastHandlers } from './control/defcast-handlers.js';
import { Defcast } from './defcast/defcast-service.js';
import { downloadUrlFor } from './defcast/download-routes.js';
import { loadOrCreateSigningKey } from './defcast/signing-key.js';
import { definitionsPackages } from './defcast/store-packages.js';
import { FALLBACK_AUTOCHECKPOINT_PAGES } from './store/checkpointer.js';
import { DATABASE_FILE, openDatabase, openStore, SettingsRepo, type Store } from './store/index.js';

const log = createLogger('server');
const MiB = 1024 * 1024;

/** How to run a server; unset fields come from its configuration. */
export interface ServerOptions {
  readonly dataDir: string;
  /** Intake address and port (override `general.listenAddress` / `general.port` for this run). */
  readonly host?: string;
  readonly port?: number;
  /** Remote control port (0 = any free port); `null` = no TCP control listener this run. */
  readonly controlPort?: number | null;
  /** Local control socket; default `<dataDir>/control.sock` (a named pipe on Windows). */
  readonly socket?: string;
  readonly configFile?: string;
  readonly setup?: SetupType;
  readonly gatewayUrl?: string;
  readonly version?: string;
  /**
   * Scan new samples and rescan on activation by itself (default on). Off, samples stay where
   * intake and administrators put them until `samples.rescan`: for tests of intake and control.
   */
  readonly autoScan?: boolean;
  /** How the clamd engine runs its daemon (program, restart pacing). */
  readonly clamd?: ClamdRuntime;
  /** Package installed on a fresh data folder; default the shipped starter set, null for none. */
  readonly starterPackage?: string | null;
  /** How often alert conditions are re-evaluated (default 5 s; tests use less). */
  readonly alertIntervalMs?: number;
}

/** A running server. */
export interface RunningServer {
  /** Listener name → printable address (`intake`, `control` socket, `control-tcp`). */
  readonly listeners: Readonly<Record<string, string>>;
  readonly intakePort: number;
  readonly controlPort: number | null;
  readonly socketPath: string;
  readonly context: ServerContext;
  /** Drain and stop everything; safe to call twice. */
  stop(): Promise<void>;
}

/** Default local control socket for a data folder. */
export function defaultSocketPath(dataDir: string): string {
  if (process.platform === 'win32') {
    const tag = Buffer.from(path.resolve(dataDir).toLowerCase()).toString('base64url').slice(-40);
    return `\\\\.\\pipe\\central-quarantine-${tag}`;
  }
  return path.join(path.resolve(dataDir), 'control.sock');
}

function quarantineFolderOf(dataDir: string): string {
  // The quarantine folder is a setting; read it before the store opens its blob folder.
  const file = path.join(dataDir, DATABASE_FILE);
  if (!fs.existsSync(file)) return path.join(dataDir, 'quarantine');
  const db = openDatabase(file);
  try {
    const stored = new SettingsRepo(db).get<{ general?: { quarantineFolder?: string } }>('config');
    const folder = stored?.general?.quarantineFolder;
    return folder ? path.resolve(dataDir, folder) : path.join(dataDir, 'quarantine');
  } finally {
    db.close();
  }
}

/** Start a Quarantine Server on `options.dataDir`. */
export async function startQuarantineServer(options: ServerOptions): Promise<RunningServer> {
  const dataDir = path.resolve(options.dataDir);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const unlock = lockDataDir(dataDir);
  let store: Store | undefined;
  const closers: (() => Promise<void> | void)[] = [];
  try {
    store = openStore({
      dataDir,
      quarantineDir: quarantineFolderOf(dataDir),
      backgroundCheckpoints: true,
    });
    const openedStore = store;
    const config = ConfigService.open(store.settings, store.audit, {
      ...(options.configFile ? { file: options.configFile } : {}),
      ...(options.setup ? { setup: options.setup } : {}),
      ...(options.gatewayUrl ? { gatewayUrl: options.gatewayUrl } : {}),
    });
    const quota = new QuotaGauge(
      store.blobsRepo.totalStoredBytes(),
      () => config.get().general.maxSizeMB * MiB,
    );
    const qlog = createQuarantineLog(store);
    const recovery = store.recovery;
    if (recovery.tempsRemoved + recovery.orphanBlobsRemoved + recovery.lostSamples > 0) {
      qlog.warn(
        'store',
        `start-up recovery: ${recovery.tempsRemoved} temp file(s) and ${recovery.orphanBlobsRemoved} unreferenced blob(s) removed, ${recovery.lostSamples} sample(s) with missing content`,
      );
    }

    const events = new ForwardingEventBus();
    const listeners: Record<string, string> = {};
    const alerts = new AlertEngine({
      repo: new AlertsRepo(store.db),
      config,
      qlog,
      events,
      ...(options.alertIntervalMs !== undefined ? { intervalMs: options.alertIntervalMs } : {}),
    });
    const monitor = new QuotaMonitor(store.blobs.quarantineDir, quota, config, qlog, (state) => {
      reportQuota(alerts, state);
      events.emit('server.status', { state: 'running', quota: state });
    });
    const definitions = await openDefinitionsStore({
      dataDir,
      db: store.db,
      ...(options.starterPackage !== undefined ? { starterPackage: options.starterPackage } : {}),
    });
    // Scanning new samples gives way to intake while endpoints are forwarding.
    const intakeActivity = new IntakeActivity();
    const scanner = new ScanService({
      store,
      config,
      qlog,
      events,
      definitions,
      engine: createConfiguredEngine(config.get(), dataDir, options.clamd),
      autoScan: options.autoScan ?? true,
      intakeActivity,
    });
    let engineSetting = engineKey(config.get());
    config.onChange((current) => {
      // Another engine (or clamd limits) selected: switch without a restart.
      const key = engineKey(current);
      if (key === engineSetting) return;
      engineSetting = key;
      void scanner
        .switchEngine(createConfiguredEngine(current, dataDir, options.clamd))
        .catch((error: unknown) =>
          qlog.error('scanner', `switching the scanning engine failed: ${String(error)}`),
        );
    });
    // Defcast: targets registry and definitions delivery to endpoints (SPEC §4.5).
    const defcast = new Defcast({
      store,
      config,
      qlog,
      events,
      packages: definitionsPackages(definitions),
      key: loadOrCreateSigningKey(dataDir),
      downloadUrl: (sequence) =>
        downloadUrlFor(
          listeners.intake ?? '',
          config.get().general.tls.enabled,
          sequence,
          os.hostname(),
        ),
    });
    // The Quarantine Agent: submissions, status queries and definitions downloads (SPEC §4.3).
    const agent = createServerAgent({ store, config, qlog, events, definitions, scanner });
    const decodePool = new DecodePool();
    closers.push(() => decodePool.close());
    const context: ServerContext = {
      store,
      config,
      quota,
      qlog,
      events,
      definitions,
      scanner,
      defcast,
      agent,
      alerts,
      decodePool,
      startedAt: Date.now(),
      version: options.version ?? '0.0.0',
      listeners,
      freeBytes: () => monitor.freeBytes,
    };

    // Control API: the local socket always, TCP for remote consoles when enabled.
    const general = config.get().general;
    const socketPath = options.socket ?? defaultSocketPath(dataDir);
    const transports: TransportServer[] = [createIpcTransport({ path: socketPath })];
    const controlPort =
      options.controlPort === undefined
        ? general.controlEnabled
          ? general.controlPort
          : null
        : options.controlPort;
    const tcp =
      controlPort === null
        ? undefined
        : createTcpTransport({
            host: options.host ?? general.listenAddress,
            port: controlPort,
            ...(general.controlTls.enabled
              ? {
                  tls: {
                    cert: fs.readFileSync(general.controlTls.certFile),
                    key: fs.readFileSync(general.controlTls.keyFile),
                  },
                }
              : {}),
          });
    if (tcp) transports.push(tcp);
    const guard = createLoginGuard({
      lookup: (name, domain) => openedStore.users.get(name, domain)?.passwordHash,
    });
    const rpc = createRpcServer({
      transports,
      handlers: {
        ...sampleHandlers(context),
        ...adminHandlers(context),
        ...scanHandlers(context, scanner, definitions),
        ...defcastHandlers(context, defcast),
        ...agentHandlers(context, agent, sampleHandlers(context)),
        ...emailHandlers(context),
      },
      login: async (params, ctx) => {
        try {
          const user = await guard.login(params, ctx.connection.remoteAddress);
          qlog.info(
            'control',
            `console user ${user.domain ? user.domain + '\\' : ''}${user.user} logged in from ${ctx.connection.remote}`,
          );
          return user;
        } catch (error) {
          if (error instanceof ApiError)
            qlog.warn(
              'control',
              `failed console login for "${params.user}" from ${ctx.connection.remote}: ${error.code}`,
            );
          throw error;
        }
      },
      requireLogin: (connection) => connection.kind === 'tcp',
    });
    events.attach((event, payload) => rpc.broadcast(event, payload));

    // Intake commits on a thread of its own; stopped after the intake listener (closers run
    // in reverse), once the forwards in flight have been answered.
    const intakeCommits = new IntakeCommitThread({
      file: store.db.name,
      dirs: store.blobs,
      fallback: new EventLoopCommitter(store),
      autocheckpointPages: FALLBACK_AUTOCHECKPOINT_PAGES,
      // Said in the Quarantine Log too, where administrators look.
      onFallback: (message) => qlog.error('intake', message),
    });
    // The event loop's own batches (scan results, the agent) pause the thread while they commit.
    openedStore.committer.useGate(intakeCommits);
    closers.push(async () => {
      openedStore.committer.useGate(undefined);
      await intakeCommits.close();
    });
    const intake = createIntakeServer({
      host: options.host ?? general.listenAddress,
      port: options.port ?? general.port,
      ...(general.tls.enabled
        ? {
            tls: {
              cert: fs.readFileSync(general.tls.certFile),
              key: fs.readFileSync(general.tls.keyFile),
            },
          }
        : {}),
      store,
      quota,
      decodePool,
      activity: intakeActivity,
      limits: () => {
        const g = config.get().general;
        return {
          maxSampleSize: Math.min(g.maxSampleSizeMB, g.maxSizeMB) * MiB,
          maxSamplesPerPlatform: g.maxSamplesPerPlatform,
        };
      },
      routes: defcast.routes(),
      commits: intakeCommits,
      onCommitted: ({ result, row, logged, target, acceptanceError }) => {
        if (logged !== undefined) qlog.stored('intake', logged, row.id);
        if (target) defcast.sighted(target);
        if (acceptanceError !== undefined) {
          log.error('recording an accepted sample failed', { id: row.id, error: acceptanceError });
        }
        const sample = toSampleSummary(row);
        if (result.duplicate) {
          events.emit('sample.changed', { sample });
          return;
        }
        events.emit('sample.added', { sample });
        // Scanned off the intake path: the 201 never waits for it.
        scanner.enqueueNew(row.id);
      },
      health: () => ({
        samples: openedStore.samples.countsByStatus(),
        // A monitor can see intake fall back to committing on the event loop.
        intakeCommits: intakeCommits.threadStats,
        quota: {
          usedBytes: quota.usedBytes,
          maxBytes: config.get().general.maxSizeMB * MiB,
          ...monitor.signals,
        },
      }),
    });

    const disconnectAlerts = connectAlerts(alerts, { scanner, agent, defcast });
    alerts.start();
    closers.push(async () => {
      disconnectAlerts();
      await alerts.stop();
    });
    await monitor.start();
    closers.push(() => monitor.stop());
    closers.push(() => scanner.stop());
    await scanner.start();
    const intakeAddress = await intake.listen();
    closers.push(() => intake.close());
    listeners.intake = `${formatHost(intakeAddress.address)}:${intakeAddress.port}`;
    defcast.start();
    closers.push(() => defcast.stop());
    agent.start();
    closers.push(() => agent.stop({ shutdown: true }));
    const controlAddresses = await rpc.listen();
    closers.push(() => rpc.close());
    listeners.control = controlAddresses[0] ?? socketPath;
    if (tcp) listeners['control-tcp'] = controlAddresses[1] ?? '';
    qlog.info(
      'server',
      `server started (intake ${listeners.intake}, control ${Object.values(listeners).slice(1).join(', ')})`,
    );

    let stopping: Promise<void> | undefined;
    return {
      listeners,
      intakePort: intakeAddress.port,
      controlPort: tcp?.address()?.port ?? null,
      socketPath,
      context,
      stop: () =>
        (stopping ??= (async () => {
          events.emit('server.status', { state: 'stopping' });
          for (const close of closers.reverse()) {
            await Promise.resolve(close()).catch((error: unknown) =>
              log.error('error while stopping', { error: String(error) }),
            );
          }
          qlog.info('server', 'server stopped');
          await openedStore.committer.close();
          openedStore.close();
          // The data folder is released only once no connection to its database is left.
          await openedStore.checkpointer?.close();
          unlock();
        })()),
    };
  } catch (error) {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
    if (store) {
      await store.committer.close().catch(() => undefined);
      store.close();
      await store.checkpointer?.close();
    }
    unlock();
    throw error;
  }
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
