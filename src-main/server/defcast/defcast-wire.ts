/**
 * The Defcast wire (SPEC §4.5) as both ends speak it: header names, how a push is signed, and
 * how an endpoint reports what it did to its local quarantine. The server imports it to push,
 * the endpoint client to receive, so the two can never disagree.
 *
 * Authentication: the server owns an Ed25519 key pair. An endpoint fetches the public key once
 * from the server it forwards to (`GET /defcast/key` on the intake port) and pins it. Every push
 * carries a signature over the method, path, date, package MD5, sequence and the GUID of the
 * endpoint it is meant for; the endpoint refuses anything else. No secret ever leaves the
 * server and nothing secret travels in sample attributes (which the console and the gateway
 * see), and a captured push cannot be replayed at another endpoint or with another package.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/** Signature of a push: `ed25519 <base64>`. */
export const SIGNATURE_HEADER = 'X-Defcast-Signature';
/** GUID of the endpoint a push is meant for. */
export const TARGET_HEADER = 'X-Defcast-Target';
/** What an endpoint did to its local quarantine after installing a set. */
export const OUTCOME_HEADER = 'X-Defcast-Outcome';
/**
 * Unknown `X-` attribute a managed endpoint forwards with every sample: the port of its Defcast
 * receiver (its address is the first entry of X-Platform-Address). Intake keeps it verbatim.
 */
export const DEFCAST_PORT_ATTRIBUTE = 'X-Platform-Defcast-Port';
/** Intake path where endpoints fetch the server's public key. */
export const KEY_PATH = '/defcast/key';
/** Defcast receiver path on the endpoint. */
export const DEFINITIONS_PATH = '/definitions';
/** Default Defcast port of an endpoint (SPEC §4.5). */
export const DEFAULT_DEFCAST_PORT = 8849;

/** What an endpoint did to one quarantined item after installing new definitions. */
export const ENDPOINT_ACTIONS = [
  'repaired',
  'restored',
  'deleted',
  'left',
  'norepair',
  'failed',
] as const;

/** One of ENDPOINT_ACTIONS. */
export type EndpointAction = (typeof ENDPOINT_ACTIONS)[number];

/** The outcome for one item, by the sample id the server gave it. */
export interface OutcomeEntry {
  readonly sampleId: string;
  readonly action: EndpointAction;
}

/** What a push signature covers. */
export interface PushClaims {
  /** RFC 1123 date of the push (the `Date` header). */
  readonly date: string;
  /** MD5 of the package body, lower-case hex. */
  readonly md5: string;
  readonly sequence: number;
  /** GUID of the endpoint, upper-case hex. */
  readonly target: string;
}

/** Header values stay short: a few hundred items per report are plenty. */
const MAX_OUTCOME_ENTRIES = 200;

/** The exact bytes a push signature is computed over. */
export function signingString(claims: PushClaims): string {
  return [
    'PUT',
    DEFINITIONS_PATH,
    claims.date,
    claims.md5.toLowerCase(),
    String(claims.sequence),
    claims.target.toUpperCase(),
  ].join('\n');
}

/** Sign a push with the server's private key; returns the header value. */
export function signPush(privateKey: KeyObject, claims: PushClaims): string {
  return `ed25519 ${sign(null, Buffer.from(signingString(claims)), privateKey).toString('base64')}`;
}

/** True when `header` is a valid signature of `claims` by the holder of `publicKeyPem`. */
export function verifyPush(publicKeyPem: string, claims: PushClaims, header: string): boolean {
  const match = /^ed25519 ([A-Za-z0-9+/]+={0,2})$/.exec(header.trim());
  if (!match) return false;
  try {
    const key = createPublicKey(publicKeyPem);
    return verify(null, Buffer.from(signingString(claims)), key, Buffer.from(match[1]!, 'base64'));
  } catch {
    return false;
  }
}

/** Short fingerprint of a public key (SHA-256 of its PEM, first 16 hex digits), for logs. */
export function keyFingerprint(publicKeyPem: string): string {
  return createHash('sha256').update(publicKeyPem.trim()).digest('hex').slice(0, 16);
}

/** `12=repaired 15=left`: the header form of an outcome. */
export function formatOutcome(entries: readonly OutcomeEntry[]): string {
  return entries
    .slice(0, MAX_OUTCOME_ENTRIES)
    .map((e) => `${e.sampleId}=${e.action}`)
    .join(' ');
}

/** Parse an outcome header; malformed entries are skipped (the report is advisory). */
export function parseOutcome(value: string | undefined): OutcomeEntry[] {
  if (!value) return [];
  const out: OutcomeEntry[] = [];
  for (const part of value.trim().split(/\s+/).slice(0, MAX_OUTCOME_ENTRIES)) {
    const match = /^(\d{1,20})=([a-z]+)$/.exec(part);
    if (match && (ENDPOINT_ACTIONS as readonly string[]).includes(match[2]!)) {
      out.push({ sampleId: match[1]!, action: match[2] as EndpointAction });
    }
  }
  return out;
}

/** Normalise a GUID as X-Platform-GUID carries it: 32 upper-case hex digits, or null. */
export function normalizeGuid(value: string): string | null {
  const hex = value.replace(/[{}-]/g, '').toUpperCase();
  return /^[0-9A-F]{32}$/.test(hex) ? hex : null;
}
