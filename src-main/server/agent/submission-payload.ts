/**
 * The message the agent submits for a sample (SPEC §4.1, §4.3): its attributes (X-Platform-*,
 * X-Sample-*, X-Scan-*, capture dates, Customer Information) and its content, stripped of user
 * data when the Sample Policy says so. Unstripped content goes out as stored: the blob's
 * at-rest form (deflate, then xor-vampish) is exactly the wire's default transform.
 */
import fs from 'node:fs';
import type { ErrorCode } from '../../../src-shared/catalog/errors.js';
import { WireError } from '../../../src-shared/catalog/errors.js';
import type { Config } from '../../../src-shared/config/schema.js';
import { decodeBlob, encodeSample, md5Hex } from '../../codec/content.js';
import { stripSample } from '../../strip/strip-sample.js';
import type { BlobStore, SampleRow } from '../store/index.js';
import type { RecordedStrip } from './agent-records.js';

/** What to send, or why the sample cannot be sent as things are. */
export type SubmissionPayload =
  | {
      readonly kind: 'ready';
      readonly attributes: Record<string, string>;
      readonly body: Buffer;
      readonly strip: RecordedStrip | null;
    }
  /** Stripping is required but impossible for this content: an administrator decides. */
  | { readonly kind: 'hold'; readonly reason: string }
  /** The stored content is damaged or gone. */
  | {
      readonly kind: 'error';
      readonly code: ErrorCode;
      readonly params: string[];
      readonly reason: string;
    };

/** Sample attributes sent by group prefix (SPEC §4.3). */
const SENT_PREFIXES = ['X-Platform-', 'X-Sample-', 'X-Scan-'];
/** Dates of the file and its capture: the gateway validates submissions like intake does. */
const SENT_DATES = ['X-Date-Captured', 'X-Date-Created'];
/** Attributes that describe this server's copy, or that the transfer sets itself. */
const NOT_SENT = new Set([
  'X-Sample-Status',
  'X-Sample-Changes',
  'X-Sample-Checksum',
  'X-Sample-Size',
  'X-Sample-Strip',
]);

/** The sample's own attributes that travel with a submission. */
export function submittedAttributes(
  stored: Readonly<Record<string, string>>,
  config: Config,
  stripped: boolean,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(stored)) {
    if (NOT_SENT.has(name)) continue;
    if (stripped && name === 'X-Sample-File') continue;
    if (SENT_PREFIXES.some((p) => name.startsWith(p)) || SENT_DATES.includes(name))
      out[name] = value;
  }
  const info = config.customerInformation;
  const customer: Record<string, string> = {
    'X-Customer-Name': info.company,
    'X-Customer-Contact-Name': info.contactName,
    'X-Customer-Contact-Telephone': info.telephone,
    'X-Customer-Contact-Email': info.email,
  };
  for (const [name, value] of Object.entries(customer)) if (value !== '') out[name] = value;
  return out;
}

async function readStored(blobs: BlobStore, sha256: string): Promise<Buffer | null> {
  try {
    return await fs.promises.readFile(blobs.pathFor(sha256));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Build the submission of one sample. */
export async function buildSubmission(
  row: SampleRow,
  stored: Readonly<Record<string, string>>,
  blobs: BlobStore,
  config: Config,
): Promise<SubmissionPayload> {
  const blob = await readStored(blobs, row.blobSha256);
  if (blob === null) {
    return {
      kind: 'error',
      code: 'lost',
      params: [row.blobSha256],
      reason: 'the stored content of the sample is missing',
    };
  }
  if (!config.samplePolicy.stripUserData) {
    return {
      kind: 'ready',
      attributes: {
        ...submittedAttributes(stored, config, false),
        'X-Checksum-Method': 'md5',
        'X-Content-Compression': 'deflate',
        'X-Content-Scrambling': 'xor-vampish',
        'X-Content-Checksum': md5Hex(blob),
        'X-Sample-Checksum': row.checksum,
        'X-Sample-Size': String(row.size),
      },
      body: blob,
      strip: null,
    };
  }

  let bytes: Buffer;
  try {
    bytes = decodeBlob(blob, row.size);
  } catch (error) {
    if (error instanceof WireError) {
      return {
        kind: 'error',
        code: error.code,
        params: error.params.map(String),
        reason: `the stored content of the sample cannot be decoded: ${error.message}`,
      };
    }
    throw error;
  }
  const md5 = md5Hex(bytes);
  if (bytes.length !== row.size || md5 !== row.checksum.toUpperCase()) {
    return {
      kind: 'error',
      code: 'sample',
      params: [row.checksum, md5],
      reason: 'the stored content of the sample no longer matches its checksum',
    };
  }
  const result = await stripSample(bytes, {
    ...(stored['X-Sample-File'] !== undefined ? { fileName: stored['X-Sample-File'] } : {}),
    ...(stored['X-Sample-Extension'] !== undefined
      ? { extension: stored['X-Sample-Extension'] }
      : {}),
  });
  if (!result.ok) {
    return {
      kind: 'hold',
      reason: `strip user data is on and this sample cannot be stripped: ${result.reason}`,
    };
  }
  const encoded = encodeSample(result.bytes);
  return {
    kind: 'ready',
    attributes: {
      ...submittedAttributes(stored, config, true),
      ...encoded.headers,
      'X-Sample-Strip': result.method,
    },
    body: encoded.body,
    strip: {
      method: result.method,
      checksum: encoded.headers['X-Sample-Checksum']!,
      size: result.bytes.length,
      removed: result.removed.length,
    },
  };
}
