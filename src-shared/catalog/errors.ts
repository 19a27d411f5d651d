/**
 * Error codes carried by `X-Error: code [params]` on every wire (guide table ).
 * Descriptions are this project's own words.
 */
export const ERROR_CODES = [
  'abandoned',
  'content',
  'crumbled',
  'declined',
  'internal',
  'lost',
  'malformed',
  'missing',
  'overrun',
  'sample',
  'superseded',
  'type',
  'unavailable',
  'underrun',
  'unpackage',
  'unpublished',
] as const;

/** One of the wire error codes. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** What each error code means, in one line. */
export const ERROR_DESCRIPTIONS: Readonly<Record<ErrorCode, string>> = {
  abandoned: 'The definitions sequence was given up, usually because its unit tests failed.',
  content: 'The MD5 of the body as received differs from X-Content-Checksum.',
  crumbled: 'The gateway never issued the analysis cookie that was asked about.',
  declined: 'The gateway or server refused the request (unknown customer, limits, policy).',
  internal: 'Something failed inside the receiver while handling the request.',
  lost: 'The content did not arrive whole, or a stored copy has gone missing.',
  malformed: 'A required attribute is present but its value is not valid.',
  missing: 'A required attribute is absent.',
  overrun: 'More content arrived than the declared size.',
  sample: 'The MD5 of the decoded sample differs from X-Sample-Checksum.',
  superseded: 'Newer certified definitions replace this sequence; fetch those instead.',
  type: 'The sample type is not supported.',
  unavailable: 'That definitions sequence has not been published yet.',
  underrun: 'Less content arrived than the declared size.',
  unpackage: 'The sample or definitions package could not be unpacked.',
  unpublished: 'The definitions set could not be published.',
};

/** True when `value` is one of the wire error codes. */
export function isErrorCode(value: string): value is ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(value);
}

/** A refusal on a wire: an error code plus optional parameters (`overrun 10138 10139`). */
export class WireError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly params: readonly (string | number)[] = [],
    readonly httpStatus = 400,
  ) {
    super(formatXError(code, params));
    this.name = 'WireError';
  }
}

/** Format the value of an `X-Error` header. */
export function formatXError(code: ErrorCode, params: readonly (string | number)[] = []): string {
  return [code, ...params.map((p) => String(p).replace(/[\s\r\n]+/g, '_'))].join(' ');
}

/** Parse an `X-Error` header value; null when the code is not one of ours. */
export function parseXError(value: string): { code: ErrorCode; params: string[] } | null {
  const [code, ...params] = value.trim().split(/\s+/);
  if (code === undefined || !isErrorCode(code)) return null;
  return { code, params };
}
