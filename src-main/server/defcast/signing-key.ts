/**
 * The server's Defcast signing key (see defcast-wire.ts): created on first start, kept in the
 * data folder readable by the server's user only, never sent anywhere but its public half.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { replaceFileDurably } from '../../fs/durable-file.js';
import { keyFingerprint } from './defcast-wire.js';

/** File name of the private key inside the server's data folder. */
export const SIGNING_KEY_FILE = 'defcast-key.pem';

/** The key pair a server signs pushes with. */
export interface SigningKey {
  readonly privateKey: KeyObject;
  /** SPKI PEM of the public key: what `GET /defcast/key` serves. */
  readonly publicKeyPem: string;
  readonly fingerprint: string;
}

function fromPrivatePem(pem: string): SigningKey {
  const privateKey = createPrivateKey(pem);
  const publicKeyPem = createPublicKey(privateKey)
    .export({ type: 'spki', format: 'pem' })
    .toString();
  return { privateKey, publicKeyPem, fingerprint: keyFingerprint(publicKeyPem) };
}

/** Read the data folder's signing key, creating it (durably, mode 0600) the first time. */
export function loadOrCreateSigningKey(dataDir: string): SigningKey {
  const file = path.join(dataDir, SIGNING_KEY_FILE);
  try {
    return fromPrivatePem(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  // Written whole or not at all: a torn key file would lock every endpoint out.
  replaceFileDurably(file, pem);
  return fromPrivatePem(pem);
}
