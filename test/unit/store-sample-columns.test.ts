import { describe, expect, it } from 'vitest';
import {
  baseName,
  COLUMN_RULES,
  DERIVED_COLUMNS,
  deriveColumns,
} from '../../src-main/server/store/sample-columns.js';
import { escapeLike } from '../../src-main/server/store/sample-list.js';

const REQUIRED = {
  'X-Sample-Checksum': '8b37247c71443d40a2d7fcf16867803a',
  'X-Sample-Size': '10',
  'X-Sample-Status': 'held',
};

describe('deriveColumns', () => {
  it('maps each column from exactly the attributes of the mapping table', () => {
    expect(new Set(DERIVED_COLUMNS).size).toBe(COLUMN_RULES.length);
    expect(deriveColumns(REQUIRED)).toEqual({
      checksum: '8B37247C71443D40A2D7FCF16867803A',
      size: 10,
      status: 'held',
      correlator: null,
      guid: null,
      host: null,
      user_name: null,
      domain: null,
      file_name: null,
      submitted_at: null,
      analysis_state: null,
      analyzed_at: null,
      finished_at: null,
      defs_needed: null,
      virus_name: null,
      priority: 0,
      changes: 1,
    });
  });

  it.each([
    ['X-Platform-Correlator', 'ABC', 'correlator', 'ABC'],
    ['X-Platform-GUID', 'G', 'guid', 'G'],
    ['X-Platform-Host', 'PC1', 'host', 'PC1'],
    ['X-Platform-User', 'Zoë', 'user_name', 'Zoë'],
    ['X-Platform-Domain', 'CORP', 'domain', 'CORP'],
    ['X-Sample-File', 'C:\\a\\b.exe', 'file_name', 'b.exe'],
    [
      'X-Date-Submitted',
      'Tue, 27 Jan 1998 14:32:45 GMT',
      'submitted_at',
      Date.UTC(1998, 0, 27, 14, 32, 45),
    ],
    [
      'X-Date-Analyzed',
      'Tue, 27 Jan 1998 14:32:45 GMT',
      'analyzed_at',
      Date.UTC(1998, 0, 27, 14, 32, 45),
    ],
    ['X-Date-Finished', 'not a date', 'finished_at', null],
    ['X-Analysis-State', 'infected', 'analysis_state', 'infected'],
    ['X-Signatures-Sequence', '678', 'defs_needed', 678],
    ['X-Signatures-Sequence', 'many', 'defs_needed', null],
    ['X-Scan-Virus-Name', 'W32.A', 'virus_name', 'W32.A'],
    ['X-Sample-Priority', '5', 'priority', 5],
    ['X-Sample-Priority', 'high', 'priority', 0],
    ['X-Sample-Changes', '7', 'changes', 7],
  ])('%s: %s → %s = %j', (attribute, value, column, expected) => {
    const derived = deriveColumns({ ...REQUIRED, [attribute]: value }) as unknown as Record<
      string,
      unknown
    >;
    expect(derived[column]).toEqual(expected);
  });

  it.each([
    [{ 'X-Sample-Checksum': undefined }, /X-Sample-Checksum is required/],
    [{ 'X-Sample-Status': undefined }, /X-Sample-Status is required/],
    [{ 'X-Sample-Checksum': '12345' }, /not an MD5/],
    [{ 'X-Sample-Size': '1e3' }, /not a size/],
  ])('refuses %j', (patch, message) => {
    const attributes: Record<string, string> = { ...REQUIRED };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete attributes[k];
      else attributes[k] = v;
    }
    expect(() => deriveColumns(attributes)).toThrow(message);
  });
});

describe('baseName', () => {
  it.each([
    ['C:\\Windows\\System32\\evil.dll', 'evil.dll'],
    ['\\\\server\\share\\doc.doc', 'doc.doc'],
    ['/usr/local/bin/tool', 'tool'],
    ['relative/dir\\mixed.txt', 'mixed.txt'],
    ['A:boot.sys', 'boot.sys'],
    ['name-only', 'name-only'],
    ['trailing/', ''],
  ])('%s → %s', (input, expected) => {
    expect(baseName(input)).toBe(expected);
  });
});

describe('escapeLike', () => {
  it.each([
    ['50%', '50\\%'],
    ['a_b', 'a\\_b'],
    ['back\\slash', 'back\\\\slash'],
    ['plain', 'plain'],
  ])('%s → %s', (input, expected) => {
    expect(escapeLike(input)).toBe(expected);
  });
});
