/**
 * `cq gateway`: run the reference gateway and back office until SIGINT/SIGTERM, plus its two
 * back-office commands, `cq gateway verdict` (an expert's verdict on a deferred sample) and
 * `cq gateway bless` (certify a published set). Both work on the data folder directly, so they
 * can be used while the gateway runs; it picks the change up within its poll interval.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { LogLevel } from '../log/logger.js';
import { VERDICT_STATES, applyVerdict, blessSequence } from '../gateway/admin.js';
import { loadCustomersFile } from '../gateway/customers.js';
import { DEFAULT_GATEWAY_PORT, createGateway } from '../gateway/gateway.js';
import { resolveTimings } from '../gateway/timings.js';
import { CliError, intOption, untilSignal } from './cli-support.js';
import { logToDataDir } from './server-command.js';

interface GatewayCommandOptions {
  host: string;
  port: number;
  customers?: string;
  researchRules?: string;
  timings: string;
  tlsCert?: string;
  tlsKey?: string;
  blessAfter?: number;
  cleanCorpus?: string;
  logLevel: LogLevel;
}

function readPem(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new CliError(
      `cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}

function tlsOf(options: GatewayCommandOptions): { cert: Buffer; key: Buffer } | undefined {
  if (options.tlsCert === undefined && options.tlsKey === undefined) return undefined;
  if (options.tlsCert === undefined || options.tlsKey === undefined) {
    throw new CliError('--tls-cert and --tls-key go together');
  }
  return { cert: readPem(options.tlsCert, 'certificate'), key: readPem(options.tlsKey, 'key') };
}

/** The `--data-dir` given to a command or to its parent `cq gateway`. */
function dataDirOf(command: Command): string {
  const dataDir = command.optsWithGlobals<{ dataDir?: string }>().dataDir;
  if (dataDir === undefined) throw new CliError("required option '--data-dir <dir>' not specified");
  return path.resolve(dataDir);
}

async function runGateway(options: GatewayCommandOptions, dataDir: string): Promise<void> {
  let gateway;
  try {
    const tls = tlsOf(options);
    gateway = createGateway({
      dataDir,
      host: options.host,
      port: options.port,
      timings: resolveTimings(options.timings),
      ...(options.customers !== undefined
        ? { customers: loadCustomersFile(options.customers) }
        : {}),
      ...(options.researchRules !== undefined
        ? { researchRulesDir: path.resolve(options.researchRules) }
        : {}),
      ...(options.cleanCorpus !== undefined
        ? { cleanCorpusDir: path.resolve(options.cleanCorpus) }
        : {}),
      ...(options.blessAfter !== undefined ? { blessAfterSeconds: options.blessAfter } : {}),
      ...(tls !== undefined ? { tls } : {}),
    });
  } catch (error) {
    throw error instanceof CliError ? error : new CliError((error as Error).message);
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const closeLog = logToDataDir(dataDir, 'gateway', options.logLevel);
  let address;
  try {
    address = await gateway.listen();
  } catch (error) {
    closeLog();
    throw new CliError((error as Error).message);
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  process.stdout.write(`gateway listening on ${host}:${address.port}\n`);
  await untilSignal();
  process.stdout.write('stopping: draining gateway connections and the running stage\n');
  await gateway.close();
  closeLog();
}

/** Register `cq gateway` with its `verdict` and `bless` sub-commands. */
export function registerGatewayCommand(program: Command): void {
  const gateway = program
    .command('gateway')
    .description('run the reference gateway and automated back office (Scan and Deliver)')
    // Not mandatory in commander's sense: `cq gateway bless 2 --data-dir D` hands the option to
    // this parent command, so each action finds it with dataDirOf (sub-command or parent).
    .option('--data-dir <dir>', 'data folder: database, samples, definitions sets, logs (required)')
    .option('--host <address>', 'listen address', '127.0.0.1')
    .option('--port <n>', `port, 0 = any free port`, intOption(0, 65535), DEFAULT_GATEWAY_PORT)
    .option(
      '--customers <file>',
      'JSON array of {identifier, credentials, name, serviceClass}; default: only the default server customer, from loopback',
    )
    .option(
      '--research-rules <dir>',
      'ClamAV-format rules (.hdb .hsb .ndb); defer*/unsubmittable* files defer or refuse, others are new threats',
    )
    .option('--timings <preset|file>', 'stage durations: fast, normal or a JSON file', 'normal')
    .option('--tls-cert <file>', 'PEM certificate: serve HTTPS')
    .option('--tls-key <file>', 'PEM private key for --tls-cert')
    .option(
      '--bless-after <seconds>',
      'certify published sets after this delay (default: only by `cq gateway bless`)',
      intOption(0, 31_536_000),
    )
    .option(
      '--clean-corpus <dir>',
      'clean files every new set is tested against (default: generated in the data folder)',
    )
    .addOption(
      new Option('--log-level <level>', 'log file detail')
        .choices(['debug', 'info', 'warn', 'error'])
        .default('info'),
    )
    .action((options: GatewayCommandOptions, command: Command) =>
      runGateway(options, dataDirOf(command)),
    );

  gateway
    .command('verdict')
    .description("record an expert's verdict for a deferred sample")
    .argument('<cookie>', 'the X-Analysis-Cookie of a submission of the sample')
    .requiredOption('--state <state>', `final state: ${VERDICT_STATES.join(', ')}`)
    .option('--virus <name>', 'virus name (required for infected and norepair)')
    .option('--data-dir <dir>', "the gateway's data folder (required)")
    .action((cookie: string, options: { state: string; virus?: string }, command: Command) => {
      const verdict = {
        cookie,
        state: options.state,
        ...(options.virus !== undefined ? { virusName: options.virus } : {}),
      };
      try {
        const analysis = applyVerdict(dataDirOf(command), verdict);
        const next = analysis.finishedAt === null ? ' (building definitions)' : '';
        process.stdout.write(`verdict recorded: ${cookie} ${analysis.state}${next}\n`);
      } catch (error) {
        if (error instanceof CliError) throw error;
        throw new CliError((error as Error).message);
      }
    })
    .exitOverride();

  gateway
    .command('bless')
    .description('certify a published definitions set; it supersedes every lower sequence')
    .argument('<sequence>', 'the sequence number', intOption(1, 99_999_999))
    .option('--data-dir <dir>', "the gateway's data folder (required)")
    .action(async (sequence: number, _options: unknown, command: Command) => {
      try {
        const set = await blessSequence(dataDirOf(command), sequence);
        process.stdout.write(
          `blessed ${String(set.sequence).padStart(8, '0')} version ${set.version}\n`,
        );
      } catch (error) {
        if (error instanceof CliError) throw error;
        throw new CliError((error as Error).message);
      }
    })
    .exitOverride();
}
