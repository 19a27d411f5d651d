/**
 * The server's Defcast public key as an endpoint knows it: fetched once from the server it
 * forwards to (`GET /defcast/key` on the intake port) and pinned in `<dataDir>/server-key.pem`.
 * A pinned key is never replaced by what a server answers later; an administrator who moves
 * endpoints to a new server deletes the file.
 */
import { createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { replaceFileDurably } from '../fs/durable-file.js';
import { KEY_PATH, keyFingerprint } from '../server/defcast/defcast-wire.js';
import type { IntakeTarget } from './forward.js';

/** File name of the pinned key inside the client's data folder. */
export const SERVER_KEY_FILE = 'server-key.pem';

/** Largest key answer read (a PEM public key is a few hundred bytes). */
const MAX_KEY_BYTES = 16 * 1024;

/** The pinned key of `dataDir`, or null. */
export function readPinnedKey(dataDir: string): string | null {
  try {
    const pem = fs.readFileSync(path.join(dataDir, SERVER_KEY_FILE), 'utf8');
    createPublicKey(pem);
    return pem;
  } catch {
    return null;
  }
}

/** Fetch the server's public key over its intake. */
export function fetchServerKey(target: IntakeTarget, timeoutMs: number): Promise<string> {
  const transport = target.tls ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      {
        host: target.host,
        port: target.port,
        path: KEY_PATH,
        method: 'GET',
        timeout: timeoutMs,
        ...(target.tls
          ? { ca: target.tls.ca, rejectUnauthorized: target.tls.rejectUnauthorized ?? true }
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_KEY_BYTES) req.destroy(new Error('key answer too large'));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          if (res.statusCode !== 200) {
            reject(new Error(`the server answered HTTP ${res.statusCode} for its Defcast key`));
            return;
          }
          const pem = Buffer.concat(chunks).toString('utf8');
          try {
            createPublicKey(pem);
          } catch {
            reject(new Error('the server sent something that is not a public key'));
            return;
          }
          resolve(pem);
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out fetching the server key')));
    req.on('error', reject);
    req.end();
  });
}

/** Pin `pem` in `dataDir` (durably) unless a key is pinned already; returns the pinned key. */
export function pinServerKey(
  dataDir: string,
  pem: string,
): { pem: string; fingerprint: string; pinnedNow: boolean } {
  const existing = readPinnedKey(dataDir);
  if (existing) return { pem: existing, fingerprint: keyFingerprint(existing), pinnedNow: false };
  const file = path.join(dataDir, SERVER_KEY_FILE);
  replaceFileDurably(file, pem);
  return { pem, fingerprint: keyFingerprint(pem), pinnedNow: true };
}
