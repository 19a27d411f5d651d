/**
 * A Quarantine Agent on a real store in a temp folder, with the definitions side replaced by a
 * recorder: agent tests drive it against a fake gateway without a whole server.
 */
import { afterAll } from 'vitest';
import { encodeBlob, md5Hex, sha256Hex } from '../../src-main/codec/content.js';
import type {
  AgentDefinitions,
  InstallOutcome,
} from '../../src-main/server/agent/agent-context.js';
import type { AgentTimings } from '../../src-main/server/agent/agent-context.js';
import {
  createQuarantineAgent,
  type QuarantineAgent,
} from '../../src-main/server/agent/quarantine-agent.js';
import { ConfigService } from '../../src-main/server/config-service.js';
import { createQuarantineLog, type EventBus } from '../../src-main/server/context.js';
import { openStore, type Store } from '../../src-main/server/store/index.js';
import type { EventName, EventOf } from '../../src-shared/api/contract.js';
import { formatHttpDate } from '../../src-shared/codec/dates.js';
import { tempDir } from './temp.js';

/** A package as the fake definitions side understands it: JSON with its sequence. */
export function fakePackage(sequence: number, certified: boolean): Buffer {
  return Buffer.from(JSON.stringify({ sequence, certified }));
}

/** Records installs and plays the scanner's part of moving resolved samples on. */
export class FakeDefinitions implements AgentDefinitions {
  active = 0;
  readonly installs: { sequence: number; md5: string | undefined }[] = [];
  readonly resolved: number[][] = [];
  /** Make the next installs fail with this outcome. */
  failWith: InstallOutcome | undefined;

  constructor(private readonly store: () => Store) {}

  activeSequence(): number {
    return this.active;
  }

  install(bytes: Buffer, md5: string | undefined): Promise<InstallOutcome> {
    if (this.failWith) return Promise.resolve(this.failWith);
    const { sequence, certified } = JSON.parse(bytes.toString()) as {
      sequence: number;
      certified: boolean;
    };
    this.installs.push({ sequence, md5 });
    this.active = Math.max(this.active, sequence);
    // The scanner's rescan on activation: needed samples the set covers move on.
    this.moveCovered();
    return Promise.resolve({
      ok: true,
      sequence,
      version: `2024.01.01.${String(sequence % 1000).padStart(3, '0')}`,
      certified,
    });
  }

  /** What the server wires to the scanner's rescan. */
  resolve = (ids: readonly number[]): Promise<boolean> => {
    this.resolved.push([...ids]);
    this.moveCovered(ids);
    return Promise.resolve(true);
  };

  private moveCovered(only?: readonly number[]): void {
    const store = this.store();
    for (const row of store.samples.list({ filter: { status: ['needed'] }, limit: 10_000 }).rows) {
      if (only && !only.includes(row.id)) continue;
      if ((row.defsNeeded ?? 0) <= this.active)
        store.samples.transition(
          row.id,
          'available',
          'scanner',
          `definitions ${this.active} repair it`,
        );
    }
  }
}

/** An agent, its store and what it emitted. */
export interface AgentHarness {
  readonly store: Store;
  readonly config: ConfigService;
  readonly definitions: FakeDefinitions;
  readonly agent: QuarantineAgent;
  readonly events: { event: string; payload: unknown }[];
  readonly dataDir: string;
  /** Add a sample (content stored as a real blob) in `status`; returns its id. */
  addSample(bytes: Buffer, attributes?: Record<string, string>, status?: string): Promise<number>;
  status(id: number): string | undefined;
  attributes(id: number): Record<string, string>;
  log(): string[];
  /** Stop the agent and close the store. */
  close(): Promise<void>;
}

const open: AgentHarness[] = [];

/** Build an agent on a fresh (or given) data folder, pointed at `gatewayUrl`. */
export function agentHarness(options: {
  gatewayUrl: string;
  config?: Record<string, unknown>;
  timings?: Partial<AgentTimings>;
  dataDir?: string;
  random?: () => number;
}): AgentHarness {
  const dataDir = options.dataDir ?? tempDir('cq-agent-');
  const store = openStore({ dataDir });
  const config = ConfigService.open(store.settings, store.audit, {});
  config.set(
    {
      webCommunication: { gatewayUrl: options.gatewayUrl },
      samplePolicy: { queueCheckIntervalSeconds: 1, statusQueryIntervalSeconds: 1 },
      definitionPolicy: { certifiedDefinitionsIntervalSeconds: 3600 },
      ...options.config,
    },
    'test',
  );
  const recorded: { event: string; payload: unknown }[] = [];
  const events: EventBus = {
    emit<E extends EventName>(event: E, payload: EventOf<E>) {
      recorded.push({ event, payload });
    },
  };
  const definitions = new FakeDefinitions(() => store);
  const agent = createQuarantineAgent({
    store,
    config,
    qlog: createQuarantineLog(store),
    events,
    definitions,
    resolveWithActiveSet: definitions.resolve,
    timings: { concurrency: 1, ...options.timings },
    random: options.random ?? (() => 0.5),
  });
  let closed = false;
  const harness: AgentHarness = {
    store,
    config,
    definitions,
    agent,
    events: recorded,
    dataDir,
    async addSample(bytes, attributes = {}, status = 'released') {
      const sha = sha256Hex(bytes);
      const temp = await store.blobs.createTemp();
      await temp.write(encodeBlob(bytes));
      const { storedSize } = await temp.finish();
      await store.blobs.install(temp, sha);
      return store.committer.commit(() => {
        store.blobsRepo.addRef(sha, bytes.length, storedSize);
        return store.samples.insert({
          blobSha256: sha,
          attributes: {
            'X-Sample-Checksum': md5Hex(bytes),
            'X-Sample-Size': String(bytes.length),
            'X-Sample-Type': 'file',
            'X-Sample-File': 'C:\\Users\\alice\\Documents\\report.exe',
            'X-Platform-Host': 'ws-042.example.test',
            'X-Platform-User': 'alice',
            'X-Date-Captured': formatHttpDate(Date.now() - 60_000),
            'X-Scan-Result': 'nodetect',
            'X-Sample-Status': status,
            ...attributes,
          },
          platformKey: 'host:ws-042.example.test',
          receivedAt: Date.now(),
          skewMs: 0,
          actor: 'test',
        });
      });
    },
    status: (id) => store.samples.get(id)?.status,
    attributes: (id) => store.samples.attributes(id),
    log: () => store.log.query({ limit: 1000 }).map((row) => `${row.level} ${row.message}`),
    async close() {
      if (closed) return;
      closed = true;
      await agent.stop({ shutdown: true });
      await store.committer.close();
      store.close();
    },
  };
  open.push(harness);
  return harness;
}

afterAll(async () => {
  for (const harness of open.splice(0)) await harness.close();
});
