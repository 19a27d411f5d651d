/**
 * A real `cq server` whose clamd cannot be reached keeps new samples quarantined (never clean)
 * and raises the scanner condition; killed with SIGKILL in that state, it strands nothing: the
 * next start on the same data folder scans what was left quarantined.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectControl } from '../../src-main/transport/rpc-client.js';
import { readSample } from '../fixtures/samples/samples.js';
import { startCq } from '../helpers/cli.js';
import { rawRequest } from '../helpers/http.js';
import { forwardRequest } from '../helpers/samples.js';
import { starterPackageFile } from '../helpers/scan-sets.js';
import { startTestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

describe('kill -9 while samples wait for an unreachable clamd', () => {
  it('leaves them quarantined, and the next start scans them', async () => {
    const dataDir = tempDir('cq-recovery-');
    // Install the definitions once, as a first run would.
    const first = await startTestServer({
      dataDir,
      server: { starterPackage: await starterPackageFile(), autoScan: false },
    });
    await first.stop();

    const config = path.join(tempDir('cq-config-'), 'clamd-down.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        general: {
          scanner: { engine: 'clamd', clamdAddress: path.join(dataDir, 'no-clamd.sock') },
        },
      }),
    );
    const socket = path.join(dataDir, 'ctl.sock');
    const child = await startCq(
      [
        'server',
        '--data-dir',
        dataDir,
        '--port',
        '0',
        '--no-control',
        '--socket',
        socket,
        '--config',
        config,
      ],
      ['intake', 'control'],
    );
    const [intake] = child.listening.get('intake')!;
    const port = Number(intake!.split(':').pop());
    const ids: string[] = [];
    for (const file of ['eicar.com', 'cq-test-pe.exe']) {
      const res = await rawRequest({ port, ...forwardRequest(readSample(file)) });
      expect(res.status).toBe(201);
      ids.push(String(res.headers['x-sample-id']));
    }
    const client = await connectControl({ socket });
    await waitFor(async () => {
      const log = await client.call('log.query', {
        text: 'Cannot connect to Quarantine Scanner svc',
      });
      return log.entries.length > 0;
    }, 'the scanner condition');
    for (const id of ids) {
      const detail = await client.call('samples.get', { id });
      expect(detail.sample.status).toBe('quarantined');
      expect(detail.attributes['X-Scan-Result']).toBeUndefined();
    }
    await client.close();
    expect(await child.stop('SIGKILL')).toBeNull();

    const again = await startTestServer({
      dataDir,
      config: { general: { scanner: { engine: 'builtin' } } },
    });
    const statusOf = (id: string) => again.context.store.samples.get(Number(id))?.status;
    await waitFor(() => statusOf(ids[0]!) === 'released', 'the EICAR sample to be scanned');
    await waitFor(() => statusOf(ids[1]!) === 'available', 'the PE sample to be scanned');
    expect(again.context.store.audit.verify().ok).toBe(true);
  });
});
