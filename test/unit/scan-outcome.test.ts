/**
 * What a scan does to a sample, row by row of SPEC §3.2 (and the Install Definitions policy of
 * §11 for distribute/available), plus the X-Scan-* attributes of §6.
 */
import { describe, expect, it } from 'vitest';
import type { SampleStatus } from '../../src-shared/catalog/tokens.js';
import { createDefaultConfig } from '../../src-shared/config/defaults.js';
import type { Config } from '../../src-shared/config/schema.js';
import type { ActiveSet, ScanVerdict } from '../../src-main/server/scanner/engine.js';
import {
  decideStatus,
  deliversAutomatically,
  formatSequence,
  resolvingAttributes,
  scanApplies,
  scanAttributes,
} from '../../src-main/server/scanner/scan-outcome.js';
import { CLEAN_VERDICT, detectedVerdict } from '../../src-main/server/scanner/verdicts.js';

const set = (sequence: number, certified = true): ActiveSet => ({
  sequence,
  version: '2026.03.14.002',
  certified,
  dir: '/defs',
  name: `${formatSequence(sequence)}.all.zip`,
});

const REPAIRABLE = detectedVerdict('CQ.Test.PE.Appended', { action: 'truncate' });
const UNREPAIRABLE = detectedVerdict('Eicar-Test-Signature', null);
const HEURISTIC: ScanVerdict = { ...UNREPAIRABLE, result: 'heuristic' };
const GUID = '0123456789ABCDEF0123456789ABCDEF';

function config(patch: (c: Config) => void = () => undefined): Config {
  const c = createDefaultConfig();
  patch(c);
  return c;
}

const autoOff = config((c) => (c.samplePolicy.automaticSubmission = false));
const noClients = config((c) => (c.installDefinitions.nonCertified.toSelectedClients = false));
const listedTarget = config((c) => {
  c.installDefinitions.nonCertified.toSelectedClients = false;
  c.installDefinitions.certified.targets = ['WS-042'];
});

/** [row, status, attributes, verdict, set, config, expected status (null = stays), notRepaired]. */
const ROWS: [
  string,
  SampleStatus,
  Record<string, string>,
  ScanVerdict,
  ActiveSet,
  Config,
  SampleStatus | null,
  boolean,
][] = [
  [
    'repairable, managed, policy installs on clients',
    'quarantined',
    { 'X-Platform-GUID': GUID },
    REPAIRABLE,
    set(1),
    config(),
    'distribute',
    false,
  ],
  ['repairable, nonmanaged', 'quarantined', {}, REPAIRABLE, set(1), config(), 'available', false],
  [
    'repairable, managed, policy off',
    'quarantined',
    { 'X-Platform-GUID': GUID },
    REPAIRABLE,
    set(1),
    noClients,
    'available',
    false,
  ],
  [
    'repairable, managed, a selected target (certified)',
    'quarantined',
    { 'X-Platform-GUID': GUID, 'X-Platform-Host': 'ws-042' },
    REPAIRABLE,
    set(1),
    listedTarget,
    'distribute',
    false,
  ],
  [
    'repairable, selected for certified sets only, set not certified',
    'quarantined',
    { 'X-Platform-GUID': GUID, 'X-Platform-Host': 'ws-042' },
    REPAIRABLE,
    set(1, false),
    listedTarget,
    'available',
    false,
  ],
  [
    'not detected, automatic submission on',
    'quarantined',
    {},
    CLEAN_VERDICT,
    set(1),
    config(),
    'released',
    false,
  ],
  [
    'not detected, automatic submission off',
    'quarantined',
    {},
    CLEAN_VERDICT,
    set(1),
    autoOff,
    'held',
    false,
  ],
  [
    'detected without repair, on',
    'quarantined',
    {},
    UNREPAIRABLE,
    set(1),
    config(),
    'released',
    true,
  ],
  ['detected without repair, off', 'quarantined', {}, UNREPAIRABLE, set(1), autoOff, 'held', true],
  [
    'heuristic is not a repair',
    'quarantined',
    { 'X-Platform-GUID': GUID },
    HEURISTIC,
    set(1),
    config(),
    'released',
    true,
  ],
  ['held, a new set repairs it', 'held', {}, REPAIRABLE, set(2), config(), 'available', false],
  [
    'released, a new set repairs it',
    'released',
    { 'X-Platform-GUID': GUID },
    REPAIRABLE,
    set(2),
    config(),
    'distribute',
    false,
  ],
  ['released, still nothing', 'released', {}, CLEAN_VERDICT, set(2), config(), null, false],
  ['held, still unrepairable', 'held', {}, UNREPAIRABLE, set(2), autoOff, null, true],
  [
    'submitted, a new set repairs it',
    'submitted',
    {},
    REPAIRABLE,
    set(3),
    config(),
    'available',
    false,
  ],
  [
    'needed 2, set 2 installed',
    'needed',
    { 'X-Signatures-Sequence': '00000002' },
    REPAIRABLE,
    set(2),
    config(),
    'available',
    false,
  ],
  [
    'needed 2, set 3 installed',
    'needed',
    { 'X-Signatures-Sequence': '00000002', 'X-Platform-GUID': GUID },
    REPAIRABLE,
    set(3),
    config(),
    'distribute',
    false,
  ],
  [
    'needed 5, set 3 repairs it but 5 is awaited',
    'needed',
    { 'X-Signatures-Sequence': '00000005' },
    REPAIRABLE,
    set(3),
    config(),
    null,
    false,
  ],
  [
    'needed 2, set 3 does not resolve it',
    'needed',
    { 'X-Signatures-Sequence': '00000002' },
    CLEAN_VERDICT,
    set(3),
    config(),
    null,
    true,
  ],
  [
    'needed 5, set 3 does not resolve it yet',
    'needed',
    { 'X-Signatures-Sequence': '00000005' },
    CLEAN_VERDICT,
    set(3),
    config(),
    null,
    false,
  ],
  ['error, a new set repairs it', 'error', {}, REPAIRABLE, set(2), config(), 'available', false],
  [
    'attention, a new set repairs it',
    'attention',
    {},
    REPAIRABLE,
    set(2),
    config(),
    'available',
    false,
  ],
  ['distributed stays distributed', 'distributed', {}, REPAIRABLE, set(2), config(), null, false],
  ['installed stays installed', 'installed', {}, CLEAN_VERDICT, set(2), config(), null, false],
];

describe('decideStatus (SPEC §3.2)', () => {
  it.each(ROWS)('%s', (_row, status, attributes, verdict, activeSet, cfg, to, notRepaired) => {
    const decision = decideStatus(status, attributes, verdict, activeSet, cfg);
    expect(decision.to).toBe(to);
    expect(decision.notRepaired).toBe(notRepaired);
    expect(decision.reason).toMatch(new RegExp(`definitions ${activeSet.sequence}`));
  });
});

describe('deliversAutomatically', () => {
  it.each([
    ['no GUID', {}, config(), false],
    ['GUID, install on clients', { 'X-Platform-GUID': GUID }, config(), true],
    [
      'GUID, listed by GUID',
      { 'X-Platform-GUID': GUID },
      config((c) => {
        c.installDefinitions.nonCertified.toSelectedClients = false;
        c.installDefinitions.certified.targets = [GUID.toLowerCase()];
      }),
      true,
    ],
    [
      'GUID, listed but the option is off',
      { 'X-Platform-GUID': GUID, 'X-Platform-Host': 'a' },
      config((c) => {
        c.installDefinitions.nonCertified.toSelectedClients = false;
        c.installDefinitions.certified.toSelectedTargets = false;
        c.installDefinitions.certified.targets = ['a'];
      }),
      false,
    ],
  ] as const)('%s → %s', (_what, attributes, cfg, expected) => {
    expect(deliversAutomatically(attributes, set(1), cfg)).toBe(expected);
  });
});

describe('X-Scan-* attributes (SPEC §6)', () => {
  it.each([
    [
      'a repairable detection',
      REPAIRABLE,
      {
        'X-Scan-Result': 'repaired',
        'X-Scan-Virus-Name': 'CQ.Test.PE.Appended',
        'X-Scan-Virus-Identifier': String(REPAIRABLE.virusIdentifier),
      },
    ],
    [
      'a detection without repair',
      UNREPAIRABLE,
      { 'X-Scan-Result': 'norepair', 'X-Scan-Virus-Name': 'Eicar-Test-Signature' },
    ],
    [
      'no detection',
      CLEAN_VERDICT,
      { 'X-Scan-Result': 'nodetect', 'X-Scan-Virus-Name': null, 'X-Scan-Virus-Identifier': null },
    ],
  ])('%s', (_what, verdict, expected) => {
    const attributes = scanAttributes(verdict, set(678));
    expect(attributes).toMatchObject({
      ...expected,
      'X-Scan-Signatures-Name': '00000678.all.zip',
      'X-Scan-Signatures-Sequence': '00000678',
      'X-Scan-Signatures-Version': '2026.03.14.002',
    });
  });

  it.each([
    [{}, { 'X-Signatures-Sequence': '00000003', 'X-Signatures-Version': '2026.03.14.002' }],
    [
      { 'X-Signatures-Sequence': '00000002' },
      { 'X-Signatures-Sequence': '00000003', 'X-Signatures-Version': '2026.03.14.002' },
    ],
    [{ 'X-Signatures-Sequence': '00000007' }, {}],
  ])('records the resolving sequence over %j', (attributes, expected) => {
    expect(resolvingAttributes(attributes, set(3))).toEqual(expected);
  });
});

describe('which scans may move a sample', () => {
  it.each([
    ['new', 'quarantined', true],
    ['new', 'released', false],
    ['rescan', 'held', true],
    ['rescan', 'needed', true],
    ['rescan', 'distribute', false],
    ['rescan', 'installed', false],
    ['manual', 'installed', true],
  ] as const)('%s scan of a %s sample: %s', (kind, status, applies) => {
    expect(scanApplies(kind, status)).toBe(applies);
  });
});
