/**
 * The Defcast targets registry (SPEC §4.5, §5): every endpoint that forwarded a sample and every
 * computer an administrator selected, what each last reported, and the state of the delivery in
 * progress to it. Also the read queries Defcast makes over samples (an endpoint's samples by
 * status, fix coverage of a checksum), since they join the two tables.
 */
import type Database from 'better-sqlite3';
import { writeTransaction } from './database.js';

/** One target as stored. */
export interface TargetRow {
  readonly id: number;
  readonly host: string;
  readonly addresses: string[];
  readonly guid: string | null;
  readonly managed: boolean;
  /** Links the target to its samples (`samples.platform_key`); null for hand-added ones. */
  readonly platformKey: string | null;
  readonly defcastPort: number | null;
  readonly distributor: string | null;
  readonly sequence: number | null;
  readonly version: string | null;
  readonly firstSeen: number | null;
  readonly lastSeen: number | null;
  readonly selected: boolean;
  readonly pendingSequence: number | null;
  readonly attempts: number;
  readonly nextAttemptAt: number | null;
  readonly lastError: string | null;
  readonly installedAt: number | null;
}

/** What one forward says about the endpoint that sent it. */
export interface TargetSighting {
  readonly platformKey: string;
  readonly host: string;
  readonly addresses: readonly string[];
  readonly guid: string | null;
  readonly defcastPort: number | null;
  readonly distributor: string | null;
  readonly seenAt: number;
}

/** A sample as Defcast looks at it. */
export interface DeliverySample {
  readonly id: number;
  readonly platformKey: string;
  readonly status: string;
  readonly checksum: string;
  /** X-Signatures-Sequence: the set that fixes it. */
  readonly defsNeeded: number | null;
}

/** One row of a checksum's coverage. */
export interface CoverageRow {
  readonly sampleId: number;
  readonly host: string | null;
  readonly status: string;
  readonly defsNeeded: number | null;
  readonly targetId: number | null;
  readonly managed: boolean;
  readonly sequence: number | null;
}

interface RawTarget {
  id: number;
  host: string;
  addresses: string;
  guid: string | null;
  managed: number;
  platform_key: string | null;
  defcast_port: number | null;
  distributor: string | null;
  sequence: number | null;
  version: string | null;
  first_seen: number | null;
  last_seen: number | null;
  selected: number;
  pending_sequence: number | null;
  attempts: number;
  next_attempt_at: number | null;
  last_error: string | null;
  installed_at: number | null;
}

function parseAddresses(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((a): a is string => typeof a === 'string') : [];
  } catch {
    return [];
  }
}

function toRow(r: RawTarget): TargetRow {
  return {
    id: r.id,
    host: r.host,
    addresses: parseAddresses(r.addresses),
    guid: r.guid,
    managed: r.managed === 1,
    platformKey: r.platform_key,
    defcastPort: r.defcast_port,
    distributor: r.distributor,
    sequence: r.sequence,
    version: r.version,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    selected: r.selected === 1,
    pendingSequence: r.pending_sequence,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    installedAt: r.installed_at,
  };
}

interface RawDeliverySample {
  id: number;
  platform_key: string;
  status: string;
  checksum: string;
  defs_needed: number | null;
}

function toDeliverySample(r: RawDeliverySample): DeliverySample {
  return {
    id: r.id,
    platformKey: r.platform_key,
    status: r.status,
    checksum: r.checksum,
    defsNeeded: r.defs_needed,
  };
}

/** A sighting as the statements bind it. */
type SightingParams = ReturnType<typeof sightingParams>;

function sightingParams(s: TargetSighting) {
  return {
    host: s.host,
    addresses: JSON.stringify(s.addresses),
    guid: s.guid,
    managed: s.guid !== null ? 1 : 0,
    platform_key: s.platformKey,
    defcast_port: s.defcastPort,
    distributor: s.distributor,
    seen: s.seenAt,
  };
}

/**
 * How stale `last_seen` may get before a sighting that changes nothing else writes it: an
 * endpoint forwarding a burst of samples would otherwise rewrite its row for every one.
 */
const LAST_SEEN_RESOLUTION_MS = 10_000;

/** True when a sighting would change nothing worth a write on the stored target. */
function unchanged(row: RawTarget, p: SightingParams): boolean {
  return (
    row.platform_key === p.platform_key &&
    row.host === p.host &&
    row.addresses === p.addresses &&
    row.guid === p.guid &&
    row.managed === p.managed &&
    row.defcast_port === p.defcast_port &&
    row.distributor === p.distributor &&
    (row.last_seen ?? 0) >= p.seen - LAST_SEEN_RESOLUTION_MS
  );
}

/** The `targets` table and Defcast's reads over `samples`. */
export class TargetsRepo {
  private readonly byKeyStmt: Database.Statement<[string], RawTarget>;
  private readonly byGuidStmt: Database.Statement<[string], RawTarget>;
  private readonly getStmt: Database.Statement<[number], RawTarget>;
  private readonly listStmt: Database.Statement<[], RawTarget>;
  private readonly insertStmt: Database.Statement<Record<string, unknown>>;
  private readonly sightStmt: Database.Statement<Record<string, unknown>>;
  private readonly selectStmt: Database.Statement<[number, number]>;
  private readonly queueStmt: Database.Statement<[number, number, number]>;
  private readonly dueStmt: Database.Statement<[number, number], RawTarget>;
  private readonly failStmt: Database.Statement<[string, number | null, number]>;
  private readonly reportStmt: Database.Statement<[number, string | null, number, number]>;
  private readonly installedStmt: Database.Statement<
    [number, string | null, number, number, number, number]
  >;
  private readonly giveUpStmt: Database.Statement<[number]>;
  private readonly samplesOfStmt = new Map<
    number,
    Database.Statement<unknown[], RawDeliverySample>
  >();
  private readonly inStatusStmt = new Map<
    number,
    Database.Statement<unknown[], RawDeliverySample>
  >();
  private readonly coverageStmt: Database.Statement<[string], CoverageRow>;
  private readonly sightTx: (s: TargetSighting) => TargetRow;

  constructor(private readonly db: Database.Database) {
    this.byKeyStmt = db.prepare('SELECT * FROM targets WHERE platform_key = ?');
    this.byGuidStmt = db.prepare('SELECT * FROM targets WHERE guid = ?');
    this.getStmt = db.prepare('SELECT * FROM targets WHERE id = ?');
    this.listStmt = db.prepare('SELECT * FROM targets ORDER BY host COLLATE NOCASE, id');
    this.insertStmt = db.prepare(
      `INSERT INTO targets (host, addresses, guid, managed, platform_key, defcast_port,
                            distributor, first_seen, last_seen)
       VALUES (@host, @addresses, @guid, @managed, @platform_key, @defcast_port,
               @distributor, @seen, @seen)`,
    );
    this.sightStmt = db.prepare(
      `UPDATE targets SET host = @host, addresses = @addresses, guid = @guid, managed = @managed,
              platform_key = @platform_key, defcast_port = @defcast_port,
              distributor = @distributor, last_seen = max(coalesce(last_seen, 0), @seen)
       WHERE id = @id`,
    );
    this.selectStmt = db.prepare('UPDATE targets SET selected = ? WHERE id = ?');
    // A delivery already due keeps its time; a new one is due at once.
    this.queueStmt = db.prepare(
      `UPDATE targets SET pending_sequence = max(coalesce(pending_sequence, 0), ?),
              next_attempt_at = coalesce(next_attempt_at, ?)
       WHERE id = ?`,
    );
    this.dueStmt = db.prepare(
      `SELECT * FROM targets
       WHERE pending_sequence IS NOT NULL AND coalesce(next_attempt_at, 0) <= ?
       ORDER BY coalesce(next_attempt_at, 0), id LIMIT ?`,
    );
    this.failStmt = db.prepare(
      `UPDATE targets SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?
       WHERE id = ?`,
    );
    this.reportStmt = db.prepare(
      `UPDATE targets SET sequence = ?, version = ?, last_seen = max(coalesce(last_seen, 0), ?)
       WHERE id = ?`,
    );
    this.installedStmt = db.prepare(
      `UPDATE targets SET sequence = ?, version = ?, installed_at = ?,
              last_seen = max(coalesce(last_seen, 0), ?), attempts = 0, last_error = NULL,
              next_attempt_at = NULL,
              pending_sequence = CASE WHEN pending_sequence <= ? THEN NULL ELSE pending_sequence END
       WHERE id = ?`,
    );
    this.giveUpStmt = db.prepare(
      `UPDATE targets SET pending_sequence = NULL, attempts = 0, next_attempt_at = NULL
       WHERE id = ?`,
    );
    this.coverageStmt = db.prepare(
      `SELECT s.id AS sampleId, s.host AS host, s.status AS status, s.defs_needed AS defsNeeded,
              t.id AS targetId, coalesce(t.managed, 0) = 1 AS managed, t.sequence AS sequence
       FROM samples s LEFT JOIN targets t ON t.platform_key = s.platform_key
       WHERE s.checksum = ? ORDER BY s.id`,
    );
    this.sightTx = writeTransaction(db, (s: TargetSighting): TargetRow => {
      const params = sightingParams(s);
      // A computer selected by GUID before it ever forwarded is the same target.
      const existing =
        this.byKeyStmt.get(s.platformKey) ??
        (s.guid !== null ? this.byGuidStmt.get(s.guid) : undefined);
      if (existing && unchanged(existing, params)) return toRow(existing);
      if (existing) this.sightStmt.run({ ...params, id: existing.id });
      else this.insertStmt.run(params);
      const row = this.byKeyStmt.get(s.platformKey);
      if (!row) throw new Error(`target ${s.platformKey} was not stored`);
      return toRow(row);
    });
  }

  /** Record what a forward said about its endpoint (creating the target the first time). */
  recordSighting(sighting: TargetSighting): TargetRow {
    return this.sightTx(sighting);
  }

  /** One target. */
  get(id: number): TargetRow | undefined {
    const row = this.getStmt.get(id);
    return row && toRow(row);
  }

  /** The target of an endpoint, by the platform key its samples carry. */
  byPlatformKey(platformKey: string): TargetRow | undefined {
    const row = this.byKeyStmt.get(platformKey);
    return row && toRow(row);
  }

  /** Every target, by host name. */
  list(): TargetRow[] {
    return this.listStmt.all().map(toRow);
  }

  /** Select or unselect targets; returns the ids that exist. */
  select(ids: readonly number[], selected: boolean): number[] {
    const done: number[] = [];
    writeTransaction(this.db, () => {
      for (const id of ids) {
        if (this.selectStmt.run(selected ? 1 : 0, id).changes > 0) done.push(id);
      }
    })();
    return done;
  }

  /** Ask for `sequence` (or higher) to be pushed to a target, due now unless already due. */
  queue(id: number, sequence: number, now: number): void {
    this.queueStmt.run(sequence, now, id);
  }

  /** Targets whose delivery is due at `now`, soonest first. */
  due(now: number, limit: number): TargetRow[] {
    return this.dueStmt.all(now, limit).map(toRow);
  }

  /** Count a failed attempt; `nextAttemptAt` null leaves the target idle. */
  recordFailure(id: number, error: string, nextAttemptAt: number | null): TargetRow | undefined {
    this.failStmt.run(error.slice(0, 1000), nextAttemptAt, id);
    return this.get(id);
  }

  /** What a target answered to `GET /definitions`. */
  recordReport(id: number, sequence: number, version: string | null, at: number): void {
    this.reportStmt.run(sequence, version, at, id);
  }

  /** A target installed `sequence`: the delivery is done if that was what it waited for. */
  recordInstalled(id: number, sequence: number, version: string | null, at: number): void {
    this.installedStmt.run(sequence, version, at, at, sequence, id);
  }

  /** Stop delivering to a target (attempts exhausted); its last error stays. */
  giveUp(id: number): void {
    this.giveUpStmt.run(id);
  }

  /** An endpoint's samples in the given statuses, oldest first. */
  samplesOf(platformKey: string, statuses: readonly string[]): DeliverySample[] {
    let statement = this.samplesOfStmt.get(statuses.length);
    if (!statement) {
      statement = this.db.prepare(
        `SELECT id, platform_key, status, checksum, defs_needed FROM samples
         WHERE platform_key = ? AND status IN (${statuses.map(() => '?').join(', ')})
         ORDER BY id`,
      );
      this.samplesOfStmt.set(statuses.length, statement);
    }
    return statement.all(platformKey, ...statuses).map(toDeliverySample);
  }

  /** One page (by id) of the samples in the given statuses. */
  samplesInStatus(statuses: readonly string[], afterId: number, limit: number): DeliverySample[] {
    let statement = this.inStatusStmt.get(statuses.length);
    if (!statement) {
      statement = this.db.prepare(
        `SELECT id, platform_key, status, checksum, defs_needed FROM samples
         WHERE status IN (${statuses.map(() => '?').join(', ')}) AND id > ?
         ORDER BY id LIMIT ?`,
      );
      this.inStatusStmt.set(statuses.length, statement);
    }
    return statement.all(...statuses, afterId, limit).map(toDeliverySample);
  }

  /** Every sample with this checksum and the target of its endpoint, if known. */
  coverage(checksum: string): CoverageRow[] {
    return this.coverageStmt
      .all(checksum.toUpperCase())
      .map((r) => ({ ...r, managed: Boolean(r.managed) }));
  }
}
