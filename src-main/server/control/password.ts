/**
 * Console user passwords at rest: scrypt hashes with a random salt, encoded with their cost
 * parameters so the cost can be raised later without invalidating stored hashes.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** Cost parameters of new hashes: N = 2^15, r = 8, p = 1 (about 32 MiB and tens of ms). */
export const SCRYPT_PARAMS = { N: 32768, r: 8, p: 1 } as const;

const SALT_BYTES = 16;
const KEY_BYTES = 32;

// A stored hash is trusted input only so far: bound its parameters so a tampered users table
// cannot make one login attempt allocate gigabytes or spin for minutes.
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;
const PREFIX = 'scrypt';

/** Hash a password as `scrypt$N$r$p$saltB64$hashB64`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const { N, r, p } = SCRYPT_PARAMS;
  const key = await derive(password, salt, KEY_BYTES, { N, r, p });
  return [PREFIX, N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** True when `password` matches the encoded hash; false for a wrong password or a bad encoding. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parseEncoded(encoded);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.hash.length, parsed.params);
  return timingSafeEqual(key, parsed.hash);
}

interface ParsedHash {
  readonly params: { N: number; r: number; p: number };
  readonly salt: Buffer;
  readonly hash: Buffer;
}

function parseEncoded(encoded: string): ParsedHash | null {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== PREFIX) return null;
  const [, nText, rText, pText, saltText, hashText] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const N = strictInt(nText);
  const r = strictInt(rText);
  const p = strictInt(pText);
  if (N === null || r === null || p === null) return null;
  // scrypt needs N to be a power of two greater than 1.
  if (N < 2 || N > MAX_N || (N & (N - 1)) !== 0) return null;
  if (r < 1 || r > MAX_R || p < 1 || p > MAX_P) return null;
  const salt = base64(saltText);
  const hash = base64(hashText);
  if (!salt || salt.length < 8 || !hash || hash.length < 16 || hash.length > 128) return null;
  return { params: { N, r, p }, salt, hash };
}

function strictInt(text: string): number | null {
  return /^\d{1,8}$/.test(text) ? Number(text) : null;
}

function base64(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return null;
  return Buffer.from(text, 'base64');
}

function derive(
  password: string,
  salt: Buffer,
  length: number,
  params: { N: number; r: number; p: number },
): Promise<Buffer> {
  // Node refuses parameters needing more than maxmem (32 MiB by default, exactly our N*r cost).
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    // NFC: the same password typed where the OS composes characters differently must match.
    scrypt(password.normalize('NFC'), salt, length, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}
