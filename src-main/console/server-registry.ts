/**
 * The remote servers a console remembers between runs (`<dataDir>/console-servers.json`):
 * where they are and who logs in, never a password. After a restart they are listed as
 * disconnected until the administrator attaches again with the password.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { createLogger } from '../log/logger.js';

const log = createLogger('console.registry');

/** File name of the registry inside the console's data folder. */
export const REGISTRY_FILE = 'console-servers.json';

/** One remembered remote server. */
export const rememberedServerSchema = z.strictObject({
  id: z.string().min(1).max(64),
  label: z.string().max(256),
  host: z.string().min(1).max(255),
  port: z.number().int().min(1).max(65535),
  user: z.string().min(1).max(256),
  domain: z.string().max(256).optional(),
  tls: z.boolean().optional(),
});

/** A remembered remote server. */
export type RememberedServer = z.infer<typeof rememberedServerSchema>;

const registrySchema = z.strictObject({
  version: z.literal(1),
  servers: z.array(rememberedServerSchema).max(1000),
});

/** Read the remembered servers; a missing or unreadable file means none (and is logged). */
export function loadRegistry(dataDir: string): RememberedServer[] {
  const file = path.join(dataDir, REGISTRY_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      log.warn('cannot read the remembered servers', { file, error: String(error) });
    return [];
  }
  try {
    const parsed = registrySchema.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data.servers;
    log.warn('ignoring an invalid remembered-servers file', { file });
  } catch (error) {
    log.warn('ignoring a remembered-servers file that is not JSON', { file, error: String(error) });
  }
  return [];
}

/** Write the remembered servers atomically (temp file, then rename), readable by the owner only. */
export function saveRegistry(dataDir: string, servers: readonly RememberedServer[]): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, REGISTRY_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  const body = JSON.stringify({ version: 1, servers }, null, 2) + '\n';
  fs.writeFileSync(temp, body, { mode: 0o600 });
  fs.renameSync(temp, file);
}
