/**
 * The forwarding side of the crash-recovery test: seeded random samples, concurrent forwarders
 * that keep going until told to stop (or until the server dies under them), and a ledger of
 * what the server acknowledged.
 */
import http from 'node:http';
import { encodeSample, md5Hex, sha256Hex } from '../../src-main/codec/content.js';
import { formatHttpDate } from '../../src-shared/codec/dates.js';

/** Small, fast, seedable PRNG (mulberry32): the same seed gives the same run plan. */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    chance: (p) => next() < p,
  };
}

/** A seeded source of random numbers. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

/** How to make a sample's bytes again without keeping them. */
export interface ContentSpec {
  readonly seed: number;
  readonly size: number;
  /** Random bytes do not compress; text does (the server then stores much less than it gets). */
  readonly kind: 'random' | 'text';
}

/** A content the workload has sent at least once. */
export interface SentContent extends ContentSpec {
  readonly md5: string;
  readonly sha256: string;
}

const WORDS = ['MZ', 'PE', 'kernel32', 'LoadLibrary', 'payload', '\x00\x00', 'http://', 'eicar'];

/** The bytes of a content spec (deterministic). */
export function contentBytes(spec: ContentSpec): Buffer {
  const random = createRandom(spec.seed);
  const out = Buffer.allocUnsafe(spec.size);
  if (spec.kind === 'random') {
    let i = 0;
    for (; i + 4 <= spec.size; i += 4) out.writeUInt32LE((random.next() * 4294967296) >>> 0, i);
    for (; i < spec.size; i++) out[i] = random.int(0, 255);
    return out;
  }
  let i = 0;
  while (i < spec.size) {
    const word = random.pick(WORDS);
    i += out.write(word + ' ', i, 'latin1');
  }
  return out;
}

/** Sizes from 0 bytes to a few hundred KiB, weighted towards the small ones endpoints send. */
function randomSize(random: Random): number {
  const roll = random.next();
  if (roll < 0.15) return random.int(0, 64);
  if (roll < 0.6) return random.int(65, 16 * 1024);
  if (roll < 0.9) return random.int(16 * 1024, 96 * 1024);
  return random.int(96 * 1024, 384 * 1024);
}

/** The platforms that forward: duplicates are detected per platform (SPEC §4.2). */
export const PLATFORMS = ['crash-a.example.test', 'crash-b.example.test', 'crash-c.example.test'];

/** What the server acknowledged, by sample id, plus what a later forward must find. */
export class AckLedger {
  /** Sample id → MD5 of the content it was acknowledged for. */
  readonly acknowledged = new Map<number, string>();
  /** Contents sent so far (acknowledged or not), for duplicates. */
  readonly sent: SentContent[] = [];
  /** Answers that contradict earlier ones or the protocol. */
  readonly problems: string[] = [];
  created = 0;
  duplicates = 0;
  /** Forwards cut off by the kill (no answer), which need not survive. */
  unanswered = 0;
  /** Acknowledgements so far: the clock that orders forwards against them. */
  private acks = 0;
  /** `platform sha256` → the ack count when that content was first acknowledged from there. */
  private readonly firstAck = new Map<string, number>();

  /** Call when a forward starts; pass the result to `record`. */
  begin(): number {
    return this.acks;
  }

  /**
   * Note an acknowledged forward that began at `begun`. Once a platform's content has been
   * acknowledged, a later forward of it from there is a duplicate (SPEC §4.2): 200, no new
   * sample, crash or no crash. (Forwards in flight together may each create one.)
   */
  record(platform: string, content: SentContent, status: number, id: number, begun: number): void {
    const key = `${platform} ${content.sha256}`;
    const first = this.firstAck.get(key);
    if (status === 201) this.created++;
    else this.duplicates++;
    if (status === 201 && first !== undefined && first <= begun) {
      this.problems.push(
        `content ${content.md5} from ${platform}, acknowledged before, was forwarded again and created sample ${id}`,
      );
    }
    const known = this.acknowledged.get(id);
    if (known !== undefined && known !== content.md5) {
      this.problems.push(`sample ${id} acknowledged for ${known} and later for ${content.md5}`);
    }
    this.acknowledged.set(id, content.md5);
    this.acks++;
    if (first === undefined) this.firstAck.set(key, this.acks);
  }
}

/** Where to forward and when to stop. */
export interface WorkloadTarget {
  readonly host: string;
  readonly port: number;
  /** Checked before every new forward. */
  readonly stopped: () => boolean;
}

type Transform = { compress: boolean; scramble: boolean; base64: boolean };
/** The sender variants intake must handle: stored as received, re-encoded, base64. */
const TRANSFORMS: readonly Transform[] = [
  { compress: true, scramble: true, base64: false },
  { compress: true, scramble: true, base64: false },
  { compress: true, scramble: false, base64: false },
  { compress: false, scramble: false, base64: false },
  { compress: true, scramble: true, base64: true },
];

function nextContent(
  random: Random,
  ledger: AckLedger,
): { content: SentContent; platform: string } {
  // A third of the forwards resend earlier content: from its first platform (a duplicate the
  // server must recognise) or from another one (a new sample sharing the stored blob).
  if (ledger.sent.length > 0 && random.chance(0.33)) {
    return { content: random.pick(ledger.sent), platform: random.pick(PLATFORMS) };
  }
  const spec: ContentSpec = {
    seed: random.int(1, 2 ** 31 - 1),
    size: randomSize(random),
    kind: random.chance(0.5) ? 'random' : 'text',
  };
  const bytes = contentBytes(spec);
  const content = { ...spec, md5: md5Hex(bytes), sha256: sha256Hex(bytes) };
  ledger.sent.push(content);
  return { content, platform: random.pick(PLATFORMS) };
}

function post(
  agent: http.Agent,
  target: WorkloadTarget,
  headers: Record<string, string>,
  body: Buffer,
): Promise<{ status: number; id: number; xError: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: target.host, port: target.port, method: 'POST', path: '/samples', headers },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            id: Number(res.headers['x-sample-id']),
            xError: res.headers['x-error'] as string | undefined,
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Run `count` forwarders against `target` until it says stop. Forwards that get no answer
 * (the server was killed) are only counted; any answer other than 201/200 is a problem.
 */
export async function runForwarders(
  target: WorkloadTarget,
  count: number,
  random: Random,
  ledger: AckLedger,
): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: count });
  const forwarder = async (): Promise<void> => {
    while (!target.stopped()) {
      const { content, platform } = nextContent(random, ledger);
      const transform = random.pick(TRANSFORMS);
      const encoded = encodeSample(contentBytes(content), transform);
      const headers: Record<string, string> = {
        Date: formatHttpDate(Date.now()),
        'Content-Length': String(encoded.body.length),
        'X-Sample-Type': 'file',
        'X-Sample-File': `C:\\quarantine\\crash-${content.seed}.bin`,
        'X-Platform-Host': platform,
        'X-Date-Captured': formatHttpDate(Date.now() - 60_000),
        ...encoded.headers,
      };
      const begun = ledger.begin();
      let answer;
      try {
        answer = await post(agent, target, headers, encoded.body);
      } catch {
        // Connection refused, reset or cut short: the server is dying; nothing was promised.
        ledger.unanswered++;
        continue;
      }
      if ((answer.status === 201 || answer.status === 200) && Number.isInteger(answer.id)) {
        ledger.record(platform, content, answer.status, answer.id, begun);
      } else {
        ledger.problems.push(
          `forward of ${content.size} bytes (${JSON.stringify(transform)}) answered ${answer.status} ${answer.xError ?? ''}`,
        );
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: count }, forwarder));
  } finally {
    agent.destroy();
  }
}
