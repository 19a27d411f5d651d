/** The shared package vocabulary: names, versions, display versions, allowed file names. */
import { describe, expect, it } from 'vitest';
import {
  displayDefinitionsVersion,
  formatDefinitionsVersion,
  formatPackageName,
  isPackageFileName,
  parseDefinitionsVersion,
  parsePackageName,
} from '../../src-shared/definitions/manifest.js';
import { parseRepairRecipes } from '../../src-shared/definitions/repair-recipes.js';
import { virusIdentifierFor } from '../../src-shared/definitions/virus-identifier.js';

describe('package names', () => {
  it.each([
    [678, 'all', '00000678.all.zip'],
    [1, 'incr', '00000001.incr.zip'],
    [99_999_999, 'all', '99999999.all.zip'],
  ] as const)('%i %s ⇄ %s', (sequence, kind, name) => {
    expect(formatPackageName(sequence, kind)).toBe(name);
    expect(parsePackageName(name)).toEqual({ sequence, kind });
  });

  it.each([
    '678.all.zip',
    '00000678.full.zip',
    '00000000.all.zip',
    '00000678.all.zip.exe',
    '../00000678.all.zip',
  ])('%s is not a package name', (name) => expect(parsePackageName(name)).toBeNull());

  it.each([0, -1, 1.5, 100_000_000])('sequence %s cannot be formatted', (sequence) => {
    expect(() => formatPackageName(sequence, 'all')).toThrow(RangeError);
  });
});

describe('versions', () => {
  it.each([
    ['2026.03.14.001', '260314a'],
    ['2026.03.14.002', '260314b'],
    ['2026.03.14.026', '260314z'],
    ['2026.03.14.027', '260314aa'],
    ['1999.12.31.052', '991231az'],
    ['2000.01.01.053', '000101ba'],
  ])('%s displays as %s', (version, display) => {
    expect(displayDefinitionsVersion(version)).toBe(display);
  });

  it.each(['2026.02.29.001', '2026.13.01.001', '2026.03.14.000', '2026.3.14.001', '26.03.14.001'])(
    '%s is not a version',
    (version) => expect(parseDefinitionsVersion(version)).toBeNull(),
  );

  it('formats the version of a day and revision', () => {
    expect(formatDefinitionsVersion(Date.UTC(2024, 1, 29, 23, 59), 12)).toBe('2024.02.29.012');
    expect(parseDefinitionsVersion('2024.02.29.012')).toEqual({
      year: 2024,
      month: 2,
      day: 29,
      revision: 12,
    });
  });
});

describe('file names a package may carry', () => {
  it.each([
    ['main.ndb', true],
    ['daily-2026_03.hdb', true],
    ['x.hsb', true],
    ['logic.ldb', true],
    ['rules.yar', true],
    ['repair.json', true],
    ['manifest.json', false],
    ['.hidden.ndb', false],
    ['sub/main.ndb', false],
    ['main.exe', false],
    ['main.NDB', false],
    ['nul.ndb', false],
    ['COM1.hdb', false],
    [`${'a'.repeat(64)}.ndb`, true],
    [`${'a'.repeat(65)}.ndb`, false],
  ])('%s → %s', (name, allowed) => expect(isPackageFileName(name)).toBe(allowed));
});

describe('repair.json', () => {
  it.each([
    [{ 'A.B': { action: 'excise' }, C: { action: 'truncate' } }, true],
    [{}, true],
    [{ A: { action: 'delete' } }, false],
    [{ A: { action: 'excise', extra: 1 } }, false],
    [{ 'has space': { action: 'excise' } }, false],
    [[], false],
  ])('%j valid → %s', (value, valid) => expect(parseRepairRecipes(value).ok).toBe(valid));
});

describe('virus identifiers', () => {
  it('are stable positive numbers that differ between names', () => {
    expect(virusIdentifierFor('Eicar-Test-Signature')).toBe(
      virusIdentifierFor('Eicar-Test-Signature'),
    );
    const ids = new Set(
      ['A', 'B', 'Eicar-Test-Signature', 'CQ.Test.PE.Appended'].map(virusIdentifierFor),
    );
    expect(ids.size).toBe(4);
    for (const id of ids) expect(id).toBeGreaterThan(0);
  });
});
