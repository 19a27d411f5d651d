/**
 * The endpoint agent (`cq client`, SPEC §1, §4.5) as a library: local quarantine, forwarding to
 * the server, and — for a managed endpoint — the Defcast receiver that installs pushed
 * definitions and treats the local quarantine with them. Nonmanaged endpoints forward only.
 */
import type { AddressInfo } from 'node:net';
import { createLogger } from '../log/logger.js';
import { DEFCAST_PORT_ATTRIBUTE, DEFAULT_DEFCAST_PORT } from '../server/defcast/defcast-wire.js';
import type { PackageLimits } from '../server/definitions/package-reader.js';
import { createBuiltinEngine } from '../server/scanner/builtin/builtin-engine.js';
import type { ScanEngine } from '../server/scanner/engine.js';
import { createDefcastReceiver, type DefcastReceiver } from './defcast-receiver.js';
import { EndpointDefinitions } from './endpoint-definitions.js';
import type { IntakeTarget } from './forward.js';
import { Forwarder, retryDelay } from './forwarder.js';
import { endpointGuid } from './identity.js';
import { LocalQuarantine } from './local-quarantine.js';
import { collectPlatformAttributes, platformAddresses } from './platform.js';
import { rescanQuarantine, type ClientAction } from './rescan.js';
import { fetchServerKey, pinServerKey, readPinnedKey } from './server-key.js';

const log = createLogger('client');

/** How to run an endpoint agent. */
export interface EndpointClientOptions {
  readonly dataDir: string;
  readonly server: IntakeTarget;
  /** False for a nonmanaged endpoint: no GUID, no Defcast receiver. */
  readonly managed: boolean;
  /** GUID of a managed endpoint; default the one stored in the data folder (made on first run). */
  readonly guid?: string;
  /** Defcast listen address; default 0.0.0.0 (the server must reach it). */
  readonly defcastHost?: string;
  /** Defcast port; default 8849, 0 = any free port. */
  readonly defcastPort?: number;
  /** X-Platform-Host to report instead of the OS host name. */
  readonly platformHost?: string;
  /** What new definitions do to detected items; default `repair`. */
  readonly action?: ClientAction;
  readonly pollSeconds?: number;
  /** First retry delay and its cap while the server is unreachable. */
  readonly retryBaseSeconds?: number;
  readonly retryMaxSeconds?: number;
  readonly timeoutSeconds?: number;
  readonly limits?: Partial<PackageLimits>;
  /** Engine that rescans the local quarantine; default a builtin engine. */
  readonly engine?: ScanEngine;
}

/** A running endpoint agent. */
export interface EndpointClient {
  readonly quarantine: LocalQuarantine;
  readonly definitions: EndpointDefinitions;
  /** Null for a nonmanaged endpoint. */
  readonly guid: string | null;
  /** Where the Defcast receiver listens (null for a nonmanaged endpoint). */
  readonly defcast: AddressInfo | null;
  /** Look at the queue now instead of at the next poll. */
  kick(): void;
  /** Resolves when no install or rescan is running (tests). */
  idle(): Promise<void>;
  /** Stop forwarding and listening; safe to call twice. */
  stop(): Promise<void>;
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

/** Start an endpoint agent on `options.dataDir`. */
export async function startEndpointClient(options: EndpointClientOptions): Promise<EndpointClient> {
  const quarantine = LocalQuarantine.open(options.dataDir);
  const closers: (() => Promise<void> | void)[] = [() => quarantine.close()];
  try {
    const removed = await quarantine.recover();
    if (removed > 0) log.warn('removed unfinished captures left by a crash', { files: removed });
    const definitions = new EndpointDefinitions(options.dataDir);
    const engine = options.engine ?? createBuiltinEngine();
    closers.push(() => engine.close());
    const current = definitions.current();
    if (current) await engine.load(current);

    const retryBaseMs = (options.retryBaseSeconds ?? 1) * 1000;
    const retryMaxMs = (options.retryMaxSeconds ?? 300) * 1000;
    const timeoutMs = (options.timeoutSeconds ?? 60) * 1000;
    const guid = options.managed ? endpointGuid(options.dataDir, options.guid) : null;
    let receiver: DefcastReceiver | undefined;
    let defcast: AddressInfo | null = null;
    let serverKey = readPinnedKey(options.dataDir);
    let keyTimer: NodeJS.Timeout | undefined;
    let stopped = false;

    if (guid) {
      const action = options.action ?? 'repair';
      receiver = createDefcastReceiver({
        host: options.defcastHost ?? '0.0.0.0',
        port: options.defcastPort ?? DEFAULT_DEFCAST_PORT,
        definitions,
        guid,
        serverKey: () => serverKey,
        ...(options.limits ? { limits: options.limits } : {}),
        afterInstall: async (set) => {
          await engine.load(set);
          return rescanQuarantine({ quarantine, engine, set, action });
        },
      });
      defcast = await receiver.listen();
      const opened = receiver;
      closers.push(() => opened.close());
      // Pushes are accepted only with the server's key; fetch it until it is pinned.
      let attempts = 0;
      const fetchKey = (): void => {
        if (serverKey || stopped) return;
        fetchServerKey(options.server, timeoutMs)
          .then((pem) => {
            const pinned = pinServerKey(options.dataDir, pem);
            serverKey = pinned.pem;
            log.info(pinned.pinnedNow ? 'server key pinned' : 'server key already pinned', {
              fingerprint: pinned.fingerprint,
            });
          })
          .catch((error: unknown) => {
            if (stopped) return;
            log.warn('cannot fetch the server key yet', { error: String(error) });
            keyTimer = setTimeout(fetchKey, retryDelay(attempts++, retryBaseMs, retryMaxMs));
            keyTimer.unref();
          });
      };
      fetchKey();
      closers.push(() => clearTimeout(keyTimer));
    }

    const listenHost = options.defcastHost ?? '0.0.0.0';
    const addresses = platformAddresses().split(' ');
    const announced = isWildcard(listenHost)
      ? addresses
      : [listenHost, ...addresses.filter((a) => a !== listenHost)];
    const platform = collectPlatformAttributes({
      ...(options.platformHost ? { host: options.platformHost } : {}),
      ...(guid ? { guid } : {}),
      scanner: 'Central Quarantine endpoint',
    });
    platform['X-Platform-Address'] = announced.join(' ');
    if (defcast) platform[DEFCAST_PORT_ATTRIBUTE] = String(defcast.port);

    const forwarder = new Forwarder({
      quarantine,
      target: options.server,
      platform: () => platform,
      pollMs: (options.pollSeconds ?? 2) * 1000,
      retryBaseMs,
      retryMaxMs,
      timeoutMs,
    });
    forwarder.start();
    closers.push(() => forwarder.stop());

    let stopping: Promise<void> | undefined;
    return {
      quarantine,
      definitions,
      guid,
      defcast,
      kick: () => forwarder.kick(),
      idle: async () => {
        await receiver?.idle();
      },
      stop: () =>
        (stopping ??= (async () => {
          stopped = true;
          for (const close of closers.reverse()) {
            await Promise.resolve(close()).catch((error: unknown) =>
              log.error('error while stopping', { error: String(error) }),
            );
          }
        })()),
    };
  } catch (error) {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
    throw error;
  }
}
