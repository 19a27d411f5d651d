/**
 * The server configuration of SPEC §11: one JSON object, the same keys in the config file and in
 * `config.set`. Every field has bounds and a default, so `{}` parses to a complete configuration
 * (DEFAULT_CONFIG). Defaults marked "guide" are the administrator's guide's; the rest are ours.
 */
import { z } from 'zod';
import { ALERT_EVENT_IDS, type AlertEventId } from '../catalog/events.js';
import { ALERT_EVENT_DEFAULTS, type AlertEventDefault } from './alert-defaults.js';
import { ConfigError, toConfigIssues, type ConfigResult } from './issues.js';
import type { LeafPath } from './paths.js';
import {
  MAX_ALERT_TIMEOUT_SECONDS,
  asciiText,
  emailAddress,
  emailList,
  filePath,
  flag,
  host,
  int,
  intervalSeconds,
  port,
  secret,
  smtpServerShape,
  targetList,
  text,
  tlsSettings,
} from './primitives.js';

/** How samples reach analysis; chosen at setup, never changed by `config.set` (SPEC §9). */
export const SETUP_TYPES = ['internet', 'email'] as const;

/** Internet-based or email-based Scan and Deliver. */
export type SetupType = (typeof SETUP_TYPES)[number];

/** Scanning engines of SPEC §6. */
export const SCANNER_ENGINES = ['builtin', 'clamd'] as const;

/** The top-level sections, in the order of the server Properties tabs. */
export const CONFIG_SECTIONS = [
  'general',
  'webCommunication',
  'firewall',
  'samplePolicy',
  'definitionPolicy',
  'installDefinitions',
  'customerInformation',
  'alerting',
  'email',
] as const;

/**
 * The customer a fresh server presents to the gateway. The reference gateway accepts it (with
 * empty credentials) from loopback only, so a new installation works end to end on one host.
 */
export const DEFAULT_CUSTOMER_IDENTIFIER = '000000-LOOPBACKgold 0000000000000000';

const MB_LIMIT = 1_000_000; // 1 TB expressed in MB: far above any real quarantine.

/** General tab: storage, listeners, console refresh. */
export const GeneralSchema = z
  .strictObject({
    /** '' = the `quarantine` folder inside the server's data directory. */
    quarantineFolder: filePath().default(''),
    maxSizeMB: int(1, MB_LIMIT).default(500), // guide: 500 MB
    maxSampleSizeMB: int(1, MB_LIMIT).default(100),
    /** Per X-Platform-Correlator, so one noisy endpoint cannot fill the quarantine; 0 = no limit. */
    maxSamplesPerPlatform: int(0, MB_LIMIT).default(1000),
    /** Loopback by default: a fresh server is reachable only from its own host until opened. */
    listenAddress: host(false).default('127.0.0.1'),
    /** 0 = any free port (the listener prints the one it got). */
    port: port(0).default(8847),
    tls: tlsSettings(),
    /** TCP listener for remote consoles; local consoles use the node-ipc socket regardless. */
    controlEnabled: flag().default(true),
    /** 0 = any free port, as for `port`. */
    controlPort: port(0).default(8850),
    controlTls: tlsSettings(),
    /** 0 = off: the console then relies on pushed events alone. */
    consoleAutoRefreshSeconds: int(0, 86_400).default(60),
    /** "Disk quota remaining is low" fires when less than this share of maxSizeMB is left. */
    lowQuotaPercent: int(1, 99).default(10),
    scanner: z
      .strictObject({
        engine: z
          .enum(SCANNER_ENGINES, { error: "must be 'builtin' or 'clamd'" })
          .default('builtin'),
        /** A Unix socket path or host:port; the default is Debian's clamd socket. */
        clamdAddress: text(4096)
          .min(1, { error: 'must not be empty' })
          .default('/var/run/clamav/clamd.ctl'),
      })
      .prefault({}),
  })
  .superRefine((g, ctx) => {
    if (g.controlEnabled && g.port !== 0 && g.port === g.controlPort) {
      ctx.addIssue({ code: 'custom', path: ['controlPort'], message: 'must differ from port' });
    }
  });

// z.url() alone accepts `http:///x` and embedded user:password; both are refused here.
const GATEWAY_URL = /^https?:\/\/[^/@\s?#]+(?:[/?#]\S*)?$/i;
const gatewayUrl = () =>
  z
    .url({ protocol: /^https?$/, hostname: /^.+$/, error: 'must be an http:// or https:// URL' })
    .max(2048, { error: 'must be at most 2048 characters' })
    .refine((v) => GATEWAY_URL.test(v), {
      error: 'must be an http:// or https:// URL with a host and no user name or password',
    });

/** Web Communication tab: where and how the agent talks to the gateway. */
export const WebCommunicationSchema = z.strictObject({
  gatewayUrl: gatewayUrl().default('http://127.0.0.1:8848'),
  secureSubmission: flag().default(false),
  secureDownload: flag().default(false),
  /** '' = the system's trusted certificate authorities. */
  caFile: filePath().default(''),
  customerIdentifier: asciiText(63).default(DEFAULT_CUSTOMER_IDENTIFIER), // X-Customer-Identifier
  customerCredentials: asciiText(1024).default(''),
});

/** Firewall tab: an optional HTTP proxy between the agent and the gateway. */
export const FirewallSchema = z
  .strictObject({
    /** '' = connect directly. */
    proxyHost: host(true).default(''),
    /** 0 = none (only valid without a proxy host). */
    proxyPort: port(0).default(0),
    proxyUser: text(255).default(''),
    proxyPassword: secret().default(''),
  })
  .superRefine((f, ctx) => {
    if (f.proxyHost !== '' && f.proxyPort === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['proxyPort'],
        message: 'required (1-65535) when a proxy host is set',
      });
    }
  });

/** Sample Policy tab. */
export const SamplePolicySchema = z.strictObject({
  automaticSubmission: flag().default(true), // guide: on
  queueCheckIntervalSeconds: intervalSeconds().default(60),
  stripUserData: flag().default(false),
  statusQueryIntervalSeconds: intervalSeconds().default(3600), // guide: every 60 minutes
});

/** Definition Policy tab. */
export const DefinitionPolicySchema = z.strictObject({
  /** Read-only: set by installing definitions, never by `config.set`; 0 = none installed. */
  activeSequence: int(0, 99_999_999).default(0), // package names carry 8 digits
  certifiedDefinitionsIntervalSeconds: intervalSeconds().default(28_800), // guide: 3 a day, 480 min
});

/** Install Definitions tab: who receives certified and non-certified sets automatically. */
export const InstallDefinitionsSchema = z.strictObject({
  certified: z
    .strictObject({
      toSelectedTargets: flag().default(true),
      targets: targetList().default(() => []),
    })
    .prefault({}),
  nonCertified: z
    .strictObject({
      /** The endpoints where the threat was found. */
      toSelectedClients: flag().default(true),
      toServersOfSelectedClients: flag().default(false),
      toSelectedTargets: flag().default(false),
      targets: targetList().default(() => []),
    })
    .prefault({}),
  /** Every 30 min, 48 attempts: an endpoint has a day to come back before `notinstalled`. */
  deliveryRetryIntervalSeconds: intervalSeconds().default(1800),
  deliveryMaxAttempts: int(1, 10_000).default(48),
});

/**
 * Customer Information tab. Every field is required for a complete setup, but '' is stored
 * while a server is not set up yet (see `getSetupIssues`). 255 = the X-Customer-* limit.
 */
export const CustomerInformationSchema = z.strictObject({
  company: text(255).default(''),
  account: text(255).default(''),
  contactName: text(255).default(''),
  telephone: text(255).default(''),
  email: emailAddress().default(''),
});

/** An SMTP server (alert mail, email Scan and Deliver, the wizard's custom server). */
export const SmtpServerSchema = z.strictObject(smtpServerShape());

function alertEventSchema(defaults: AlertEventDefault) {
  return z
    .strictObject({
      enabled: flag().default(defaults.enabled),
      /** Stored in seconds, shown in minutes; 0 = at once. */
      timeoutSeconds: int(0, MAX_ALERT_TIMEOUT_SECONDS).default(defaults.timeoutSeconds),
      channels: z
        .strictObject({
          console: flag().default(true),
          email: flag().default(defaults.email),
          eventLog: flag().default(true),
        })
        .prefault({}),
    })
    .prefault({});
}

// One schema per event so each carries its own defaults; keyed by every catalog id.
const alertEventsShape = Object.fromEntries(
  ALERT_EVENT_IDS.map((id) => [id, alertEventSchema(ALERT_EVENT_DEFAULTS[id])]),
) as Record<AlertEventId, ReturnType<typeof alertEventSchema>>;

/** Alerting tab: mail settings, system event log, and one entry per alert event. */
export const AlertingSchema = z.strictObject({
  enabled: flag().default(true),
  smtp: z
    .strictObject({
      ...smtpServerShape(),
      /** '' = the Customer Information contact email. */
      from: emailAddress().default(''),
      to: emailList(100).default(() => []),
    })
    .prefault({}),
  /** Master switch of the event-log channel (Windows Event Log, syslog elsewhere). */
  syslog: flag().default(true),
  events: z.strictObject(alertEventsShape).prefault({}),
});

/** Email-based Scan and Deliver (SPEC §9). */
export const EmailSchema = z.strictObject({
  submissionAddress: emailAddress().default(''),
  /** '' = the Customer Information contact email. */
  from: emailAddress().default(''),
  smtp: SmtpServerSchema.prefault({}),
});

/** The whole server configuration. */
export const ConfigSchema = z.strictObject({
  setupType: z.enum(SETUP_TYPES, { error: "must be 'internet' or 'email'" }).default('internet'), // guide: Internet based (recommended)
  /** Name shown in the console tree; '' = the host's name. */
  serverName: text(255).default(''),
  general: GeneralSchema.prefault({}),
  webCommunication: WebCommunicationSchema.prefault({}),
  firewall: FirewallSchema.prefault({}),
  samplePolicy: SamplePolicySchema.prefault({}),
  definitionPolicy: DefinitionPolicySchema.prefault({}),
  installDefinitions: InstallDefinitionsSchema.prefault({}),
  customerInformation: CustomerInformationSchema.prefault({}),
  alerting: AlertingSchema.prefault({}),
  email: EmailSchema.prefault({}),
});

/** A complete, valid server configuration. */
export type Config = z.output<typeof ConfigSchema>;

/** What a config file may contain: any subset of Config (the rest takes defaults). */
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Customer Information as stored. */
export type CustomerInformation = Config['customerInformation'];

/** One SMTP server's settings. */
export type SmtpServer = z.output<typeof SmtpServerSchema>;

/** Settings of one alert event. */
export type AlertEventConfig = Config['alerting']['events'][AlertEventId];

/** Dotted path of any leaf of Config (`general.tls.enabled`, `alerting.smtp.to`). */
export type ConfigFieldPath = LeafPath<Config>;

/** Check a configuration (missing fields take defaults); every problem is reported. */
export function safeParseConfig(json: unknown): ConfigResult<Config> {
  const result = ConfigSchema.safeParse(json);
  return result.success
    ? { ok: true, config: result.data }
    : { ok: false, issues: toConfigIssues(result.error) };
}

/** Parse a configuration or throw a ConfigError listing every problem as `path: message`. */
export function parseConfig(json: unknown): Config {
  const result = safeParseConfig(json);
  if (!result.ok) throw new ConfigError(result.issues);
  return result.config;
}
