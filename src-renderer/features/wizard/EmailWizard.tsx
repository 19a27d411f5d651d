/**
 * The Scan and Deliver wizard (email setup), page by page: selected items, analysis with the
 * recommendation, options (stripping, custom SMTP server), contact details, review of the exact
 * messages, sending, and the result. Back, Next, Cancel and Finish as in a Windows wizard.
 */
import { useId, type ReactNode } from 'react';
import { Dialog } from '../../components/Dialog.js';
import { formatBytes, formatSequence, plural, statusLabel } from '../../lib/format.js';
import { useApp } from '../../store/store.js';
import {
  contactIssues,
  EMAIL_STEPS,
  nextBlocked,
  smtpIssues,
  type ContactValues,
  type EmailMessages,
  type EmailWizardState,
  type SmtpValues,
} from './email-wizard-slice.js';
import './email-wizard.css';

function Field({
  label,
  value,
  issue,
  type = 'text',
  onChange,
}: {
  label: string;
  value: string;
  issue: string | undefined;
  type?: 'text' | 'password';
  onChange: (value: string) => void;
}): ReactNode {
  const id = useId();
  return (
    <div className="config-field">
      <label htmlFor={id}>{label}</label>
      <div className="field-input">
        <input
          id={id}
          type={type}
          value={value}
          aria-invalid={issue ? true : undefined}
          aria-describedby={issue ? `${id}-error` : undefined}
          onChange={(e) => onChange(e.target.value)}
        />
      </div>
      {issue ? (
        <p id={`${id}-error`} className="field-error">
          {issue}
        </p>
      ) : null}
    </div>
  );
}

function ItemsStep({ wizard }: { wizard: EmailWizardState }): ReactNode {
  return (
    <>
      <p className="hint">
        {plural(wizard.ids.length, 'item')} will be analyzed with the current definitions and, if
        you go on, sent to the analysis mailbox by email.
      </p>
      <ul aria-label="Selected items">
        {wizard.ids.map((id) => (
          <li key={id}>
            {wizard.names[id] ?? '(no file name)'} (item {id})
          </li>
        ))}
      </ul>
    </>
  );
}

function AnalysisStep({ wizard }: { wizard: EmailWizardState }): ReactNode {
  const updateWizard = useApp((s) => s.updateEmailWizard);
  if (wizard.analysisError)
    return (
      <p className="error-text" role="alert">
        {wizard.analysisError}
      </p>
    );
  if (!wizard.analysis)
    return (
      <p role="status">
        <progress aria-label="Analyzing" /> Analyzing the items…
      </p>
    );
  const notNeeded = wizard.analysis.samples.some(
    (s) => s.eligible.allowed && s.recommendation.action === 'not-needed',
  );
  return (
    <>
      <ul aria-label="Analysis" className="wizard-list">
        {wizard.analysis.samples.map((s) => (
          <li key={s.id}>
            <strong>{s.fileName ?? `Item ${s.id}`}</strong> ({statusLabel(s.status)},{' '}
            {formatBytes(s.size)})
            <dl className="facts">
              <dt>Scan</dt>
              <dd>
                {s.scan.notScanned
                  ? `Not scanned: ${s.scan.notScanned}`
                  : s.scan.virusName
                    ? `${s.scan.virusName}${s.scan.repairable ? ' (repairable)' : ''}`
                    : `No virus found (definitions ${formatSequence(s.scan.sequence)})`}
              </dd>
              <dt>Recommendation</dt>
              <dd>
                {s.recommendation.action === 'submit' ? 'Submit' : 'Submission not needed'}:{' '}
                {s.recommendation.reason}
              </dd>
              {s.eligible.allowed ? null : (
                <>
                  <dt>Cannot be submitted</dt>
                  <dd>{s.eligible.reason}</dd>
                </>
              )}
            </dl>
          </li>
        ))}
        {wizard.analysis.refused.map((r) => (
          <li key={r.id}>
            Item {r.id}: {r.reason}
          </li>
        ))}
      </ul>
      {notNeeded ? (
        <label className="choice">
          <input
            type="checkbox"
            checked={wizard.override}
            onChange={(e) => updateWizard({ override: e.target.checked })}
          />{' '}
          Submit anyway
          <span className="field-help">Send the items that do not need submission as well.</span>
        </label>
      ) : null}
    </>
  );
}

function OptionsStep({ wizard }: { wizard: EmailWizardState }): ReactNode {
  const updateWizard = useApp((s) => s.updateEmailWizard);
  const issues = smtpIssues(wizard);
  const setSmtp = (patch: Partial<SmtpValues>): void => updateWizard({ smtp: patch });
  return (
    <>
      <fieldset>
        <legend>File content</legend>
        <label className="choice">
          <input
            type="checkbox"
            checked={wizard.strip}
            onChange={(e) => updateWizard({ strip: e.target.checked })}
          />{' '}
          Strip file content
          <span className="field-help">
            Send only what analysis needs (macros and code), without the user&apos;s data.
          </span>
        </label>
        <ul aria-label="Strip preview" className="wizard-list">
          {(wizard.analysis?.samples ?? [])
            .filter((s) => s.eligible.allowed)
            .map((s) => (
              <li key={s.id}>
                <strong>{s.fileName ?? `Item ${s.id}`}</strong>:{' '}
                {s.strip.possible
                  ? `method ${s.strip.method}, ${formatBytes(s.strip.size)} sent; removed: ${
                      s.strip.removed.length > 0 ? s.strip.removed.join(', ') : 'nothing'
                    }`
                  : `cannot be stripped: ${s.strip.reason}`}
              </li>
            ))}
        </ul>
      </fieldset>
      <fieldset>
        <legend>Mail server</legend>
        <label className="choice">
          <input
            type="checkbox"
            checked={wizard.customSmtp}
            onChange={(e) => updateWizard({ customSmtp: e.target.checked })}
          />{' '}
          Use a custom SMTP server
          <span className="field-help">Otherwise the server&apos;s configured one is used.</span>
        </label>
        {wizard.customSmtp ? (
          <>
            <Field
              label="SMTP host"
              value={wizard.smtp.host}
              issue={issues.host}
              onChange={(host) => setSmtp({ host })}
            />
            <Field
              label="SMTP port"
              value={wizard.smtp.port}
              issue={issues.port}
              onChange={(port) => setSmtp({ port })}
            />
            <label className="choice">
              <input
                type="checkbox"
                checked={wizard.smtp.secure}
                onChange={(e) => setSmtp({ secure: e.target.checked })}
              />{' '}
              Use TLS
            </label>
            <Field
              label="SMTP user"
              value={wizard.smtp.user}
              issue={issues.user}
              onChange={(user) => setSmtp({ user })}
            />
            <Field
              label="SMTP password"
              type="password"
              value={wizard.smtp.password}
              issue={issues.password}
              onChange={(password) => setSmtp({ password })}
            />
          </>
        ) : null}
      </fieldset>
    </>
  );
}

const CONTACT_FIELDS: readonly { key: keyof ContactValues; label: string }[] = [
  { key: 'company', label: 'Company' },
  { key: 'account', label: 'Account number' },
  { key: 'contactName', label: 'Contact name' },
  { key: 'telephone', label: 'Contact telephone' },
  { key: 'email', label: 'Contact email' },
];

function ContactStep({ wizard }: { wizard: EmailWizardState }): ReactNode {
  const updateWizard = useApp((s) => s.updateEmailWizard);
  const issues = contactIssues(wizard);
  return (
    <>
      <p className="hint">
        Analysts use these details to reach you about these samples (from Customer Information).
      </p>
      {CONTACT_FIELDS.map((f) => (
        <Field
          key={f.key}
          label={f.label}
          value={wizard.contact[f.key]}
          issue={issues[f.key]}
          onChange={(value) => updateWizard({ contact: { [f.key]: value } })}
        />
      ))}
    </>
  );
}

function Messages({ messages, label }: { messages: EmailMessages; label: string }): ReactNode {
  return (
    <>
      <ul aria-label={label} className="wizard-list">
        {messages.messages.map((m) => (
          <li key={m.id}>
            <dl className="facts">
              <dt>To</dt>
              <dd>{m.recipients.join(', ')}</dd>
              <dt>From</dt>
              <dd>{m.from}</dd>
              <dt>Subject</dt>
              <dd>{m.subject}</dd>
              <dt>Attachments</dt>
              <dd>{m.attachments.map((a) => `${a.name} (${formatBytes(a.size)})`).join(', ')}</dd>
            </dl>
            <table className="wizard-headers">
              <caption>Headers of item {m.id}</caption>
              <tbody>
                {Object.entries(m.headers).map(([name, value]) => (
                  <tr key={name}>
                    <th scope="row">{name}</th>
                    <td>{value}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </li>
        ))}
      </ul>
      {messages.refused.length > 0 ? (
        <ul aria-label="Not sent" className="wizard-list">
          {messages.refused.map((r) => (
            <li key={r.id}>
              Item {r.id} will not be sent: {r.reason}
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}

function ReviewStep({ wizard }: { wizard: EmailWizardState }): ReactNode {
  if (wizard.previewError)
    return (
      <p className="error-text" role="alert">
        {wizard.previewError}
      </p>
    );
  if (!wizard.preview)
    return (
      <p role="status">
        <progress aria-label="Preparing the messages" /> Preparing the messages…
      </p>
    );
  return (
    <>
      <p className="hint">
        Exactly {plural(wizard.preview.messages.length, 'message')} will be sent. Choose Send to
        send {wizard.preview.messages.length === 1 ? 'it' : 'them'}.
      </p>
      <Messages messages={wizard.preview} label="Messages to send" />
    </>
  );
}

function ResultStep({ wizard }: { wizard: EmailWizardState }): ReactNode {
  if (wizard.sendError)
    return (
      <>
        <p className="error-text" role="alert">
          Nothing was sent. {wizard.sendError}
        </p>
        <p className="hint">
          Choose Retry to send again, or Back to change the options (such as the SMTP server).
        </p>
      </>
    );
  if (!wizard.sent) return null;
  return (
    <>
      <p role="status">Sent {plural(wizard.sent.messages.length, 'message')}.</p>
      <ul aria-label="Sent messages" className="wizard-list">
        {wizard.sent.messages.map((m) => (
          <li key={m.id}>
            Item {m.id}: message {m.messageId}
          </li>
        ))}
        {wizard.sent.refused.map((r) => (
          <li key={r.id}>
            Item {r.id} was not sent: {r.reason}
          </li>
        ))}
      </ul>
    </>
  );
}

function Step({ wizard }: { wizard: EmailWizardState }): ReactNode {
  switch (EMAIL_STEPS[wizard.step]?.id) {
    case 'items':
      return <ItemsStep wizard={wizard} />;
    case 'analysis':
      return <AnalysisStep wizard={wizard} />;
    case 'options':
      return <OptionsStep wizard={wizard} />;
    case 'contact':
      return <ContactStep wizard={wizard} />;
    case 'review':
      return <ReviewStep wizard={wizard} />;
    case 'send':
      return (
        <p role="status">
          <progress aria-label="Sending" /> Sending{' '}
          {plural(wizard.preview?.messages.length ?? wizard.ids.length, 'message')}…
        </p>
      );
    default:
      return <ResultStep wizard={wizard} />;
  }
}

/** The Scan and Deliver wizard. */
export function EmailWizard(): ReactNode {
  const wizard = useApp((s) => s.emailWizard);
  const next = useApp((s) => s.emailWizardNext);
  const back = useApp((s) => s.emailWizardBack);
  const retry = useApp((s) => s.emailWizardRetry);
  const close = useApp((s) => s.closeEmailWizard);
  const reasonId = useId();
  if (!wizard) return null;
  const step = EMAIL_STEPS[wizard.step];
  const sending = step?.id === 'send';
  const result = step?.id === 'result';
  const blocked = result || sending ? null : nextBlocked(wizard);
  const backDisabled = wizard.step === 0 || sending || (result && wizard.sent !== null);
  return (
    <Dialog
      key={wizard.step}
      title={`Submit by email: ${step?.title ?? ''}`}
      onClose={close}
      size="large"
      footer={
        <>
          <span className="footer-status" id={reasonId}>
            Step {wizard.step + 1} of {EMAIL_STEPS.length}
            {blocked ? ` — ${blocked}` : ''}
          </span>
          <button type="button" disabled={backDisabled || wizard.busy} onClick={back}>
            Back
          </button>
          {result && wizard.sendError ? (
            <button type="button" onClick={retry}>
              Retry
            </button>
          ) : null}
          {result ? (
            <button type="button" disabled={wizard.sent === null} onClick={close}>
              Finish
            </button>
          ) : (
            <button
              type="button"
              disabled={blocked !== null || sending}
              aria-describedby={blocked ? reasonId : undefined}
              onClick={next}
            >
              {step?.id === 'review' ? 'Send' : 'Next'}
            </button>
          )}
          <button
            type="button"
            disabled={sending || (result && wizard.sent !== null)}
            onClick={close}
          >
            Cancel
          </button>
        </>
      }
    >
      <Step wizard={wizard} />
    </Dialog>
  );
}
