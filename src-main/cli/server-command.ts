/** `cq server`: run a Quarantine Server until SIGINT/SIGTERM. */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { formatLogRecord, setLogSink, type LogLevel } from '../log/logger.js';
import { startQuarantineServer } from '../server/server.js';
import { CliError, VERSION, intOption, untilSignal } from './cli-support.js';

interface ServerCommandOptions {
  dataDir: string;
  host?: string;
  port?: number;
  controlPort?: number;
  control?: boolean;
  socket?: string;
  config?: string;
  setup?: 'internet' | 'email';
  gateway?: string;
  logLevel: LogLevel;
}

/** Send log lines to `<dataDir>/logs/<name>.log` (and errors to stderr too). */
export function logToDataDir(dataDir: string, name: string, level: LogLevel): () => void {
  const folder = path.join(dataDir, 'logs');
  fs.mkdirSync(folder, { recursive: true });
  const stream = fs.createWriteStream(path.join(folder, `${name}.log`), {
    flags: 'a',
    mode: 0o600,
  });
  setLogSink((record) => {
    const line = formatLogRecord(record);
    stream.write(line + '\n');
    if (record.level === 'error') process.stderr.write(line + '\n');
  }, level);
  return () => stream.end();
}

/** Register `cq server`. */
export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('run a Quarantine Server (intake, control API, store)')
    .requiredOption('--data-dir <dir>', 'data folder: database, quarantine, logs, control socket')
    .option(
      '--host <address>',
      'listen address for intake and remote control (default from config: 127.0.0.1)',
    )
    .option(
      '--port <n>',
      'intake port, 0 = any free port (default from config: 8847)',
      intOption(0, 65535),
    )
    .option(
      '--control-port <n>',
      'remote control port, 0 = any free port (default from config: 8850)',
      intOption(0, 65535),
    )
    .option('--no-control', 'no remote control listener (the local socket stays)')
    .option('--socket <path>', 'local control socket or pipe (default <data-dir>/control.sock)')
    .option('--config <file>', 'JSON configuration to apply at start (same keys as config.set)')
    .addOption(
      new Option('--setup <type>', 'setup type on first start').choices(['internet', 'email']),
    )
    .option('--gateway <url>', 'shortcut for webCommunication.gatewayUrl')
    .addOption(
      new Option('--log-level <level>', 'log file detail')
        .choices(['debug', 'info', 'warn', 'error'])
        .default('info'),
    )
    .action(async (options: ServerCommandOptions) => {
      const dataDir = path.resolve(options.dataDir);
      const closeLog = logToDataDir(dataDir, 'server', options.logLevel);
      // Listening for SIGINT/SIGTERM from the start: a signal during start-up stops the server
      // cleanly once it has started, instead of killing it half way.
      const signalled = untilSignal();
      let server;
      try {
        server = await startQuarantineServer({
          dataDir,
          ...(options.host !== undefined ? { host: options.host } : {}),
          ...(options.port !== undefined ? { port: options.port } : {}),
          ...(options.control === false
            ? { controlPort: null }
            : options.controlPort !== undefined
              ? { controlPort: options.controlPort }
              : {}),
          ...(options.socket !== undefined ? { socket: options.socket } : {}),
          ...(options.config !== undefined ? { configFile: options.config } : {}),
          ...(options.setup !== undefined ? { setup: options.setup } : {}),
          ...(options.gateway !== undefined ? { gatewayUrl: options.gateway } : {}),
          version: VERSION,
        });
      } catch (error) {
        closeLog();
        throw new CliError((error as Error).message);
      }
      process.stdout.write(`intake listening on ${server.listeners.intake}\n`);
      process.stdout.write(`control listening on ${server.listeners.control}\n`);
      if (server.listeners['control-tcp'])
        process.stdout.write(`control listening on ${server.listeners['control-tcp']}\n`);
      await signalled;
      process.stdout.write('stopping: draining intake and control connections\n');
      await server.stop();
      closeLog();
    });
}
