/**
 * Who an endpoint is and how to reach it, as its forwarded samples describe it: host, addresses,
 * GUID (managed endpoints have one), Defcast port and the server it gets definitions from.
 */
import type { TargetSighting, TargetRow } from '../store/targets-repo.js';
import { DEFCAST_PORT_ATTRIBUTE, normalizeGuid } from './defcast-wire.js';
import type { EndpointAddress } from './endpoint-link.js';

/** Read a target sighting from a sample's platform key and attributes. */
export function sightingFromAttributes(
  platformKey: string,
  attributes: Readonly<Record<string, string>>,
  seenAt: number,
): TargetSighting {
  const port = Number(attributes[DEFCAST_PORT_ATTRIBUTE] ?? '');
  const guid = attributes['X-Platform-GUID'];
  return {
    platformKey,
    host: attributes['X-Platform-Host'] ?? platformKey,
    addresses: (attributes['X-Platform-Address'] ?? '')
      .split(/\s+/)
      .filter((a) => a !== '')
      .slice(0, 16),
    guid: guid ? normalizeGuid(guid) : null,
    defcastPort: Number.isInteger(port) && port >= 1 && port <= 65535 ? port : null,
    distributor: attributes['X-Platform-Distributor'] || null,
    seenAt,
  };
}

/** Whether Defcast can push to a target: it has a GUID and announced a Defcast port. */
export function canPush(target: TargetRow): boolean {
  return target.managed && target.guid !== null && target.defcastPort !== null;
}

/**
 * The receiver address of a target: the first announced address (endpoints list the one their
 * receiver listens on first), else its host name.
 */
export function endpointAddress(target: TargetRow): EndpointAddress | null {
  if (target.defcastPort === null) return null;
  return { host: target.addresses[0] ?? target.host, port: target.defcastPort };
}

/** Whether a target answers to one of `names` (host names or GUIDs, any case). */
export function matchesName(target: TargetRow, names: readonly string[]): boolean {
  const own = [target.host, target.guid ?? ''].filter((v) => v !== '').map((v) => v.toLowerCase());
  return names.some((n) => {
    const name = n.toLowerCase();
    return own.includes(name) || (normalizeGuid(n) ?? '') === (target.guid ?? '-');
  });
}
