/**
 * Fix coverage (SPEC §3.2): of the endpoints that reported one content, how many already run
 * definitions that fix it. Each endpoint forwards a content once (a second forward is a
 * duplicate of the same sample), so samples and endpoints correspond one to one.
 */
import type { Coverage } from '../../../src-shared/api/contract.js';
import type { CoverageRow } from '../store/targets-repo.js';

/** Statuses in which the endpoint has confirmed the fixing set. */
const CONFIRMED = new Set(['installed']);

/** Coverage of `checksum` from its samples joined with their targets. */
export function computeCoverage(checksum: string, rows: readonly CoverageRow[]): Coverage {
  const needed = rows.map((r) => r.defsNeeded).filter((n): n is number => n !== null && n > 0);
  const fixing = needed.length > 0 ? Math.max(...needed) : null;
  const out = rows.map((r) => {
    const covered =
      fixing !== null && ((r.sequence !== null && r.sequence >= fixing) || CONFIRMED.has(r.status));
    return {
      sampleId: String(r.sampleId),
      host: r.host,
      targetId: r.targetId === null ? null : String(r.targetId),
      managed: r.managed,
      sequence: r.sequence,
      covered,
      status: r.status,
    };
  });
  return {
    checksum: checksum.toLowerCase(),
    fixingSequence: fixing,
    endpoints: out.length,
    covered: out.filter((r) => r.covered).length,
    managed: out.filter((r) => r.managed).length,
    rows: out,
  };
}
