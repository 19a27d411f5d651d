/**
 * The gateway's own records: analyses, submissions and definitions sets as its repositories
 * return them, and the facts the pipeline keeps on an analysis between stages.
 */
import type { ServiceClass } from '../../src-shared/catalog/tokens.js';
import type { RepairRecipe } from '../server/scanner/engine.js';

/** What classification made of a sample's content (SPEC §7). */
export type Classification = 'binary' | 'macro' | 'data';

/** Which research rule files a rule came from decides what a hit means (see research-rules.ts). */
export type RuleCategory = 'threat' | 'defer' | 'unsubmittable';

/** A research rule that matched a sample, kept on the analysis until the set is built. */
export interface Finding {
  readonly category: RuleCategory;
  /** Signature name, which becomes the virus name. */
  readonly rule: string;
  /** `hash` for `.hdb`/`.hsb` rules, `body` for `.ndb` rules. */
  readonly kind: 'hash' | 'body';
  /** The rule's own line (body rules are carried into the generated set). */
  readonly line: string | null;
  readonly repair: RepairRecipe | null;
}

/** Signature lines generated for a new threat, ready to become an incremental set. */
export interface GeneratedSignatures {
  readonly virusName: string;
  readonly hdb: readonly string[];
  readonly ndb: readonly string[];
  readonly repair: Readonly<Record<string, RepairRecipe>>;
}

/** What the submitting endpoint said about the sample, used by classification and deferral. */
export interface SampleHints {
  readonly type?: string;
  readonly reason?: string;
  readonly extension?: string;
  readonly fileName?: string;
}

/** One analysis (shared by every submission of the same content). */
export interface AnalysisRow {
  readonly id: number;
  readonly md5: string;
  readonly sha256: string;
  readonly size: number;
  readonly service: 'quickcheck' | null;
  readonly priority: number;
  readonly state: string;
  readonly nextAt: number | null;
  readonly hints: SampleHints;
  readonly classification: Classification | null;
  readonly finding: Finding | null;
  readonly signatures: GeneratedSignatures | null;
  readonly virusName: string | null;
  readonly virusIdentifier: number | null;
  readonly sequence: number | null;
  /** Sequence this analysis is building while it holds the builder lock. */
  readonly building: number | null;
  readonly detail: string | null;
  readonly decidedBy: 'automation' | 'expert' | null;
  readonly createdAt: number;
  readonly analyzedAt: number | null;
  readonly finishedAt: number | null;
}

/** One customer's submission: its cookie and tracking issue, pointing at an analysis. */
export interface SubmissionRow {
  readonly id: number;
  readonly cookie: string;
  readonly issue: string;
  readonly customer: string;
  readonly analysisId: number;
  readonly submittedAt: number;
  readonly skewMs: number;
  readonly attributes: Readonly<Record<string, string>>;
}

/** Life of a definitions set on the gateway. */
export type SetState = 'building' | 'published' | 'abandoned' | 'unpublished';

/** One definitions set. */
export interface SetRow {
  readonly sequence: number;
  readonly version: string;
  readonly kind: 'all' | 'incr';
  readonly base: number | null;
  readonly state: SetState;
  readonly certified: boolean;
  readonly producedAt: number;
  readonly publishedAt: number | null;
  readonly blessedAt: number | null;
  readonly packageMd5: string | null;
  readonly packageKind: 'all' | 'incr' | null;
  readonly fullMd5: string | null;
  readonly analysisId: number | null;
  readonly detail: string | null;
}

/** A customer the gateway accepts. */
export interface Customer {
  readonly identifier: string;
  readonly credentials: string;
  readonly name: string;
  readonly serviceClass: ServiceClass;
}
