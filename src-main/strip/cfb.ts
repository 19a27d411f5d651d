/**
 * A small reader for OLE compound files ([MS-CFB]): the container of Office 97-2003 documents.
 * The strippers read a document into a tree of storages and streams, keep the macro streams,
 * blank the rest and write a new file with `cfb-writer.ts`.
 */

/** Why a compound file cannot be read. */
export class CfbError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CfbError';
  }
}

/** A storage (folder) or stream (file) inside a compound file. */
export interface CfbNode {
  readonly name: string;
  readonly kind: 'root' | 'storage' | 'stream';
  /** 16 bytes; zero for streams. */
  readonly clsid: Buffer;
  readonly stateBits: number;
  /** FILETIME of creation and modification (8 bytes each), kept verbatim. */
  readonly created: Buffer;
  readonly modified: Buffer;
  /** Children of the root and of storages, in directory order. */
  readonly children: CfbNode[];
  /** Content of a stream (empty for storages). */
  readonly data: Buffer;
}

/** The 8-byte signature every compound file starts with. */
export const CFB_SIGNATURE = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

/** Sector and directory constants of [MS-CFB] shared by the reader and the writer. */
export const CFB = {
  FREESECT: 0xffffffff,
  ENDOFCHAIN: 0xfffffffe,
  FATSECT: 0xfffffffd,
  DIFSECT: 0xfffffffc,
  NOSTREAM: 0xffffffff,
  MAX_REGSECT: 0xfffffffa,
  HEADER_DIFAT: 109,
  DIR_ENTRY: 128,
  MINI_SECTOR: 64,
  MINI_CUTOFF: 4096,
  TYPE_STORAGE: 1,
  TYPE_STREAM: 2,
  TYPE_ROOT: 5,
  BLACK: 1,
} as const;
const { FREESECT, ENDOFCHAIN, NOSTREAM, MAX_REGSECT, HEADER_DIFAT, DIR_ENTRY, MINI_SECTOR } = CFB;
const { TYPE_STORAGE, TYPE_STREAM, TYPE_ROOT } = CFB;

/** True when `bytes` starts with the compound file signature. */
export function isCfb(bytes: Uint8Array): boolean {
  return bytes.length >= 512 && CFB_SIGNATURE.equals(Buffer.from(bytes.subarray(0, 8)));
}

interface RawEntry {
  readonly name: string;
  readonly type: number;
  readonly left: number;
  readonly right: number;
  readonly child: number;
  readonly clsid: Buffer;
  readonly stateBits: number;
  readonly created: Buffer;
  readonly modified: Buffer;
  readonly start: number;
  readonly size: number;
}

/** Parse a compound file into its tree; throws CfbError on anything malformed. */
export function readCfb(input: Uint8Array): CfbNode {
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.length);
  if (!isCfb(bytes)) throw new CfbError('not a compound file (bad signature)');
  const major = bytes.readUInt16LE(0x1a);
  const sectorShift = bytes.readUInt16LE(0x1e);
  if (bytes.readUInt16LE(0x1c) !== 0xfffe) throw new CfbError('bad byte order mark');
  if (!((major === 3 && sectorShift === 9) || (major === 4 && sectorShift === 12))) {
    throw new CfbError(`unsupported version ${major} with sector shift ${sectorShift}`);
  }
  if (bytes.readUInt16LE(0x20) !== 6) throw new CfbError('mini sector size is not 64');
  const sectorSize = 1 << sectorShift;
  const sectorCount = Math.max(0, Math.ceil((bytes.length - sectorSize) / sectorSize));
  const perSector = sectorSize / 4;

  const sector = (n: number): Buffer => {
    if (n > MAX_REGSECT || n >= sectorCount) throw new CfbError(`sector ${n} is outside the file`);
    const start = (n + 1) * sectorSize;
    const out = Buffer.alloc(sectorSize);
    bytes.copy(out, 0, start, Math.min(start + sectorSize, bytes.length));
    return out;
  };

  // The FAT's own sectors: 109 listed in the header, the rest in the DIFAT chain.
  const fatCount = bytes.readUInt32LE(0x2c);
  if (fatCount > sectorCount) throw new CfbError('FAT sector count exceeds the file');
  const fatSectors: number[] = [];
  for (let i = 0; i < HEADER_DIFAT && fatSectors.length < fatCount; i++) {
    fatSectors.push(bytes.readUInt32LE(0x4c + i * 4));
  }
  let difat = bytes.readUInt32LE(0x44);
  const seenDifat = new Set<number>();
  while (fatSectors.length < fatCount) {
    if (difat === ENDOFCHAIN || difat === FREESECT || seenDifat.has(difat)) {
      throw new CfbError('DIFAT chain ends before every FAT sector is listed');
    }
    seenDifat.add(difat);
    const block = sector(difat);
    for (let i = 0; i < perSector - 1 && fatSectors.length < fatCount; i++) {
      fatSectors.push(block.readUInt32LE(i * 4));
    }
    difat = block.readUInt32LE((perSector - 1) * 4);
  }
  const fat: number[] = [];
  for (const n of fatSectors) {
    const block = sector(n);
    for (let i = 0; i < perSector; i++) fat.push(block.readUInt32LE(i * 4));
  }

  const chain = (start: number, table: readonly number[], limit: number): number[] => {
    const out: number[] = [];
    let n = start;
    while (n !== ENDOFCHAIN) {
      if (n >= table.length || n > MAX_REGSECT) throw new CfbError(`broken sector chain at ${n}`);
      if (out.length >= limit) throw new CfbError('sector chain loops');
      out.push(n);
      n = table[n]!;
    }
    return out;
  };
  const readChain = (start: number, size: number): Buffer => {
    const sectors = chain(start, fat, sectorCount);
    const data = Buffer.concat(sectors.map(sector));
    if (data.length < size) throw new CfbError('stream is longer than its sector chain');
    return data.subarray(0, size);
  };

  const dirData = Buffer.concat(chain(bytes.readUInt32LE(0x30), fat, sectorCount).map(sector));
  const entries: RawEntry[] = [];
  for (let off = 0; off + DIR_ENTRY <= dirData.length; off += DIR_ENTRY) {
    entries.push(parseEntry(dirData.subarray(off, off + DIR_ENTRY), major));
  }
  const root = entries[0];
  if (root?.type !== TYPE_ROOT) throw new CfbError('the first directory entry is not the root');

  const miniCutoff = bytes.readUInt32LE(0x38);
  const miniStream = root.size > 0 ? readChain(root.start, root.size) : Buffer.alloc(0);
  const miniFatStart = bytes.readUInt32LE(0x3c);
  const miniFat: number[] = [];
  if (miniFatStart !== ENDOFCHAIN && miniFatStart !== FREESECT) {
    const data = Buffer.concat(chain(miniFatStart, fat, sectorCount).map(sector));
    for (let i = 0; i + 4 <= data.length; i += 4) miniFat.push(data.readUInt32LE(i));
  }
  const readMini = (start: number, size: number): Buffer => {
    const sectors = chain(start, miniFat, Math.ceil(miniStream.length / MINI_SECTOR) + 1);
    const data = Buffer.concat(
      sectors.map((n) => {
        if ((n + 1) * MINI_SECTOR > miniStream.length)
          throw new CfbError(`mini sector ${n} is outside the mini stream`);
        return miniStream.subarray(n * MINI_SECTOR, (n + 1) * MINI_SECTOR);
      }),
    );
    if (data.length < size) throw new CfbError('stream is longer than its mini sector chain');
    return data.subarray(0, size);
  };

  const visited = new Set<number>();
  const build = (id: number): CfbNode => {
    const e = entries[id]!;
    const kind = e.type === TYPE_ROOT ? 'root' : e.type === TYPE_STORAGE ? 'storage' : 'stream';
    let data: Buffer = Buffer.alloc(0);
    if (kind === 'stream' && e.size > 0) {
      if (e.size > bytes.length) throw new CfbError(`stream ${e.name} is larger than the file`);
      data = e.size < miniCutoff ? readMini(e.start, e.size) : readChain(e.start, e.size);
    }
    const children: CfbNode[] = [];
    if (kind !== 'stream') {
      const walk = (sibling: number): void => {
        if (sibling === NOSTREAM) return;
        const s = entries[sibling];
        if (s === undefined || visited.has(sibling)) {
          throw new CfbError(`bad directory tree at entry ${sibling}`);
        }
        visited.add(sibling);
        if (s.type !== TYPE_STORAGE && s.type !== TYPE_STREAM) {
          throw new CfbError(`directory entry ${sibling} has type ${s.type}`);
        }
        walk(s.left);
        children.push(build(sibling));
        walk(s.right);
      };
      walk(e.child);
    }
    return {
      name: e.name,
      kind,
      clsid: e.clsid,
      stateBits: e.stateBits,
      created: e.created,
      modified: e.modified,
      children,
      data,
    };
  };
  visited.add(0);
  return build(0);
}

function parseEntry(b: Buffer, major: number): RawEntry {
  const nameBytes = Math.min(b.readUInt16LE(64), 64);
  const name = b
    .subarray(0, Math.max(0, nameBytes - 2))
    .toString('utf16le')
    .replace(/\0+$/, '');
  // Version 3 files may leave garbage in the high half of the size.
  const size = major === 3 ? b.readUInt32LE(120) : Number(b.readBigUInt64LE(120));
  return {
    name,
    type: b[66]!,
    left: b.readUInt32LE(68),
    right: b.readUInt32LE(72),
    child: b.readUInt32LE(76),
    clsid: Buffer.from(b.subarray(80, 96)),
    stateBits: b.readUInt32LE(96),
    created: Buffer.from(b.subarray(100, 108)),
    modified: Buffer.from(b.subarray(108, 116)),
    start: b.readUInt32LE(116),
    size,
  };
}

/** A new node with the same metadata as `node` and other content or children. */
export function withContent(
  node: CfbNode,
  change: { data?: Buffer; children?: CfbNode[] },
): CfbNode {
  return { ...node, data: change.data ?? node.data, children: change.children ?? node.children };
}
