/**
 * Writing OLE compound files ([MS-CFB]) from a tree of storages and streams: version 3,
 * 512-byte sectors, small streams in the mini stream, the FAT extended through DIFAT sectors
 * when a file needs more than the header can list.
 */
import { CFB, CFB_SIGNATURE, CfbError, type CfbNode } from './cfb.js';

const { FREESECT, ENDOFCHAIN, FATSECT, DIFSECT, NOSTREAM, HEADER_DIFAT, DIR_ENTRY } = CFB;
const { MINI_SECTOR, MINI_CUTOFF, TYPE_STORAGE, TYPE_STREAM, TYPE_ROOT, BLACK } = CFB;

/** Directory order of siblings ([MS-CFB] 2.6.4): shorter names first, then upper-case order. */
export function compareCfbNames(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  const ua = a.toUpperCase();
  const ub = b.toUpperCase();
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

interface FlatEntry {
  readonly node: CfbNode;
  left: number;
  right: number;
  child: number;
  start: number;
  size: number;
}

/** Write a tree as a version 3 compound file. */
export function writeCfb(root: CfbNode): Buffer {
  if (root.kind !== 'root') throw new CfbError('the tree must start at a root node');
  const flat: FlatEntry[] = [];
  const add = (node: CfbNode): number => {
    if (node.name.length > 31) throw new CfbError(`name too long: ${node.name}`);
    const id = flat.length;
    flat.push({ node, left: NOSTREAM, right: NOSTREAM, child: NOSTREAM, start: 0, size: 0 });
    if (node.kind !== 'stream') {
      const ids = [...node.children]
        .sort((a, b) => compareCfbNames(a.name, b.name))
        .map((child) => add(child));
      flat[id]!.child = balance(ids, flat);
    }
    return id;
  };
  add(root);

  // Small streams share the mini stream; large ones get their own sectors.
  const miniFat: number[] = [];
  const miniParts: Buffer[] = [];
  const large: FlatEntry[] = [];
  for (const e of flat) {
    if (e.node.kind !== 'stream') continue;
    e.size = e.node.data.length;
    if (e.size === 0) e.start = ENDOFCHAIN;
    else if (e.size < MINI_CUTOFF) {
      const count = Math.ceil(e.size / MINI_SECTOR);
      e.start = miniFat.length;
      for (let i = 0; i < count; i++)
        miniFat.push(i === count - 1 ? ENDOFCHAIN : miniFat.length + 1);
      const padded = Buffer.alloc(count * MINI_SECTOR);
      e.node.data.copy(padded);
      miniParts.push(padded);
    } else large.push(e);
  }
  const miniStream = Buffer.concat(miniParts);

  const SECTOR = 512;
  const sectorsFor = (n: number): number => Math.ceil(n / SECTOR);
  const dataSectors = large.reduce((sum, e) => sum + sectorsFor(e.size), 0);
  const miniStreamSectors = sectorsFor(miniStream.length);
  const dirSectors = sectorsFor(flat.length * DIR_ENTRY);
  const miniFatSectors = sectorsFor(miniFat.length * 4);
  const base = dataSectors + miniStreamSectors + dirSectors + miniFatSectors;
  let fatSectors = 1;
  let difatSectors = 0;
  for (;;) {
    difatSectors = Math.max(0, Math.ceil((fatSectors - HEADER_DIFAT) / (SECTOR / 4 - 1)));
    const needed = Math.ceil((base + fatSectors + difatSectors) / (SECTOR / 4));
    if (needed <= fatSectors) break;
    fatSectors = needed;
  }
  const total = base + fatSectors + difatSectors;
  const fat = new Array<number>(fatSectors * (SECTOR / 4)).fill(FREESECT);
  let next = 0;
  const allocate = (count: number): number => {
    if (count === 0) return ENDOFCHAIN;
    const start = next;
    for (let i = 0; i < count; i++) fat[start + i] = i === count - 1 ? ENDOFCHAIN : start + i + 1;
    next += count;
    return start;
  };
  for (const e of large) e.start = allocate(sectorsFor(e.size));
  const miniStreamStart = allocate(miniStreamSectors);
  const dirStart = allocate(dirSectors);
  const miniFatStart = allocate(miniFatSectors);
  const fatStart = next;
  for (let i = 0; i < fatSectors; i++) fat[next++] = FATSECT;
  const difatStart = next;
  for (let i = 0; i < difatSectors; i++) fat[next++] = DIFSECT;

  const out = Buffer.alloc((total + 1) * SECTOR);
  const at = (n: number): number => (n + 1) * SECTOR;
  CFB_SIGNATURE.copy(out, 0);
  out.writeUInt16LE(0x003e, 0x18);
  out.writeUInt16LE(3, 0x1a);
  out.writeUInt16LE(0xfffe, 0x1c);
  out.writeUInt16LE(9, 0x1e);
  out.writeUInt16LE(6, 0x20);
  out.writeUInt32LE(fatSectors, 0x2c);
  out.writeUInt32LE(dirStart, 0x30);
  out.writeUInt32LE(MINI_CUTOFF, 0x38);
  out.writeUInt32LE(miniFatSectors > 0 ? miniFatStart : ENDOFCHAIN, 0x3c);
  out.writeUInt32LE(miniFatSectors, 0x40);
  out.writeUInt32LE(difatSectors > 0 ? difatStart : ENDOFCHAIN, 0x44);
  out.writeUInt32LE(difatSectors, 0x48);
  for (let i = 0; i < HEADER_DIFAT; i++) {
    out.writeUInt32LE(i < fatSectors ? fatStart + i : FREESECT, 0x4c + i * 4);
  }
  for (let d = 0; d < difatSectors; d++) {
    const base = at(difatStart + d);
    for (let i = 0; i < SECTOR / 4 - 1; i++) {
      const index = HEADER_DIFAT + d * (SECTOR / 4 - 1) + i;
      out.writeUInt32LE(index < fatSectors ? fatStart + index : FREESECT, base + i * 4);
    }
    out.writeUInt32LE(d === difatSectors - 1 ? ENDOFCHAIN : difatStart + d + 1, base + SECTOR - 4);
  }
  fat.forEach((value, i) => out.writeUInt32LE(value, at(fatStart) + i * 4));
  for (const e of large) e.node.data.copy(out, at(e.start));
  miniStream.copy(out, at(miniStreamStart));
  const miniFatBytes = Buffer.alloc(miniFatSectors * SECTOR, 0xff);
  miniFat.forEach((value, i) => miniFatBytes.writeUInt32LE(value, i * 4));
  miniFatBytes.copy(out, at(miniFatStart));

  flat[0]!.start = miniStream.length > 0 ? miniStreamStart : ENDOFCHAIN;
  flat[0]!.size = miniStream.length;
  const dir = Buffer.alloc(dirSectors * SECTOR);
  for (let i = 0; i < dirSectors * (SECTOR / DIR_ENTRY); i++) {
    const entry = dir.subarray(i * DIR_ENTRY, (i + 1) * DIR_ENTRY);
    const e = flat[i];
    if (e === undefined) {
      entry.writeUInt32LE(NOSTREAM, 68);
      entry.writeUInt32LE(NOSTREAM, 72);
      entry.writeUInt32LE(NOSTREAM, 76);
      continue;
    }
    writeEntry(entry, e);
  }
  dir.copy(out, at(dirStart));
  return out;
}

function writeEntry(b: Buffer, e: FlatEntry): void {
  const name = Buffer.from(e.node.name + '\0', 'utf16le');
  name.copy(b, 0);
  b.writeUInt16LE(name.length, 64);
  b[66] =
    e.node.kind === 'root' ? TYPE_ROOT : e.node.kind === 'storage' ? TYPE_STORAGE : TYPE_STREAM;
  b[67] = BLACK;
  b.writeUInt32LE(e.left, 68);
  b.writeUInt32LE(e.right, 72);
  b.writeUInt32LE(e.child, 76);
  if (e.node.kind !== 'stream') e.node.clsid.copy(b, 80, 0, 16);
  b.writeUInt32LE(e.node.stateBits >>> 0, 96);
  // The root and streams carry no creation time by convention; storages keep theirs.
  if (e.node.kind === 'storage') {
    e.node.created.copy(b, 100, 0, 8);
    e.node.modified.copy(b, 108, 0, 8);
  } else if (e.node.kind === 'root') e.node.modified.copy(b, 108, 0, 8);
  b.writeUInt32LE(e.node.kind === 'storage' ? 0 : e.start, 116);
  b.writeBigUInt64LE(BigInt(e.node.kind === 'storage' ? 0 : e.size), 120);
}

/**
 * Link sorted sibling ids into a balanced binary search tree and return its root. Every node
 * is black: [MS-CFB] allows that, and a balanced tree keeps lookups short for readers.
 */
function balance(ids: readonly number[], flat: FlatEntry[]): number {
  if (ids.length === 0) return NOSTREAM;
  const mid = ids.length >> 1;
  const id = ids[mid]!;
  flat[id]!.left = balance(ids.slice(0, mid), flat);
  flat[id]!.right = balance(ids.slice(mid + 1), flat);
  return id;
}
