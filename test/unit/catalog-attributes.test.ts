import { describe, expect, it } from 'vitest';
import {
  ATTRIBUTES,
  ATTRIBUTE_GROUPS,
  canonicalAttributeName,
  getAttributeSpec,
  validateAttribute,
  type AttributeSpec,
} from '../../src-shared/catalog/attributes.js';
import { TOKEN_SETS } from '../../src-shared/catalog/tokens.js';

/** Appendix A, section by section. */
const GUIDE: Record<string, string[]> = {
  'X-Analysis': ['Cookie', 'Issue', 'Service', 'State', 'Virus-Identifier', 'Virus-Name'],
  'X-Checksum-Method': [''],
  'X-Content': ['Checksum', 'Compression', 'Encoding', 'Scrambling'],
  'X-Customer': [
    'Contact-Email',
    'Contact-Name',
    'Contact-Telephone',
    'Credentials',
    'Identifier',
    'Name',
  ],
  'X-Date': [
    'Accessed',
    'Analyzed',
    'Blessed',
    'Captured',
    'Created',
    'Distributed',
    'Finished',
    'Forwarded',
    'Installed',
    'Modified',
    'Produced',
    'Published',
    'Submitted',
  ],
  'X-Error': [''],
  'X-Platform': [
    'Address',
    'Correlator',
    'Distributor',
    'Domain',
    'GUID',
    'Host',
    'Language',
    'Owner',
    'Processor',
    'QServer-CountryCode',
    'QServer-WinINet',
    'QServer-WinINet-Encryption',
    'Scanner',
    'System',
    'User',
  ],
  'X-Sample': [
    'Changes',
    'Checksum',
    'Checkup',
    'Extension',
    'File',
    'Geometry',
    'Priority',
    'Reason',
    'Sector',
    'Service',
    'Size',
    'Status',
    'Strip',
    'Switches',
    'Type',
  ],
  'X-Scan': [
    'Result',
    'Signatures-Name',
    'Signatures-Sequence',
    'Signatures-Version',
    'Virus-Identifier',
    'Virus-Name',
  ],
  'X-Signatures': ['Checksum', 'Priority', 'Sequence', 'Version'],
};

const GUIDE_NAMES = Object.entries(GUIDE).flatMap(([group, rest]) =>
  rest.map((r) => [r === '' ? group : `${group}-${r}`, group] as const),
);

/** A valid value for every attribute, for the ones the guide gives no example of. */
function validValue(spec: AttributeSpec): string {
  if (spec.examples[0] !== undefined) return spec.examples[0];
  switch (spec.type) {
    case 'date':
      return 'Wed, 28 Jan 1998 09:00:00 GMT';
    case 'list':
      return spec.item === 'switch' ? 'fast trace=2' : '9.2.18.13';
    default:
      throw new Error(`no valid value for ${spec.name}`);
  }
}

/** Values each type must refuse. */
function malformedValues(spec: AttributeSpec): string[] {
  const common = ['', '   ', 'bad\u0007bell', 'line\nbreak'];
  switch (spec.type) {
    case 'token':
      return [...common, spec.open ? 'two words' : 'bogus', spec.open ? 'semi;colon' : 'xyz'];
    case 'integer':
      return [
        ...common,
        '-1',
        '1.5',
        '12abc',
        '0x10',
        '+5',
        String(spec.max + 1),
        ...(spec.min > 0 ? [String(spec.min - 1)] : []),
        ...(spec.values ? [String(spec.min + 1)] : []),
      ];
    case 'md5':
    case 'guid':
      return [
        ...common,
        'A'.repeat(31),
        'A'.repeat(33),
        'G'.repeat(32),
        `${'A'.repeat(31)} `.repeat(1) + 'A',
      ];
    case 'date':
      return [
        ...common,
        'Mon, 27 Jan 1998 14:32:45 GMT',
        'Tue, 27 Jan 1998 14:32:45 UTC',
        'Tue, 32 Jan 1998 14:32:45 GMT',
        'Tue, 27 Jan 1998 24:32:45 GMT',
        '1998-01-27T14:32:45Z',
      ];
    case 'text':
      return [
        ...common,
        ...(spec.maxLength !== undefined ? ['é'.repeat(spec.maxLength + 1)] : []),
        ...(spec.pattern !== undefined ? ['has.period and blank'] : []),
      ];
    case 'list':
      return [
        ...common,
        spec.item === 'address' ? '9.2.18.13,10.0.0.1' : spec.item === 'sector' ? '0/0/0-' : 'a;b',
        spec.item === 'address' ? '256.1.1.1' : spec.item === 'sector' ? '5/0/0-1/0/0' : '=x',
      ];
    case 'sequence':
      return [...common, '123456789', 'abc', '-1', '00000678.all'];
    case 'version':
      return [...common, '1999.13.06.001', '1999.02.30.001', '1999.2.6.1', '1999.02.06'];
    case 'geometry':
      return [...common, '80/2/18', '80/2/18 chs', '0/2/18 chs 512 bytes', '80/2/18 chs 512'];
    case 'error':
      return [...common, 'bogus 1 2', 'Overflow'];
  }
}

describe('attribute catalog contents', () => {
  it('lists exactly the attributes of appendix A', () => {
    expect(ATTRIBUTES.map((a) => a.name).sort()).toEqual(GUIDE_NAMES.map(([n]) => n).sort());
  });

  it.each(ATTRIBUTE_GROUPS.map((g) => [g, GUIDE[g]!.length] as const))(
    'group %s has %i attributes',
    (group, count) => {
      expect(ATTRIBUTES.filter((a) => a.group === group)).toHaveLength(count);
    },
  );

  it.each(GUIDE_NAMES)('%s is in group %s with a type, setter and description', (name, group) => {
    const spec = getAttributeSpec(name);
    expect(spec?.name).toBe(name);
    expect(spec?.group).toBe(group);
    expect(spec?.setBy.length).toBeGreaterThan(0);
    expect(spec?.description).toMatch(/^[A-Z].*\.$/);
    expect(spec?.description).not.toMatch(/\n/);
  });

  it.each([
    ['X-Sample-Priority', 0, 1000],
    ['X-Signatures-Priority', 0, 1000],
  ])('%s is an integer from %i to %i', (name, min, max) => {
    expect(getAttributeSpec(name)).toMatchObject({ type: 'integer', min, max });
  });

  it.each([
    ['X-Customer-Contact-Email', 255],
    ['X-Customer-Contact-Name', 255],
    ['X-Customer-Contact-Telephone', 255],
    ['X-Customer-Name', 255],
    ['X-Customer-Identifier', 63],
    ['X-Platform-Correlator', 32],
  ])('%s is text of at most %i characters', (name, maxLength) => {
    expect(getAttributeSpec(name)).toMatchObject({ type: 'text', maxLength });
  });

  it('names an existing token set for every token attribute', () => {
    for (const spec of ATTRIBUTES) {
      if (spec.type === 'token') expect(TOKEN_SETS[spec.tokenSet]).toBeDefined();
    }
  });
});

describe('guide examples', () => {
  const examples = ATTRIBUTES.flatMap((spec) => spec.examples.map((e) => [spec.name, e] as const));

  it('the guide gives an example for most attributes', () => {
    expect(examples.length).toBeGreaterThanOrEqual(60);
  });

  it.each(examples)('%s: %s validates', (name, example) => {
    const result = validateAttribute(name, example);
    expect(result).toMatchObject({ ok: true });
  });

  it.each([
    ['X-Sample-Sector', '0/0/0-79/1/17'],
    ['X-Sample-Sector', '0/0/0-0/0/31 799/7/31'],
    ['X-Sample-Geometry', '80/2/18 chs 512 bytes'],
    ['X-Sample-Geometry', '800/8/32 chs 512 bytes'],
    ['X-Customer-Identifier', '123456-ABCDEFgold 0123456789ABCDEFGHIJ'],
    ['X-Date-Created', 'Tue, 27 Jan 1998 14:32:45 GMT'],
    ['X-Error', 'overrun 10138 10139'],
    ['X-Platform-QServer-WinINet-Encryption', '128'],
    ['X-Scan-Signatures-Version', '1999.02.06.001'],
  ])('%s keeps the guide example "%s" unchanged', (name, value) => {
    expect(getAttributeSpec(name)?.examples).toContain(value);
    expect(validateAttribute(name, value)).toEqual({ ok: true, value });
  });
});

describe('validation per type', () => {
  it.each(ATTRIBUTES.map((s) => [s.name, s] as const))('%s accepts a valid value', (_, spec) => {
    expect(validateAttribute(spec.name, validValue(spec)).ok).toBe(true);
  });

  const refusals = ATTRIBUTES.flatMap((spec) =>
    malformedValues(spec).map((v) => [spec.name, spec.type, v] as const),
  );

  it.each(refusals)('%s (%s) refuses %j', (name, _type, value) => {
    const result = validateAttribute(name, value);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(name);
  });

  it.each([
    ['X-Sample-Checksum', '8b37247c71443d40a2d7fcf16867803a', '8B37247C71443D40A2D7FCF16867803A'],
    [
      'X-Platform-GUID',
      '{01234567-89ab-cdef-0123-456789abcdef}',
      '0123456789ABCDEF0123456789ABCDEF',
    ],
    ['X-Signatures-Sequence', '678', '00000678'],
    ['X-Scan-Signatures-Sequence', '00000678', '00000678'],
    ['X-Sample-Status', 'HELD', 'held'],
    ['X-Analysis-State', 'binarycontrolling', 'binaryControlling'],
    ['X-Analysis-State', 'replicated', 'replicated'],
    ['X-Sample-Priority', '007', '7'],
    ['X-Platform-Address', ' 9.2.18.13   10.0.0.1 ', '9.2.18.13 10.0.0.1'],
    [
      'X-Platform-Address',
      '::1 fe80::1:2 00000001:0060B0A1B2C3',
      '::1 fe80::1:2 00000001:0060B0A1B2C3',
    ],
    ['X-Sample-Geometry', '80/2/18  chs  512 bytes', '80/2/18 chs 512 bytes'],
    ['X-Error', 'overrun   10138 10139', 'overrun 10138 10139'],
    ['X-Date-Captured', 'Tue, 3 Feb 1998 01:02:03 GMT', 'Tue, 03 Feb 1998 01:02:03 GMT'],
    ['X-Sample-File', '  C:\\Memos\\December.doc ', 'C:\\Memos\\December.doc'],
  ])('%s normalises %j to %j', (name, input, output) => {
    expect(validateAttribute(name, input)).toEqual({ ok: true, value: output });
  });

  it('counts characters, not bytes or UTF-16 units, against maximum lengths', () => {
    expect(validateAttribute('X-Customer-Name', 'Ж'.repeat(255)).ok).toBe(true);
    expect(validateAttribute('X-Customer-Name', '😀'.repeat(255)).ok).toBe(true);
    expect(validateAttribute('X-Customer-Name', '😀'.repeat(256)).ok).toBe(false);
    expect(validateAttribute('X-Customer-Identifier', 'x'.repeat(63)).ok).toBe(true);
    expect(validateAttribute('X-Customer-Identifier', 'x'.repeat(64)).ok).toBe(false);
    expect(validateAttribute('X-Platform-Correlator', 'F'.repeat(33)).ok).toBe(false);
  });

  it('accepts Unicode file paths', () => {
    const path = 'C:\\Users\\Jürgen\\Документы\\файл.doc';
    expect(validateAttribute('X-Sample-File', path)).toEqual({ ok: true, value: path });
  });

  it('accepts only 40 and 128 as cipher strengths', () => {
    expect(validateAttribute('X-Platform-QServer-WinINet-Encryption', '40').ok).toBe(true);
    expect(validateAttribute('X-Platform-QServer-WinINet-Encryption', '64').ok).toBe(false);
  });

  it('checks the order of sector ranges and the days of versions', () => {
    expect(validateAttribute('X-Sample-Sector', '0/0/5-0/0/5').ok).toBe(true);
    expect(validateAttribute('X-Sample-Sector', '0/1/0-0/0/9').ok).toBe(false);
    expect(validateAttribute('X-Signatures-Version', '2000.02.29.001').ok).toBe(true);
    expect(validateAttribute('X-Signatures-Version', '1900.02.29.001').ok).toBe(false);
  });
});

describe('names', () => {
  it.each([
    ['x-platform-guid', 'X-Platform-GUID'],
    ['X-PLATFORM-QSERVER-WININET-ENCRYPTION', 'X-Platform-QServer-WinINet-Encryption'],
    ['x-sample-status', 'X-Sample-Status'],
    ['x-foo-bar', 'X-Foo-Bar'],
    ['X-FOO-BAR', 'X-Foo-Bar'],
    ['x-vendor-ID-2', 'X-Vendor-Id-2'],
  ])('%s is spelled %s', (input, canonical) => {
    expect(canonicalAttributeName(input)).toBe(canonical);
  });

  it('looks attributes up in any case and not at all when unknown', () => {
    expect(getAttributeSpec('X-DATE-FINISHED')?.name).toBe('X-Date-Finished');
    expect(getAttributeSpec('X-Date-Finish')).toBeUndefined();
  });
});

describe('unknown attributes', () => {
  it.each([
    ['X-Vendor-Note', 'anything at all, even ümlauts'],
    ['x-custom', ''],
    ['X-Tabbed', 'a\tb'],
  ])('%s keeps %j verbatim', (name, value) => {
    expect(validateAttribute(name, value)).toEqual({ ok: true, value });
  });

  it.each([
    ['X-Vendor-Note', 'two\r\nlines'],
    ['X-Vendor-Note', 'bare\rreturn'],
    ['X-Vendor-Note', 'nul\u0000'],
  ])('%s refuses %j', (name, value) => {
    expect(validateAttribute(name, value).ok).toBe(false);
  });

  it('refuses names that are not X- attributes', () => {
    const result = validateAttribute('Content-Type', 'text/plain');
    expect(result).toMatchObject({ ok: false });
  });
});
