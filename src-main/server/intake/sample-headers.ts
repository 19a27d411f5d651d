/**
 * Turns the headers of an intake request into a validated sample description (SPEC §4.2):
 * required attributes, every attribute checked against the catalog, RFC 2047 decoded, dates
 * corrected for the sender's clock skew. Refusals are WireErrors with the guide's codes.
 */
import type { DecodeSpec } from '../../codec/content.js';
import type { IncomingHttpHeaders } from 'node:http';
import {
  canonicalAttributeName,
  getAttributeSpec,
  validateAttribute,
} from '../../../src-shared/catalog/attributes.js';
import { isSampleType } from '../../../src-shared/catalog/tokens.js';
import { WireError } from '../../../src-shared/catalog/errors.js';
import { correctHttpDate, formatHttpDate, measureSkew } from '../../../src-shared/codec/dates.js';
import { decodeHeaderValue } from '../../../src-shared/codec/headers.js';
import { contentPlanFromHeaders } from '../../../src-shared/codec/transforms.js';

/** Attributes every forward must carry (SPEC §4.2), in the order they are checked. */
export const REQUIRED_ATTRIBUTES = [
  'X-Sample-Checksum',
  'X-Sample-Size',
  'X-Sample-Type',
  'X-Platform-Host',
  'X-Date-Captured',
] as const;

/** Attributes that describe one message body, not the sample: not kept on the sample. */
const TRANSFER_ATTRIBUTES = new Set([
  'X-Content-Checksum',
  'X-Content-Compression',
  'X-Content-Encoding',
  'X-Content-Scrambling',
]);

/** Attributes only the server sets; values sent by an endpoint are ignored. */
const SERVER_ATTRIBUTES = new Set(['X-Sample-Status', 'X-Sample-Changes', 'X-Date-Forwarded']);

/** What intake needs to know about a sample before reading its body. */
export interface SampleRequest {
  /** Canonical attribute name → decoded, validated value (dates corrected for skew). */
  readonly attributes: Record<string, string>;
  readonly plan: ReturnType<typeof contentPlanFromHeaders>;
  readonly contentChecksum: string | undefined;
  readonly sampleChecksum: string;
  readonly sampleSize: number;
  readonly contentLength: number | undefined;
  /** Identity of the forwarding platform: GUID, else correlator, else host. */
  readonly platformKey: string;
  readonly correlator: string | undefined;
  readonly skewMs: number;
}

/** What decoding the body of `req` must check, with the receiver's size limit. */
export function decodeSpecFor(req: SampleRequest, maxSampleSize: number): DecodeSpec {
  return {
    compression: req.plan.compression,
    scrambling: req.plan.scrambling,
    encoding: req.plan.encoding,
    ...(req.contentChecksum ? { contentChecksum: req.contentChecksum } : {}),
    sampleChecksum: req.sampleChecksum,
    sampleSize: req.sampleSize,
    maxSampleSize,
    ...(req.contentLength !== undefined ? { contentLength: req.contentLength } : {}),
  };
}

/**
 * Validate the headers of `POST /samples`. `distinct` is Node's `headersDistinct` (so that a
 * repeated attribute is noticed instead of being joined with commas).
 */
export function parseSampleRequest(
  headers: IncomingHttpHeaders,
  distinct: Record<string, string[] | undefined>,
  nowMs: number,
): SampleRequest {
  const skewMs = measureSkew(headers.date, nowMs);
  const raw = new Map<string, string>();
  for (const [lowerName, values] of Object.entries(distinct)) {
    if (!lowerName.startsWith('x-') || values === undefined) continue;
    const name = canonicalAttributeName(lowerName);
    if (values.length > 1) throw new WireError('malformed', [name]);
    raw.set(name, decodeHeaderValue((values[0] ?? '').trim()));
  }

  for (const name of REQUIRED_ATTRIBUTES) {
    if (!raw.get(name)) throw new WireError('missing', [name]);
  }
  const type = raw.get('X-Sample-Type')!;
  if (!isSampleType(type)) throw new WireError('type', [type], 415);

  const attributes: Record<string, string> = {};
  for (const [name, value] of raw) {
    if (SERVER_ATTRIBUTES.has(name)) continue;
    const checked = validateAttribute(name, value);
    if (!checked.ok) throw new WireError('malformed', [name]);
    const spec = getAttributeSpec(name);
    attributes[name] =
      spec?.type === 'date' && skewMs !== 0
        ? correctHttpDate(checked.value, skewMs)
        : checked.value;
  }

  const plan = contentPlanFromHeaders((name) => raw.get(name));
  const contentLengthHeader = headers['content-length'];
  let contentLength: number | undefined;
  if (contentLengthHeader !== undefined) {
    if (!/^\d{1,15}$/.test(contentLengthHeader))
      throw new WireError('malformed', ['Content-Length']);
    contentLength = Number(contentLengthHeader);
  }
  for (const name of TRANSFER_ATTRIBUTES) delete attributes[name];

  const guid = attributes['X-Platform-GUID'];
  const correlator = attributes['X-Platform-Correlator'];
  const host = attributes['X-Platform-Host']!;
  const platformKey = guid
    ? `guid:${guid.toUpperCase()}`
    : correlator
      ? `corr:${correlator}`
      : `host:${host.toLowerCase()}`;

  attributes['X-Date-Forwarded'] = formatHttpDate(nowMs);
  return {
    attributes,
    plan,
    contentChecksum: raw.get('X-Content-Checksum')?.toUpperCase(),
    sampleChecksum: attributes['X-Sample-Checksum']!,
    sampleSize: Number(attributes['X-Sample-Size']),
    contentLength,
    platformKey,
    correlator,
    skewMs,
  };
}
