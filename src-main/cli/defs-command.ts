/**
 * `cq defs build` and `cq defs verify` (SPEC §13): make a definitions package from a folder of
 * signature files, and check a package exactly as an import would.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { WireError, formatXError } from '../../src-shared/catalog/errors.js';
import { parseHttpDate } from '../../src-shared/codec/dates.js';
import {
  MAX_SEQUENCE,
  displayDefinitionsVersion,
  type DefinitionsKind,
} from '../../src-shared/definitions/manifest.js';
import { PackageBuildError, buildPackage, verifyPackage } from '../server/definitions/package.js';
import { CliError, intOption } from './cli-support.js';

interface BuildOptions {
  sequence: number;
  from: string;
  out: string;
  certified?: boolean;
  kind: DefinitionsKind;
  base?: number;
  setVersion?: string;
  produced?: number;
}

/** commander parser for a date given as RFC 1123 or ISO 8601. */
function dateOption(value: string): number {
  const time = parseHttpDate(value) ?? (/^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN);
  if (Number.isNaN(time)) {
    throw new InvalidArgumentError(`expected an RFC 1123 or ISO 8601 date, got "${value}"`);
  }
  return time;
}

function kindOption(value: string): DefinitionsKind {
  if (value !== 'all' && value !== 'incr') throw new InvalidArgumentError('expected all or incr');
  return value;
}

async function build(options: BuildOptions): Promise<void> {
  if (options.kind === 'incr' && options.base === undefined) {
    throw new CliError('--kind incr needs --base N');
  }
  if (options.kind === 'all' && options.base !== undefined) {
    throw new CliError('--base is only for --kind incr');
  }
  let built;
  try {
    built = await buildPackage({
      sequence: options.sequence,
      certified: options.certified ?? false,
      kind: options.kind,
      fromDir: options.from,
      ...(options.base !== undefined ? { base: options.base } : {}),
      ...(options.setVersion !== undefined ? { version: options.setVersion } : {}),
      ...(options.produced !== undefined ? { produced: options.produced } : {}),
    });
  } catch (error) {
    if (error instanceof PackageBuildError) throw new CliError(error.message);
    throw error;
  }
  const isDir = fs.existsSync(options.out) && fs.statSync(options.out).isDirectory();
  const target = isDir ? path.join(options.out, built.name) : options.out;
  // Written beside the target and renamed, so a failed build never leaves half a package.
  const temp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    fs.writeFileSync(temp, built.bytes);
    fs.renameSync(temp, target);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw new CliError(
      `cannot write ${target}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  const files = Object.keys(built.manifest.files).length;
  process.stdout.write(
    `built ${target}: sequence ${built.manifest.sequence}, version ${built.manifest.version}, ` +
      `${built.manifest.kind}, ${built.manifest.certified ? 'certified' : 'not certified'}, ` +
      `${files} file${files === 1 ? '' : 's'}, md5 ${built.md5}\n`,
  );
}

async function verify(file: string, options: { md5?: string }): Promise<void> {
  let pkg;
  try {
    pkg = await verifyPackage(file, options.md5 !== undefined ? { expectedMd5: options.md5 } : {});
  } catch (error) {
    if (error instanceof WireError) {
      // The reason is printed as written; the wire form would replace its spaces.
      const reason = error.params.map(String).join(' ');
      throw new CliError(`${formatXError(error.code)} ${reason}`.trim(), 2);
    }
    throw error;
  }
  const m = pkg.manifest;
  const lines = [
    `package ${pkg.name}`,
    `sequence ${m.sequence}`,
    `version ${m.version} (${displayDefinitionsVersion(m.version)})`,
    `kind ${m.kind}${m.kind === 'incr' ? ` (base ${m.base})` : ''}`,
    `certified ${m.certified ? 'yes' : 'no'}`,
    `produced ${m.produced}`,
    `published ${m.published}`,
    `blessed ${m.blessed ?? '-'}`,
    `md5 ${pkg.md5}`,
    `files ${Object.keys(m.files).length}`,
    ...Object.entries(m.files).map(([name, md5]) => `  ${md5}  ${name}`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

/** Register `cq defs`. */
export function registerDefsCommand(program: Command): void {
  const defs = program.command('defs').description('build and check definitions packages');
  defs
    .command('build')
    .description('build a definitions package from a folder of signature files')
    .requiredOption('--sequence <n>', 'sequence number of the set', intOption(1, MAX_SEQUENCE))
    .requiredOption('--from <dir>', 'folder of .hdb/.hsb/.ndb/.ldb/.yar files and repair.json')
    .requiredOption('--out <file>', 'package file to write (or a folder to write it into)')
    .option('--certified', 'mark the set certified (blessed)')
    .option('--kind <kind>', 'all or incr', kindOption, 'all' as DefinitionsKind)
    .option('--base <n>', 'base sequence of an incr set', intOption(1, MAX_SEQUENCE))
    // Not --version: the root command owns that option.
    .option('--set-version <version>', 'YYYY.MM.DD.NNN (default: revision 001 of the produced day)')
    .option('--produced <date>', 'production date, RFC 1123 or ISO 8601 (default: now)', dateOption)
    .action((options: BuildOptions) => build(options));
  defs
    .command('verify')
    .description('check a package as an import would, and list what it holds')
    .argument('<file>', 'the package file')
    .option('--md5 <hex>', 'also require this package MD5 (X-Signatures-Checksum)')
    .action((file: string, options: { md5?: string }) => verify(file, options));
}
