/**
 * First-run setup, page by page as the guide's installer asks: setup type, quarantine storage,
 * customer information (all required), gateway address (or the analysis mailbox for email-based
 * servers), alerts; then Finish calls `server.setup`. Back, Next, Cancel and Finish.
 */
import { useId, type ReactNode } from 'react';
import { Dialog } from '../../components/Dialog.js';
import {
  WIZARD_PAGES,
  wizardPageIssues,
  type WizardState,
  type WizardValues,
} from '../../store/wizard-slice.js';
import { useApp } from '../../store/store.js';

type TextKey = {
  [K in keyof WizardValues]: WizardValues[K] extends string ? K : never;
}[keyof WizardValues];

function TextField({
  wizard,
  name,
  path,
  label,
  help,
  unit,
}: {
  wizard: WizardState;
  name: TextKey;
  path: string;
  label: string;
  help?: string;
  unit?: string;
}): ReactNode {
  const id = useId();
  const setValue = useApp((s) => s.setWizardValue);
  // Problems show once something was typed, or after Next was refused.
  const shown = wizard.error !== null || wizard.values[name] !== '';
  const issue =
    (shown ? wizardPageIssues(wizard.page, wizard.values, wizard.base)[path] : undefined) ??
    wizard.serverIssues[path];
  return (
    <div className="config-field">
      <label htmlFor={id}>{label}</label>
      <div className="field-input">
        <input
          id={id}
          value={wizard.values[name]}
          aria-invalid={issue ? true : undefined}
          aria-describedby={
            [help ? `${id}-help` : '', issue ? `${id}-error` : ''].filter(Boolean).join(' ') ||
            undefined
          }
          onChange={(e) => setValue(name, e.target.value)}
        />
        {unit ? <span className="unit">{unit}</span> : null}
      </div>
      {help ? (
        <p id={`${id}-help`} className="field-help">
          {help}
        </p>
      ) : null}
      {issue ? (
        <p id={`${id}-error`} className="field-error">
          {issue}
        </p>
      ) : null}
    </div>
  );
}

function Page({ wizard }: { wizard: WizardState }): ReactNode {
  const setValue = useApp((s) => s.setWizardValue);
  const v = wizard.values;
  switch (WIZARD_PAGES[wizard.page]?.id) {
    case 'type':
      return (
        <fieldset>
          <legend>How should samples reach analysis?</legend>
          <label className="choice">
            <input
              type="radio"
              name="setup-type"
              checked={v.setupType === 'internet'}
              onChange={() => setValue('setupType', 'internet')}
            />{' '}
            Internet-based (recommended)
            <span className="field-help">
              The server sends samples to the analysis gateway by itself and installs the
              definitions that come back.
            </span>
          </label>
          <label className="choice">
            <input
              type="radio"
              name="setup-type"
              checked={v.setupType === 'email'}
              onChange={() => setValue('setupType', 'email')}
            />{' '}
            Email-based
            <span className="field-help">
              An administrator sends samples by email with the Scan and Deliver wizard and imports
              the definitions returned.
            </span>
          </label>
          <p className="hint">
            The setup type cannot be changed later without setting up a new server.
          </p>
        </fieldset>
      );
    case 'storage':
      return (
        <>
          <TextField
            wizard={wizard}
            name="quarantineFolder"
            path="general.quarantineFolder"
            label="Quarantine folder"
            help="Where stored samples are kept; leave empty for the quarantine folder inside the server's data folder. A change takes effect when the server next starts."
          />
          <TextField
            wizard={wizard}
            name="maxSizeMB"
            path="general.maxSizeMB"
            label="Maximum disk space"
            unit="MB"
            help="The most space all stored samples may take together (500 MB unless you choose otherwise)."
          />
        </>
      );
    case 'customer':
      return (
        <>
          <p className="hint">
            Analysts use these details to reach you about your samples. Every field is required.
          </p>
          <TextField
            wizard={wizard}
            name="company"
            path="customerInformation.company"
            label="Company"
          />
          <TextField
            wizard={wizard}
            name="account"
            path="customerInformation.account"
            label="Account number"
          />
          <TextField
            wizard={wizard}
            name="contactName"
            path="customerInformation.contactName"
            label="Contact name"
          />
          <TextField
            wizard={wizard}
            name="telephone"
            path="customerInformation.telephone"
            label="Contact telephone"
          />
          <TextField
            wizard={wizard}
            name="email"
            path="customerInformation.email"
            label="Contact email"
          />
        </>
      );
    case 'communication':
      return v.setupType === 'internet' ? (
        <TextField
          wizard={wizard}
          name="gatewayUrl"
          path="webCommunication.gatewayUrl"
          label="Gateway address"
          help="The analysis gateway this server submits samples to; keep the default unless you were given another address."
        />
      ) : (
        <TextField
          wizard={wizard}
          name="submissionAddress"
          path="email.submissionAddress"
          label="Analysis mailbox"
          help="The email address samples are sent to for analysis."
        />
      );
    case 'alerts':
      return (
        <>
          <label className="choice">
            <input
              type="checkbox"
              checked={v.alertsEnabled}
              onChange={(e) => setValue('alertsEnabled', e.target.checked)}
            />{' '}
            Enable alerts
          </label>
          <TextField
            wizard={wizard}
            name="smtpHost"
            path="alerting.smtp.host"
            label="SMTP server for alert mail"
            help="Leave empty to show alerts in the console and the logs only."
          />
        </>
      );
    default:
      return (
        <dl className="facts">
          <dt>Setup type</dt>
          <dd>{v.setupType === 'internet' ? 'Internet-based' : 'Email-based'}</dd>
          <dt>Quarantine folder</dt>
          <dd>{v.quarantineFolder || '(inside the data folder)'}</dd>
          <dt>Maximum disk space</dt>
          <dd>{v.maxSizeMB} MB</dd>
          <dt>Customer</dt>
          <dd>
            {v.company}, account {v.account}; {v.contactName}, {v.telephone}, {v.email}
          </dd>
          <dt>{v.setupType === 'internet' ? 'Gateway' : 'Analysis mailbox'}</dt>
          <dd>{v.setupType === 'internet' ? v.gatewayUrl : v.submissionAddress}</dd>
          <dt>Alerts</dt>
          <dd>
            {v.alertsEnabled ? 'On' : 'Off'}
            {v.smtpHost ? `, mail through ${v.smtpHost}` : ''}
          </dd>
        </dl>
      );
  }
}

/** The setup wizard. */
export function SetupWizard(): ReactNode {
  const wizard = useApp((s) => s.wizard);
  const server = useApp((s) => s.servers.find((e) => e.id === s.wizard?.serverId));
  const next = useApp((s) => s.wizardNext);
  const back = useApp((s) => s.wizardBack);
  const finish = useApp((s) => s.finishWizard);
  const cancel = useApp((s) => s.cancelWizard);
  if (!wizard) return null;
  const page = WIZARD_PAGES[wizard.page];
  const last = wizard.page === WIZARD_PAGES.length - 1;
  return (
    <Dialog
      key={wizard.page}
      title={`Set up ${server?.label ?? 'the server'}: ${page?.title ?? ''}`}
      onClose={cancel}
      size="medium"
      footer={
        <>
          <span className="footer-status">
            Step {wizard.page + 1} of {WIZARD_PAGES.length}
          </span>
          <button type="button" disabled={wizard.page === 0 || wizard.busy} onClick={back}>
            Back
          </button>
          {last ? (
            <button type="button" disabled={wizard.busy} onClick={() => void finish()}>
              Finish
            </button>
          ) : (
            <button type="button" onClick={next}>
              Next
            </button>
          )}
          <button type="button" onClick={cancel}>
            Cancel
          </button>
        </>
      }
    >
      <Page wizard={wizard} />
      {wizard.error ? (
        <p className="error-text" role="alert">
          {wizard.error}
        </p>
      ) : null}
    </Dialog>
  );
}
