import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// node-ipc shipped protestware in some releases; the lockfile must never resolve one of them.
const BAD_NODE_IPC = [
  /^9\.1\.6$/,
  /^9\.2\.2$/,
  /^9\.2\.3$/,
  /^10\.1\.[123]$/,
  /^11\./,
  /^12\.0\.1$/,
];

interface LockPackage {
  version?: string;
}

const lock = JSON.parse(
  readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8'),
) as {
  packages: Record<string, LockPackage>;
};
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
};

function resolved(name: string): { path: string; version: string }[] {
  return Object.entries(lock.packages)
    .filter(([path]) => path === `node_modules/${name}` || path.endsWith(`/node_modules/${name}`))
    .map(([path, p]) => ({ path, version: p.version ?? '' }));
}

describe('dependency lockfile', () => {
  it('pins node-ipc exactly to 12.0.0 in package.json', () => {
    expect(pkg.dependencies['node-ipc']).toBe('12.0.0');
  });

  it('resolves node-ipc only to a known-clean version', () => {
    const found = resolved('node-ipc');
    expect(found.length).toBeGreaterThan(0);
    for (const { path, version } of found) {
      expect(
        BAD_NODE_IPC.some((re) => re.test(version)),
        `${path}@${version}`,
      ).toBe(false);
      expect(version).toBe('12.0.0');
    }
  });

  it('never resolves peacenotwar or other node-ipc payload packages', () => {
    expect(resolved('peacenotwar')).toEqual([]);
    expect(resolved('oneday-test')).toEqual([]);
  });

  it.each(['event-pubsub', 'js-message', 'js-queue'])(
    'pins %s exactly through overrides',
    (name) => {
      const found = resolved(name);
      expect(found.length).toBeGreaterThan(0);
      const wanted = new Set(found.map((f) => f.version));
      expect(wanted.size).toBe(1);
    },
  );

  it('keeps better-sqlite3 on major 12 (13 crashes on Node 20)', () => {
    for (const { version } of resolved('better-sqlite3'))
      expect(version.startsWith('12.')).toBe(true);
  });
});
