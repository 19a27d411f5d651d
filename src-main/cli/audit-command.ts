/** `cq audit verify --data-dir DIR`: prove the audit chain is whole. */
import type { Command } from 'commander';
import { verifyAudit } from '../server/store/index.js';
import { CliError } from './cli-support.js';

/** Register `cq audit`. */
export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description('work with the tamper-evident audit chain');
  audit
    .command('verify')
    .description('check that no audit or history row was edited, removed or reordered')
    .requiredOption('--data-dir <dir>', 'the server data folder')
    .action((options: { dataDir: string }) => {
      const result = verifyAudit(options.dataDir);
      if (!result.ok) {
        throw new CliError(
          `audit chain broken at row ${result.brokenAt ?? '?'}: ${result.reason ?? 'mismatch'}`,
          2,
        );
      }
      process.stdout.write(`audit chain ok: ${result.rows} rows\n`);
    });
}
