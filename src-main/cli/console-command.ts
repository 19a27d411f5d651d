/**
 * `cq console --web`: the console UI served to a browser on loopback (SPEC §13), with an
 * embedded server on a data folder (the default), attached to a running server's local socket,
 * or attached to a remote server over TCP/TLS.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { parseHostPort } from '../client/forward.js';
import { createAttachManager, type AttachManager } from '../console/attach-manager.js';
import { defaultDataFolder } from '../console/data-folder.js';
import {
  defaultCqPath,
  startEmbeddedServer,
  type EmbeddedServer,
} from '../console/embedded-server.js';
import { createWebHost } from '../console/web-host.js';
import { defaultSocketPath } from '../server/server.js';
import { CliError, VERSION, intOption, readStdin, untilSignal } from './cli-support.js';
import { logToDataDir } from './server-command.js';

interface ConsoleCommandOptions {
  web?: boolean;
  port: number;
  dataDir?: string;
  socket?: string;
  connect?: string;
  user?: string;
  password?: string;
  passwordStdin?: boolean;
  domain?: string;
  tls?: boolean;
  ca?: string;
  intakePort?: number;
  controlPort?: number;
  control?: boolean;
  ui?: string;
}

/** The built renderer next to the `cq` launcher (`dist-renderer/`). */
export function defaultUiDir(): string {
  return path.join(path.dirname(path.dirname(defaultCqPath())), 'dist-renderer');
}

/** `cq server` options for the embedded server, from the console's own options. */
function embeddedServerArgs(options: ConsoleCommandOptions): string[] {
  const args: string[] = [];
  if (options.intakePort !== undefined) args.push('--port', String(options.intakePort));
  if (options.control === false) args.push('--no-control');
  else if (options.controlPort !== undefined)
    args.push('--control-port', String(options.controlPort));
  return args;
}

/** Register `cq console`. */
export function registerConsoleCommand(program: Command): void {
  program
    .command('console')
    .description(
      'serve the console UI to a browser on 127.0.0.1 (--web); the desktop console is the Electron app',
    )
    .option('--web', 'serve the console to a browser (prints "web listening on URL")')
    .option('--port <n>', 'web port, 0 = any free port', intOption(0, 65535), 0)
    .option(
      '--data-dir <dir>',
      'run the embedded server on this data folder (default: your data folder)',
    )
    .option(
      '--socket <path>',
      'attach to a server already running on this computer (its control socket)',
    )
    .option('--connect <host:port>', 'attach to a remote server over TCP')
    .option('--user <name>', 'user name for --connect')
    .option('--password <password>', 'password for --connect (or use --password-stdin)')
    .option('--password-stdin', 'read the password for --connect from the first line of stdin')
    .option('--domain <domain>', 'domain of the user for --connect')
    .option('--tls', 'the remote control port uses TLS')
    .option('--ca <file>', 'CA certificate to trust for --tls')
    .option('--intake-port <n>', 'intake port of the embedded server', intOption(0, 65535))
    .option('--control-port <n>', 'remote control port of the embedded server', intOption(0, 65535))
    .option('--no-control', 'the embedded server accepts no remote consoles')
    .option('--ui <dir>', 'folder of the built console UI (default: dist-renderer)')
    .action(async (options: ConsoleCommandOptions) => {
      if (!options.web) {
        throw new CliError(
          'the desktop console is the Electron app (npm start); use --web to serve it to a browser',
        );
      }
      const modes = [options.dataDir, options.socket, options.connect].filter(
        (m) => m !== undefined,
      );
      if (modes.length > 1)
        throw new CliError('use only one of --data-dir, --socket and --connect');
      const uiDir = path.resolve(options.ui ?? defaultUiDir());
      if (!fs.existsSync(path.join(uiDir, 'index.html'))) {
        throw new CliError(
          `the console UI is not built (no ${path.join(uiDir, 'index.html')}); run npm run build`,
        );
      }

      const closers: (() => Promise<void> | void)[] = [];
      const shutDown = async (): Promise<void> => {
        for (const close of closers.reverse()) {
          await Promise.resolve(close()).catch((error: unknown) =>
            process.stderr.write(`cq: while stopping: ${String(error)}\n`),
          );
        }
      };
      try {
        const manager = await startManager(options, closers);
        const host = createWebHost({
          manager,
          staticDir: uiDir,
          port: options.port,
          version: VERSION,
        });
        const url = await host.listen().catch((error: unknown) => {
          throw new CliError(`cannot listen on port ${options.port}: ${(error as Error).message}`);
        });
        closers.push(() => host.close());
        process.stdout.write(`web listening on ${url}\n`);
      } catch (error) {
        await shutDown();
        throw error;
      }
      await untilSignal();
      process.stdout.write('stopping: closing the console and its server\n');
      await shutDown();
    });
}

/** Start whatever the options ask for and return the attach manager serving the UI. */
async function startManager(
  options: ConsoleCommandOptions,
  closers: (() => Promise<void> | void)[],
): Promise<AttachManager> {
  if (options.connect !== undefined) {
    let target;
    try {
      target = parseHostPort(options.connect, 8850);
    } catch (error) {
      throw new CliError((error as Error).message);
    }
    if (!options.user) throw new CliError('--connect needs --user and a password');
    let password = options.password ?? '';
    if (options.passwordStdin) password = (await readStdin()).split(/\r?\n/)[0] ?? '';
    const manager = createAttachManager({ dataDir: defaultDataFolder() });
    closers.push(() => manager.close());
    const attached = await manager.attach(
      {
        host: target.host,
        port: target.port,
        user: options.user,
        password,
        ...(options.domain ? { domain: options.domain } : {}),
        ...(options.tls ? { tls: true } : {}),
        ...(options.ca ? { ca: fs.readFileSync(options.ca, 'utf8') } : {}),
      },
      { remember: false },
    );
    if (!attached.ok) throw new CliError(`${attached.error.code}: ${attached.error.message}`);
    return manager;
  }

  if (options.socket !== undefined) {
    const manager = createAttachManager({
      dataDir: defaultDataFolder(),
      embedded: { socketPath: options.socket, label: os.hostname(), kind: 'local' },
    });
    closers.push(() => manager.close());
    return manager;
  }

  const dataDir = path.resolve(options.dataDir ?? defaultDataFolder());
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const closeLog = logToDataDir(dataDir, 'console', 'info');
  closers.push(closeLog);
  let embedded: EmbeddedServer;
  try {
    embedded = await startEmbeddedServer({
      dataDir,
      serverArgs: embeddedServerArgs(options),
      onListening: (name, address) => process.stdout.write(`${name} listening on ${address}\n`),
    });
  } catch (error) {
    const message = (error as Error).message;
    const socket = defaultSocketPath(dataDir);
    if (/another server/.test(message) && (process.platform === 'win32' || fs.existsSync(socket))) {
      // A server already runs on this folder (e.g. `cq server`): use it instead of a second one.
      process.stderr.write(`cq: ${message}; attaching to it on ${socket}\n`);
      const manager = createAttachManager({
        dataDir,
        embedded: { socketPath: socket, label: os.hostname(), kind: 'local' },
      });
      closers.push(() => manager.close());
      return manager;
    }
    throw new CliError(`cannot start the embedded server: ${message}`);
  }
  closers.push(() => embedded.stop());
  const manager = createAttachManager({
    dataDir,
    embedded: { socketPath: embedded.socketPath, label: os.hostname() },
  });
  closers.push(() => manager.close());
  return manager;
}
