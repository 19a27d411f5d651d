/** `cq user add NAME --data-dir DIR`: add a console user (password read from stdin). */
import type { Command } from 'commander';
import { hashPassword } from '../server/control/password.js';
import { openStore } from '../server/store/index.js';
import { CliError, readStdin } from './cli-support.js';

const NAME_PATTERN = /^[A-Za-z0-9._@-]{1,64}$/;

/** Register `cq user`. */
export function registerUserCommand(program: Command): void {
  const user = program.command('user').description('manage console users of a server');
  user
    .command('add')
    .description('add a user who may attach a remote console (password read from standard input)')
    .argument('<name>', 'user name (letters, digits, . _ @ -)')
    .requiredOption('--data-dir <dir>', 'the server data folder')
    .option('--domain <domain>', 'domain of the user', '')
    .option('--replace', 'replace the password of an existing user')
    .action(
      async (name: string, options: { dataDir: string; domain: string; replace?: boolean }) => {
        if (!NAME_PATTERN.test(name)) throw new CliError(`invalid user name "${name}"`);
        if (options.domain && !NAME_PATTERN.test(options.domain))
          throw new CliError(`invalid domain "${options.domain}"`);
        const password = (await readStdin()).replace(/\r?\n$/, '');
        if (password.length < 8) throw new CliError('the password must have at least 8 characters');
        if (password.length > 1024) throw new CliError('the password is too long');
        const hash = await hashPassword(password);
        const store = openStore({ dataDir: options.dataDir });
        try {
          const existing = store.users.get(name, options.domain);
          if (existing && !options.replace)
            throw new CliError(`user "${name}" already exists (use --replace)`);
          if (existing) store.users.remove(name, options.domain);
          store.users.add(name, options.domain, hash);
          store.audit.append({
            actor: 'cli',
            action: 'user.add',
            detail: { user: name, domain: options.domain },
          });
        } finally {
          store.close();
        }
        process.stdout.write(`user ${options.domain ? options.domain + '\\' : ''}${name} added\n`);
      },
    );
}
