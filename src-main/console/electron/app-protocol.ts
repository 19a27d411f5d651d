/**
 * The `app://console` protocol that serves the built renderer (`dist-renderer/`) to the console
 * window instead of `file://`: a real origin for the CSP and the IPC sender check, only files
 * under the renderer folder, and the security headers on every response, errors included.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

/** The custom scheme of the console window. */
export const APP_SCHEME = 'app';

/** The one host the scheme serves. */
export const APP_HOST = 'console';

/** Origin of the console window; IPC from anywhere else is refused. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** What the window loads. */
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * Privileges of the scheme (registered before `ready`): standard so it has an origin and relative
 * URLs resolve, secure so it counts as a secure context, fetch for module scripts. Deliberately
 * not `bypassCSP` nor `corsEnabled`.
 */
export const APP_SCHEME_PRIVILEGES = {
  standard: true,
  secure: true,
  supportFetchAPI: true,
  codeCache: true,
} as const;

/**
 * Content Security Policy of every response: only the app's own files; no inline or evaluated
 * script, no remote anything, no frames, no plugins, no forms. `data:` images and fonts are
 * allowed because the bundler inlines small assets that way.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "manifest-src 'none'",
  "media-src 'none'",
  "object-src 'none'",
  "worker-src 'none'",
  "frame-src 'none'",
  "child-src 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
  "base-uri 'none'",
].join('; ');

/** Headers set on every response of the protocol. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=(), hid=()',
  'Cache-Control': 'no-cache',
};

/** Content types by extension; module scripts need a JavaScript type or Chromium refuses them. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.gif': 'image/gif',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
};

/** The file system calls the handler makes (injectable for tests). */
export interface ProtocolFileSystem {
  readFile(file: string): Promise<Uint8Array>;
  realpath(file: string): Promise<string>;
}

/** The part of a protocol request the handler reads. */
export interface ProtocolRequest {
  readonly url: string;
  readonly method: string;
}

/** Options of the handler. */
export interface AppProtocolOptions {
  /** The built renderer folder (`dist-renderer/`). */
  readonly root: string;
  readonly fs?: ProtocolFileSystem;
  /** Told about refused requests (traversal attempts, other hosts). */
  readonly onRefused?: (url: string, reason: string) => void;
}

const nodeFileSystem: ProtocolFileSystem = {
  readFile: (file) => fs.readFile(file),
  realpath: (file) => fs.realpath(file),
};

/** The content type for a file name. */
export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The path below the renderer root a request names, or the reason it is refused. Refuses `..`
 * segments however they are spelt (the URL parser already folds `/../` and `%2e%2e`, but not
 * `..%2f` or backslashes), NUL and other control characters, drive letters and malformed escapes.
 */
export function resolveRequestPath(
  url: string,
): { ok: true; relative: string } | { ok: false; status: number; reason: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, status: 400, reason: 'malformed URL' };
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host.toLowerCase() !== APP_HOST)
    return { ok: false, status: 404, reason: `not served: ${parsed.protocol}//${parsed.host}` };
  if (parsed.username || parsed.password || parsed.port)
    return { ok: false, status: 400, reason: 'credentials or port in URL' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(parsed.pathname);
  } catch {
    return { ok: false, status: 400, reason: 'malformed escape in path' };
  }
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(decoded))
    return { ok: false, status: 400, reason: 'control character in path' };
  const segments = decoded.split(/[/\\]+/).filter((s) => s.length > 0);
  if (segments.some((s) => s === '..' || s === '.'))
    return { ok: false, status: 403, reason: 'path traversal' };
  if (segments.some((s) => s.includes(':')))
    return { ok: false, status: 403, reason: 'drive or stream name in path' };
  const relative = segments.length === 0 ? 'index.html' : segments.join('/');
  return { ok: true, relative };
}

/** True when `child` is `root` itself or below it. */
function isInside(root: string, child: string): boolean {
  const rel = path.relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** A response carrying the security headers. */
function respond(
  status: number,
  body: Uint8Array | string | null,
  contentType = 'text/plain; charset=utf-8',
): Response {
  const headers = new Headers(SECURITY_HEADERS);
  headers.set('Content-Type', contentType);
  return new Response(body, { status, headers });
}

/**
 * The `protocol.handle('app', …)` handler: GET/HEAD of files under `root` only. Symbolic links
 * are resolved and must still land under `root`, so a link cannot expose the rest of the disk.
 */
export function createAppProtocolHandler(
  options: AppProtocolOptions,
): (request: ProtocolRequest) => Promise<Response> {
  const files = options.fs ?? nodeFileSystem;
  const root = path.resolve(options.root);
  let realRoot: Promise<string> | undefined;
  const refuse = (url: string, status: number, reason: string): Response => {
    options.onRefused?.(url, reason);
    return respond(status, reason);
  };
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return refuse(request.url, 405, `method ${request.method} not allowed`);
    const target = resolveRequestPath(request.url);
    if (!target.ok) return refuse(request.url, target.status, target.reason);
    const file = path.resolve(root, target.relative);
    if (!isInside(root, file)) return refuse(request.url, 403, 'path traversal');
    try {
      realRoot ??= files.realpath(root);
      const [rootOnDisk, fileOnDisk] = await Promise.all([realRoot, files.realpath(file)]);
      if (!isInside(rootOnDisk, fileOnDisk)) return refuse(request.url, 403, 'link leaves root');
      const body = await files.readFile(fileOnDisk);
      return respond(200, request.method === 'HEAD' ? null : body, contentTypeOf(file));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR')
        return respond(404, 'not found');
      realRoot = undefined;
      return respond(500, 'cannot read file');
    }
  };
}
