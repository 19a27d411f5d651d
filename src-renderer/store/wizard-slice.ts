/**
 * The first-run setup wizard: the installer pages of the guide (setup type, quarantine storage,
 * customer information, gateway or mailbox, alerts) ending in one `server.setup` call. Each
 * page is checked with the shared schema before Next is allowed.
 */
import type { Config, SetupType } from '../../src-shared/config/schema.js';
import { DEFAULT_CONFIG } from '../../src-shared/config/defaults.js';
import { applyConfigPatch } from '../../src-shared/config/patch.js';
import { validateCustomerInformation } from '../../src-shared/config/setup.js';
import { parseServerConfig } from '../lib/config-form.js';
import { describeError, fieldIssues } from '../lib/errors.js';
import type { SliceContext } from './types.js';

/** What the wizard's fields hold. */
export interface WizardValues {
  readonly setupType: SetupType;
  readonly quarantineFolder: string;
  readonly maxSizeMB: string;
  readonly company: string;
  readonly account: string;
  readonly contactName: string;
  readonly telephone: string;
  readonly email: string;
  readonly gatewayUrl: string;
  readonly submissionAddress: string;
  readonly alertsEnabled: boolean;
  readonly smtpHost: string;
}

/** The pages, in order. */
export const WIZARD_PAGES = [
  { id: 'type', title: 'Setup type' },
  { id: 'storage', title: 'Quarantine storage' },
  { id: 'customer', title: 'Customer information' },
  { id: 'communication', title: 'Analysis gateway' },
  { id: 'alerts', title: 'Alerts' },
  { id: 'ready', title: 'Ready to set up' },
] as const;

/** Setting paths each page edits (to put issues on the right page). */
const PAGE_PATHS: readonly (readonly string[])[] = [
  ['setupType'],
  ['general.quarantineFolder', 'general.maxSizeMB'],
  [
    'customerInformation.company',
    'customerInformation.account',
    'customerInformation.contactName',
    'customerInformation.telephone',
    'customerInformation.email',
  ],
  ['webCommunication.gatewayUrl', 'email.submissionAddress'],
  ['alerting.enabled', 'alerting.smtp.host'],
  [],
];

/** The wizard. */
export interface WizardState {
  readonly serverId: string;
  readonly page: number;
  readonly values: WizardValues;
  readonly base: Config;
  readonly busy: boolean;
  readonly error: string | null;
  /** Issues the server reported on Finish, by setting path. */
  readonly serverIssues: Readonly<Record<string, string>>;
}

/** The wizard slice. */
export interface WizardSlice {
  wizard: WizardState | null;
  /** Servers whose wizard was offered this session (it opens by itself only once). */
  setupOffered: Readonly<Record<string, true>>;
  offerSetup: (serverId: string) => void;
  openWizard: (serverId: string) => Promise<void>;
  setWizardValue: <K extends keyof WizardValues>(key: K, value: WizardValues[K]) => void;
  wizardNext: () => void;
  wizardBack: () => void;
  finishWizard: () => Promise<void>;
  cancelWizard: () => void;
}

function initialValues(config: Config): WizardValues {
  const ci = config.customerInformation;
  return {
    setupType: config.setupType,
    quarantineFolder: config.general.quarantineFolder,
    maxSizeMB: String(config.general.maxSizeMB),
    company: ci.company,
    account: ci.account,
    contactName: ci.contactName,
    telephone: ci.telephone,
    email: ci.email,
    gatewayUrl: config.webCommunication.gatewayUrl,
    submissionAddress: config.email.submissionAddress,
    alertsEnabled: config.alerting.enabled,
    smtpHost: config.alerting.smtp.host,
  };
}

/** The `server.setup` patch for the wizard's values. */
export function wizardPatch(values: WizardValues): Record<string, unknown> {
  const size = values.maxSizeMB.trim();
  return {
    general: {
      quarantineFolder: values.quarantineFolder.trim(),
      // A non-number is passed on as text so the schema reports it like any bad value.
      maxSizeMB: /^\d+$/.test(size) ? Number(size) : size,
    },
    customerInformation: {
      company: values.company.trim(),
      account: values.account.trim(),
      contactName: values.contactName.trim(),
      telephone: values.telephone.trim(),
      email: values.email.trim(),
    },
    ...(values.setupType === 'internet'
      ? { webCommunication: { gatewayUrl: values.gatewayUrl.trim() } }
      : { email: { submissionAddress: values.submissionAddress.trim() } }),
    alerting: { enabled: values.alertsEnabled, smtp: { host: values.smtpHost.trim() } },
  };
}

/** Problems on one page, by setting path. */
export function wizardPageIssues(
  page: number,
  values: WizardValues,
  base: Config,
): Record<string, string> {
  const paths = PAGE_PATHS[page] ?? [];
  if (paths.length === 0) return {};
  const issues: Record<string, string> = {};
  const result = applyConfigPatch({ ...base, setupType: values.setupType }, wizardPatch(values));
  if (!result.ok) {
    for (const issue of result.issues) {
      if (paths.includes(issue.path)) issues[issue.path] ??= issue.message;
    }
  }
  if (page === 2) {
    for (const issue of validateCustomerInformation(wizardPatch(values).customerInformation)) {
      issues[`customerInformation.${issue.path}`] ??= issue.message;
    }
  }
  if (page === 3 && values.setupType === 'email' && values.submissionAddress.trim() === '') {
    issues['email.submissionAddress'] ??= 'required for email-based Scan and Deliver';
  }
  return issues;
}

/** The first page with a problem, or -1. */
function firstBadPage(values: WizardValues, base: Config): number {
  return WIZARD_PAGES.findIndex(
    (_page, index) => Object.keys(wizardPageIssues(index, values, base)).length > 0,
  );
}

/** Create the wizard slice. */
export function createWizardSlice({ set, get, api }: SliceContext): WizardSlice {
  const update = (patch: Partial<WizardState>): void => {
    const wizard = get().wizard;
    if (wizard) set({ wizard: { ...wizard, ...patch } });
  };

  return {
    wizard: null,
    setupOffered: {},

    offerSetup(serverId) {
      if (get().setupOffered[serverId] || get().dialog !== null) return;
      set({ setupOffered: { ...get().setupOffered, [serverId]: true } });
      void get().openWizard(serverId);
    },

    async openWizard(serverId) {
      const config = await api.call(serverId, 'config.get', {});
      const base = (config.ok ? parseServerConfig(config.value.config) : null) ?? DEFAULT_CONFIG;
      set({
        wizard: {
          serverId,
          page: 0,
          values: initialValues(base),
          base,
          busy: false,
          error: null,
          serverIssues: {},
        },
      });
      get().openDialog({ kind: 'wizard' });
    },

    setWizardValue(key, value) {
      const wizard = get().wizard;
      if (!wizard) return;
      update({ values: { ...wizard.values, [key]: value }, error: null });
    },

    wizardNext() {
      const wizard = get().wizard;
      if (!wizard) return;
      const issues = wizardPageIssues(wizard.page, wizard.values, wizard.base);
      if (Object.keys(issues).length > 0) {
        update({ error: 'Complete the fields marked on this page first.' });
        return;
      }
      update({ page: Math.min(wizard.page + 1, WIZARD_PAGES.length - 1), error: null });
    },

    wizardBack() {
      const wizard = get().wizard;
      if (wizard) update({ page: Math.max(0, wizard.page - 1), error: null });
    },

    async finishWizard() {
      const wizard = get().wizard;
      if (!wizard) return;
      const bad = firstBadPage(wizard.values, wizard.base);
      if (bad >= 0) {
        update({ page: bad, error: 'Complete the fields marked on this page first.' });
        return;
      }
      update({ busy: true, error: null });
      const result = await api.call(wizard.serverId, 'server.setup', {
        setupType: wizard.values.setupType,
        patch: wizardPatch(wizard.values),
      });
      if (!result.ok) {
        const serverIssues: Record<string, string> = {};
        for (const issue of fieldIssues(result.error)) serverIssues[issue.path] = issue.message;
        const page = PAGE_PATHS.findIndex((paths) => paths.some((p) => p in serverIssues));
        update({
          busy: false,
          error: describeError(result.error),
          serverIssues,
          ...(page >= 0 ? { page } : {}),
        });
        return;
      }
      const serverId = wizard.serverId;
      set({ wizard: null });
      get().closeDialog();
      get().notify('The server is set up.');
      await get().loadInfo(serverId);
      get().refreshList();
    },

    cancelWizard() {
      set({ wizard: null });
      get().closeDialog();
      get().notify('Setup was cancelled; run it from the Action menu when you are ready.');
    },
  };
}
