/**
 * The scan backlog: bounded, deduplicated, refilled from the database when there is room, and
 * paused (never dropping a job) while the engine cannot scan. Also the scanner's conditions.
 */
import { describe, expect, it } from 'vitest';
import { IntakeActivity, QUIET_AFTER_MS } from '../../src-main/server/intake/intake-activity.js';
import { ScannerConditions } from '../../src-main/server/scanner/scan-conditions.js';
import {
  ScanQueue,
  type ScanJobKind,
  type ScanJobResult,
} from '../../src-main/server/scanner/scan-queue.js';

/** A queue whose jobs finish when the test says so. */
function harness(
  options: {
    workers?: number;
    limit?: number;
    backlog?: number[];
    yieldTo?: { busy(): boolean };
    now?: () => number;
  } = {},
) {
  const started: [number, ScanJobKind][] = [];
  const finishers = new Map<number, (result: ScanJobResult) => void>();
  const backlog = [...(options.backlog ?? [])];
  const queue = new ScanQueue({
    workers: options.workers ?? 1,
    limit: options.limit ?? 4,
    run: (id, kind) => {
      started.push([id, kind]);
      return new Promise((resolve) => finishers.set(id, resolve));
    },
    refill: (room) => backlog.splice(0, room).map((id) => ({ id, kind: 'new' as const })),
    ...(options.yieldTo ? { yieldTo: options.yieldTo, maxYieldMs: 1000 } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const finish = (id: number, result: ScanJobResult = { kind: 'scanned', detail: 'ok' }): void => {
    const resolve = finishers.get(id);
    if (!resolve) throw new Error(`job ${id} is not running`);
    finishers.delete(id);
    resolve(result);
  };
  const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
  return { queue, started, finish, settle, backlog };
}

describe('ScanQueue', () => {
  it('runs at most `workers` jobs at a time, in order', async () => {
    const { queue, started, finish, settle } = harness({ workers: 2, limit: 10 });
    for (const id of [1, 2, 3]) queue.push(id, 'new');
    expect(started.map(([id]) => id)).toEqual([1, 2]);
    finish(1);
    await settle();
    expect(started.map(([id]) => id)).toEqual([1, 2, 3]);
  });

  it('refuses new jobs when full (the database keeps them) but takes an administrator’s', () => {
    const { queue } = harness({ workers: 1, limit: 2 });
    expect([1, 2, 3].map((id) => queue.push(id, 'new'))).toEqual([true, true, true]);
    expect(queue.push(4, 'new')).toBe(false);
    expect(queue.push(5, 'manual')).toBe(true);
  });

  it('keeps one place per sample, with the broader kind', async () => {
    const { queue, started, finish, settle } = harness({ workers: 1 });
    queue.push(1, 'new');
    queue.push(2, 'new');
    queue.push(2, 'rescan');
    queue.push(2, 'new');
    finish(1);
    await settle();
    expect(started).toEqual([
      [1, 'new'],
      [2, 'rescan'],
    ]);
  });

  it('refills from the backlog when there is room', async () => {
    const { queue, started, finish, settle, backlog } = harness({
      workers: 1,
      limit: 4,
      backlog: [10, 11, 12, 13, 14, 15],
    });
    queue.kick();
    expect(started.map(([id]) => id)).toEqual([10]);
    for (const id of [10, 11, 12, 13, 14]) {
      finish(id);
      await settle();
    }
    expect(started.map(([id]) => id)).toEqual([10, 11, 12, 13, 14, 15]);
    expect(backlog).toEqual([]);
  });

  it('keeps a job that must wait for the engine, and runs it first after resuming', async () => {
    const { queue, started, finish, settle } = harness({ workers: 1 });
    queue.push(1, 'new');
    queue.push(2, 'new');
    queue.pause();
    finish(1, { kind: 'retry', detail: 'clamd is down' });
    await settle();
    expect(queue.size).toBe(2);
    await queue.idle();
    queue.resume();
    expect(started.map(([id]) => id)).toEqual([1, 1]);
    finish(1);
    await settle();
    expect(started.map(([id]) => id)).toEqual([1, 1, 2]);
  });

  it('tells an administrator waiting on a job "not scanned" instead of waiting for the engine', async () => {
    const { queue, finish, settle } = harness({ workers: 1 });
    const heard: ScanJobResult[] = [];
    queue.push(1, 'manual', (r) => heard.push(r));
    queue.pause();
    finish(1, { kind: 'retry', detail: 'clamd is down' });
    await settle();
    expect(heard).toEqual([{ kind: 'not-scanned', detail: 'clamd is down' }]);
    expect(queue.size).toBe(0);
  });

  it('reports idle only when nothing waits or runs', async () => {
    const { queue, finish } = harness({ workers: 1 });
    queue.push(1, 'new');
    let idle = false;
    const waiting = queue.idle().then(() => (idle = true));
    await new Promise((r) => setImmediate(r));
    expect(idle).toBe(false);
    finish(1);
    await waiting;
    expect(idle).toBe(true);
  });
});

describe('ScanQueue giving way to intake', () => {
  it('holds background jobs while intake is busy, runs an administrator’s at once', async () => {
    let busy = true;
    let now = 0;
    const { queue, started, settle } = harness({
      workers: 2,
      limit: 10,
      yieldTo: { busy: () => busy },
      now: () => now,
    });
    queue.push(1, 'new');
    queue.push(2, 'rescan');
    queue.push(3, 'manual');
    expect(started).toEqual([[3, 'manual']]);
    expect(queue.isYielding).toBe(true);
    // Intake goes quiet: the queue looks again by itself and starts the held jobs.
    busy = false;
    now = 50;
    await new Promise((r) => setTimeout(r, 250));
    await settle();
    expect(started.map(([id]) => id)).toEqual([3, 1]);
    expect(queue.isYielding).toBe(false);
  });

  it('after holding back for maxYieldMs, lets one background job at a time through', async () => {
    let now = 0;
    const { queue, started, finish, settle } = harness({
      workers: 2,
      limit: 10,
      yieldTo: { busy: () => true },
      now: () => now,
    });
    for (const id of [1, 2, 3]) queue.push(id, 'new');
    expect(started).toEqual([]);
    now = 1000;
    await new Promise((r) => setTimeout(r, 250));
    expect(started.map(([id]) => id)).toEqual([1]);
    finish(1);
    await settle();
    expect(started.map(([id]) => id)).toEqual([1, 2]);
    // Still one at a time: job 3 waits for job 2.
    expect(queue.size).toBe(2);
  });
});

describe('IntakeActivity', () => {
  it('is busy with forwards in flight and for a moment after the last one', () => {
    let now = 1000;
    const activity = new IntakeActivity(() => now);
    expect(activity.busy()).toBe(false);
    const first = activity.begin();
    const second = activity.begin();
    first();
    first();
    expect(activity.busy()).toBe(true);
    second();
    now += QUIET_AFTER_MS - 1;
    expect(activity.busy()).toBe(true);
    now += 1;
    expect(activity.busy()).toBe(false);
  });
});

describe('ScannerConditions', () => {
  it('announces a change of state or message once, and ends per-sample ones of deleted samples', () => {
    const conditions = new ScannerConditions();
    const heard: string[] = [];
    conditions.onChange((c) =>
      heard.push(`${c.event}:${c.sampleId ?? '-'}:${c.active}:${c.message}`),
    );
    conditions.set('scannerUnreachable', true, 'clamd exited');
    conditions.set('scannerUnreachable', true, 'clamd exited');
    conditions.set('scannerUnreachable', true, 'clamd exited again');
    conditions.set('sampleNotRepaired', true, 'no recipe', 7);
    conditions.set('sampleNotRepaired', false, 'never raised', 8);
    expect(conditions.scannerUnreachable).toBe(true);
    expect(conditions.active().map((c) => c.event)).toEqual([
      'scannerUnreachable',
      'sampleNotRepaired',
    ]);
    conditions.forgetSamples([7]);
    conditions.set('scannerUnreachable', false, 'clamd is back');
    expect(heard).toEqual([
      'scannerUnreachable:-:true:clamd exited',
      'scannerUnreachable:-:true:clamd exited again',
      'sampleNotRepaired:7:true:no recipe',
      'sampleNotRepaired:7:false:the sample was deleted',
      'scannerUnreachable:-:false:clamd is back',
    ]);
    expect(conditions.active()).toEqual([]);
  });
});
