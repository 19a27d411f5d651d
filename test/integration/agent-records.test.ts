import { describe, expect, it } from 'vitest';
import { AGENT_RECORD_PREFIX, AgentRecords } from '../../src-main/server/agent/agent-records.js';
import { openStore } from '../../src-main/server/store/index.js';
import { tempDir } from '../helpers/temp.js';

describe("the agent's records", () => {
  it('survive a restart, one settings row per sample, and are pruned', async () => {
    const dataDir = tempDir('cq-agent-records-');
    const store = openStore({ dataDir });
    const records = new AgentRecords(store.settings);
    await store.committer.commit(() => {
      records.update(7, { attempts: 2, sending: true, lastAttemptAt: 100 });
      records.update(8, { lastError: { at: 5, code: 'unavailable', message: 'not yet' } });
      records.update(9, { attempts: 1 });
    });
    await store.committer.commit(() => records.remove(9));
    await store.committer.close();
    store.close();

    const reopened = openStore({ dataDir });
    const again = new AgentRecords(reopened.settings);
    expect(again.get(7)).toMatchObject({ attempts: 2, sending: true, lastAttemptAt: 100 });
    expect(again.get(8).lastError).toEqual({ at: 5, code: 'unavailable', message: 'not yet' });
    expect(again.get(9)).toMatchObject({ attempts: 0, sending: false, lastError: null });
    expect(again.unanswered()).toEqual([7]);
    expect(reopened.settings.keys().filter((k) => k.startsWith(AGENT_RECORD_PREFIX))).toEqual([
      `${AGENT_RECORD_PREFIX}7`,
      `${AGENT_RECORD_PREFIX}8`,
    ]);
    expect(await reopened.committer.commit(() => again.prune((id) => id === 8))).toEqual([7]);
    expect(again.ids()).toEqual([8]);
    expect(reopened.settings.get(`${AGENT_RECORD_PREFIX}7`)).toBeUndefined();
    await reopened.committer.close();
    reopened.close();
  });
});
