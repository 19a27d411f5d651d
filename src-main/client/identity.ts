/**
 * A managed endpoint's GUID (X-Platform-GUID): the one given on the command line, else the one
 * generated on first start and kept in `<dataDir>/identity.json`, so the server sees the same
 * endpoint across restarts.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { normalizeGuid } from '../server/defcast/defcast-wire.js';

/** File name of the stored identity. */
export const IDENTITY_FILE = 'identity.json';

/** The GUID of the endpoint in `dataDir`: `given` (normalised), else stored, else new. */
export function endpointGuid(dataDir: string, given?: string): string {
  if (given !== undefined) {
    const guid = normalizeGuid(given);
    if (!guid)
      throw new Error(`"${given}" is not a GUID (32 hex digits, braces and hyphens allowed)`);
    return guid;
  }
  const file = path.join(dataDir, IDENTITY_FILE);
  try {
    const stored = normalizeGuid(
      (JSON.parse(fs.readFileSync(file, 'utf8')) as { guid?: string }).guid ?? '',
    );
    if (stored) return stored;
  } catch {
    // No identity yet: create one below.
  }
  const guid = randomBytes(16).toString('hex').toUpperCase();
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify({ guid }) + '\n', { mode: 0o600 });
  fs.renameSync(temp, file);
  return guid;
}
