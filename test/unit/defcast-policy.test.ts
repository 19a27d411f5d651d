/**
 * The Install Definitions policy (SPEC §11) as Defcast applies it, target identity from forwarded
 * attributes, and fix coverage.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src-shared/config/schema.js';
import { computeCoverage } from '../../src-main/server/defcast/coverage.js';
import {
  isSelectedFor,
  serversOf,
  targetsForActivation,
} from '../../src-main/server/defcast/policy.js';
import {
  canPush,
  endpointAddress,
  matchesName,
  sightingFromAttributes,
} from '../../src-main/server/defcast/target-identity.js';
import type { TargetRow } from '../../src-main/server/store/targets-repo.js';

function target(over: Partial<TargetRow>): TargetRow {
  return {
    id: 1,
    host: 'ws-1',
    addresses: ['10.0.0.1'],
    guid: '0123456789ABCDEF0123456789ABCDEF',
    managed: true,
    platformKey: 'guid:0123456789ABCDEF0123456789ABCDEF',
    defcastPort: 8849,
    distributor: null,
    sequence: 5,
    version: null,
    firstSeen: 1,
    lastSeen: 1,
    selected: false,
    pendingSequence: null,
    attempts: 0,
    nextAttemptAt: null,
    lastError: null,
    installedAt: null,
    ...over,
  };
}

describe('target identity', () => {
  it('reads a managed endpoint from its forward', () => {
    const sighting = sightingFromAttributes(
      'guid:X',
      {
        'X-Platform-Host': 'ws-7',
        'X-Platform-Address': '127.0.0.1  10.0.0.7 fe80::1',
        'X-Platform-GUID': '{01234567-89ab-cdef-0123-456789abcdef}',
        'X-Platform-Defcast-Port': '9001',
        'X-Platform-Distributor': 'AVFILES',
      },
      42,
    );
    expect(sighting).toEqual({
      platformKey: 'guid:X',
      host: 'ws-7',
      addresses: ['127.0.0.1', '10.0.0.7', 'fe80::1'],
      guid: '0123456789ABCDEF0123456789ABCDEF',
      defcastPort: 9001,
      distributor: 'AVFILES',
      seenAt: 42,
    });
  });

  it.each([['0'], ['65536'], ['http'], ['']])('ignores a Defcast port of %j', (port) => {
    expect(
      sightingFromAttributes('k', { 'X-Platform-Defcast-Port': port }, 1).defcastPort,
    ).toBeNull();
  });

  it('pushes only to endpoints with a GUID and a port, at their first address', () => {
    expect(canPush(target({}))).toBe(true);
    expect(canPush(target({ guid: null, managed: false }))).toBe(false);
    expect(canPush(target({ defcastPort: null }))).toBe(false);
    expect(endpointAddress(target({}))).toEqual({ host: '10.0.0.1', port: 8849 });
    expect(endpointAddress(target({ addresses: [] }))).toEqual({ host: 'ws-1', port: 8849 });
    expect(endpointAddress(target({ defcastPort: null }))).toBeNull();
  });

  it('matches names by host or GUID in any case', () => {
    expect(matchesName(target({}), ['WS-1'])).toBe(true);
    expect(matchesName(target({}), ['{01234567-89ab-cdef-0123-456789abcdef}'])).toBe(true);
    expect(matchesName(target({}), ['ws-2', 'AVFILES'])).toBe(false);
  });
});

describe('install definitions policy', () => {
  const defaults = parseConfig({});
  const selected = target({ id: 2, host: 'srv-a', selected: true, sequence: 3 });
  const listed = target({ id: 3, host: 'srv-b', sequence: 3 });
  const plain = target({ id: 4, host: 'ws-9', sequence: 3 });
  const current = target({ id: 5, host: 'srv-c', selected: true, sequence: 9 });
  const all = [selected, listed, plain, current];

  it('sends certified sets to the selected targets that run an older set (the default)', () => {
    expect(
      targetsForActivation(all, { sequence: 9, certified: true }, defaults).map((t) => t.id),
    ).toEqual([2]);
  });

  it('adds the targets named on the Install Definitions tab', () => {
    const config = parseConfig({ installDefinitions: { certified: { targets: ['SRV-B'] } } });
    expect(
      targetsForActivation(all, { sequence: 9, certified: true }, config).map((t) => t.id),
    ).toEqual([2, 3]);
    expect(isSelectedFor(listed, { sequence: 9, certified: false }, config)).toBe(false);
  });

  it('sends non-certified sets to selected targets only when that box is ticked', () => {
    expect(targetsForActivation(all, { sequence: 9, certified: false }, defaults)).toEqual([]);
    const config = parseConfig({
      installDefinitions: { nonCertified: { toSelectedTargets: true, targets: ['ws-9'] } },
    });
    expect(
      targetsForActivation(all, { sequence: 9, certified: false }, config).map((t) => t.id),
    ).toEqual([2, 4]);
  });

  it('sends nothing when certified delivery is off', () => {
    const config = parseConfig({ installDefinitions: { certified: { toSelectedTargets: false } } });
    expect(targetsForActivation(all, { sequence: 9, certified: true }, config)).toEqual([]);
  });

  it('finds the definitions server a client names', () => {
    const client = target({ id: 7, distributor: 'SRV-A' });
    expect(serversOf(client, all).map((t) => t.id)).toEqual([2]);
    expect(serversOf(target({ id: 8 }), all)).toEqual([]);
  });
});

describe('fix coverage', () => {
  it('counts the endpoints that run the fixing sequence or a higher one', () => {
    const coverage = computeCoverage('ABCDEF0123456789ABCDEF0123456789', [
      {
        sampleId: 1,
        host: 'a',
        status: 'installed',
        defsNeeded: 7,
        targetId: 1,
        managed: true,
        sequence: 7,
      },
      {
        sampleId: 2,
        host: 'b',
        status: 'distribute',
        defsNeeded: 7,
        targetId: 2,
        managed: true,
        sequence: 6,
      },
      {
        sampleId: 3,
        host: 'c',
        status: 'available',
        defsNeeded: 7,
        targetId: 3,
        managed: false,
        sequence: null,
      },
      {
        sampleId: 4,
        host: 'd',
        status: 'installed',
        defsNeeded: 5,
        targetId: 4,
        managed: true,
        sequence: null,
      },
      {
        sampleId: 5,
        host: 'e',
        status: 'distributed',
        defsNeeded: null,
        targetId: null,
        managed: false,
        sequence: 9,
      },
    ]);
    expect(coverage).toMatchObject({
      checksum: 'abcdef0123456789abcdef0123456789',
      fixingSequence: 7,
      endpoints: 5,
      covered: 3,
      managed: 3,
    });
    expect(coverage.rows.map((r) => r.covered)).toEqual([true, false, false, true, true]);
  });

  it('covers nothing while no fixing set is known', () => {
    const coverage = computeCoverage('00', [
      {
        sampleId: 1,
        host: 'a',
        status: 'held',
        defsNeeded: null,
        targetId: 1,
        managed: true,
        sequence: 4,
      },
    ]);
    expect(coverage).toMatchObject({ fixingSequence: null, endpoints: 1, covered: 0 });
  });
});
