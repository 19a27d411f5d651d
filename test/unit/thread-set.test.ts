/** ThreadSet: started on first use, work to the least busy, a dead thread replaced. */
import { describe, expect, it } from 'vitest';
import { ThreadSet } from '../../src-main/threads/thread-set.js';

interface FakeThread {
  readonly n: number;
  load: number;
  terminated: boolean;
  die(): void;
  terminate(): Promise<number>;
}

describe('ThreadSet', () => {
  it('starts its threads on first use, picks the least busy and replaces a dead one', async () => {
    let started = 0;
    const set = new ThreadSet<FakeThread>(2, (forget) => {
      const thread: FakeThread = {
        n: ++started,
        load: 0,
        terminated: false,
        die: () => forget(thread),
        terminate: () => {
          thread.terminated = true;
          return Promise.resolve(0);
        },
      };
      return thread;
    });
    expect(started).toBe(0);
    const first = set.pick();
    expect(started).toBe(2);
    first.load = 3;
    const second = set.pick();
    expect(second.n).toBe(2);
    second.load = 5;
    expect(set.pick()).toBe(first);
    first.die();
    const replacement = set.pick();
    expect(replacement.n).toBe(3);
    await set.close();
    expect([first.terminated, second.terminated, replacement.terminated]).toEqual([
      false,
      true,
      true,
    ]);
  });
});
