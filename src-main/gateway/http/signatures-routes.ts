/**
 * `GET /v1/signatures/newest?certified=1|0` and `GET /v1/signatures/{sequence}` (SPEC §4.3,
 * §4.4). A sequence the gateway cannot serve is refused with the reason: `unavailable` (404,
 * unknown or not published yet: may come later), and `superseded`, `abandoned`, `unpublished`
 * (410: that package will never be served; `superseded` names the certified set to use).
 */
import fs from 'node:fs';
import type http from 'node:http';
import { WireError } from '../../../src-shared/catalog/errors.js';
import { formatHttpDate } from '../../../src-shared/codec/dates.js';
import type { SetRow } from '../model.js';
import { packageName } from '../sets/set-files.js';
import { sendError, sendHeaders } from './responses.js';
import type { RouteContext } from './route-context.js';

const pad8 = (n: number): string => String(n).padStart(8, '0');

/** The X-Signatures and X-Date attributes of a set, describing the package with `md5`. */
export function setHeaders(set: SetRow, md5: string): Record<string, string> {
  const h: Record<string, string> = {
    'X-Signatures-Sequence': pad8(set.sequence),
    'X-Signatures-Version': set.version,
    // Attributes carry MD5s in upper-case hex (the catalog's normal form).
    'X-Signatures-Checksum': md5.toUpperCase(),
    'X-Date-Produced': formatHttpDate(set.producedAt),
  };
  if (set.publishedAt !== null) h['X-Date-Published'] = formatHttpDate(set.publishedAt);
  if (set.blessedAt !== null) h['X-Date-Blessed'] = formatHttpDate(set.blessedAt);
  return h;
}

/** `GET /v1/signatures/newest`: describe the newest (certified) set. */
export function getNewest(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  query: URLSearchParams,
  ctx: RouteContext,
): void {
  req.resume();
  const certified = query.get('certified') ?? '0';
  if (certified !== '0' && certified !== '1') {
    sendError(res, new WireError('malformed', ['certified']));
    return;
  }
  const set = certified === '1' ? ctx.store.sets.newestCertified() : ctx.store.sets.newest();
  if (set === undefined || set.packageMd5 === null) {
    sendError(res, new WireError('unavailable', [], 404));
    return;
  }
  sendHeaders(res, 200, setHeaders(set, set.packageMd5), `${pad8(set.sequence)} ${set.version}\n`);
}

/** Why `sequence` cannot be served, or the set to serve. */
export function resolveSequence(sequence: number, ctx: RouteContext): SetRow | WireError {
  const set = ctx.store.sets.get(sequence);
  if (set === undefined || set.state === 'building') {
    return new WireError('unavailable', [pad8(sequence)], 404);
  }
  if (set.state === 'abandoned') return new WireError('abandoned', [pad8(sequence)], 410);
  if (set.state === 'unpublished') return new WireError('unpublished', [pad8(sequence)], 410);
  const certified = ctx.store.sets.newestCertified();
  if (certified !== undefined && sequence < certified.sequence) {
    return new WireError('superseded', [pad8(certified.sequence)], 410);
  }
  return set;
}

/** `GET|HEAD /v1/signatures/{sequence}[?kind=all]`: the package bytes. */
export async function getPackage(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  sequenceText: string,
  query: URLSearchParams,
  ctx: RouteContext,
): Promise<void> {
  req.resume();
  if (!/^\d{1,8}$/.test(sequenceText) || Number(sequenceText) < 1) {
    sendError(res, new WireError('malformed', ['sequence']));
    return;
  }
  const kindParam = query.get('kind');
  if (kindParam !== null && kindParam !== 'all') {
    sendError(res, new WireError('malformed', ['kind']));
    return;
  }
  const resolved = resolveSequence(Number(sequenceText), ctx);
  if (resolved instanceof WireError) {
    sendError(res, resolved);
    return;
  }
  const full = kindParam === 'all' || resolved.packageKind === 'all';
  const md5 = full ? resolved.fullMd5 : resolved.packageMd5;
  if (md5 === null) {
    sendError(res, new WireError('unavailable', [pad8(resolved.sequence)], 404));
    return;
  }
  const bytes = await fs.promises.readFile(ctx.packagePath(md5));
  res.writeHead(200, {
    ...setHeaders(resolved, md5),
    'X-Checksum-Method': 'md5',
    'X-Content-Compression': 'zip',
    'X-Content-Checksum': md5.toUpperCase(),
    'Content-Type': 'application/zip',
    'Content-Length': String(bytes.length),
    'Content-Disposition': `attachment; filename="${packageName(resolved.sequence, full ? 'all' : 'incr')}"`,
    'Cache-Control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}
