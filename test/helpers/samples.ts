/** Building forward requests for tests. */
import { randomBytes } from 'node:crypto';
import { encodeSample } from '../../src-main/codec/content.js';
import { formatHttpDate } from '../../src-shared/codec/dates.js';

/** Headers and body of a valid forward of `bytes` (override or drop headers per test). */
export function forwardRequest(
  bytes: Buffer = randomBytes(4096),
  overrides: Record<string, string | undefined> = {},
  options: { compress?: boolean; scramble?: boolean; base64?: boolean } = {},
): { headers: Record<string, string>; body: Buffer } {
  const encoded = encodeSample(bytes, options);
  const headers: Record<string, string | undefined> = {
    Date: formatHttpDate(Date.now()),
    'X-Sample-Type': 'file',
    'X-Sample-File': 'C:\\Users\\alice\\Downloads\\invoice.exe',
    'X-Sample-Reason': 'manual',
    'X-Platform-Host': 'ws-042.example.test',
    'X-Platform-User': 'alice',
    'X-Platform-Domain': 'EXAMPLE',
    'X-Platform-Correlator': '0123456789ABCDEF0123456789ABCDEF',
    'X-Date-Captured': formatHttpDate(Date.now() - 60_000),
    ...encoded.headers,
    'Content-Length': String(encoded.body.length),
    ...overrides,
  };
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) clean[k] = v;
  return { headers: clean, body: encoded.body };
}
