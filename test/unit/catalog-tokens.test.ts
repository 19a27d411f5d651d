import { describe, expect, it } from 'vitest';
import {
  ACTIVE_ANALYSIS_STATES,
  ANALYSIS_STATES,
  ANALYSIS_STATE_GROUPS,
  FINAL_ANALYSIS_STATES,
  PENDING_ANALYSIS_STATES,
  SAMPLE_STATUS_INFO,
  TOKEN_SETS,
  TRANSIT_ANALYSIS_STATES,
  analysisStateGroup,
  isAnalysisState,
  isSampleReason,
  isSampleStatus,
  isSampleType,
  tokenLabel,
  type TokenSetId,
} from '../../src-shared/catalog/tokens.js';

/** The token sets exactly as SPEC §3.2/§3.3 and the guide's tables list them. */
const EXPECTED: [TokenSetId, string][] = [
  [
    'sampleStatus',
    'quarantined held released submitted needed available distribute distributed installed notinstalled unneeded error attention restart',
  ],
  [
    'analysisState',
    'abort attention broken declined error infected misfired nodetect norepair uninfectable uninfected unsubmittable encrypted delete restore ' +
      'accepted importing receiving defer deferred deferring imported rescan ' +
      'archive archiving binary binaryControlling binaryReplicating binaryScoring binaryWait classifying fullBuilding fullUnitTesting incrBuilding incrUnitTesting locking macro macroControlling macroReplicating macroScoring macroWait signatures unlocking',
  ],
  [
    'scanResult',
    'badrepair badscan completed heuristic nodetect norepair overrun repaired underrun unrepairable unsubmittable',
  ],
  ['sampleReason', 'badrepair manual norepair suspicious variant'],
  ['sampleType', 'file sector'],
  ['serviceClass', 'gold platinum'],
  ['service', 'quickcheck'],
  ['checksumMethod', 'md5'],
  ['compression', 'deflate zip'],
  ['encoding', 'base64'],
  ['scrambling', 'xor-vampish'],
];

describe('token sets', () => {
  it('covers every set of the catalog', () => {
    expect(Object.keys(TOKEN_SETS).sort()).toEqual(EXPECTED.map(([id]) => id).sort());
  });

  it.each(EXPECTED)('%s holds exactly the listed tokens', (id, tokens) => {
    expect([...TOKEN_SETS[id].tokens]).toEqual(tokens.split(' '));
    expect(TOKEN_SETS[id].id).toBe(id);
  });

  const everyToken = EXPECTED.flatMap(([id, tokens]) =>
    tokens.split(' ').map((token) => [id, token] as const),
  );

  it.each(everyToken)(
    '%s: %s has a label, a one-line description and passes its guard',
    (id, token) => {
      const set = TOKEN_SETS[id];
      const info = (
        set.info as Record<string, { token: string; label: string; description: string }>
      )[token];
      expect(info?.token).toBe(token);
      expect(info?.label.length).toBeGreaterThan(0);
      expect(info?.description).toMatch(/^[A-Z].*\.$/);
      expect(info?.description).not.toMatch(/\n/);
      expect(set.is(token)).toBe(true);
    },
  );

  it.each(EXPECTED)('%s refuses tokens it does not hold', (id) => {
    const set = TOKEN_SETS[id];
    expect(set.is('bogus')).toBe(false);
    expect(set.is('')).toBe(false);
    expect(set.is(`${set.tokens[0]!} `)).toBe(false);
    expect(set.is('toString')).toBe(false);
  });

  it('has no duplicate tokens within a set', () => {
    for (const [id] of EXPECTED) {
      const tokens = TOKEN_SETS[id].tokens;
      expect(new Set(tokens).size).toBe(tokens.length);
    }
  });
});

describe('labels', () => {
  it.each([
    ['notinstalled', 'Not installed'],
    ['quarantined', 'Quarantined'],
    ['distributed', 'Distributed'],
    ['unneeded', 'Unneeded'],
  ] as const)('status %s shows as "%s"', (token, label) => {
    expect(SAMPLE_STATUS_INFO[token].label).toBe(label);
    expect(tokenLabel('sampleStatus', token)).toBe(label);
  });

  it('falls back to the token itself for unknown tokens', () => {
    expect(tokenLabel('analysisState', 'replicated')).toBe('replicated');
    expect(tokenLabel('sampleStatus', 'constructor')).toBe('constructor');
  });
});

describe('analysis state groups', () => {
  const groups = [
    ['final', FINAL_ANALYSIS_STATES],
    ['transit', TRANSIT_ANALYSIS_STATES],
    ['pending', PENDING_ANALYSIS_STATES],
    ['active', ACTIVE_ANALYSIS_STATES],
  ] as const;
  const rows = groups.flatMap(([group, states]) => states.map((s) => [s, group] as const));

  it.each(rows)('%s is %s', (state, group) => {
    expect(analysisStateGroup(state)).toBe(group);
    expect(isAnalysisState(state)).toBe(true);
  });

  it('partitions the states: every state in exactly one group', () => {
    expect(rows).toHaveLength(ANALYSIS_STATES.length);
    expect(new Set(ANALYSIS_STATES).size).toBe(ANALYSIS_STATES.length);
    expect(groups.map(([g]) => g)).toEqual([...ANALYSIS_STATE_GROUPS]);
  });

  it.each(['replicated', 'Importing', '', 'final'])('%j has no group', (token) => {
    expect(analysisStateGroup(token)).toBeNull();
  });
});

describe('named guards', () => {
  it.each([
    [isSampleStatus, 'notinstalled', 'not installed'],
    [isSampleReason, 'variant', 'virus'],
    [isSampleType, 'sector', 'disk'],
  ] as const)('guard accepts %s and refuses the other', (guard, good, bad) => {
    expect(guard(good)).toBe(true);
    expect(guard(bad)).toBe(false);
  });
});
