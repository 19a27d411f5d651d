/** `cq bench NAME`: run a benchmark script from test/bench/ and print its figures. */
import fs from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { CliError } from './cli-support.js';

// Benchmarks are compiled with the rest into dist/test/bench/ (see tsconfig.build.json).
const BENCH_DIR = fileURLToPath(new URL('../../test/bench/', import.meta.url));

function available(): string[] {
  try {
    return fs
      .readdirSync(BENCH_DIR)
      .filter((f) => f.endsWith('.js'))
      .map((f) => f.slice(0, -3));
  } catch {
    return [];
  }
}

/** Register `cq bench`. */
export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('run a benchmark from test/bench/ and print its figures')
    .argument('<name>', 'benchmark name, e.g. intake')
    .argument('[args...]', 'arguments passed to the benchmark (e.g. --quick)')
    // Benchmark options belong to the benchmark: pass them through instead of refusing them.
    .allowUnknownOption()
    .action(async (name: string, args: string[]) => {
      const names = available();
      if (!names.includes(name)) {
        throw new CliError(
          `unknown benchmark "${name}" (available: ${names.join(', ') || 'none; run npm run build'})`,
        );
      }
      const module = (await import(pathToFileURL(`${BENCH_DIR}${name}.js`).href)) as {
        run?: (args: string[]) => Promise<void>;
      };
      if (typeof module.run !== 'function')
        throw new CliError(`benchmark ${name} has no run() export`);
      await module.run(args);
    });
}
