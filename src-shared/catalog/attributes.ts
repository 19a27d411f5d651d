/**
 * The attribute catalog (SPEC §3.1): every `X-` attribute of the guide's appendix A with its
 * group, value type, who sets it, a description in this project's words and the guide's
 * example values. Intake, gateway, client and console all validate against this one list.
 */
import {
  checkValue,
  isPrintableText,
  type AttributeValueType,
  type ValueCheck,
} from './attribute-types.js';

export type { AttributeValueType, ListItemKind, ValueCheck } from './attribute-types.js';

/** The attribute groups, as the guide's appendix sections them. */
export const ATTRIBUTE_GROUPS = [
  'X-Analysis',
  'X-Checksum-Method',
  'X-Content',
  'X-Customer',
  'X-Date',
  'X-Error',
  'X-Platform',
  'X-Sample',
  'X-Scan',
  'X-Signatures',
] as const;

/** One attribute group. */
export type AttributeGroup = (typeof ATTRIBUTE_GROUPS)[number];

/** Who puts an attribute on a message. */
export type AttributeSetter =
  /** The endpoint that captured the sample (or installed definitions). */
  | 'endpoint'
  /** The Quarantine Server (its intake, agent or administrator). */
  | 'server'
  /** The analysis gateway. */
  | 'gateway'
  /** The analysis centre behind the gateway (the reference back office). */
  | 'back-office'
  /** Whoever sends a message with a body. */
  | 'sender'
  /** Whoever refuses a request. */
  | 'receiver';

/** Everything the catalog knows about one attribute. */
export type AttributeSpec = {
  /** Canonical spelling, e.g. `X-Platform-GUID`. */
  readonly name: string;
  readonly group: AttributeGroup;
  readonly setBy: readonly AttributeSetter[];
  /** One line in this project's words, shown when the attribute is double-clicked. */
  readonly description: string;
  /** Every example value the guide gives for the attribute, verbatim. */
  readonly examples: readonly string[];
} & AttributeValueType;

const TEXT = { type: 'text' } as const;
const DATE = { type: 'date' } as const;
const MD5 = { type: 'md5' } as const;
const SEQUENCE = { type: 'sequence' } as const;
const VERSION = { type: 'version' } as const;
const PRIORITY = { type: 'integer', min: 0, max: 1000 } as const;
const IDENTIFIER = { type: 'integer', min: 0, max: 4_294_967_295 } as const;
const text = (maxLength: number): AttributeValueType => ({ type: 'text', maxLength });

function groupOf(name: string): AttributeGroup {
  const group = ATTRIBUTE_GROUPS.find((g) => name === g || name.startsWith(`${g}-`));
  if (group === undefined) throw new Error(`attribute ${name} has no group`);
  return group;
}

function attr(
  name: string,
  setBy: readonly AttributeSetter[],
  type: AttributeValueType,
  description: string,
  examples: readonly string[] = [],
): AttributeSpec {
  return { name, group: groupOf(name), setBy, description, examples, ...type };
}

const SAMPLE_DATE_SOURCE: readonly AttributeSetter[] = ['endpoint'];
const DEFINITIONS_SOURCE: readonly AttributeSetter[] = ['back-office', 'gateway'];

/** Every attribute of the guide's appendix A, grouped and alphabetical within a group. */
export const ATTRIBUTES: readonly AttributeSpec[] = [
  // X-Analysis: what the analysis side reports about a submitted sample.
  attr(
    'X-Analysis-Cookie',
    ['gateway'],
    TEXT,
    'Opaque handle the gateway gives a submitted sample; the server quotes it when asking for status.',
    ['00000123'],
  ),
  attr(
    'X-Analysis-Issue',
    ['back-office'],
    TEXT,
    'Tracking number the analysis centre opened for the sample; quote it when calling support.',
    ['00000042'],
  ),
  attr(
    'X-Analysis-Service',
    ['back-office', 'gateway'],
    { type: 'token', tokenSet: 'service' },
    'Present when the verdict comes from a reduced service and so is not conclusive.',
    ['quickcheck'],
  ),
  attr(
    'X-Analysis-State',
    ['back-office', 'gateway'],
    // Open: the guide itself shows states outside its tables (`replicated`), and a status
    // report must not be refused because the pipeline grew a stage.
    { type: 'token', tokenSet: 'analysisState', open: true },
    'Where the sample is in analysis; it is final only when X-Date-Finished comes with it.',
    ['importing', 'replicated'],
  ),
  attr(
    'X-Analysis-Virus-Identifier',
    ['back-office', 'gateway'],
    IDENTIFIER,
    'Numeric id of the virus that analysis found in the sample.',
    ['32767'],
  ),
  attr(
    'X-Analysis-Virus-Name',
    ['back-office', 'gateway'],
    TEXT,
    'Name of the virus that analysis found in the sample.',
    ['Morton.42'],
  ),

  // X-Checksum-Method
  attr(
    'X-Checksum-Method',
    ['sender'],
    { type: 'token', tokenSet: 'checksumMethod' },
    'Algorithm behind the checksum attributes; sent only with a non-empty body.',
    ['md5'],
  ),

  // X-Content: how the body of this one message was transformed.
  attr(
    'X-Content-Checksum',
    ['sender'],
    MD5,
    'MD5 of the body exactly as transmitted, after every transform; proves it arrived intact.',
    ['663E6092463AA20EF6A14E8B137AEF30'],
  ),
  attr(
    'X-Content-Compression',
    ['sender'],
    { type: 'token', tokenSet: 'compression' },
    'How the body was compressed; absent when it was not.',
    ['deflate'],
  ),
  attr(
    'X-Content-Encoding',
    ['sender'],
    { type: 'token', tokenSet: 'encoding' },
    'Text encoding laid over the body; absent when the body is sent as raw bytes.',
    ['base64'],
  ),
  attr(
    'X-Content-Scrambling',
    ['sender'],
    { type: 'token', tokenSet: 'scrambling' },
    'How the body was scrambled so it cannot run by accident; absent when it was not.',
    ['xor-vampish'],
  ),

  // X-Customer: who is asking, for authorisation and for support to call back.
  attr(
    'X-Customer-Contact-Email',
    ['server'],
    text(255),
    'Email address at which support staff can reach the person who sent the sample.',
    ['someone@symantec.com'],
  ),
  attr(
    'X-Customer-Contact-Name',
    ['server'],
    text(255),
    'Full name of the person support staff should contact about the sample.',
    ['Jim Hill'],
  ),
  attr(
    'X-Customer-Contact-Telephone',
    ['server'],
    text(255),
    'Telephone number of that contact person.',
    ['310-555-1212'],
  ),
  attr(
    'X-Customer-Credentials',
    ['server'],
    TEXT,
    'Secret with which the customer proves its identity to the gateway.',
    ['0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF'],
  ),
  attr(
    'X-Customer-Identifier',
    ['server'],
    text(63),
    'Account number issued with the subscription, which also names its service class.',
    ['123456-ABCDEFgold 0123456789ABCDEFGHIJ'],
  ),
  attr(
    'X-Customer-Name',
    ['server'],
    text(255),
    'Registered name of the person and organisation holding the subscription.',
    ['Jim Hill, Symantec Corp'],
  ),

  // X-Date: when things happened, by the sender's clock (corrected for skew on receipt).
  attr('X-Date-Accessed', SAMPLE_DATE_SOURCE, DATE, 'Last time the captured file was read.'),
  attr(
    'X-Date-Analyzed',
    DEFINITIONS_SOURCE,
    DATE,
    'When analysis reached its verdict on the sample.',
  ),
  attr(
    'X-Date-Blessed',
    DEFINITIONS_SOURCE,
    DATE,
    'When the definitions set was certified; from then on it replaces every older set.',
  ),
  attr(
    'X-Date-Captured',
    SAMPLE_DATE_SOURCE,
    DATE,
    'When the endpoint took the sample into its local quarantine.',
  ),
  attr(
    'X-Date-Created',
    SAMPLE_DATE_SOURCE,
    DATE,
    'Creation time of the captured file (or of a definitions file).',
    ['Tue, 27 Jan 1998 14:32:45 GMT'],
  ),
  attr(
    'X-Date-Distributed',
    ['server'],
    DATE,
    'When delivery of fixing definitions to the endpoint was scheduled.',
  ),
  attr(
    'X-Date-Finished',
    DEFINITIONS_SOURCE,
    DATE,
    'When analysis ended; while it is present the reported status is final.',
  ),
  attr('X-Date-Forwarded', ['server'], DATE, 'When the Quarantine Server received the sample.'),
  attr(
    'X-Date-Installed',
    ['endpoint'],
    DATE,
    'When the endpoint installed the definitions that fix the sample.',
  ),
  attr('X-Date-Modified', SAMPLE_DATE_SOURCE, DATE, 'Last time the captured file was changed.'),
  attr('X-Date-Produced', DEFINITIONS_SOURCE, DATE, 'When the definitions set was built.'),
  attr(
    'X-Date-Published',
    DEFINITIONS_SOURCE,
    DATE,
    'When the definitions set became available for download.',
  ),
  attr(
    'X-Date-Submitted',
    ['gateway', 'server'],
    DATE,
    'When the sample was handed over to the analysis gateway.',
  ),

  // X-Error
  attr(
    'X-Error',
    ['receiver'],
    { type: 'error' },
    'Why a request was refused: an error code, optionally followed by parameters.',
    ['superseded', 'overrun 10138 10139'],
  ),

  // X-Platform: the computer that captured the sample (QServer-*: the Quarantine Server).
  attr(
    'X-Platform-Address',
    ['endpoint'],
    { type: 'list', item: 'address' },
    'Network addresses (IP or IPX) of the capturing computer, separated by blanks.',
    ['9.2.18.13'],
  ),
  attr(
    'X-Platform-Correlator',
    ['endpoint'],
    text(32),
    'Opaque value shared by all samples of one computer, used to cap how many it may send.',
    ['0123456789ABCDEF0123456789ABCDEF'],
  ),
  attr(
    'X-Platform-Distributor',
    ['endpoint'],
    TEXT,
    'Network name of the server from which the capturing computer gets its definitions.',
    ['AVFILES'],
  ),
  attr(
    'X-Platform-Domain',
    ['endpoint'],
    TEXT,
    'Administrative domain the capturing computer belongs to.',
    ['AVBUILD'],
  ),
  attr(
    'X-Platform-GUID',
    ['endpoint'],
    { type: 'guid' },
    'Identifier a management console gave a managed endpoint; nonmanaged ones have none.',
    ['0123456789ABCDEF0123456789ABCDEF'],
  ),
  attr(
    'X-Platform-Host',
    ['endpoint'],
    TEXT,
    'Host name (DNS or NetBIOS) of the capturing computer.',
    ['someone.symantec.com'],
  ),
  attr(
    'X-Platform-Language',
    ['endpoint'],
    TEXT,
    "Language and locale of the capturing computer's operating system.",
    ['English (United States)'],
  ),
  attr(
    'X-Platform-Owner',
    ['endpoint'],
    TEXT,
    'Registered owner and organisation of the capturing computer.',
    ['Jim Hill, Symantec Corp'],
  ),
  attr(
    'X-Platform-Processor',
    ['endpoint'],
    TEXT,
    'Make, model and clock speed of the processor in the capturing computer.',
    ['Genuine Intel 165 MHz x86 Family 5 Model 2 Stepping 12'],
  ),
  attr(
    'X-Platform-QServer-CountryCode',
    ['server'],
    { type: 'integer', min: 0, max: 999 },
    "International dialling (IBM) country code of the Quarantine Server's location.",
    ['1'],
  ),
  attr(
    'X-Platform-QServer-WinINet',
    ['server'],
    TEXT,
    'Version of the HTTP client library the Quarantine Server uses.',
    ['5.00.2614.3400'],
  ),
  attr(
    'X-Platform-QServer-WinINet-Encryption',
    ['server'],
    { type: 'integer', min: 40, max: 128, values: [40, 128] },
    "Cipher strength in bits (40 or 128) of the Quarantine Server's HTTP client.",
    ['128'],
  ),
  attr(
    'X-Platform-Scanner',
    ['endpoint'],
    TEXT,
    'Antivirus product, version and definitions running on the capturing computer.',
    ['Symantec AntiVirus for Windows version 5.0'],
  ),
  attr(
    'X-Platform-System',
    ['endpoint'],
    TEXT,
    'Operating system and version of the capturing computer.',
    ['Windows NT 4.0 build 1381 Service Pack 3'],
  ),
  attr(
    'X-Platform-User',
    ['endpoint'],
    TEXT,
    'Logon name of the user working at the capturing computer.',
    ['PRING'],
  ),

  // X-Sample: the sample itself.
  attr(
    'X-Sample-Changes',
    ['endpoint', 'server'],
    IDENTIFIER,
    'Counter raised whenever the attributes change; a new value means look at them again.',
    ['1', '2'],
  ),
  attr(
    'X-Sample-Checksum',
    ['endpoint', 'server'],
    MD5,
    'MD5 of the captured (or stripped) bytes before any transform; finds duplicates, checks decoding.',
    ['8B37247C71443D40A2D7FCF16867803A'],
  ),
  attr(
    'X-Sample-Checkup',
    ['endpoint'],
    TEXT,
    'Integrity-database record of the file from before it was infected; helps test repairs.',
    ['0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF012345678'],
  ),
  attr(
    'X-Sample-Extension',
    ['endpoint'],
    {
      type: 'text',
      pattern: '^[^.\\\\/:\\s]+$',
      patternHint: 'an extension alone: no period, path separator, colon or blank',
    },
    'Extension of a file sample without the dot; survives when the path is stripped.',
    ['doc'],
  ),
  attr(
    'X-Sample-File',
    ['endpoint'],
    TEXT,
    'Drive, folder and name of the captured file on its computer; untrusted for restores.',
    ['C:\\Memos\\December.doc'],
  ),
  attr(
    'X-Sample-Geometry',
    ['endpoint'],
    { type: 'geometry' },
    'Layout of the disk a sector sample came from: cylinders/heads/sectors and sector size.',
    ['80/2/18 chs 512 bytes', '800/8/32 chs 512 bytes'],
  ),
  attr(
    'X-Sample-Priority',
    ['endpoint', 'server'],
    PRIORITY,
    'Queue priority from 0 to 1000; a higher value is handled first, 0 waits for an administrator.',
    ['1', '999'],
  ),
  attr(
    'X-Sample-Reason',
    ['endpoint'],
    { type: 'token', tokenSet: 'sampleReason' },
    'Why the endpoint captured the sample.',
    ['variant', 'badrepair'],
  ),
  attr(
    'X-Sample-Sector',
    ['endpoint'],
    { type: 'list', item: 'sector' },
    'Disk addresses of a sector sample: c/h/s sectors or c/h/s-c/h/s ranges, separated by blanks.',
    ['0/0/0-79/1/17', '0/0/0-0/0/31 799/7/31'],
  ),
  attr(
    'X-Sample-Service',
    ['endpoint'],
    { type: 'token', tokenSet: 'service' },
    'Asks for a reduced analysis, for samples that are most likely clean.',
    ['quickcheck'],
  ),
  attr(
    'X-Sample-Size',
    ['endpoint', 'server'],
    { type: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER },
    'Byte count of the captured (or stripped) data before any transform.',
    ['12345678'],
  ),
  attr(
    'X-Sample-Status',
    ['server'],
    { type: 'token', tokenSet: 'sampleStatus' },
    "Where the sample stands in the Quarantine Server's processing.",
    ['held', 'available'],
  ),
  attr(
    'X-Sample-Strip',
    ['endpoint', 'server'],
    {
      type: 'text',
      pattern: '^[A-Za-z0-9]+([-_.][A-Za-z0-9]+)*$',
      patternHint: 'a method name: letters and digits joined by hyphens, underscores or periods',
    },
    'Method that removed user data; checksum and size then describe the stripped data.',
    ['overwrite-zeroes'],
  ),
  attr(
    'X-Sample-Switches',
    ['server'],
    { type: 'list', item: 'switch' },
    'Blank-separated processing switches meant for the analysis centre.',
  ),
  attr(
    'X-Sample-Type',
    ['endpoint'],
    { type: 'token', tokenSet: 'sampleType' },
    'Whether the sample is a file or a set of disk sectors.',
    ['sector'],
  ),

  // X-Scan: the latest scan of the sample with known definitions.
  attr(
    'X-Scan-Result',
    ['endpoint', 'server'],
    { type: 'token', tokenSet: 'scanResult' },
    'Verdict of scanning the sample with the newest definitions at hand.',
    ['heuristic'],
  ),
  attr(
    'X-Scan-Signatures-Name',
    ['endpoint', 'server'],
    TEXT,
    'File name of the definitions package that scan used.',
    ['00000678.all.zip'],
  ),
  attr(
    'X-Scan-Signatures-Sequence',
    ['endpoint', 'server'],
    SEQUENCE,
    'Sequence number of the definitions that scan used.',
    ['00000678'],
  ),
  attr(
    'X-Scan-Signatures-Version',
    ['endpoint', 'server'],
    VERSION,
    'Dated version of the definitions that scan used.',
    ['1999.02.06.001'],
  ),
  attr(
    'X-Scan-Virus-Identifier',
    ['endpoint', 'server'],
    IDENTIFIER,
    'Numeric id of the virus that scan found.',
    ['32767'],
  ),
  attr('X-Scan-Virus-Name', ['endpoint', 'server'], TEXT, 'Name of the virus that scan found.', [
    'Morton.42',
  ]),

  // X-Signatures: a definitions set.
  attr('X-Signatures-Checksum', DEFINITIONS_SOURCE, MD5, 'MD5 of the definitions package file.', [
    '8B37247C71443D40A2D7FCF16867803A',
  ]),
  attr(
    'X-Signatures-Priority',
    ['server'],
    PRIORITY,
    'Delivery priority of the definitions from 0 to 1000; 0 waits for an administrator.',
    ['0', '1'],
  ),
  attr(
    'X-Signatures-Sequence',
    ['back-office', 'gateway', 'server', 'endpoint'],
    SEQUENCE,
    'Sequence number of a definitions set; a higher number replaces every lower one.',
    ['00000678'],
  ),
  attr('X-Signatures-Version', DEFINITIONS_SOURCE, VERSION, 'Dated version of a definitions set.', [
    '1999.02.06.001',
  ]),
];

const BY_LOWER_NAME = new Map(ATTRIBUTES.map((spec) => [spec.name.toLowerCase(), spec]));

/** The catalog entry for `name` (any letter case), or undefined for an unknown attribute. */
export function getAttributeSpec(name: string): AttributeSpec | undefined {
  return BY_LOWER_NAME.get(name.trim().toLowerCase());
}

/**
 * The spelling to store and show: the catalog's for known attributes, otherwise each
 * hyphen-separated part with an upper-case first letter (`x-foo-bar` → `X-Foo-Bar`), so the
 * same unknown attribute is one key however a sender spelled it.
 */
export function canonicalAttributeName(name: string): string {
  const trimmed = name.trim();
  const spec = getAttributeSpec(trimmed);
  if (spec) return spec.name;
  return trimmed
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1).toLowerCase())
    .join('-');
}

/**
 * Check a decoded value against the catalog and return it normalised (hex in upper case,
 * sequences zero-padded, dates re-formatted, tokens in catalog spelling). Unknown `X-`
 * attributes are kept verbatim when they are printable text; names without `X-` are not
 * sample attributes and are refused.
 */
export function validateAttribute(
  name: string,
  value: string,
): { ok: true; value: string } | { ok: false; reason: string } {
  const spec = getAttributeSpec(name);
  if (spec) {
    const check: ValueCheck = checkValue(spec, value);
    return check.ok
      ? { ok: true, value: check.value }
      : { ok: false, reason: `${spec.name}: ${check.reason}` };
  }
  if (!/^x-/i.test(name.trim())) return { ok: false, reason: `${name} is not an X- attribute` };
  if (/[\r\n]/.test(value) || !isPrintableText(value)) {
    return { ok: false, reason: `${canonicalAttributeName(name)}: contains control characters` };
  }
  return { ok: true, value };
}
