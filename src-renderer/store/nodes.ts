/** Ids of the tree's nodes: the root, each server, and each server's four folders. */

/** What a tree node stands for. */
export type NodeKind = 'root' | 'server' | 'items' | 'definitions' | 'targets' | 'log';

/** A parsed node id. */
export interface NodeRef {
  readonly kind: NodeKind;
  /** The server the node belongs to ('' for the root). */
  readonly serverId: string;
}

/** The root node's id. */
export const ROOT_NODE = 'root';

/** The folders under each server, in tree order. */
export const SERVER_FOLDERS = [
  { kind: 'items', label: 'Quarantined Items' },
  { kind: 'definitions', label: 'Definitions' },
  { kind: 'targets', label: 'Targets' },
  { kind: 'log', label: 'Alerts & Log' },
] as const satisfies readonly { kind: NodeKind; label: string }[];

/** The id of a node. */
export function nodeId(kind: NodeKind, serverId = ''): string {
  return kind === 'root' ? ROOT_NODE : `${kind}:${serverId}`;
}

/** Parse a node id. */
export function parseNode(id: string): NodeRef {
  if (id === ROOT_NODE) return { kind: 'root', serverId: '' };
  const colon = id.indexOf(':');
  const kind = id.slice(0, colon) as NodeKind;
  return { kind, serverId: id.slice(colon + 1) };
}
