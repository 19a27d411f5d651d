/**
 * Sample Policy, second half (SPEC §3.2, §4.3): every status query interval, ask the gateway
 * about each `submitted` sample, store every X-Analysis-*, X-Signatures-* and X-Date-* answer
 * on it, and once `X-Date-Finished` is present move it on — `needed`, `distribute`/`available`,
 * `unneeded`, `error` or `attention`. A cookie the gateway does not know (`crumbled`) sends the
 * sample back to `released`; one deferred for an expert too long needs attention.
 */
import type { ErrorCode } from '../../../src-shared/catalog/errors.js';
import {
  AGENT_ACTOR,
  answerPatch,
  sampleChanged,
  samplesWithStatus,
  type AgentContext,
} from './agent-context.js';
import { Backoff } from './backoff.js';
import type { GatewayAnswer } from './gateway-client.js';
import { decideFinal, parseSequence, type FinalDecision } from './outcome.js';
import type { RunResult } from './periodic-task.js';

const DEFERRED = new Set(['defer', 'deferred', 'deferring']);
/** Attributes that tie a sample to one submission; a re-submission starts without them. */
const SUBMISSION_ATTRIBUTES = [
  'X-Analysis-Cookie',
  'X-Analysis-Issue',
  'X-Analysis-State',
  'X-Analysis-Service',
  'X-Date-Submitted',
  'X-Date-Analyzed',
];

/** Queries the gateway about submitted samples. */
export class StatusPoller {
  private readonly backoff: Backoff;

  constructor(
    private readonly ctx: AgentContext,
    /** Called when a sample became `needed`, so its definitions are fetched (or it is rescanned) soon. */
    private readonly onNeeded: () => void,
  ) {
    this.backoff = new Backoff(ctx.random);
  }

  /** One round of status queries. */
  async run(): Promise<RunResult> {
    const config = this.ctx.config.get();
    const interval = config.samplePolicy.statusQueryIntervalSeconds * 1000;
    if (config.setupType !== 'internet') return { nextInMs: interval };
    const submitted = samplesWithStatus(this.ctx, 'submitted');
    let stop: number | undefined;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (stop === undefined && next < submitted.length && !this.ctx.link.stopping) {
        const row = submitted[next++]!;
        const retry = await this.query(row.id);
        if (retry !== null) stop ??= retry;
      }
    };
    const workers = Math.max(1, Math.min(this.ctx.timings.concurrency, submitted.length));
    await Promise.all(Array.from({ length: workers }, () => worker()));
    if (stop !== undefined) return { nextInMs: stop };
    this.backoff.succeed();
    return { nextInMs: interval };
  }

  /** Ask about one sample; returns a retry delay when the gateway as a whole failed. */
  private async query(id: number): Promise<number | null> {
    const { store } = this.ctx;
    const cookie = store.samples.attributes(id)['X-Analysis-Cookie'];
    if (cookie === undefined) {
      await this.resubmit(id, 'the sample has no analysis cookie');
      return null;
    }
    const client = this.ctx.link.client();
    const answer: GatewayAnswer = client
      ? await client.status(cookie)
      : { kind: 'unreachable', stage: 'tls', message: '', proxyStatus: null };
    const gatewayOk = this.ctx.link.observe(answer);
    if (answer.kind === 'ok') {
      await this.apply(id, answer);
      return null;
    }
    if (answer.kind === 'refused' && gatewayOk) {
      if (answer.code === 'crumbled') {
        await this.resubmit(id, `the gateway does not know cookie ${cookie} (crumbled)`, answer);
        return null;
      }
      await this.recordError(
        id,
        answer.code,
        answer.params,
        `status query refused: ${answer.code}`,
      );
      return null;
    }
    const interval = this.ctx.config.get().samplePolicy.statusQueryIntervalSeconds * 1000;
    return this.backoff.fail(
      this.ctx.now(),
      interval,
      answer.kind === 'busy' ? answer.retryAfterMs : null,
    );
  }

  /** Store a status answer on the sample and, when it is final, move the sample on. */
  async apply(id: number, answer: GatewayAnswer & { kind: 'ok' }): Promise<void> {
    const { store } = this.ctx;
    const attributes = answer.attributes;
    const state = attributes['X-Analysis-State'] ?? '';
    const finished = attributes['X-Date-Finished'] !== undefined;
    const now = this.ctx.now();
    let decision: FinalDecision | null = null;
    if (finished) {
      decision = decideFinal(
        state,
        parseSequence(attributes['X-Signatures-Sequence']),
        this.ctx.definitions.activeSequence(),
      );
    } else if (DEFERRED.has(state)) {
      const since = this.ctx.records.get(id).deferredSince ?? now;
      if (now - since > this.ctx.timings.deferredLimitMs) {
        decision = {
          kind: 'attention',
          reason: `deferred for an expert since ${new Date(since).toUTCString()}, longer than allowed`,
        };
      }
    }
    const moved = await store.committer.commit(() => {
      const row = store.samples.get(id);
      if (row?.status !== 'submitted') return null;
      const patch = answerPatch(store.samples.attributes(id), attributes, answer.skewMs);
      if (Object.keys(patch).length > 0) {
        store.samples.setAttributes(
          id,
          patch,
          AGENT_ACTOR,
          `gateway status: ${state || 'unknown'}`,
        );
      }
      if (decision === null) {
        const record = this.ctx.records.get(id);
        const deferredSince = DEFERRED.has(state) ? (record.deferredSince ?? now) : null;
        if (record.deferredSince !== deferredSince || record.lastError !== null)
          this.ctx.records.update(id, { deferredSince, lastError: null });
        return Object.keys(patch).length > 0 ? 'changed' : null;
      }
      return this.finish(id, decision, state);
    });
    if (moved === null) return;
    if (decision !== null) {
      this.ctx.qlog.info('agent', `sample ${id} analysis finished: ${decision.reason}`, id);
      // Both wait in needed: the definitions task fetches the set, or rescans with the active one.
      if (decision.kind === 'needed' || decision.kind === 'resolved') this.onNeeded();
    }
    sampleChanged(this.ctx, id);
  }

  /** The status change of a finished analysis (inside a store transaction). */
  private finish(id: number, decision: FinalDecision, state: string): string {
    const { store } = this.ctx;
    switch (decision.kind) {
      case 'needed':
      case 'resolved':
        // `resolved` waits in needed for the scanner's rescan, which moves it on.
        store.samples.transition(id, 'needed', AGENT_ACTOR, decision.reason);
        this.ctx.records.update(id, { deferredSince: null, lastError: null, nextAttemptAt: null });
        return decision.kind;
      case 'unneeded':
        store.samples.transition(id, 'unneeded', AGENT_ACTOR, decision.reason);
        break;
      case 'error':
        store.errors.add({
          sampleId: id,
          code: decision.code,
          params: [state],
          source: AGENT_ACTOR,
          message: decision.reason,
        });
        store.samples.transition(id, 'error', AGENT_ACTOR, decision.reason);
        break;
      case 'attention':
        store.samples.transition(id, 'attention', AGENT_ACTOR, decision.reason);
        break;
    }
    this.ctx.records.remove(id);
    return decision.kind;
  }

  /** Send a sample whose submission the gateway lost back to the queue. */
  private async resubmit(id: number, reason: string, answer?: GatewayAnswer): Promise<void> {
    const { store } = this.ctx;
    const moved = await store.committer.commit(() => {
      if (store.samples.get(id)?.status !== 'submitted') return false;
      if (answer?.kind === 'refused') {
        store.errors.add({
          sampleId: id,
          code: answer.code,
          params: answer.params,
          source: AGENT_ACTOR,
          message: reason,
        });
      }
      const clear = Object.fromEntries(SUBMISSION_ATTRIBUTES.map((name) => [name, null]));
      store.samples.setAttributes(id, clear, AGENT_ACTOR, reason);
      store.samples.transition(id, 'released', AGENT_ACTOR, `${reason}; submitting again`);
      this.ctx.records.update(id, {
        attempts: 0,
        sending: false,
        lastError: {
          at: this.ctx.now(),
          code: answer?.kind === 'refused' ? answer.code : null,
          message: reason,
        },
        nextAttemptAt: null,
        deferredSince: null,
      });
      return true;
    });
    if (!moved) return;
    this.ctx.qlog.warn('agent', `sample ${id}: ${reason}; submitting again`, id);
    sampleChanged(this.ctx, id);
  }

  private async recordError(
    id: number,
    code: ErrorCode,
    params: string[],
    message: string,
  ): Promise<void> {
    const { store } = this.ctx;
    await store.committer.commit(() => {
      if (store.samples.get(id) === undefined) return;
      // One row per code: a refusal repeated at every query would flood the Errors tab.
      if (!store.errors.has(id, code))
        store.errors.add({ sampleId: id, code, params, source: AGENT_ACTOR, message });
      this.ctx.records.update(id, { lastError: { at: this.ctx.now(), code, message } });
    });
  }
}
