/**
 * The Scan and Deliver wizard of an email-based server (SPEC §9, §10): the selected items, their
 * analysis and the recommendation (which the administrator may override), stripping and an
 * optional SMTP server, the contact details, the exact messages, sending, and the result.
 */
import type { ResponseOf } from '../../../src-shared/api/contract.js';
import type { EmailAnalysis, EmailSubmitRequest } from '../../../src-shared/api/models.js';
import { SmtpServerSchema } from '../../../src-shared/config/schema.js';
import { validateCustomerInformation } from '../../../src-shared/config/setup.js';
import { parseServerConfig } from '../../lib/config-form.js';
import { describeError } from '../../lib/errors.js';
import type { SliceContext } from '../../store/types.js';

/** The steps, in order. */
export const EMAIL_STEPS = [
  { id: 'items', title: 'Selected items' },
  { id: 'analysis', title: 'Analysis' },
  { id: 'options', title: 'Options' },
  { id: 'contact', title: 'Contact details' },
  { id: 'review', title: 'Review' },
  { id: 'send', title: 'Sending' },
  { id: 'result', title: 'Result' },
] as const;

/** A step's id. */
export type EmailStepId = (typeof EMAIL_STEPS)[number]['id'];

const stepIndex = (id: EmailStepId): number => EMAIL_STEPS.findIndex((s) => s.id === id);

/** The custom SMTP server's fields as typed. */
export interface SmtpValues {
  readonly host: string;
  readonly port: string;
  readonly secure: boolean;
  readonly user: string;
  readonly password: string;
}

/** The contact details' fields as typed. */
export interface ContactValues {
  readonly company: string;
  readonly account: string;
  readonly contactName: string;
  readonly telephone: string;
  readonly email: string;
}

/** What `samples.previewEmail` and `samples.submitByEmail` return. */
export type EmailMessages = ResponseOf<'samples.previewEmail'>;

/** The wizard. */
export interface EmailWizardState {
  readonly serverId: string;
  readonly ids: readonly string[];
  /** File names the list knew when the wizard opened, by id. */
  readonly names: Readonly<Record<string, string | null>>;
  readonly step: number;
  readonly busy: boolean;
  readonly analysis: {
    readonly samples: readonly EmailAnalysis[];
    readonly refused: readonly { id: string; reason: string }[];
  } | null;
  readonly analysisError: string | null;
  readonly override: boolean;
  readonly strip: boolean;
  readonly customSmtp: boolean;
  readonly smtp: SmtpValues;
  readonly contact: ContactValues;
  readonly preview: EmailMessages | null;
  readonly previewError: string | null;
  readonly sent: EmailMessages | null;
  readonly sendError: string | null;
}

/** The email wizard slice. */
export interface EmailWizardSlice {
  emailWizard: EmailWizardState | null;
  /** Open the wizard for the selected items. */
  openEmailWizard: () => Promise<void>;
  updateEmailWizard: (
    patch: Partial<Pick<EmailWizardState, 'override' | 'strip' | 'customSmtp'>> & {
      smtp?: Partial<SmtpValues>;
      contact?: Partial<ContactValues>;
    },
  ) => void;
  emailWizardNext: () => void;
  emailWizardBack: () => void;
  /** Send again from the result page after a failure. */
  emailWizardRetry: () => void;
  closeEmailWizard: () => void;
}

const EMPTY_CONTACT: ContactValues = {
  company: '',
  account: '',
  contactName: '',
  telephone: '',
  email: '',
};

const EMPTY_SMTP: SmtpValues = { host: '', port: '25', secure: false, user: '', password: '' };

/** Field issues of the custom SMTP server, by field; empty when it is valid or not used. */
export function smtpIssues(state: EmailWizardState): Record<string, string> {
  if (!state.customSmtp) return {};
  const { host, port, secure, user, password } = state.smtp;
  const issues: Record<string, string> = {};
  const portNumber = /^\d+$/.test(port.trim()) ? Number(port.trim()) : Number.NaN;
  const parsed = SmtpServerSchema.safeParse({
    host: host.trim(),
    port: portNumber,
    secure,
    user,
    password,
  });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? 'host');
      issues[field] ??= field === 'port' ? 'must be a port number from 1 to 65535' : issue.message;
    }
  }
  if (host.trim() === '') issues.host ??= 'required';
  return issues;
}

/** Field issues of the contact details, by field. */
export function contactIssues(state: EmailWizardState): Record<string, string> {
  const issues: Record<string, string> = {};
  for (const issue of validateCustomerInformation(state.contact))
    issues[issue.path] = issue.message;
  return issues;
}

/** Samples the analysis found eligible for submission. */
function eligibleSamples(state: EmailWizardState): readonly EmailAnalysis[] {
  return state.analysis?.samples.filter((s) => s.eligible.allowed) ?? [];
}

/** Why Next cannot be used on the current step, or null when it can. */
export function nextBlocked(state: EmailWizardState): string | null {
  if (state.busy) return 'Please wait…';
  switch (EMAIL_STEPS[state.step]?.id) {
    case 'items':
      return state.ids.length === 0 ? 'Select one or more items first.' : null;
    case 'analysis': {
      if (state.analysisError) return 'The items could not be analyzed.';
      if (!state.analysis) return 'Analyzing…';
      const eligible = eligibleSamples(state);
      if (eligible.length === 0) return 'None of the items can be submitted.';
      const needed = eligible.filter((s) => s.recommendation.action === 'submit');
      if (needed.length === 0 && !state.override)
        return 'No item needs to be submitted; check "Submit anyway" to send them regardless.';
      return null;
    }
    case 'options':
      return Object.keys(smtpIssues(state)).length > 0
        ? 'Correct the custom SMTP server first.'
        : null;
    case 'contact':
      return Object.keys(contactIssues(state)).length > 0
        ? 'Complete the contact details first.'
        : null;
    case 'review':
      if (state.previewError) return 'The messages could not be prepared.';
      if (!state.preview) return 'Preparing the messages…';
      return state.preview.messages.length === 0 ? 'There is no message to send.' : null;
    default:
      return 'This is the last step.';
  }
}

/** The request the wizard sends to preview and submit. */
export function emailRequest(state: EmailWizardState): EmailSubmitRequest {
  const c = state.contact;
  return {
    ids: [...state.ids],
    strip: state.strip,
    override: state.override,
    contact: {
      company: c.company.trim(),
      account: c.account.trim(),
      contactName: c.contactName.trim(),
      telephone: c.telephone.trim(),
      email: c.email.trim(),
    },
    ...(state.customSmtp
      ? {
          smtp: {
            host: state.smtp.host.trim(),
            port: Number(state.smtp.port.trim()),
            secure: state.smtp.secure,
            user: state.smtp.user,
            password: state.smtp.password,
          },
        }
      : {}),
  };
}

/** Create the email wizard slice. */
export function createEmailWizardSlice({ set, get, api }: SliceContext): EmailWizardSlice {
  /** Bumped on every page change so late answers for an earlier page are dropped. */
  let generation = 0;

  const update = (patch: Partial<EmailWizardState>): void => {
    const wizard = get().emailWizard;
    if (wizard) set({ emailWizard: { ...wizard, ...patch } });
  };

  const analyze = async (): Promise<void> => {
    const wizard = get().emailWizard;
    if (!wizard) return;
    const mine = ++generation;
    update({ busy: true, analysisError: null });
    const result = await api.call(wizard.serverId, 'samples.analyzeForEmail', {
      ids: [...wizard.ids],
    });
    if (mine !== generation) return;
    if (result.ok) update({ busy: false, analysis: result.value });
    else update({ busy: false, analysisError: describeError(result.error) });
  };

  const preview = async (): Promise<void> => {
    const wizard = get().emailWizard;
    if (!wizard) return;
    const mine = ++generation;
    update({ busy: true, preview: null, previewError: null });
    const result = await api.call(wizard.serverId, 'samples.previewEmail', emailRequest(wizard));
    if (mine !== generation) return;
    if (result.ok) update({ busy: false, preview: result.value });
    else update({ busy: false, previewError: describeError(result.error) });
  };

  const send = async (): Promise<void> => {
    const wizard = get().emailWizard;
    if (!wizard) return;
    const mine = ++generation;
    update({ step: stepIndex('send'), busy: true, sent: null, sendError: null });
    const result = await api.call(wizard.serverId, 'samples.submitByEmail', emailRequest(wizard));
    if (mine !== generation) return;
    if (result.ok) update({ busy: false, step: stepIndex('result'), sent: result.value });
    else update({ busy: false, step: stepIndex('result'), sendError: describeError(result.error) });
    get().refreshList();
  };

  return {
    emailWizard: null,

    async openEmailWizard() {
      const serverId = get().list.serverId;
      if (serverId === null) return;
      set({ contextMenu: null });
      const resolved = await get().resolveSelectedIds();
      if (!resolved.ok) {
        get().notify(resolved.message, 'error');
        return;
      }
      if (resolved.ids.length === 0) {
        get().notify('Select one or more items first.');
        return;
      }
      const names: Record<string, string | null> = {};
      for (const row of get().selectedRows()) names[row.id] = row.fileName ?? null;
      const config = await api.call(serverId, 'config.get', {});
      const parsed = config.ok ? parseServerConfig(config.value.config) : null;
      const ci = parsed?.customerInformation;
      generation++;
      set({
        emailWizard: {
          serverId,
          ids: resolved.ids,
          names,
          step: 0,
          busy: false,
          analysis: null,
          analysisError: null,
          override: false,
          strip: false,
          customSmtp: false,
          smtp: EMPTY_SMTP,
          contact: ci
            ? {
                company: ci.company,
                account: ci.account,
                contactName: ci.contactName,
                telephone: ci.telephone,
                email: ci.email,
              }
            : EMPTY_CONTACT,
          preview: null,
          previewError: null,
          sent: null,
          sendError: null,
        },
      });
      get().openDialog({ kind: 'emailWizard' });
    },

    updateEmailWizard(patch) {
      const wizard = get().emailWizard;
      if (!wizard) return;
      update({
        ...patch,
        smtp: { ...wizard.smtp, ...patch.smtp },
        contact: { ...wizard.contact, ...patch.contact },
      });
    },

    emailWizardNext() {
      const wizard = get().emailWizard;
      if (!wizard || nextBlocked(wizard) !== null) return;
      const next = EMAIL_STEPS[wizard.step + 1]?.id;
      if (next === 'send') {
        void send();
        return;
      }
      update({ step: wizard.step + 1 });
      if (next === 'analysis' && !wizard.analysis) void analyze();
      if (next === 'review') void preview();
    },

    emailWizardBack() {
      const wizard = get().emailWizard;
      if (!wizard || wizard.step === 0) return;
      const id = EMAIL_STEPS[wizard.step]?.id;
      if (id === 'send' || (id === 'result' && wizard.sent)) return;
      generation++;
      // From the result of a failed send, back to the review of what was to be sent.
      const back = id === 'result' ? stepIndex('review') : wizard.step - 1;
      update({ step: back, busy: false });
      if (back === stepIndex('review')) void preview();
      if (back === stepIndex('analysis') && !wizard.analysis) void analyze();
    },

    emailWizardRetry() {
      const wizard = get().emailWizard;
      if (!wizard || wizard.busy || wizard.sent) return;
      void send();
    },

    closeEmailWizard() {
      const wizard = get().emailWizard;
      if (wizard?.busy && EMAIL_STEPS[wizard.step]?.id === 'send') return;
      generation++;
      set({ emailWizard: null });
      get().closeDialog();
    },
  };
}
