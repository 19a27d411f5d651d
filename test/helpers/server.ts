/** An in-process Quarantine Server on free loopback ports, in a temp data folder. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll } from 'vitest';
import {
  startQuarantineServer,
  type RunningServer,
  type ServerOptions,
} from '../../src-main/server/server.js';
import { tempDir } from './temp.js';

const running: RunningServer[] = [];

/** A started test server plus its data folder. */
export interface TestServer extends RunningServer {
  readonly dataDir: string;
}

/** Start a server; `config` is written to a config file and applied at start. */
export async function startTestServer(
  options: {
    config?: Record<string, unknown>;
    dataDir?: string;
    controlPort?: number | null;
    /** Other server options (scanning, clamd runtime, starter definitions). */
    server?: Pick<ServerOptions, 'autoScan' | 'clamd' | 'starterPackage' | 'alertIntervalMs'>;
  } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? tempDir('cq-server-');
  let configFile: string | undefined;
  if (options.config) {
    configFile = path.join(dataDir, `test-config-${Date.now()}.json`);
    writeFileSync(configFile, JSON.stringify(options.config));
  }
  const server = await startQuarantineServer({
    dataDir,
    host: '127.0.0.1',
    port: 0,
    controlPort: options.controlPort === undefined ? null : options.controlPort,
    ...(configFile ? { configFile } : {}),
    ...options.server,
    version: 'test',
  });
  running.push(server);
  return { ...server, dataDir };
}

afterAll(async () => {
  for (const server of running.splice(0)) await server.stop();
});
