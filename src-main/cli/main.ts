/**
 * `cq`: one command with sub-commands (SPEC §13). Each sub-command lives in its own module;
 * this file only wires them and turns failures into one-line reasons and exit codes.
 */
import { Command, CommanderError } from 'commander';
import { registerAuditCommand } from './audit-command.js';
import { registerBenchCommand } from './bench-command.js';
import { registerClientCommand } from './client-command.js';
import { registerConsoleCommand } from './console-command.js';
import { registerCtlCommand } from './ctl-command.js';
import { registerDefsCommand } from './defs-command.js';
import { registerForwardCommand } from './forward-command.js';
import { registerGatewayCommand } from './gateway-command.js';
import { registerServerCommand } from './server-command.js';
import { registerUserCommand } from './user-command.js';
import { CliError, VERSION } from './cli-support.js';

/** Build the command tree (exported for tests of `--help`). */
export function buildProgram(): Command {
  const program = new Command('cq')
    .description('Central Quarantine: quarantine server, gateway, endpoint agent and console tools')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerServerCommand(program);
  registerForwardCommand(program);
  registerClientCommand(program);
  registerGatewayCommand(program);
  registerCtlCommand(program);
  registerUserCommand(program);
  registerAuditCommand(program);
  registerBenchCommand(program);
  registerDefsCommand(program);
  registerConsoleCommand(program);
  program.commands.forEach((c) => c.exitOverride());
  return program;
}

/** Run `cq` with `argv` (as in `process.argv`); resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed.
      return error.exitCode;
    }
    if (error instanceof CliError) {
      process.stderr.write(`cq: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`cq: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
