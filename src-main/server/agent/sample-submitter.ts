/**
 * Sample Policy, first half (SPEC §3.2, §4.3): every queue check interval, send the `released`
 * samples to the gateway — higher `X-Sample-Priority` first, then the oldest. Each attempt is
 * persisted before anything is sent; a 202 stores the cookie and moves the sample to
 * `submitted`. While the gateway is unreachable or busy, samples simply stay `released`.
 */
import { createLogger } from '../../log/logger.js';
import type { SampleRow } from '../store/index.js';
import {
  AGENT_ACTOR,
  answerPatch,
  sampleChanged,
  samplesWithStatus,
  type AgentContext,
} from './agent-context.js';
import { Backoff } from './backoff.js';
import type { GatewayAnswer } from './gateway-client.js';
import type { RunResult } from './periodic-task.js';
import { MAYBE_DELIVERED } from './http-exchange.js';
import { buildSubmission } from './submission-payload.js';

const log = createLogger('agent');

/** What one submission attempt led to. */
type Attempt =
  | { readonly kind: 'done' }
  /** Gateway-wide trouble: stop this round and retry after the delay. */
  | { readonly kind: 'stop'; readonly retryInMs: number };

/** Order of the queue: priority (high first), then receive time and id (old first). */
export function compareQueue(a: SampleRow, b: SampleRow): number {
  return b.priority - a.priority || a.receivedAt - b.receivedAt || a.id - b.id;
}

/** Sends released samples. */
export class SampleSubmitter {
  private readonly backoff: Backoff;
  private reconciled = false;

  constructor(
    private readonly ctx: AgentContext,
    /** Called with the gateway's answer when it already carries a final result (a duplicate). */
    private readonly onFinishedAnswer: (
      id: number,
      answer: GatewayAnswer & { kind: 'ok' },
    ) => Promise<void>,
  ) {
    this.backoff = new Backoff(ctx.random);
  }

  /** When the queue may be tried again after gateway-wide failures (0 = any time). */
  get notBefore(): number {
    return this.backoff.notBefore;
  }

  /** One queue check. */
  async run(): Promise<RunResult> {
    const config = this.ctx.config.get();
    const interval = config.samplePolicy.queueCheckIntervalSeconds * 1000;
    if (config.setupType !== 'internet') return { nextInMs: interval };
    const now = this.ctx.now();
    if (this.backoff.notBefore > now) return { nextInMs: this.backoff.notBefore - now };
    if (!this.reconciled) this.reconcile();

    const queue = samplesWithStatus(this.ctx, 'released')
      .filter((row) => (this.ctx.records.get(row.id).nextAttemptAt ?? 0) <= now)
      .sort(compareQueue);
    let stop: Attempt | undefined;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (stop === undefined && next < queue.length && !this.ctx.link.stopping) {
        const row = queue[next++]!;
        const attempt = await this.submit(row.id);
        if (attempt.kind === 'stop') stop ??= attempt;
      }
    };
    const workers = Math.max(1, Math.min(this.ctx.timings.concurrency, queue.length));
    await Promise.all(Array.from({ length: workers }, () => worker()));
    if (stop?.kind === 'stop') return { nextInMs: stop.retryInMs };
    this.backoff.succeed();
    return { nextInMs: interval };
  }

  /**
   * Attempts persisted before a crash or stop but never answered: the gateway may have the
   * sample already. It is sent again; the gateway answers a duplicate from the analysis it
   * already has, so the sample is still analysed once.
   */
  private reconcile(): void {
    this.reconciled = true;
    for (const id of this.ctx.records.unanswered()) {
      const row = this.ctx.store.samples.get(id);
      if (row?.status !== 'released') continue;
      this.ctx.qlog.info(
        'agent',
        `sample ${id}: a submission was interrupted before the gateway's answer was recorded; sending it again (the gateway answers duplicates from its existing analysis)`,
        id,
      );
    }
  }

  private backOff(answer: GatewayAnswer, now: number): Attempt {
    const interval = this.ctx.config.get().samplePolicy.queueCheckIntervalSeconds * 1000;
    const retryAfter = answer.kind === 'busy' ? answer.retryAfterMs : null;
    return { kind: 'stop', retryInMs: this.backoff.fail(now, interval, retryAfter) };
  }

  /** Send one sample; never throws for gateway trouble. */
  private async submit(id: number): Promise<Attempt> {
    const { store } = this.ctx;
    const row = store.samples.get(id);
    if (row?.status !== 'released') return { kind: 'done' };
    const stored = store.samples.attributes(id);
    const payload = await buildSubmission(row, stored, store.blobs, this.ctx.config.get());
    if (payload.kind === 'hold') {
      await store.committer.commit(() => {
        if (store.samples.get(id)?.status !== 'released') return;
        store.samples.transition(id, 'held', AGENT_ACTOR, payload.reason);
        this.ctx.records.remove(id);
      });
      this.ctx.qlog.warn('agent', `sample ${id} held: ${payload.reason}`, id);
      sampleChanged(this.ctx, id);
      return { kind: 'done' };
    }
    if (payload.kind === 'error') {
      await store.committer.commit(() => {
        store.errors.add({
          sampleId: id,
          code: payload.code,
          params: payload.params,
          source: AGENT_ACTOR,
          message: payload.reason,
        });
        if (store.samples.get(id)?.status === 'released')
          store.samples.transition(id, 'error', AGENT_ACTOR, payload.reason);
        this.ctx.records.remove(id);
      });
      this.ctx.qlog.error('agent', `sample ${id} cannot be submitted: ${payload.reason}`, id);
      sampleChanged(this.ctx, id);
      return { kind: 'done' };
    }

    const client = this.ctx.link.client();
    if (client === null)
      return this.backOff(
        { kind: 'unreachable', stage: 'tls', message: '', proxyStatus: null },
        this.ctx.now(),
      );
    // Persist the attempt first: after a crash the next start knows the gateway may have it.
    const started = await store.committer.commit(() => {
      if (store.samples.get(id)?.status !== 'released') return false;
      const record = this.ctx.records.get(id);
      this.ctx.records.update(id, {
        attempts: record.attempts + 1,
        lastAttemptAt: this.ctx.now(),
        sending: true,
        nextAttemptAt: null,
        strip: payload.strip,
      });
      return true;
    });
    if (!started) return { kind: 'done' };

    const answer = await client.submit(payload.attributes, payload.body);
    const now = this.ctx.now();
    const gatewayOk = this.ctx.link.observe(answer);
    if (answer.kind === 'ok') {
      const cookie = answer.attributes['X-Analysis-Cookie'];
      if (cookie === undefined || cookie === '') {
        await this.recordFailure(
          id,
          null,
          `the gateway answered ${answer.status} without X-Analysis-Cookie`,
          null,
        );
        return this.backOff(
          { kind: 'busy', status: answer.status, retryAfterMs: null, message: '', code: null },
          now,
        );
      }
      await this.accepted(id, cookie, answer, payload.strip !== null);
      this.backoff.succeed();
      if (answer.attributes['X-Date-Finished'] !== undefined)
        await this.onFinishedAnswer(id, answer);
      return { kind: 'done' };
    }
    if (answer.kind === 'refused' && gatewayOk) {
      // The gateway will not take this sample as it is: retrying cannot help.
      const message = `the gateway refused the sample: ${answer.code}${answer.params.length ? ' ' + answer.params.join(' ') : ''}`;
      await store.committer.commit(() => {
        store.errors.add({
          sampleId: id,
          code: answer.code,
          params: answer.params,
          source: AGENT_ACTOR,
          message,
        });
        if (store.samples.get(id)?.status === 'released')
          store.samples.transition(id, 'error', AGENT_ACTOR, message);
        this.ctx.records.remove(id);
      });
      this.ctx.qlog.error('agent', `sample ${id}: ${message}`, id);
      sampleChanged(this.ctx, id);
      return { kind: 'done' };
    }
    const message =
      answer.kind === 'refused'
        ? `the gateway refused the customer (${answer.code})`
        : answer.message;
    const code =
      answer.kind === 'refused' ? answer.code : answer.kind === 'busy' ? answer.code : null;
    const attempt = this.backOff(answer, now);
    // A request cut after it was sent may have reached the gateway: it stays "sending".
    const maybeDelivered = answer.kind === 'unreachable' && MAYBE_DELIVERED.has(answer.stage);
    await this.recordFailure(
      id,
      code,
      message,
      attempt.kind === 'stop' ? now + attempt.retryInMs : null,
      maybeDelivered,
    );
    return attempt;
  }

  private async recordFailure(
    id: number,
    code: string | null,
    message: string,
    nextAt: number | null,
    sending = false,
  ): Promise<void> {
    await this.ctx.store.committer.commit(() => {
      if (this.ctx.store.samples.get(id) === undefined) return;
      this.ctx.records.update(id, {
        sending,
        lastError: { at: this.ctx.now(), code, message },
        nextAttemptAt: nextAt,
      });
    });
    log.debug('submission failed', { sample: id, message });
  }

  private async accepted(
    id: number,
    cookie: string,
    answer: GatewayAnswer & { kind: 'ok' },
    stripped: boolean,
  ): Promise<void> {
    const { store } = this.ctx;
    const record = this.ctx.records.get(id);
    const strip = record.strip;
    const reason =
      `the gateway accepted the sample (cookie ${cookie}` +
      (answer.attributes['X-Analysis-Issue']
        ? `, issue ${answer.attributes['X-Analysis-Issue']}`
        : '') +
      (stripped && strip
        ? `; sent stripped: ${strip.method}, ${strip.removed} part(s) removed, ${strip.size} bytes, MD5 ${strip.checksum}`
        : '') +
      ')';
    const moved = await store.committer.commit(() => {
      const row = store.samples.get(id);
      if (row === undefined) return false;
      const patch = answerPatch(store.samples.attributes(id), answer.attributes, answer.skewMs);
      if (Object.keys(patch).length > 0)
        store.samples.setAttributes(id, patch, AGENT_ACTOR, reason);
      // Even a sample held meanwhile is with the gateway now, so it is submitted.
      if (row.status !== 'submitted')
        store.samples.transition(id, 'submitted', AGENT_ACTOR, reason);
      this.ctx.records.update(id, { sending: false, lastError: null, nextAttemptAt: null });
      return true;
    });
    if (!moved) return;
    this.ctx.qlog.info('agent', `sample ${id} submitted: ${reason}`, id);
    sampleChanged(this.ctx, id);
  }
}
