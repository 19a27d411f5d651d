/**
 * `cq client` (run an endpoint agent) and `cq client capture FILE` (put a file in an
 * endpoint's local quarantine; the running agent — now or when it next starts — forwards it).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { isSampleReason } from '../../src-shared/catalog/tokens.js';
import { startEndpointClient } from '../client/endpoint-client.js';
import { parseHostPort } from '../client/forward.js';
import { CaptureError, LocalQuarantine } from '../client/local-quarantine.js';
import { CLIENT_ACTIONS, type ClientAction } from '../client/rescan.js';
import type { LogLevel } from '../log/logger.js';
import { CliError, intOption, untilSignal } from './cli-support.js';
import { logToDataDir } from './server-command.js';

interface ClientOptions {
  dataDir: string;
  server: string;
  defcastPort: number;
  host: string;
  guid?: string;
  nonmanaged?: boolean;
  action: ClientAction;
  platformHost?: string;
  pollSeconds: number;
  retrySeconds: number;
  timeoutSeconds: number;
  tls?: boolean;
  logLevel: LogLevel;
}

interface CaptureOptions {
  dataDir?: string;
  reason: string;
  keep?: boolean;
}

function formatAddress(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function registerCapture(client: Command): void {
  client
    .command('capture')
    .description("put a file in this endpoint's local quarantine (the agent forwards it)")
    .argument('<file>', 'the file to quarantine (removed from its place unless --keep)')
    // `cq` reads options anywhere on the line, so `client` may take --data-dir for us: both count.
    .option('--data-dir <dir>', "the endpoint's data folder (required)")
    .option('--reason <reason>', 'badrepair, manual, norepair, suspicious, variant', 'manual')
    .option('--keep', 'leave the original file where it is')
    .action(async (file: string, _options: CaptureOptions, command: Command) => {
      const options = command.optsWithGlobals<CaptureOptions>();
      if (!options.dataDir) throw new CliError('--data-dir is required');
      if (!isSampleReason(options.reason))
        throw new CliError(`unknown --reason "${options.reason}"`);
      const quarantine = LocalQuarantine.open(path.resolve(options.dataDir));
      try {
        const item = await quarantine.capture(file, {
          reason: options.reason,
          ...(options.keep ? { keep: true } : {}),
        });
        process.stdout.write(`${item.id}\n`);
      } catch (error) {
        if (error instanceof CaptureError) throw new CliError(error.message);
        throw error;
      } finally {
        quarantine.close();
      }
    });
}

/** Register `cq client` and `cq client capture`. */
export function registerClientCommand(program: Command): void {
  const client = program
    .command('client')
    .description('run an endpoint agent: local quarantine, forwarding, Defcast receiver')
    .option('--data-dir <dir>', 'data folder: local quarantine, queue, definitions, logs')
    .option('--server <host:port>', 'the Quarantine Server intake, e.g. 127.0.0.1:8847')
    .option(
      '--defcast-port <n>',
      'Defcast receiver port, 0 = any free port',
      intOption(0, 65535),
      8849,
    )
    .option('--host <address>', 'Defcast listen address (announced to the server)', '0.0.0.0')
    .addOption(
      new Option('--guid <guid>', 'X-Platform-GUID of this managed endpoint').conflicts(
        'nonmanaged',
      ),
    )
    .option('--nonmanaged', 'a nonmanaged endpoint: no GUID, no Defcast receiver')
    .addOption(
      new Option('--action <action>', 'what new definitions do to detected items')
        .choices(CLIENT_ACTIONS)
        .default('repair'),
    )
    .option('--platform-host <name>', 'report this host name instead of the real one')
    .option('--poll-seconds <n>', 'how often the queue is checked', intOption(1, 86_400), 2)
    .option(
      '--retry-seconds <n>',
      'longest wait between retries while the server is down',
      intOption(1, 86_400),
      300,
    )
    .option('--timeout-seconds <n>', 'longest wait for one exchange', intOption(1, 3_600), 60)
    .option('--tls', 'the intake uses TLS')
    .addOption(
      new Option('--log-level <level>', 'log file detail')
        .choices(['debug', 'info', 'warn', 'error'])
        .default('info'),
    )
    .action(async (options: ClientOptions) => {
      if (!options.dataDir) throw new CliError('--data-dir is required');
      if (!options.server) throw new CliError('--server is required');
      let server;
      try {
        server = parseHostPort(options.server);
      } catch (error) {
        throw new CliError((error as Error).message);
      }
      const dataDir = path.resolve(options.dataDir);
      const closeLog = logToDataDir(dataDir, 'client', options.logLevel);
      let running;
      try {
        running = await startEndpointClient({
          dataDir,
          server: { ...server, ...(options.tls ? { tls: {} } : {}) },
          managed: !options.nonmanaged,
          ...(options.guid !== undefined ? { guid: options.guid } : {}),
          defcastHost: options.host,
          defcastPort: options.defcastPort,
          ...(options.platformHost !== undefined ? { platformHost: options.platformHost } : {}),
          action: options.action,
          pollSeconds: options.pollSeconds,
          retryMaxSeconds: options.retrySeconds,
          timeoutSeconds: options.timeoutSeconds,
        });
      } catch (error) {
        closeLog();
        throw new CliError((error as Error).message);
      }
      if (running.defcast) {
        process.stdout.write(
          `defcast listening on ${formatAddress(options.host, running.defcast.port)}\n`,
        );
      }
      process.stdout.write(
        `client ready: ${running.guid ? `managed endpoint ${running.guid}` : 'nonmanaged endpoint'} forwarding to ${formatAddress(server.host, server.port)}\n`,
      );
      await untilSignal();
      process.stdout.write('stopping: finishing the forward in flight\n');
      await running.stop();
      closeLog();
    });
  registerCapture(client);
}
