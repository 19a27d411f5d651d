/**
 * Control API methods of email Scan and Deliver (SPEC §9): the wizard's analysis, the preview
 * and sending of submission messages, and importing definitions returned by email. Sending
 * changes a sample only after the SMTP server accepted its message; a refused, rejected or
 * silent SMTP server changes nothing.
 */
import fs from 'node:fs';
import { ApiError } from '../../../src-shared/api/client-api.js';
import type {
  EmailMessage,
  EmailSubmitRequest,
  ParamsOf,
} from '../../../src-shared/api/contract.js';
import { WireError } from '../../../src-shared/catalog/errors.js';
import { formatHttpDate } from '../../../src-shared/codec/dates.js';
import type { Config, CustomerInformation, SmtpServer } from '../../../src-shared/config/schema.js';
import type { MethodHandlers } from '../../transport/rpc-server.js';
import type { ServerContext } from '../context.js';
import { DefinitionsAccessError } from '../definitions/definitions-store.js';
import { analyzeForEmail, submissionEligibility } from '../email/email-analysis.js';
import { MAX_EML_BYTES, packageFromEml } from '../email/eml-package.js';
import { loadSample, type LoadedSample } from '../email/sample-bytes.js';
import { sendSubmission, SmtpSendError } from '../email/smtp-send.js';
import { buildSubmissionMessage, type BuiltSubmission } from '../email/submission-message.js';
import { RESCAN_STATUSES } from '../scanner/scan-outcome.js';
import { ScannerUnavailable } from '../scanner/scan-service.js';
import { actorOf } from './sample-handlers.js';
import { toSampleSummary } from './sample-views.js';
import { toDefinitionsSet } from './scan-handlers.js';

/** Options of the email handlers. */
export interface EmailHandlerOptions {
  /** How long to wait for the SMTP server at each stage (default 30 s). */
  readonly smtpTimeoutMs?: number;
}

type Refused = { id: string; reason: string };

function requireEmailSetup(config: Config): void {
  if (config.setupType !== 'email')
    throw new ApiError(
      'not-allowed',
      'this server is set up for Internet-based Scan and Deliver; email submission is only available in an email-based setup',
    );
}

function contactOf(config: Config, params: EmailSubmitRequest): CustomerInformation {
  const contact = params.contact ?? config.customerInformation;
  const missing = (['company', 'contactName', 'telephone', 'email'] as const).filter(
    (field) => contact[field] === '',
  );
  if (missing.length > 0)
    throw new ApiError(
      'not-allowed',
      `contact details are incomplete (${missing.join(', ')}): fill in Customer Information or give them in the wizard`,
      { path: ['contact'] },
    );
  return contact;
}

function smtpOf(config: Config, params: EmailSubmitRequest): SmtpServer {
  const smtp = params.smtp ?? config.email.smtp;
  if (smtp.host === '')
    throw new ApiError('not-allowed', 'no SMTP server is configured (email settings)', {
      path: ['smtp'],
    });
  return smtp;
}

function importFailure(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof WireError)
    return new ApiError('invalid-request', `${error.code}: ${error.params.join(' ')}`, {
      xError: error.message,
    });
  if (error instanceof DefinitionsAccessError || error instanceof ScannerUnavailable)
    return new ApiError('unavailable', error.message);
  return new ApiError('internal', (error as Error).message);
}

async function readEml(params: ParamsOf<'definitions.importEmail'>): Promise<Buffer> {
  if ('bytes' in params) return Buffer.from(params.bytes, 'base64');
  try {
    const stat = await fs.promises.stat(params.path);
    if (!stat.isFile()) throw new ApiError('invalid-request', `${params.path} is not a file`);
    if (stat.size > MAX_EML_BYTES)
      throw new ApiError('too-large', `${params.path} is larger than ${MAX_EML_BYTES} bytes`);
    return await fs.promises.readFile(params.path);
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError('not-found', `cannot read ${params.path}: ${(error as Error).message}`);
  }
}

/** The email Scan and Deliver methods of the control API. */
export function emailHandlers(
  server: ServerContext,
  options: EmailHandlerOptions = {},
): MethodHandlers {
  const { store, qlog, config, scanner, definitions } = server;

  /** Build one message per eligible sample; the others are refused with the reason. */
  const build = async (
    params: EmailSubmitRequest,
  ): Promise<{
    built: { sample: LoadedSample; message: BuiltSubmission }[];
    refused: Refused[];
  }> => {
    const current = config.get();
    requireEmailSetup(current);
    const to = current.email.submissionAddress;
    if (to === '')
      throw new ApiError('not-allowed', 'no submission address is configured (email settings)');
    const contact = contactOf(current, params);
    const from = current.email.from || contact.email;
    const built: { sample: LoadedSample; message: BuiltSubmission }[] = [];
    const refused: Refused[] = [];
    for (const id of new Set(params.ids)) {
      const sample = await loadSample(store, id);
      if ('reason' in sample) {
        refused.push({ id, reason: sample.reason });
        continue;
      }
      const eligible = submissionEligibility(sample);
      if (!eligible.allowed) {
        refused.push({ id, reason: eligible.reason ?? 'not eligible for submission' });
        continue;
      }
      if (!params.override) {
        const analysis = await analyzeForEmail(sample, scanner);
        if (analysis.recommendation.action === 'not-needed') {
          refused.push({
            id,
            reason: `submission not needed: ${analysis.recommendation.reason} (override to send anyway)`,
          });
          continue;
        }
      }
      const message = await buildSubmissionMessage(
        sample,
        current,
        { from, to: [to], contact },
        { strip: params.strip },
      );
      built.push({ sample, message });
    }
    return { built, refused };
  };

  return {
    'samples.analyzeForEmail': async (params) => {
      requireEmailSetup(config.get());
      const samples = [];
      const refused: Refused[] = [];
      for (const id of new Set(params.ids)) {
        const sample = await loadSample(store, id);
        if ('reason' in sample) refused.push({ id, reason: sample.reason });
        else samples.push(await analyzeForEmail(sample, scanner));
      }
      return { samples, refused };
    },

    'samples.previewEmail': async (params) => {
      const { built, refused } = await build(params);
      return { messages: built.map((b) => b.message.description), refused };
    },

    'samples.submitByEmail': async (params, ctx) => {
      const actor = actorOf(ctx);
      const smtp = smtpOf(config.get(), params);
      const { built, refused } = await build(params);
      const messages: EmailMessage[] = [];
      for (const [index, { sample, message }] of built.entries()) {
        const id = sample.row.id;
        let messageId: string;
        try {
          messageId = await sendSubmission(smtp, message, {
            ...(options.smtpTimeoutMs !== undefined ? { timeoutMs: options.smtpTimeoutMs } : {}),
          });
        } catch (error) {
          const reason = error instanceof SmtpSendError ? error.message : String(error);
          qlog.error('email', `${actor}: email submission of sample ${id} failed: ${reason}`, id);
          // Nothing sent yet: the whole call fails and nothing has changed.
          if (index === 0)
            throw new ApiError('unavailable', reason, {
              smtp: error instanceof SmtpSendError ? error.smtpCode : null,
            });
          // Earlier messages were accepted and are recorded; the rest are reported unsent.
          for (const rest of built.slice(index))
            refused.push({ id: String(rest.sample.row.id), reason: `not sent: ${reason}` });
          break;
        }
        const to = message.description.recipients.join(', ');
        await store.committer.commit(() => {
          store.samples.setAttributes(
            id,
            {
              'X-Date-Submitted': formatHttpDate(Date.now()),
              ...(message.strip ? { 'X-Sample-Strip': message.strip } : {}),
            },
            actor,
            `submitted by email, message ${messageId}`,
          );
          store.samples.transition(
            id,
            'submitted',
            actor,
            `submitted by email to ${to}, message ${messageId}`,
          );
        });
        qlog.info('email', `${actor}: sample ${id} submitted by email to ${to} (${messageId})`, id);
        const row = store.samples.get(id);
        if (row) server.events.emit('sample.changed', { sample: toSampleSummary(row) });
        messages.push({ ...message.description, messageId });
      }
      return { messages, refused };
    },

    'definitions.importEmail': async (params, ctx) => {
      const actor = actorOf(ctx);
      const eml = await readEml(params);
      const found = await packageFromEml(eml);
      if (!found.ok) {
        qlog.error('control', `${actor}: definitions import from email refused: ${found.reason}`);
        throw new ApiError('invalid-request', found.reason);
      }
      let result;
      try {
        result = await definitions.importPackage(found.bytes);
        await scanner.settled();
      } catch (error) {
        const failure = importFailure(error);
        qlog.error(
          'control',
          `${actor}: definitions ${found.name} from email refused: ${failure.message}`,
        );
        throw failure;
      }
      await store.committer.commit(() =>
        store.audit.append({
          actor,
          action: 'definitions.import',
          reason: `${result.installed ? 'installed' : 'already installed'} from an email attachment`,
          detail: { sequence: result.sequence, version: result.version, attachment: found.name },
        }),
      );
      qlog.info(
        'control',
        `${actor}: definitions ${result.sequence} (${result.version}) from ${found.name} ${result.installed ? 'installed' : 'were already installed'}${result.active ? ' and active' : ''}`,
      );
      // Rescan what the set may resolve, so the administrator sees the effect before delivery.
      const before = new Map<number, string>();
      if (result.active) {
        for (let offset = 0; ; offset += 1000) {
          const page = store.samples.list({
            offset,
            limit: 1000,
            sort: 'id',
            order: 'asc',
            filter: { status: [...RESCAN_STATUSES] },
          });
          for (const row of page.rows) before.set(row.id, row.status);
          if (page.rows.length < 1000) break;
        }
      }
      let rescanned = { done: [] as string[], refused: [] as Refused[] };
      if (before.size > 0) {
        try {
          rescanned = await scanner.rescan([...before.keys()].map(String));
        } catch (error) {
          throw importFailure(error);
        }
      }
      const samples = [...before].map(([id, status]) => ({
        id: String(id),
        before: status,
        after: store.samples.get(id)?.status ?? status,
      }));
      const set = definitions.list().find((s) => s.sequence === result.sequence);
      if (!set)
        throw new ApiError('internal', `definitions set ${result.sequence} is not recorded`);
      return {
        set: toDefinitionsSet(set),
        attachment: found.name,
        rescanned,
        samples,
      };
    },
  };
}
