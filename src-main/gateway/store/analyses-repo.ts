/** SQL for analyses: creation, the runner's due queue, state transitions and deferral. */
import type Database from 'better-sqlite3';
import type {
  AnalysisRow,
  Classification,
  Finding,
  GeneratedSignatures,
  SampleHints,
} from '../model.js';

interface Raw {
  id: number;
  md5: string;
  sha256: string;
  size: number;
  service: string | null;
  priority: number;
  state: string;
  next_at: number | null;
  hints: string;
  classification: string | null;
  finding: string | null;
  signatures: string | null;
  virus_name: string | null;
  virus_identifier: number | null;
  sequence: number | null;
  building: number | null;
  detail: string | null;
  decided_by: string | null;
  created_at: number;
  analyzed_at: number | null;
  finished_at: number | null;
}

function parseJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

function toRow(r: Raw): AnalysisRow {
  return {
    id: r.id,
    md5: r.md5,
    sha256: r.sha256,
    size: r.size,
    service: r.service === 'quickcheck' ? 'quickcheck' : null,
    priority: r.priority,
    state: r.state,
    nextAt: r.next_at,
    hints: parseJson<SampleHints>(r.hints) ?? {},
    classification: r.classification as Classification | null,
    finding: parseJson<Finding>(r.finding),
    signatures: parseJson<GeneratedSignatures>(r.signatures),
    virusName: r.virus_name,
    virusIdentifier: r.virus_identifier,
    sequence: r.sequence,
    building: r.building,
    detail: r.detail,
    decidedBy: r.decided_by === 'expert' || r.decided_by === 'automation' ? r.decided_by : null,
    createdAt: r.created_at,
    analyzedAt: r.analyzed_at,
    finishedAt: r.finished_at,
  };
}

/** A new analysis. */
export interface NewAnalysis {
  readonly md5: string;
  readonly sha256: string;
  readonly size: number;
  readonly service: 'quickcheck' | null;
  readonly priority: number;
  readonly state: string;
  readonly nextAt: number;
  readonly hints: SampleHints;
  readonly createdAt: number;
}

/** Fields a stage may change along with the state. */
export interface AnalysisChange {
  readonly state: string;
  /** When the runner should look at it again; null = waits (deferred) or final. */
  readonly nextAt: number | null;
  readonly classification?: Classification;
  readonly finding?: Finding | null;
  readonly signatures?: GeneratedSignatures | null;
  readonly virusName?: string | null;
  readonly virusIdentifier?: number | null;
  readonly sequence?: number | null;
  readonly building?: number | null;
  readonly detail?: string | null;
  readonly decidedBy?: 'automation' | 'expert';
  readonly analyzedAt?: number;
  readonly finishedAt?: number;
}

/** Final states after which a duplicate deserves a fresh analysis: the machinery failed. */
const RETRY_STATES = ['abort', 'broken', 'error'] as const;

/** Analyses table. */
export class AnalysesRepo {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly dueStmt;
  private readonly earliestStmt;
  private readonly duplicateStmt;
  private readonly backlogStmt;
  private readonly blobsStmt;
  /** Transition statements, one per combination of changed columns, prepared once each. */
  private readonly updates = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    this.insertStmt = db.prepare(
      `INSERT INTO analyses (md5, sha256, size, service, priority, state, next_at, hints, created_at)
       VALUES (@md5, @sha256, @size, @service, @priority, @state, @nextAt, @hints, @createdAt)`,
    );
    this.getStmt = db.prepare<[number], Raw>('SELECT * FROM analyses WHERE id = ?');
    this.dueStmt = db.prepare<[number], Raw>(
      `SELECT * FROM analyses
        WHERE finished_at IS NULL AND next_at IS NOT NULL AND next_at <= ?
        ORDER BY priority DESC, next_at, id LIMIT 1`,
    );
    this.earliestStmt = db.prepare<[], { at: number | null }>(
      'SELECT MIN(next_at) AS at FROM analyses WHERE finished_at IS NULL',
    );
    this.duplicateStmt = db.prepare<[string, string, number], Raw>(
      `SELECT * FROM analyses
        WHERE md5 = ? AND sha256 = ?
          AND (service IS NULL OR ? = 1)
          AND NOT (finished_at IS NOT NULL AND state IN (${RETRY_STATES.map((s) => `'${s}'`).join(', ')}))
        ORDER BY id DESC LIMIT 1`,
    );
    this.backlogStmt = db.prepare<[], { n: number }>(
      'SELECT COUNT(*) AS n FROM analyses WHERE finished_at IS NULL AND next_at IS NOT NULL',
    );
    this.blobsStmt = db.prepare<[], { sha256: string }>('SELECT DISTINCT sha256 FROM analyses');
  }

  /** Insert an analysis; returns its id. */
  insert(a: NewAnalysis): number {
    const info = this.insertStmt.run({ ...a, hints: JSON.stringify(a.hints) });
    return Number(info.lastInsertRowid);
  }

  /** One analysis, or undefined. */
  get(id: number): AnalysisRow | undefined {
    const raw = this.getStmt.get(id);
    return raw ? toRow(raw) : undefined;
  }

  /** The most urgent analysis due at `now` (platinum before gold, then oldest first). */
  nextDue(now: number): AnalysisRow | undefined {
    const raw = this.dueStmt.get(now);
    return raw ? toRow(raw) : undefined;
  }

  /** When the next analysis falls due, or null when none is scheduled. */
  earliestDue(): number | null {
    return this.earliestStmt.get()?.at ?? null;
  }

  /**
   * The analysis that already answers this content: same MD5 and SHA-256, not one whose
   * machinery failed. A quickcheck request may be answered by a full analysis, not the reverse.
   */
  findDuplicate(md5: string, sha256: string, quickcheck: boolean): AnalysisRow | undefined {
    const raw = this.duplicateStmt.get(md5, sha256, quickcheck ? 1 : 0);
    return raw ? toRow(raw) : undefined;
  }

  /** Analyses the runner still has to work on (deferred ones wait for an expert, not for it). */
  backlog(): number {
    return this.backlogStmt.get()?.n ?? 0;
  }

  /** Content hashes any analysis refers to (recovery keeps exactly these blobs). */
  referencedBlobs(): Set<string> {
    return new Set(this.blobsStmt.all().map((r) => r.sha256));
  }

  /**
   * Move an analysis to its next state, but only from `fromState` (a verdict and the runner
   * must not both act on one analysis). False when it was no longer in `fromState`.
   */
  transition(id: number, fromState: string, change: AnalysisChange): boolean {
    const sets: string[] = ['state = @state', 'next_at = @nextAt'];
    const params: Record<string, unknown> = {
      id,
      fromState,
      state: change.state,
      nextAt: change.nextAt,
    };
    const optional: [keyof AnalysisChange, string, (v: unknown) => unknown][] = [
      ['classification', 'classification', (v) => v],
      ['finding', 'finding', (v) => (v === null ? null : JSON.stringify(v))],
      ['signatures', 'signatures', (v) => (v === null ? null : JSON.stringify(v))],
      ['virusName', 'virus_name', (v) => v],
      ['virusIdentifier', 'virus_identifier', (v) => v],
      ['sequence', 'sequence', (v) => v],
      ['building', 'building', (v) => v],
      ['detail', 'detail', (v) => v],
      ['decidedBy', 'decided_by', (v) => v],
      ['analyzedAt', 'analyzed_at', (v) => v],
      ['finishedAt', 'finished_at', (v) => v],
    ];
    for (const [key, column, map] of optional) {
      if (change[key] === undefined) continue;
      sets.push(`${column} = @${key}`);
      params[key] = map(change[key]);
    }
    const key = sets.join(', ');
    let statement = this.updates.get(key);
    if (statement === undefined) {
      statement = this.db.prepare(
        `UPDATE analyses SET ${key} WHERE id = @id AND state = @fromState AND finished_at IS NULL`,
      );
      this.updates.set(key, statement);
    }
    return statement.run(params).changes === 1;
  }
}
