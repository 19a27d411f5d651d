/** `cq forward FILE --server HOST:PORT`: forward one file as a sample. */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { formatHttpDate } from '../../src-shared/codec/dates.js';
import { isSampleReason } from '../../src-shared/catalog/tokens.js';
import { collectPlatformAttributes } from '../client/platform.js';
import { ForwardError, forwardSample, parseHostPort } from '../client/forward.js';
import { CliError, intOption } from './cli-support.js';

interface ForwardOptions {
  server: string;
  reason: string;
  priority?: number;
  platformHost?: string;
  guid?: string;
  tls?: boolean;
  ca?: string;
  base64?: boolean;
}

/** Register `cq forward`. */
export function registerForwardCommand(program: Command): void {
  program
    .command('forward')
    .description('forward one file to a Quarantine Server as a sample; prints the sample id')
    .argument('<file>', 'the file to forward')
    .requiredOption('--server <host:port>', 'the server intake address, e.g. 127.0.0.1:8847')
    .option(
      '--reason <reason>',
      'capture reason: badrepair, manual, norepair, suspicious, variant',
      'manual',
    )
    .option('--priority <n>', 'X-Sample-Priority (0-1000)', intOption(0, 1000))
    .option('--platform-host <name>', 'report this host name instead of the real one')
    .option('--guid <guid>', 'X-Platform-GUID of a managed endpoint')
    .option('--tls', 'the intake uses TLS')
    .option('--ca <file>', 'CA certificate to trust for --tls')
    .option('--base64', 'base64-encode the body (for relays that are not 8-bit clean)')
    .action(async (file: string, options: ForwardOptions) => {
      if (!isSampleReason(options.reason))
        throw new CliError(`unknown --reason "${options.reason}"`);
      let target;
      try {
        target = parseHostPort(options.server);
      } catch (error) {
        throw new CliError((error as Error).message);
      }
      const absolute = path.resolve(file);
      let bytes: Buffer;
      let info;
      try {
        [bytes, info] = await Promise.all([readFile(absolute), stat(absolute)]);
      } catch (error) {
        throw new CliError(
          `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        );
      }
      const extension = path.extname(absolute).slice(1);
      const attributes: Record<string, string> = {
        ...collectPlatformAttributes({
          ...(options.platformHost ? { host: options.platformHost } : {}),
          ...(options.guid ? { guid: options.guid } : {}),
          scanner: 'Central Quarantine cq forward',
        }),
        'X-Sample-Type': 'file',
        'X-Sample-File': absolute,
        'X-Sample-Reason': options.reason,
        'X-Date-Captured': formatHttpDate(Date.now()),
        'X-Date-Created': formatHttpDate(info.birthtimeMs || info.ctimeMs),
        'X-Date-Modified': formatHttpDate(info.mtimeMs),
        'X-Date-Accessed': formatHttpDate(info.atimeMs),
      };
      if (extension) attributes['X-Sample-Extension'] = extension;
      if (options.priority !== undefined)
        attributes['X-Sample-Priority'] = String(options.priority);
      const ca = options.ca ? await readFile(options.ca) : undefined;
      try {
        const result = await forwardSample(
          { ...target, ...(options.tls ? { tls: ca ? { ca } : {} } : {}) },
          bytes,
          attributes,
          { base64: options.base64 ?? false },
        );
        process.stdout.write(`${result.id}\n`);
        if (result.duplicate) process.stderr.write(`cq: duplicate of sample ${result.id}\n`);
      } catch (error) {
        if (error instanceof ForwardError) throw new CliError(error.message);
        throw error;
      }
    });
}
