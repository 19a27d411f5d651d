/** `cq ctl METHOD [JSON]`: call any control API method and print its JSON result. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { isApiError } from '../../src-shared/api/client-api.js';
import {
  isMethodName,
  METHOD_NAMES,
  type MethodName,
  type RequestOf,
} from '../../src-shared/api/contract.js';
import { parseHostPort } from '../client/forward.js';
import { connectControl } from '../transport/rpc-client.js';
import { CliError, readStdin } from './cli-support.js';

interface CtlOptions {
  socket?: string;
  connect?: string;
  user?: string;
  password?: string;
  passwordStdin?: boolean;
  domain?: string;
  tls?: boolean;
  ca?: string;
  insecure?: boolean;
  timeout: string;
}

/** Register `cq ctl`. */
export function registerCtlCommand(program: Command): void {
  program
    .command('ctl')
    .description(
      `call a control API method and print the JSON result (methods: ${METHOD_NAMES.join(', ')})`,
    )
    .argument('<method>', 'method name, e.g. samples.list')
    .argument('[json]', 'parameters as one JSON object (default {}); "-" reads it from stdin', '{}')
    .option('--socket <path>', 'local control socket of the server')
    .option('--connect <host:port>', 'remote control address of the server')
    .option('--user <name>', 'user for --connect')
    .option('--password <password>', 'password for --connect (or use --password-stdin)')
    .option('--password-stdin', 'read the password from the first line of stdin')
    .option('--domain <domain>', 'domain of the user')
    .option('--tls', 'the control listener uses TLS')
    .option('--ca <file>', 'CA certificate to trust for --tls')
    .option('--timeout <ms>', 'give up on an answer after this long', '60000')
    .action(async (method: string, json: string, options: CtlOptions) => {
      if (!isMethodName(method))
        throw new CliError(`unknown method "${method}" (known: ${METHOD_NAMES.join(', ')})`);
      if (!options.socket === !options.connect)
        throw new CliError('give exactly one of --socket PATH or --connect HOST:PORT');
      let stdin: string | undefined;
      if (json === '-' || options.passwordStdin) stdin = await readStdin();
      let password = options.password;
      if (options.passwordStdin) {
        const [first, ...rest] = (stdin ?? '').split(/\r?\n/);
        password = first ?? '';
        stdin = rest.join('\n');
      }
      let params: unknown;
      try {
        params = JSON.parse(json === '-' ? (stdin ?? '') : json);
      } catch (error) {
        throw new CliError(`parameters are not JSON: ${(error as Error).message}`);
      }
      const timeoutMs = Number(options.timeout);
      let client;
      try {
        if (options.socket) {
          client = await connectControl({ socket: options.socket, timeoutMs });
        } else {
          if (!options.user) throw new CliError('--connect needs --user and a password');
          const { host, port } = parseHostPort(options.connect!, 8850);
          client = await connectControl({
            host,
            port,
            user: options.user,
            password: password ?? '',
            ...(options.domain ? { domain: options.domain } : {}),
            ...(options.tls ? { tls: options.ca ? { ca: readFileSync(options.ca) } : {} } : {}),
            timeoutMs,
          });
        }
        const result = await client.call(method, params as RequestOf<MethodName>);
        process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      } catch (error) {
        if (error instanceof CliError) throw error;
        if (isApiError(error)) throw new CliError(`${error.code}: ${error.message}`);
        throw new CliError((error as Error).message);
      } finally {
        await client?.close();
      }
    });
}
