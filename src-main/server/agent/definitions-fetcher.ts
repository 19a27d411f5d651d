/**
 * Definition Policy (SPEC §3.2, §4.3, §4.4): every certified definitions interval, install the
 * gateway's newest certified set when it is newer than the active one; and for `needed`
 * samples, download the (non-certified) set that resolves them. A superseded sequence is
 * replaced by the certified set the gateway names; an unavailable one is asked for again
 * later; an abandoned or unpublished one puts its samples in `error`. Installing activates the
 * set, and the scanner's rescan moves the samples it resolves on to `distribute`/`available`.
 */
import type { ErrorCode } from '../../../src-shared/catalog/errors.js';
import {
  AGENT_ACTOR,
  pruneRecords,
  sampleChanged,
  samplesWithStatus,
  type AgentContext,
} from './agent-context.js';
import { Backoff } from './backoff.js';
import type { GatewayAnswer } from './gateway-client.js';
import { parseSequence } from './outcome.js';
import type { RunResult } from './periodic-task.js';

/** What trying to get one sequence installed came to. */
type Fetched =
  | { readonly kind: 'installed'; readonly sequence: number }
  | { readonly kind: 'unavailable'; readonly message: string }
  | { readonly kind: 'gone'; readonly code: ErrorCode; readonly message: string }
  | { readonly kind: 'failed'; readonly code: ErrorCode; readonly message: string }
  | { readonly kind: 'backoff'; readonly retryInMs: number };

/** Downloads and installs definitions sets. */
export class DefinitionsFetcher {
  private readonly certifiedBackoff: Backoff;
  private readonly neededBackoff: Backoff;
  /** Failed imports per sequence, so a damaged set is not retried for ever. */
  private readonly installFailures = new Map<number, number>();
  /** `id:active sequence` pairs already handed to a rescan. */
  private readonly rescanned = new Set<string>();

  constructor(private readonly ctx: AgentContext) {
    this.certifiedBackoff = new Backoff(ctx.random);
    this.neededBackoff = new Backoff(ctx.random);
  }

  /** Poll for the newest certified set and install it when newer. */
  async runCertified(): Promise<RunResult> {
    const config = this.ctx.config.get();
    const interval = config.definitionPolicy.certifiedDefinitionsIntervalSeconds * 1000;
    if (config.setupType !== 'internet') return { nextInMs: interval };
    const client = this.ctx.link.client();
    if (client === null) return { nextInMs: this.certifiedBackoff.fail(this.ctx.now(), interval) };
    const answer = await client.newest(true);
    if (!this.ctx.link.observe(answer) || answer.kind === 'busy' || answer.kind === 'unreachable') {
      return { nextInMs: this.retry(this.certifiedBackoff, answer, interval) };
    }
    this.certifiedBackoff.succeed();
    // No certified set at all yet (`unavailable`) or nothing newer: nothing to do.
    if (answer.kind !== 'ok') return { nextInMs: interval };
    const sequence = parseSequence(answer.attributes['X-Signatures-Sequence']);
    if (sequence === null || sequence <= this.ctx.definitions.activeSequence()) {
      return { nextInMs: interval };
    }
    const fetched = await this.fetchAndInstall(sequence, interval, this.certifiedBackoff);
    if (fetched.kind === 'backoff') return { nextInMs: fetched.retryInMs };
    if (fetched.kind === 'failed' || fetched.kind === 'gone') {
      this.ctx.qlog.error('agent', `certified definitions ${sequence}: ${fetched.message}`);
    }
    return { nextInMs: interval };
  }

  /** Fetch the set the `needed` samples wait for. */
  async runNeeded(): Promise<RunResult> {
    const config = this.ctx.config.get();
    const interval = config.samplePolicy.statusQueryIntervalSeconds * 1000;
    if (config.setupType !== 'internet') return { nextInMs: interval };
    await pruneRecords(this.ctx);
    const waiting = samplesWithStatus(this.ctx, 'needed').map((row) => ({
      id: row.id,
      sequence: parseSequence(this.ctx.store.samples.attributes(row.id)['X-Signatures-Sequence']),
    }));
    if (waiting.length === 0) {
      this.ctx.signals.set('waitingForDefinitions', false, 'no sample waits for definitions');
      return { nextInMs: interval };
    }
    const active = this.ctx.definitions.activeSequence();
    // Covered by the active set but still needed: a rescan moves them on. Asked once per set,
    // because a sample the set detects but cannot repair stays needed after it.
    const covered = waiting.filter(
      (w) =>
        (w.sequence === null || w.sequence <= active) && !this.rescanned.has(`${w.id}:${active}`),
    );
    if (covered.length > 0 && (await this.ctx.resolveWithActiveSet(covered.map((w) => w.id)))) {
      for (const w of covered) this.rescanned.add(`${w.id}:${active}`);
    }
    const pending = waiting.filter((w) => w.sequence !== null && w.sequence > active);
    if (pending.length === 0) return { nextInMs: interval };
    // Sequences are cumulative: the highest one resolves every sample waiting for a lower one.
    const target = Math.max(...pending.map((w) => w.sequence!));
    const fetched = await this.fetchAndInstall(target, interval, this.neededBackoff);
    const waitingFor = pending.filter((w) => w.sequence === target).map((w) => w.id);
    switch (fetched.kind) {
      case 'installed':
        this.neededBackoff.succeed();
        this.ctx.signals.set('waitingForDefinitions', false, `definitions ${target} installed`);
        // Samples with an even newer sequence may still wait: look again at once.
        return { nextInMs: pending.some((w) => w.sequence! > fetched.sequence) ? 0 : interval };
      case 'unavailable':
        this.ctx.signals.set(
          'waitingForDefinitions',
          true,
          `definitions ${target} needed by sample(s) ${waitingFor.join(', ')} are not available yet`,
        );
        await this.noteWaiting(waitingFor, fetched.message);
        return { nextInMs: interval };
      case 'gone':
        await this.failSamples(waitingFor, fetched.code, fetched.message);
        return { nextInMs: 0 };
      case 'failed': {
        const failures = (this.installFailures.get(target) ?? 0) + 1;
        this.installFailures.set(target, failures);
        if (failures >= this.ctx.timings.maxInstallFailures) {
          this.installFailures.delete(target);
          await this.failSamples(
            waitingFor,
            fetched.code,
            `${fetched.message} (${failures} attempts)`,
          );
          return { nextInMs: 0 };
        }
        await this.noteInstallFailure(waitingFor, fetched.code, fetched.message);
        return { nextInMs: this.neededBackoff.fail(this.ctx.now(), interval) };
      }
      case 'backoff':
        return { nextInMs: fetched.retryInMs };
    }
  }

  private retry(backoff: Backoff, answer: GatewayAnswer, interval: number): number {
    return backoff.fail(
      this.ctx.now(),
      interval,
      answer.kind === 'busy' ? answer.retryAfterMs : null,
    );
  }

  /** Download set `sequence` (whole, so it installs whatever set is active) and install it. */
  private async fetchAndInstall(
    sequence: number,
    interval: number,
    backoff: Backoff,
    hops = 0,
  ): Promise<Fetched> {
    const client = this.ctx.link.client();
    if (client === null)
      return { kind: 'backoff', retryInMs: backoff.fail(this.ctx.now(), interval) };
    const answer = await client.signatures(sequence);
    if (!this.ctx.link.observe(answer) || answer.kind === 'busy' || answer.kind === 'unreachable') {
      return { kind: 'backoff', retryInMs: this.retry(backoff, answer, interval) };
    }
    const label = String(sequence).padStart(8, '0');
    if (answer.kind === 'refused') {
      switch (answer.code) {
        case 'unavailable':
          return {
            kind: 'unavailable',
            message: `definitions ${label} are not available from the gateway yet`,
          };
        case 'superseded': {
          const replacement = parseSequence(answer.params[0]);
          const active = this.ctx.definitions.activeSequence();
          // The certified set that replaces it may be installed already.
          if (replacement !== null && replacement <= active && replacement > sequence) {
            return { kind: 'installed', sequence: active };
          }
          if (replacement !== null && replacement > sequence && hops < 3) {
            this.ctx.qlog.info(
              'agent',
              `definitions ${label} are superseded by certified set ${replacement}; fetching that instead`,
            );
            return this.fetchAndInstall(replacement, interval, backoff, hops + 1);
          }
          const newest = await client.newest(true);
          const certified =
            newest.kind === 'ok' ? parseSequence(newest.attributes['X-Signatures-Sequence']) : null;
          if (certified !== null && certified > sequence && hops < 3) {
            return this.fetchAndInstall(certified, interval, backoff, hops + 1);
          }
          return {
            kind: 'unavailable',
            message: `definitions ${label} are superseded, but no newer certified set could be found`,
          };
        }
        case 'abandoned':
        case 'unpublished':
          return {
            kind: 'gone',
            code: answer.code,
            message: `definitions ${label} will not be published (${answer.code})`,
          };
        default:
          return {
            kind: 'failed',
            code: answer.code,
            message:
              `the gateway refused definitions ${label}: ${answer.code} ${answer.params.join(' ')}`.trim(),
          };
      }
    }
    const expectedMd5 = answer.attributes['X-Signatures-Checksum'];
    const outcome = await this.ctx.definitions.install(answer.body, expectedMd5);
    if (!outcome.ok) {
      return {
        kind: 'failed',
        code: outcome.code,
        message: `definitions ${label} could not be installed: ${outcome.message}`,
      };
    }
    backoff.succeed();
    this.installFailures.delete(sequence);
    const what = outcome.certified ? 'certified' : 'non-certified';
    this.ctx.qlog.info(
      'agent',
      `installed ${what} definitions ${outcome.sequence} (${outcome.version}) from the gateway`,
    );
    this.ctx.signals.notify({
      event: outcome.certified ? 'newCertifiedDefinitions' : 'newNonCertifiedDefinitions',
      message: `${outcome.certified ? 'Certified' : 'Non-certified'} definitions ${outcome.sequence} (${outcome.version}) were installed on the server`,
      sampleId: null,
    });
    return { kind: 'installed', sequence: outcome.sequence };
  }

  private async noteWaiting(ids: readonly number[], message: string): Promise<void> {
    await this.ctx.store.committer.commit(() => {
      for (const id of ids) {
        if (this.ctx.store.samples.get(id) === undefined) continue;
        this.ctx.records.update(id, {
          lastError: { at: this.ctx.now(), code: 'unavailable', message },
        });
      }
    });
  }

  private async noteInstallFailure(
    ids: readonly number[],
    code: ErrorCode,
    message: string,
  ): Promise<void> {
    await this.ctx.store.committer.commit(() => {
      for (const id of ids) {
        if (this.ctx.store.samples.get(id) === undefined) continue;
        this.ctx.store.errors.add({ sampleId: id, code, params: [], source: AGENT_ACTOR, message });
        this.ctx.records.update(id, { lastError: { at: this.ctx.now(), code, message } });
      }
    });
    this.ctx.qlog.error('agent', message);
    for (const id of ids) sampleChanged(this.ctx, id);
  }

  private async failSamples(
    ids: readonly number[],
    code: ErrorCode,
    message: string,
  ): Promise<void> {
    const moved = await this.ctx.store.committer.commit(() =>
      ids.filter((id) => {
        if (this.ctx.store.samples.get(id)?.status !== 'needed') return false;
        this.ctx.store.errors.add({ sampleId: id, code, params: [], source: AGENT_ACTOR, message });
        this.ctx.store.samples.transition(id, 'error', AGENT_ACTOR, message);
        this.ctx.records.remove(id);
        return true;
      }),
    );
    if (moved.length > 0) this.ctx.qlog.error('agent', `sample(s) ${moved.join(', ')}: ${message}`);
    for (const id of moved) sampleChanged(this.ctx, id);
  }
}
