/**
 * The control API on the wire: typed error codes, the `{ ok, value | error }` envelope and the
 * three frames (request, response, event) every transport carries as JSON.
 */
import { z } from 'zod';

/** Every error code a control API call can fail with. */
export const API_ERROR_CODES = [
  'invalid-request',
  'unknown-method',
  'unauthenticated',
  'login-failed',
  'rate-limited',
  'not-found',
  'not-allowed',
  'conflict',
  'too-large',
  'unavailable',
  'internal',
] as const;

/** One control API error code. */
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** The error half of the envelope. `details` is machine-readable extra (e.g. issue paths). */
export const apiErrorBodySchema = z.strictObject({
  code: z.enum(API_ERROR_CODES),
  message: z.string(),
  details: z.unknown().optional(),
});

/** The error half of the envelope. */
export type ApiErrorBody = z.infer<typeof apiErrorBodySchema>;

/** The result envelope: a value, or a typed error. */
export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiErrorBody };

/** Build the envelope schema for one value schema. */
export function apiResultSchema<T extends z.ZodType>(value: T) {
  return z.union([
    z.strictObject({ ok: z.literal(true), value }),
    z.strictObject({ ok: z.literal(false), error: apiErrorBodySchema }),
  ]);
}

/** Correlates a response with its request; chosen by the caller. */
export const requestIdSchema = z.union([
  z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  z.string().min(1).max(64),
]);

/** A request id. */
export type RequestId = z.infer<typeof requestIdSchema>;

/**
 * A call. `params` is checked against the method's own schema after the frame is accepted, so
 * that a bad parameter gets a precise error rather than "bad frame". Left out, it means `{}`.
 */
export const requestFrameSchema = z.strictObject({
  type: z.literal('request'),
  id: requestIdSchema,
  method: z.string().min(1).max(128),
  params: z.unknown().optional(),
});

/** A call frame. */
export type RequestFrame = z.infer<typeof requestFrameSchema>;

/** The answer to one request; `id` is null when the request was too broken to carry one. */
export const responseFrameSchema = z.union([
  z.strictObject({
    type: z.literal('response'),
    id: requestIdSchema.nullable(),
    ok: z.literal(true),
    value: z.unknown(),
  }),
  z.strictObject({
    type: z.literal('response'),
    id: requestIdSchema.nullable(),
    ok: z.literal(false),
    error: apiErrorBodySchema,
  }),
]);

/** A response frame. */
export type ResponseFrame = z.infer<typeof responseFrameSchema>;

/** A pushed event. The payload is checked against the event's schema by the side that cares. */
export const eventFrameSchema = z.strictObject({
  type: z.literal('event'),
  event: z.string().min(1).max(128),
  payload: z.unknown(),
});

/** An event frame. */
export type EventFrame = z.infer<typeof eventFrameSchema>;

/** Anything a peer may send. */
export const frameSchema = z.union([requestFrameSchema, responseFrameSchema, eventFrameSchema]);

/** Any frame. */
export type Frame = z.infer<typeof frameSchema>;

/** A failed response frame. */
export function errorResponseFrame(
  id: RequestId | null,
  error: ApiErrorBody,
): Extract<ResponseFrame, { ok: false }> {
  return { type: 'response', id, ok: false, error };
}

/** A successful response frame. */
export function valueResponseFrame(
  id: RequestId,
  value: unknown,
): Extract<ResponseFrame, { ok: true }> {
  return { type: 'response', id, ok: true, value };
}

/** One line per zod issue (`filter.status.0: …`), for error messages and `details`. */
export function summarizeIssues(error: z.ZodError): {
  message: string;
  issues: { path: string; message: string }[];
} {
  const issues = error.issues.map((issue) => ({
    path: issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)',
    message: issue.message,
  }));
  const shown = issues.slice(0, 5).map((i) => `${i.path}: ${i.message}`);
  const more = issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : '';
  return { message: shown.join('; ') + more, issues };
}
