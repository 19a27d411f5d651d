/**
 * The engine the configuration asks for (`general.scanner`): `builtin`, or `clamd` — the
 * server's own daemon on a socket in its data folder, or, when `clamdAddress` names another
 * socket or host:port than Debian's default, a clamd the administrator runs with its
 * DatabaseDirectory set to `<dataDir>/clamd/database` (the server proves it at every load).
 */
import path from 'node:path';
import { DEFAULT_CONFIG } from '../../../src-shared/config/defaults.js';
import type { Config } from '../../../src-shared/config/schema.js';
import { createBuiltinEngine } from './builtin/builtin-engine.js';
import { createClamdEngine } from './clamd/clamd-engine.js';
import type { ScanEngine } from './engine.js';

const MiB = 1024 * 1024;

/** Settings of the clamd engine that are not configuration (tests and packaging use them). */
export interface ClamdRuntime {
  /** The clamd program; default Debian's `/usr/sbin/clamd`. */
  readonly binary?: string;
  readonly restartDelayMs?: { readonly min: number; readonly max: number };
  readonly threads?: number;
}

/** The part of the configuration that selects the engine, as a comparable key. */
export function engineKey(config: Config): string {
  const { engine, clamdAddress } = config.general.scanner;
  return engine === 'clamd' ? `clamd:${clamdAddress}:${config.general.maxSampleSizeMB}` : engine;
}

/** Create the engine `config` selects for the server in `dataDir`. */
export function createConfiguredEngine(
  config: Config,
  dataDir: string,
  runtime: ClamdRuntime = {},
): ScanEngine {
  const { engine, clamdAddress } = config.general.scanner;
  if (engine === 'builtin') return createBuiltinEngine();
  const external =
    clamdAddress !== DEFAULT_CONFIG.general.scanner.clamdAddress ? clamdAddress : undefined;
  return createClamdEngine({
    workDir: path.join(dataDir, 'clamd'),
    logFile: path.join(dataDir, 'logs', 'clamd.log'),
    maxBytes: config.general.maxSampleSizeMB * MiB,
    ...(external ? { externalAddress: external } : {}),
    ...(runtime.binary ? { binary: runtime.binary } : {}),
    ...(runtime.restartDelayMs ? { restartDelayMs: runtime.restartDelayMs } : {}),
    ...(runtime.threads ? { threads: runtime.threads } : {}),
  });
}
