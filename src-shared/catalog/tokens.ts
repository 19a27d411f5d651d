/**
 * Every fixed token set of the guide's appendix A (statuses, analysis states, scan results,
 * reasons, types, service classes and content methods). Tokens are the wire spelling; labels
 * are what the console shows; descriptions are this project's own words.
 */

/** What the catalog knows about one token. */
export interface TokenInfo<T extends string = string> {
  readonly token: T;
  /** Human-readable name for lists and dialogs. */
  readonly label: string;
  /** One line on what the token means. */
  readonly description: string;
}

/** A whole token set: its tokens in catalog order, their descriptions and a guard. */
export interface TokenSet<T extends string = string> {
  readonly id: TokenSetId;
  /** Name of the set as the console shows it. */
  readonly name: string;
  readonly tokens: readonly T[];
  readonly info: Readonly<Record<T, TokenInfo<T>>>;
  readonly is: (value: string) => value is T;
}

/** Stable keys of the token sets, used by the attribute catalog to name a value's set. */
export type TokenSetId =
  | 'sampleStatus'
  | 'analysisState'
  | 'scanResult'
  | 'sampleReason'
  | 'sampleType'
  | 'serviceClass'
  | 'service'
  | 'checksumMethod'
  | 'compression'
  | 'encoding'
  | 'scrambling';

type Entries<T extends string> = {
  readonly [K in T]: readonly [label: string, description: string];
};

function infoOf<T extends string>(entries: Entries<T>): Readonly<Record<T, TokenInfo<T>>> {
  const out = {} as Record<T, TokenInfo<T>>;
  for (const token of Object.keys(entries) as T[]) {
    const [label, description] = entries[token];
    out[token] = { token, label, description };
  }
  return out;
}

function guard<T extends string>(tokens: readonly T[]): (value: string) => value is T {
  const set = new Set<string>(tokens);
  return (value: string): value is T => set.has(value);
}

// ---------------------------------------------------------------------------------------------
// Sample Status (SPEC §3.2, guide table)

/** Processing status of a sample on the Quarantine Server (`X-Sample-Status`). */
export const SAMPLE_STATUSES = [
  'quarantined',
  'held',
  'released',
  'submitted',
  'needed',
  'available',
  'distribute',
  'distributed',
  'installed',
  'notinstalled',
  'unneeded',
  'error',
  'attention',
  'restart',
] as const;

/** One Sample Status token. */
export type SampleStatus = (typeof SAMPLE_STATUSES)[number];

/** True when `value` is a Sample Status token. */
export const isSampleStatus = guard(SAMPLE_STATUSES);

/** Label and meaning of every Sample Status. */
export const SAMPLE_STATUS_INFO = infoOf<SampleStatus>({
  quarantined: [
    'Quarantined',
    'The server has received the sample and not yet decided what to do.',
  ],
  held: ['Held', 'Kept on the server; it goes to analysis only when an administrator says so.'],
  released: ['Released', 'Waiting in the queue for the agent to send it to the gateway.'],
  submitted: ['Submitted', 'The gateway has it and analysis is under way.'],
  needed: ['Needed', 'Analysis produced definitions this server does not have yet.'],
  available: ['Available', 'Fixing definitions are on the server but kept back from the endpoint.'],
  distribute: ['Distribute', 'Fixing definitions are queued for delivery to the endpoint.'],
  distributed: ['Distributed', 'Fixing definitions were sent to the endpoint.'],
  installed: ['Installed', 'The endpoint confirmed it runs the fixing definitions.'],
  notinstalled: ['Not installed', 'Fixing definitions could not be put on the endpoint.'],
  unneeded: ['Unneeded', 'Analysis found nothing that calls for new definitions.'],
  error: ['Error', 'Processing stopped because something went wrong.'],
  attention: ['Attention', 'A support specialist has to look at the sample.'],
  restart: ['Restart', 'Processing is being started over from the beginning.'],
});

// ---------------------------------------------------------------------------------------------
// Analysis State (SPEC §3.3, guide tables A-2 .. A-5)

/** States after which analysis does not change any more. */
export const FINAL_ANALYSIS_STATES = [
  'abort',
  'attention',
  'broken',
  'declined',
  'error',
  'infected',
  'misfired',
  'nodetect',
  'norepair',
  'uninfectable',
  'uninfected',
  'unsubmittable',
  'encrypted',
  'delete',
  'restore',
] as const;

/** States of a sample on its way to the analysis centre. */
export const TRANSIT_ANALYSIS_STATES = ['accepted', 'importing', 'receiving'] as const;

/** States of a sample waiting inside the analysis centre. */
export const PENDING_ANALYSIS_STATES = [
  'defer',
  'deferred',
  'deferring',
  'imported',
  'rescan',
] as const;

/** States of a sample being worked on by the analysis pipeline. */
export const ACTIVE_ANALYSIS_STATES = [
  'archive',
  'archiving',
  'binary',
  'binaryControlling',
  'binaryReplicating',
  'binaryScoring',
  'binaryWait',
  'classifying',
  'fullBuilding',
  'fullUnitTesting',
  'incrBuilding',
  'incrUnitTesting',
  'locking',
  'macro',
  'macroControlling',
  'macroReplicating',
  'macroScoring',
  'macroWait',
  'signatures',
  'unlocking',
] as const;

/** Every Analysis State token, final first, then transit, pending and active. */
export const ANALYSIS_STATES = [
  ...FINAL_ANALYSIS_STATES,
  ...TRANSIT_ANALYSIS_STATES,
  ...PENDING_ANALYSIS_STATES,
  ...ACTIVE_ANALYSIS_STATES,
] as const;

/** One Analysis State token (`X-Analysis-State`). */
export type AnalysisState = (typeof ANALYSIS_STATES)[number];

/** The four groups of the guide's state tables. */
export const ANALYSIS_STATE_GROUPS = ['final', 'transit', 'pending', 'active'] as const;

/** One group of Analysis States. */
export type AnalysisStateGroup = (typeof ANALYSIS_STATE_GROUPS)[number];

/** True when `value` is an Analysis State token. */
export const isAnalysisState = guard(ANALYSIS_STATES);

const GROUP_OF = new Map<string, AnalysisStateGroup>([
  ...FINAL_ANALYSIS_STATES.map((s) => [s, 'final'] as const),
  ...TRANSIT_ANALYSIS_STATES.map((s) => [s, 'transit'] as const),
  ...PENDING_ANALYSIS_STATES.map((s) => [s, 'pending'] as const),
  ...ACTIVE_ANALYSIS_STATES.map((s) => [s, 'active'] as const),
]);

/**
 * The group of an Analysis State token, or null for a token outside the catalog. Being in the
 * final group does not make a status final: only `X-Date-Finished` does (SPEC §3.3).
 */
export function analysisStateGroup(token: string): AnalysisStateGroup | null {
  return GROUP_OF.get(token) ?? null;
}

/** Label and meaning of every Analysis State. */
export const ANALYSIS_STATE_INFO = infoOf<AnalysisState>({
  abort: ['Aborted', 'A defect in the transport or analysis software stopped the work.'],
  attention: ['Attention', 'Automatic analysis gave up; a support specialist must step in.'],
  broken: ['Broken', 'A virus was found but building definitions for it failed.'],
  declined: ['Declined', 'The gateway or analysis centre would not accept the sample.'],
  error: ['Error', 'Analysis stopped on a processing error.'],
  infected: ['Infected', 'A virus was found and definitions that repair it exist.'],
  misfired: ['Misfired', 'Older definitions raised a false alarm that newer ones no longer do.'],
  nodetect: ['No detection', 'Not analysed in depth, and nothing suspicious stands out.'],
  norepair: ['No repair', 'Infected, but no definitions can repair it; delete the file.'],
  uninfectable: ['Uninfectable', 'Holds no runnable code (data, image, sound), so no virus fits.'],
  uninfected: ['Uninfected', 'Analysed in full; no virus was found.'],
  unsubmittable: ['Unsubmittable', 'Known malware such as a worm or Trojan; delete it.'],
  encrypted: ['Encrypted', 'Encrypted or password-protected, so it cannot be scanned as sent.'],
  delete: ['Delete', 'Made by or consisting of malicious code; deleting it is the only option.'],
  restore: ['Restore', 'Damaged beyond cleaning; bring the file back from a backup.'],
  accepted: ['Accepted', 'A gateway took the sample; the analysis centre has not imported it.'],
  importing: ['Importing', 'The analysis centre is importing the sample from the gateway.'],
  receiving: ['Receiving', 'A gateway is still receiving the sample.'],
  defer: ['Defer', 'Automation cannot handle it; it is about to be handed to an expert.'],
  deferred: ['Deferred', 'Waiting for an expert because automation could not handle it.'],
  deferring: ['Deferring', 'Being handed over to an expert.'],
  imported: ['Imported', 'Inside the analysis centre, waiting for analysis to begin.'],
  rescan: ['Rescan', 'Newer definitions appeared, so the sample will be scanned again.'],
  archive: ['Archive', 'Waiting to archive the files produced by automated analysis.'],
  archiving: ['Archiving', 'Archiving the files produced by automated analysis.'],
  binary: ['Binary', 'Classified as a program; queued for the binary controller.'],
  binaryControlling: ['Binary controlling', 'Choosing how to run the program for replication.'],
  binaryReplicating: ['Binary replicating', 'Running the program to make it infect test files.'],
  binaryScoring: ['Binary scoring', 'It spread to test programs; picking detection signatures.'],
  binaryWait: ['Binary waiting', 'Waiting for a free binary replication engine.'],
  classifying: ['Classifying', 'Working out what kind of data the sample is.'],
  fullBuilding: ['Full building', 'Building a complete definitions set with the new signatures.'],
  fullUnitTesting: ['Full unit testing', 'Testing the newly built complete definitions set.'],
  incrBuilding: ['Incremental building', 'Adding the new signatures to the current definitions.'],
  incrUnitTesting: ['Incremental unit testing', 'Testing the incremental definitions set.'],
  locking: ['Locking', 'Taking exclusive use of the definitions builder.'],
  macro: ['Macro', 'Classified as a document with macros; queued for the macro controller.'],
  macroControlling: ['Macro controlling', 'Choosing how to open the document for replication.'],
  macroReplicating: ['Macro replicating', 'Opening the document to make it infect test documents.'],
  macroScoring: ['Macro scoring', 'It spread to test documents; picking detection signatures.'],
  macroWait: ['Macro waiting', 'Waiting for a free macro replication engine.'],
  signatures: ['Signatures', 'Signatures for a new virus are chosen; waiting for a build slot.'],
  unlocking: ['Unlocking', 'Giving up exclusive use of the definitions builder.'],
});

// ---------------------------------------------------------------------------------------------
// Scan results (guide table A-12)

/** Outcome of scanning a sample with known definitions (`X-Scan-Result`). */
export const SCAN_RESULTS = [
  'badrepair',
  'badscan',
  'completed',
  'heuristic',
  'nodetect',
  'norepair',
  'overrun',
  'repaired',
  'underrun',
  'unrepairable',
  'unsubmittable',
] as const;

/** One scan result token. */
export type ScanResult = (typeof SCAN_RESULTS)[number];

/** True when `value` is a scan result token. */
export const isScanResult = guard(SCAN_RESULTS);

/** Label and meaning of every scan result. */
export const SCAN_RESULT_INFO = infoOf<ScanResult>({
  badrepair: ['Repair failed', 'The repair engine broke down while working on the sample.'],
  badscan: ['Scan failed', 'The scanning engine broke down while scanning the sample.'],
  completed: ['Completed', 'The scan ran, but its verdict is not available.'],
  heuristic: ['Heuristic', 'Looks like it may carry a virus that no signature names yet.'],
  nodetect: ['No detection', 'No known virus was found.'],
  norepair: ['No repair', 'A virus was found that cannot be removed safely.'],
  overrun: ['Repair overrun', 'The repair engine wrote past the end of the sample buffer.'],
  repaired: ['Repairable', 'A virus was found and the definitions can remove it.'],
  underrun: ['Repair underrun', 'The repair engine wrote before the start of the sample buffer.'],
  unrepairable: ['Unrepairable', 'A virus was found and no definitions can remove it.'],
  unsubmittable: ['Unsubmittable', 'Most likely a Trojan horse, which analysis cannot repair.'],
});

// ---------------------------------------------------------------------------------------------
// Sample reasons (guide table A-9)

/** Why an endpoint captured a sample (`X-Sample-Reason`). */
export const SAMPLE_REASONS = ['badrepair', 'manual', 'norepair', 'suspicious', 'variant'] as const;

/** One sample reason token. */
export type SampleReason = (typeof SAMPLE_REASONS)[number];

/** True when `value` is a sample reason token. */
export const isSampleReason = guard(SAMPLE_REASONS);

/** Label and meaning of every sample reason. */
export const SAMPLE_REASON_INFO = infoOf<SampleReason>({
  badrepair: ['Repair failed', 'Repairing a known virus was tried and did not work.'],
  manual: ['Manual', 'A user chose to quarantine the file.'],
  norepair: ['No repair', 'A known virus was found but no repair exists for it.'],
  suspicious: ['Suspicious', 'The code resembles a known virus without matching it.'],
  variant: ['Variant', 'A new variant of a known virus was found.'],
});

// ---------------------------------------------------------------------------------------------
// Sample types (guide table A-11)

/** What kind of data a sample holds (`X-Sample-Type`). */
export const SAMPLE_TYPES = ['file', 'sector'] as const;

/** One sample type token. */
export type SampleType = (typeof SAMPLE_TYPES)[number];

/** True when `value` is a sample type token. */
export const isSampleType = guard(SAMPLE_TYPES);

/** Label and meaning of every sample type. */
export const SAMPLE_TYPE_INFO = infoOf<SampleType>({
  file: ['File', 'The contents of one file.'],
  sector: ['Sector', 'Raw disk sectors, such as a boot record.'],
});

// ---------------------------------------------------------------------------------------------
// Service classes (guide table A-7), named inside `X-Customer-Identifier`

/** Support plans a customer can subscribe to. */
export const SERVICE_CLASSES = ['gold', 'platinum'] as const;

/** One service class token. */
export type ServiceClass = (typeof SERVICE_CLASSES)[number];

/** True when `value` is a service class token. */
export const isServiceClass = guard(SERVICE_CLASSES);

/** Label and meaning of every service class. */
export const SERVICE_CLASS_INFO = infoOf<ServiceClass>({
  gold: ['Gold', 'Customer on the gold support plan.'],
  platinum: ['Platinum', 'Customer on the platinum support plan.'],
});

// ---------------------------------------------------------------------------------------------
// Analysis service (`X-Sample-Service` asks for it, `X-Analysis-Service` reports it)

/** Reduced analysis services a sample can ask for or be given. */
export const SERVICES = ['quickcheck'] as const;

/** One analysis service token. */
export type Service = (typeof SERVICES)[number];

/** True when `value` is an analysis service token. */
export const isService = guard(SERVICES);

/** Label and meaning of every analysis service. */
export const SERVICE_INFO = infoOf<Service>({
  quickcheck: ['Quick check', 'A light look only; a verdict from it is not conclusive.'],
});

// ---------------------------------------------------------------------------------------------
// Content methods (SPEC §4.1, guide table A-6)

/** Checksum algorithms (`X-Checksum-Method`). */
export const CHECKSUM_METHODS = ['md5'] as const;

/** One checksum method token. */
export type ChecksumMethod = (typeof CHECKSUM_METHODS)[number];

/** True when `value` is a checksum method token. */
export const isChecksumMethod = guard(CHECKSUM_METHODS);

/** Label and meaning of every checksum method. */
export const CHECKSUM_METHOD_INFO = infoOf<ChecksumMethod>({
  md5: ['MD5', 'RFC 1321 message digest, written as 32 upper-case hex digits.'],
});

/** Compression methods (`X-Content-Compression`). */
export const COMPRESSIONS = ['deflate', 'zip'] as const;

/** One compression method token. */
export type Compression = (typeof COMPRESSIONS)[number];

/** True when `value` is a compression method token. */
export const isCompression = guard(COMPRESSIONS);

/** Label and meaning of every compression method. */
export const COMPRESSION_INFO = infoOf<Compression>({
  deflate: ['Deflate', 'Raw RFC 1951 stream; used for a single captured sample.'],
  zip: ['Zip', 'Zip archive; used for folders of analysis files or definitions.'],
});

/** Transfer encodings (`X-Content-Encoding`). */
export const ENCODINGS = ['base64'] as const;

/** One transfer encoding token. */
export type Encoding = (typeof ENCODINGS)[number];

/** True when `value` is a transfer encoding token. */
export const isEncoding = guard(ENCODINGS);

/** Label and meaning of every transfer encoding. */
export const ENCODING_INFO = infoOf<Encoding>({
  base64: ['Base64', 'MIME base64 text, for channels that only carry text safely.'],
});

/** Scrambling methods (`X-Content-Scrambling`). */
export const SCRAMBLINGS = ['xor-vampish'] as const;

/** One scrambling method token. */
export type Scrambling = (typeof SCRAMBLINGS)[number];

/** True when `value` is a scrambling method token. */
export const isScrambling = guard(SCRAMBLINGS);

/** Label and meaning of every scrambling method. */
export const SCRAMBLING_INFO = infoOf<Scrambling>({
  'xor-vampish': [
    'XOR "vampish"',
    'Bytes XORed with the repeating key "vampish" so nothing runs by accident; not secrecy.',
  ],
});

// ---------------------------------------------------------------------------------------------

function set<T extends string>(
  id: TokenSetId,
  name: string,
  tokens: readonly T[],
  info: Readonly<Record<T, TokenInfo<T>>>,
): TokenSet<T> {
  return { id, name, tokens, info, is: guard(tokens) };
}

/** The token type of each set. */
export interface TokenSetTokens {
  sampleStatus: SampleStatus;
  analysisState: AnalysisState;
  scanResult: ScanResult;
  sampleReason: SampleReason;
  sampleType: SampleType;
  serviceClass: ServiceClass;
  service: Service;
  checksumMethod: ChecksumMethod;
  compression: Compression;
  encoding: Encoding;
  scrambling: Scrambling;
}

/** Every token set by its key, for tables, lookups and the attribute catalog. */
export const TOKEN_SETS: { readonly [K in TokenSetId]: TokenSet<TokenSetTokens[K]> } = {
  sampleStatus: set('sampleStatus', 'Sample Status', SAMPLE_STATUSES, SAMPLE_STATUS_INFO),
  analysisState: set('analysisState', 'Analysis State', ANALYSIS_STATES, ANALYSIS_STATE_INFO),
  scanResult: set('scanResult', 'Scan result', SCAN_RESULTS, SCAN_RESULT_INFO),
  sampleReason: set('sampleReason', 'Sample reason', SAMPLE_REASONS, SAMPLE_REASON_INFO),
  sampleType: set('sampleType', 'Sample type', SAMPLE_TYPES, SAMPLE_TYPE_INFO),
  serviceClass: set('serviceClass', 'Service class', SERVICE_CLASSES, SERVICE_CLASS_INFO),
  service: set('service', 'Analysis service', SERVICES, SERVICE_INFO),
  checksumMethod: set('checksumMethod', 'Checksum method', CHECKSUM_METHODS, CHECKSUM_METHOD_INFO),
  compression: set('compression', 'Compression', COMPRESSIONS, COMPRESSION_INFO),
  encoding: set('encoding', 'Encoding', ENCODINGS, ENCODING_INFO),
  scrambling: set('scrambling', 'Scrambling', SCRAMBLINGS, SCRAMBLING_INFO),
};

/** Label of `token` in set `id`, or the token itself when the set does not know it. */
export function tokenLabel(id: TokenSetId, token: string): string {
  const info: Readonly<Record<string, TokenInfo | undefined>> = TOKEN_SETS[id].info;
  return Object.hasOwn(info, token) ? (info[token]?.label ?? token) : token;
}
