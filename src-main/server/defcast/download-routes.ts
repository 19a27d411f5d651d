/**
 * What Defcast serves on the intake port: `GET /definitions/{sequence}` (the stored package,
 * byte for byte, for nonmanaged endpoints that install by hand — SPEC §4.5) and
 * `GET /defcast/key` (the public key endpoints pin to check pushes, see defcast-wire.ts).
 */
import type http from 'node:http';
import { WireError } from '../../../src-shared/catalog/errors.js';
import { sendError, type IntakeRoute } from '../intake/intake-server.js';
import type { DefcastPackage } from './defcast-types.js';
import { DEFINITIONS_PATH, KEY_PATH } from './defcast-wire.js';
import type { SigningKey } from './signing-key.js';

/** What the routes read. */
export interface DownloadRouteDeps {
  readonly readPackage: (sequence: number) => Promise<DefcastPackage | null>;
  readonly key: SigningKey;
}

function onlyGet(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain', Connection: 'close' });
  res.end('method not allowed\n');
  req.resume();
  return false;
}

/** The intake routes of Defcast. */
export function defcastRoutes(deps: DownloadRouteDeps): IntakeRoute[] {
  const keyRoute: IntakeRoute = (req, res, path) => {
    if (path !== KEY_PATH) return false;
    if (!onlyGet(req, res)) return true;
    res.writeHead(200, {
      'Content-Type': 'application/x-pem-file',
      'Cache-Control': 'no-store',
      'X-Defcast-Key-Fingerprint': deps.key.fingerprint,
    });
    res.end(req.method === 'HEAD' ? undefined : deps.key.publicKeyPem);
    return true;
  };
  const packageRoute: IntakeRoute = async (req, res, path) => {
    const match = new RegExp(`^${DEFINITIONS_PATH}/([^/]+)$`).exec(path);
    if (!match) return false;
    if (!onlyGet(req, res)) return true;
    const text = match[1]!;
    if (!/^\d{1,8}$/.test(text) || Number(text) < 1) {
      sendError(res, new WireError('malformed', ['X-Signatures-Sequence'], 400), true);
      return true;
    }
    const sequence = Number(text);
    const pkg = await deps.readPackage(sequence);
    if (!pkg) {
      sendError(res, new WireError('unavailable', [sequence], 404), true);
      return true;
    }
    res.writeHead(200, {
      'Content-Type': 'application/zip',
      'Content-Length': String(pkg.bytes.length),
      'Content-Disposition': `attachment; filename="${pkg.name}"`,
      'X-Signatures-Sequence': String(pkg.sequence),
      'X-Signatures-Version': pkg.version,
      'X-Signatures-Checksum': pkg.md5,
    });
    res.end(req.method === 'HEAD' ? undefined : pkg.bytes);
    return true;
  };
  return [keyRoute, packageRoute];
}

/**
 * The URL where set `sequence` can be downloaded, from the intake's printable address
 * (`HOST:PORT`); a wildcard listen address is replaced by this computer's name.
 */
export function downloadUrlFor(
  intake: string,
  tls: boolean,
  sequence: number,
  hostname: string,
): string {
  const match = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(intake);
  let host = match?.[1] ?? intake;
  const port = match?.[2] ?? '';
  if (host === '0.0.0.0' || host === '[::]' || host === '') host = hostname;
  return `${tls ? 'https' : 'http'}://${host}${port ? `:${port}` : ''}${DEFINITIONS_PATH}/${sequence}`;
}
