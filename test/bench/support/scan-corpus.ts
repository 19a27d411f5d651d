/**
 * Generators for `cq bench scan`, shared by every engine measured in that run: a definitions
 * folder with many hash and body signatures (every pattern form the engines support, in
 * ClamAV syntax so clamd loads it too), and a corpus of unique files of several kinds, some of
 * them infected by known signatures.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** One piece of a generated body signature. */
type Part =
  | { readonly kind: 'literal'; readonly bytes: Buffer }
  | { readonly kind: 'any' }
  | { readonly kind: 'nibble'; readonly high: number }
  | { readonly kind: 'gap'; readonly min: number; readonly max: number }
  | { readonly kind: 'alt'; readonly options: readonly Buffer[] }
  | { readonly kind: 'star' };

/** A generated body signature, kept structured so that matching content can be made. */
export interface BodySpec {
  readonly name: string;
  /** 0 any, 1 PE, 6 ELF, 7 normalised text. */
  readonly target: 0 | 1 | 6 | 7;
  /** Absolute start, or null for `*`. */
  readonly offset: number | null;
  readonly parts: readonly Part[];
}

/** The kinds of corpus files. */
export type CorpusKind = 'pe' | 'elf' | 'text' | 'random';

/** One corpus file and the detection it should give. */
export interface CorpusFile {
  readonly path: string;
  readonly size: number;
  readonly kind: CorpusKind;
  /** Name of the signature that detects it, or null when it is clean. */
  readonly expected: string | null;
}

/** A generated corpus. */
export interface Corpus {
  readonly dir: string;
  readonly files: readonly CorpusFile[];
  readonly bytes: number;
}

/** A generated definitions folder. */
export interface GeneratedSet {
  readonly dir: string;
  readonly hashSignatures: number;
  readonly bodySignatures: number;
  /** Bytes of signature files. */
  readonly bytes: number;
}

/** Small, fast, seeded generator for decisions (content bytes come from crypto). */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 0x100000000;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

const WORDS = (
  'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november ' +
  'oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu server ' +
  'quarantine sample definitions gateway console endpoint signature analysis deliver scan'
).split(' ');

// What text signatures look for: script constructs (lower case, single spaces: normalised).
const SCRIPT_TOKENS = [
  'eval(unescape("',
  'wscript.shell").run("',
  'powershell -nop -w hidden -enc ',
  'document.write(unescape("',
  'createobject("adodb.stream")',
  'string.fromcharcode(',
  '<script>var ',
  'shell_exec($_get["',
];

function words(rng: Rng, count: number): Buffer {
  return Buffer.from(Array.from({ length: count }, () => rng.pick(WORDS)).join(' '), 'latin1');
}

function literal(rng: Rng, min: number, max: number): Part {
  return { kind: 'literal', bytes: randomBytes(rng.int(min, max)) };
}

/** A body signature of a form chosen by `i`, so every form is well represented. */
function bodySpec(rng: Rng, i: number): BodySpec {
  const name = `Bench.Body.${i}`;
  const form = i % 20;
  if (form === 0) {
    // Normalised text: a script construct around a random token, as text signatures are.
    const phrase = `${rng.pick(SCRIPT_TOKENS)}${randomBytes(6).toString('hex')}${rng.pick(SCRIPT_TOKENS)}`;
    return {
      name,
      target: 7,
      offset: null,
      parts: [{ kind: 'literal', bytes: Buffer.from(phrase, 'latin1') }],
    };
  }
  if (form === 1) {
    const target = rng.pick([1, 6] as const);
    return { name, target, offset: rng.int(64, 1024), parts: [literal(rng, 8, 12)] };
  }
  const target = form < 4 ? rng.pick([1, 6] as const) : 0;
  const shapes: Part[][] = [
    [literal(rng, 12, 24)],
    [literal(rng, 8, 12), { kind: 'any' }, literal(rng, 6, 10)],
    [literal(rng, 8, 12), { kind: 'gap', min: 2, max: 12 }, literal(rng, 8, 12)],
    [
      literal(rng, 8, 12),
      { kind: 'alt', options: [randomBytes(1), randomBytes(2)] },
      literal(rng, 6, 10),
    ],
    [literal(rng, 8, 12), { kind: 'nibble', high: rng.int(0, 15) }, literal(rng, 6, 10)],
    [literal(rng, 10, 14), { kind: 'star' }, literal(rng, 10, 14)],
  ];
  // Plain literals are the most common form in real sets.
  const shape = form < 10 ? shapes[0]! : shapes[1 + (form % 5)]!;
  return { name, target, offset: null, parts: shape };
}

/** The `.ndb` hex body of a spec. */
export function hexOf(spec: BodySpec): string {
  return spec.parts
    .map((part) => {
      switch (part.kind) {
        case 'literal':
          return part.bytes.toString('hex');
        case 'any':
          return '??';
        case 'nibble':
          return `${part.high.toString(16)}?`;
        case 'gap':
          return `{${part.min}-${part.max}}`;
        case 'alt':
          return `(${part.options.map((o) => o.toString('hex')).join('|')})`;
        case 'star':
          return '*';
      }
    })
    .join('');
}

/** Bytes that `spec` matches. */
export function instantiate(spec: BodySpec, rng: Rng): Buffer {
  return Buffer.concat(
    spec.parts.map((part) => {
      switch (part.kind) {
        case 'literal':
          return part.bytes;
        case 'any':
          return randomBytes(1);
        case 'nibble':
          return Buffer.from([(part.high << 4) | rng.int(0, 15)]);
        case 'gap':
          return randomBytes(rng.int(part.min, part.max));
        case 'alt':
          return rng.pick(part.options);
        case 'star':
          return randomBytes(rng.int(0, 4000));
      }
    }),
  );
}

/** Content of `size` bytes of one kind, unique (random bytes everywhere but in text words). */
function content(kind: CorpusKind, size: number, rng: Rng): Buffer {
  if (kind !== 'text') {
    const bytes = randomBytes(size);
    if (kind === 'pe') {
      bytes.write('MZ', 0, 'latin1');
      bytes.writeUInt32LE(0x80, 0x3c);
      bytes.write('PE\0\0', 0x80, 'latin1');
    } else if (kind === 'elf') {
      bytes.write('\x7fELF', 0, 'latin1');
    } else {
      bytes[0] = 0; // Never taken for text or an executable by either engine.
    }
    return bytes;
  }
  const out = Buffer.alloc(size);
  let at = out.write(`unique ${randomBytes(16).toString('hex')}\n`, 'latin1');
  while (at < size) {
    const line = words(rng, rng.int(4, 14));
    at += line.copy(out, at);
    if (at < size) out[at++] = 0x0a;
  }
  return out;
}

function fileSize(rng: Rng): number {
  const roll = rng.next();
  if (roll < 0.6) return rng.int(4 * 1024, 64 * 1024);
  if (roll < 0.9) return rng.int(64 * 1024, 1024 * 1024);
  return rng.int(1024 * 1024, 8 * 1024 * 1024);
}

/** Options of `generateBench`. */
export interface BenchGenerationOptions {
  readonly corpusBytes: number;
  readonly hashSignatures: number;
  readonly bodySignatures: number;
  readonly seed?: number;
  /** One file in this many carries a body signature (default 13), one in `hashEvery` is listed by hash (default 29). */
  readonly bodyEvery?: number;
  readonly hashEvery?: number;
}

/**
 * Write a signature set into `setDir` and a corpus into `corpusDir` (both created). Infected
 * corpus files carry an instance of a body signature of a matching target, or have their MD5 or
 * SHA-256 listed; every file is distinct.
 */
export function generateBench(
  setDir: string,
  corpusDir: string,
  options: BenchGenerationOptions,
): { set: GeneratedSet; corpus: Corpus } {
  const rng = new Rng(options.seed ?? 20260314);
  fs.mkdirSync(setDir, { recursive: true });
  fs.mkdirSync(corpusDir, { recursive: true });
  const bodies = Array.from({ length: options.bodySignatures }, (_, i) => bodySpec(rng, i));
  const byTarget = (test: (s: BodySpec) => boolean): BodySpec[] => bodies.filter(test);
  const forKind: Record<CorpusKind, BodySpec[]> = {
    pe: byTarget((s) => s.target === 0 || s.target === 1),
    elf: byTarget((s) => s.target === 0 || s.target === 6),
    text: byTarget((s) => (s.target === 0 && s.offset === null) || s.target === 7),
    random: byTarget((s) => s.target === 0 && s.offset === null),
  };
  const kinds: CorpusKind[] = ['random', 'random', 'pe', 'pe', 'elf', 'text'];

  const files: CorpusFile[] = [];
  const hashed: string[] = [];
  let bytes = 0;
  for (let n = 0; bytes < options.corpusBytes; n++) {
    const kind = kinds[n % kinds.length]!;
    const size = kind === 'text' ? Math.min(fileSize(rng), 2 * 1024 * 1024) : fileSize(rng);
    const data = content(kind, size, rng);
    let expected: string | null = null;
    // Fixed strides (prime to the 6 kinds), so every kind and every run gets infected files.
    if (n % (options.bodyEvery ?? 13) === 5) {
      const spec = rng.pick(forKind[kind]);
      const instance = instantiate(spec, rng);
      const at = spec.offset ?? rng.int(2048, Math.max(2048, size - instance.length - 1));
      if (at + instance.length <= size) {
        instance.copy(data, at);
        expected = spec.name;
      }
    } else if (n % (options.hashEvery ?? 29) === 11) {
      const sha = n % 2 === 0;
      const digest = createHash(sha ? 'sha256' : 'md5')
        .update(data)
        .digest('hex');
      expected = `Bench.Hash.File${n}`;
      hashed.push(`${sha ? 'hsb' : 'hdb'} ${digest}:${size}:${expected}`);
    }
    const file = path.join(corpusDir, `${String(n).padStart(5, '0')}.${kind}`);
    fs.writeFileSync(file, data);
    files.push({ path: file, size, kind, expected });
    bytes += size;
  }

  // Hash signatures: the real ones above, the rest random, at sizes spread like the corpus.
  const hdb: string[] = hashed.filter((l) => l.startsWith('hdb ')).map((l) => l.slice(4));
  const hsb: string[] = hashed.filter((l) => l.startsWith('hsb ')).map((l) => l.slice(4));
  for (let i = hashed.length; i < options.hashSignatures; i++) {
    if (i % 10 === 0)
      hsb.push(`${randomBytes(32).toString('hex')}:${fileSize(rng)}:Bench.Hash.${i}`);
    else hdb.push(`${randomBytes(16).toString('hex')}:${fileSize(rng)}:Bench.Hash.${i}`);
  }
  const ndb = bodies.map((s) => `${s.name}:${s.target}:${s.offset ?? '*'}:${hexOf(s)}`);
  const written = [
    ['bench.hdb', hdb],
    ['bench.hsb', hsb],
    ['bench.ndb', ndb],
  ] as const;
  let setBytes = 0;
  for (const [name, lines] of written) {
    const text = lines.join('\n') + '\n';
    fs.writeFileSync(path.join(setDir, name), text);
    setBytes += Buffer.byteLength(text);
  }
  return {
    set: {
      dir: setDir,
      hashSignatures: hdb.length + hsb.length,
      bodySignatures: ndb.length,
      bytes: setBytes,
    },
    corpus: { dir: corpusDir, files, bytes },
  };
}
