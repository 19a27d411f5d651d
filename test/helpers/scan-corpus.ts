/**
 * A generated corpus and definitions set for the differential test of the two engines: every
 * target type (any, PE, ELF, normalised text, Mach-O), every wildcard form (`??`, `a?`, `?a`,
 * `{n}`, `{n-m}`, `{-n}`, `{n-}`, `*`, `(a|b)`), the offsets `*`, `n`, `n,m` and `EOF-n`, MD5 and
 * SHA-256 hash signatures (with and without a size), matches placed across stream chunk
 * boundaries, and near misses that neither engine may report. Seeded, so a failure repeats.
 */
import { createHash } from 'node:crypto';

/** One corpus file and what it should scan as. */
export interface DiffFile {
  readonly name: string;
  readonly bytes: Buffer;
  /** Signature that detects it, or null when it is clean. */
  readonly expected: string | null;
}

/** The corpus and the signature files of its set. */
export interface DiffCorpus {
  readonly files: readonly DiffFile[];
  /** File name → content, for `writeSet`. */
  readonly set: Readonly<Record<string, string>>;
  readonly signatures: number;
}

type Kind = 'binary' | 'pe' | 'elf' | 'macho' | 'text';

/** xorshift32 for decisions and content alike, so the corpus is the same on every run. */
class Seeded {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }
  u32(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }
  int(min: number, max: number): number {
    return min + (this.u32() % (max - min + 1));
  }
  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
  /** Bytes that are never 0x0a/0x20 runs or text-like: a literal no file holds by chance. */
  literal(n: number): Buffer {
    const out = this.bytes(n);
    out[0] = 0x80 | (out[0]! & 0x7f);
    return out;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.u32() % items.length]!;
  }
}

const WORDS = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima'.split(' ');

function content(kind: Kind, size: number, rng: Seeded): Buffer {
  if (kind === 'text') {
    const out = Buffer.alloc(size);
    let at = 0;
    while (at < size) {
      at += out.write(`${rng.pick(WORDS)} ${rng.pick(WORDS)} ${rng.int(0, 99999)}\n`, at, 'latin1');
    }
    return out;
  }
  const out = rng.bytes(size);
  if (size === 0) return out;
  if (kind === 'binary') out[0] = 0; // never a magic, never text
  if (kind === 'pe' && size >= 0x84) {
    out.write('MZ', 0, 'latin1');
    out.writeUInt32LE(0x80, 0x3c);
    out.write('PE\0\0', 0x80, 'latin1');
  }
  if (kind === 'elf') out.write('\x7fELF\x02\x01\x01\0', 0, 'latin1');
  if (kind === 'macho') out.writeUInt32BE(0xfeedfacf, 0);
  return out;
}

/** A body signature with a way to make bytes it matches (`instance`) and ones it does not. */
interface BodySig {
  readonly name: string;
  readonly target: 0 | 1 | 6 | 7 | 9;
  readonly offset: string;
  readonly hex: string;
  instance(rng: Seeded): Buffer;
  /** The same shape with one literal byte changed. */
  miss(rng: Seeded): Buffer;
}

const KIND_OF_TARGET: Record<BodySig['target'], Kind> = {
  0: 'binary',
  1: 'pe',
  6: 'elf',
  7: 'text',
  9: 'macho',
};

function flip(bytes: Buffer, at: number): Buffer {
  const out = Buffer.from(bytes);
  out[at] = out[at]! ^ 0x5a;
  return out;
}

/** The wildcard forms over two literals `a` and `b`: hex, and how to fill the middle. */
function forms(
  rng: Seeded,
): { form: string; hex: (a: string, b: string) => string; middle: (r: Seeded) => Buffer }[] {
  const high = rng.int(0, 15);
  const low = rng.int(0, 15);
  const alt = [rng.literal(1), rng.literal(2), rng.literal(3)];
  return [
    { form: 'Plain', hex: (a, b) => a + b, middle: () => Buffer.alloc(0) },
    { form: 'AnyByte', hex: (a, b) => `${a}??${b}`, middle: (r) => r.bytes(1) },
    {
      form: 'HighNibble',
      hex: (a, b) => `${a}${high.toString(16)}?${b}`,
      middle: (r) => Buffer.from([(high << 4) | r.int(0, 15)]),
    },
    {
      form: 'LowNibble',
      hex: (a, b) => `${a}?${low.toString(16)}${b}`,
      middle: (r) => Buffer.from([(r.int(0, 15) << 4) | low]),
    },
    { form: 'Fixed', hex: (a, b) => `${a}{5}${b}`, middle: (r) => r.bytes(5) },
    { form: 'Range', hex: (a, b) => `${a}{2-10}${b}`, middle: (r) => r.bytes(r.int(2, 10)) },
    { form: 'UpTo', hex: (a, b) => `${a}{-6}${b}`, middle: (r) => r.bytes(r.int(0, 6)) },
    { form: 'AtLeast', hex: (a, b) => `${a}{4-}${b}`, middle: (r) => r.bytes(r.int(4, 300)) },
    { form: 'Star', hex: (a, b) => `${a}*${b}`, middle: (r) => r.bytes(r.int(0, 2000)) },
    {
      form: 'Alternatives',
      hex: (a, b) => `${a}(${alt.map((o) => o.toString('hex')).join('|')})${b}`,
      middle: (r) => r.pick(alt),
    },
  ];
}

function bodySignatures(rng: Seeded): BodySig[] {
  const sigs: BodySig[] = [];
  const shapes = forms(rng);
  const add = (target: BodySig['target'], form: (typeof shapes)[number], offset = '*'): void => {
    const a = rng.literal(8);
    const b = rng.literal(8);
    sigs.push({
      name: `CQ.Diff.${form.form}.T${target}.${offset === '*' ? 'Any' : offset.replace(/[^0-9A-Za-z]/g, '_')}`,
      target,
      offset,
      hex: form.hex(a.toString('hex'), b.toString('hex')),
      instance: (r) => Buffer.concat([a, form.middle(r), b]),
      miss: (r) => Buffer.concat([a, form.middle(r), flip(b, 7)]),
    });
  };
  for (const form of shapes) add(0, form);
  for (const target of [1, 6, 9] as const) {
    for (const form of shapes.filter((f) =>
      ['Plain', 'AnyByte', 'Range', 'Star', 'Alternatives'].includes(f.form),
    ))
      add(target, form);
  }
  add(0, shapes[0]!, '300');
  add(0, shapes[5]!, '1000,200');
  add(0, shapes[0]!, 'EOF-40');
  add(1, shapes[0]!, '512');
  // Normalised text: lower-case words, matched whatever the case and spacing in the file.
  for (const [i, words] of [
    'quarantine marker',
    'scan deliver probe',
    'defcast signal',
  ].entries()) {
    const token = `${words} ${rng.bytes(5).toString('hex')}`;
    const wildcard = i === 1;
    const bytes = Buffer.from(token, 'latin1');
    sigs.push({
      name: `CQ.Diff.Text.T7.${i}`,
      target: 7,
      offset: '*',
      hex: wildcard
        ? `${bytes.subarray(0, 6).toString('hex')}??${bytes.subarray(7).toString('hex')}`
        : bytes.toString('hex'),
      instance: (r) => {
        // Upper case and doubled spaces: only normalisation makes this match.
        const text = r.int(0, 1) ? token.toUpperCase().replace(/ /g, '  ') : token;
        return Buffer.from(`\n${text}\n`, 'latin1');
      },
      miss: () => Buffer.from(`\n${token.slice(0, -1)}#\n`, 'latin1'),
    });
  }
  return sigs;
}

/** Place `piece` in `data` at `at` (clamped inside). */
function place(data: Buffer, piece: Buffer, at: number): Buffer {
  const start = Math.max(0, Math.min(at, data.length - piece.length));
  piece.copy(data, start);
  return data;
}

/** Where a match goes: at random, or straddling a 64 KiB (or 7,000-byte) chunk boundary. */
function position(rng: Seeded, size: number, length: number, boundary: boolean): number {
  if (boundary) {
    const edges = [65_536, 131_072, 7_000 * rng.int(1, 9)].filter((e) => e + length < size);
    if (edges.length > 0) return rng.pick(edges) - rng.int(1, Math.max(1, length - 1));
  }
  return rng.int(1024, Math.max(1024, size - length - 1));
}

/** Where a signature's offset puts its match in a file of `size` bytes; null for `*`. */
function offsetPosition(sig: BodySig, size: number, rng: Seeded): number | null {
  if (sig.offset === '*') return null;
  if (sig.offset.startsWith('EOF-')) return size - Number(sig.offset.slice(4));
  const [start, shift] = sig.offset.split(',').map(Number) as [number, number | undefined];
  return start + (shift ? rng.int(0, shift) : 0);
}

/** Generate the corpus (a few hundred files, about 12 MB) and its set. */
export function generateDifferentialCorpus(seed = 20_260_101): DiffCorpus {
  const rng = new Seeded(seed);
  const files: DiffFile[] = [];
  const bodies = bodySignatures(rng);
  let n = 0;
  const file = (kind: Kind, bytes: Buffer, expected: string | null): void => {
    files.push({ name: `${String(n++).padStart(4, '0')}-${kind}`, bytes, expected });
  };
  for (const sig of bodies) {
    const kind = KIND_OF_TARGET[sig.target];
    for (const boundary of [false, true, false]) {
      const size = boundary ? rng.int(140_000, 200_000) : rng.int(3_000, 40_000);
      const piece = sig.instance(rng);
      const fixed = offsetPosition(sig, size, rng);
      file(
        kind,
        place(
          content(kind, size, rng),
          piece,
          fixed ?? position(rng, size, piece.length, boundary),
        ),
        sig.name,
      );
    }
    // Near misses: a changed byte; the right bytes in the wrong kind of file or at the wrong offset.
    const size = rng.int(3_000, 40_000);
    const missPiece = sig.miss(rng);
    file(
      kind,
      place(
        content(kind, size, rng),
        missPiece,
        offsetPosition(sig, size, rng) ?? position(rng, size, missPiece.length, false),
      ),
      null,
    );
    if (sig.target !== 0) {
      // Text in untyped binary data is sometimes normalised by clamd (its HTML heuristics), so
      // a text signature's wrong kind is an executable, which clamd never reads as text.
      const wrong = sig.target === 1 ? 'elf' : 'pe';
      const piece = sig.instance(rng);
      const at = offsetPosition(sig, size, rng) ?? position(rng, size, piece.length, false);
      file(wrong, place(content(wrong, size, rng), piece, at), null);
    } else if (sig.offset !== '*') {
      const piece = sig.instance(rng);
      const at =
        (offsetPosition(sig, size, rng) ?? 0) + (sig.offset.startsWith('EOF') ? -300 : 301 + 200);
      file(kind, place(content(kind, size, rng), piece, at), null);
    }
  }

  // Hash signatures: MD5 and SHA-256 of whole files, with their size or any size.
  const hdb: string[] = [];
  const hsb: string[] = [];
  const kinds: Kind[] = ['binary', 'pe', 'elf', 'macho', 'text'];
  for (let i = 0; i < 15; i++) {
    const kind = kinds[i % kinds.length]!;
    // clamd does not report hash signatures of files under 6 bytes: the smallest here is 6.
    const size = i === 0 ? 6 : rng.int(100, 90_000);
    const bytes = content(kind, size, rng);
    const name = `CQ.Diff.Hash.${i % 3 === 0 ? 'SHA256' : 'MD5'}.${i}`;
    const anySize = i % 5 === 4;
    if (i % 3 === 0)
      hsb.push(
        `${createHash('sha256').update(bytes).digest('hex')}:${anySize ? '*' : size}:${name}${anySize ? ':73' : ''}`,
      );
    else
      hdb.push(
        `${createHash('md5').update(bytes).digest('hex')}:${anySize ? '*' : size}:${name}${anySize ? ':73' : ''}`,
      );
    file(kind, bytes, name);
    if (size > 1) file(kind, flip(bytes, size - 1), null);
  }

  // Clean files of every kind and of awkward sizes (empty, one byte, chunk edges).
  for (const size of [0, 1, 1023, 1024, 1025, 65_535, 65_536, 65_537, 200_000]) {
    for (const kind of kinds)
      if (size >= 0x84 || kind === 'binary' || kind === 'text')
        file(kind, content(kind, size, rng), null);
  }
  while (files.length < 420) {
    const kind = rng.pick(kinds);
    file(kind, content(kind, rng.int(500, 30_000), rng), null);
  }

  const ndb = bodies.map((s) => `${s.name}:${s.target}:${s.offset}:${s.hex}`);
  return {
    files,
    set: {
      'diff.ndb': ndb.join('\n') + '\n',
      'diff.hdb': hdb.join('\n') + '\n',
      'diff.hsb': hsb.join('\n') + '\n',
    },
    signatures: ndb.length + hdb.length + hsb.length,
  };
}
