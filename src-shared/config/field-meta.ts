/**
 * What the server Properties dialog shows for each setting: a label, the unit of the value as
 * displayed, and a one-line help text. Keyed by the dotted path of the field in Config.
 */
import { ALERT_EVENTS, type AlertEventId } from '../catalog/events.js';
import { READ_ONLY_PATHS } from './patch.js';
import type { ConfigFieldPath } from './schema.js';
import { SECRET_PATHS } from './secrets.js';

/**
 * How a value is shown. `secondsAsMinutes`: stored in seconds, displayed and edited in minutes
 * (where the guide speaks in minutes); `seconds`: stored and shown in seconds.
 */
export type ConfigFieldUnit =
  'megabytes' | 'percent' | 'samples' | 'attempts' | 'seconds' | 'secondsAsMinutes';

/** Display information of one setting. */
export interface ConfigFieldMeta {
  readonly label: string;
  readonly help: string;
  readonly unit?: ConfigFieldUnit;
  /** Shown as a password box; config.get returns it masked. */
  readonly secret?: boolean;
  /** Shown but not editable. */
  readonly readOnly?: boolean;
}

type EventFieldPath = Extract<ConfigFieldPath, `alerting.events.${string}`>;
type StaticFieldPath = Exclude<ConfigFieldPath, EventFieldPath>;

const tlsFields = (prefix: 'general.tls' | 'general.controlTls', who: string) =>
  ({
    [`${prefix}.enabled`]: {
      label: 'Use TLS',
      help: `Require ${who} to connect over TLS.`,
    },
    [`${prefix}.certFile`]: {
      label: 'Certificate file',
      help: `PEM certificate (with its chain) that the server presents to ${who}.`,
    },
    [`${prefix}.keyFile`]: {
      label: 'Private key file',
      help: 'PEM private key that belongs to the certificate.',
    },
  }) as Record<`${typeof prefix}.${'enabled' | 'certFile' | 'keyFile'}`, ConfigFieldMeta>;

const smtpFields = (prefix: 'alerting.smtp' | 'email.smtp', purpose: string) =>
  ({
    [`${prefix}.host`]: {
      label: 'SMTP server',
      help: `Host name or address of the mail server used ${purpose}.`,
    },
    [`${prefix}.port`]: {
      label: 'SMTP port',
      help: 'Port of the mail server: usually 25 or 587, or 465 with implicit TLS.',
    },
    [`${prefix}.secure`]: {
      label: 'Implicit TLS',
      help: 'Open the connection with TLS right away (port 465); off still upgrades with STARTTLS when offered.',
    },
    [`${prefix}.user`]: {
      label: 'SMTP user name',
      help: 'Account to log in to the mail server with; empty sends without logging in.',
    },
    [`${prefix}.password`]: {
      label: 'SMTP password',
      help: 'Password of the SMTP account.',
    },
  }) as Record<
    `${typeof prefix}.${'host' | 'port' | 'secure' | 'user' | 'password'}`,
    ConfigFieldMeta
  >;

const STATIC_FIELDS: Record<StaticFieldPath, ConfigFieldMeta> = {
  setupType: {
    label: 'Setup type',
    help: 'Whether samples go to analysis automatically over the Internet or by email through the wizard; fixed at setup.',
  },
  serverName: {
    label: 'Server name',
    help: 'Name of this server in the console tree; empty uses the host name.',
  },
  'general.quarantineFolder': {
    label: 'Quarantine folder',
    help: "Folder that holds the stored sample content; empty uses the server data folder's quarantine subfolder.",
  },
  'general.maxSizeMB': {
    label: 'Maximum size',
    unit: 'megabytes',
    help: 'Total space all stored samples may take; new samples that would exceed it are refused.',
  },
  'general.maxSampleSizeMB': {
    label: 'Maximum sample size',
    unit: 'megabytes',
    help: 'Largest single file an endpoint may forward.',
  },
  'general.maxSamplesPerPlatform': {
    label: 'Maximum samples per endpoint',
    unit: 'samples',
    help: 'Most samples kept from one endpoint (same X-Platform-Correlator); 0 means no limit.',
  },
  'general.listenAddress': {
    label: 'Listen address',
    help: 'Address the endpoint and console listeners bind to; 127.0.0.1 serves only this computer, 0.0.0.0 or :: every network.',
  },
  'general.port': {
    label: 'Endpoint port',
    help: 'TCP port on which endpoints forward samples; 0 picks a free port at start.',
  },
  ...tlsFields('general.tls', 'endpoints'),
  'general.controlEnabled': {
    label: 'Allow remote consoles',
    help: 'Accept consoles from other computers over TCP; a console on this computer always uses the local socket.',
  },
  'general.controlPort': {
    label: 'Console port',
    help: 'TCP port for remote consoles; 0 picks a free port at start.',
  },
  ...tlsFields('general.controlTls', 'remote consoles'),
  'general.consoleAutoRefreshSeconds': {
    label: 'Console auto-refresh',
    unit: 'seconds',
    help: 'How often attached consoles reload their lists on top of live updates; 0 turns it off.',
  },
  'general.lowQuotaPercent': {
    label: 'Low quota warning',
    unit: 'percent',
    help: 'Warn that the quarantine is filling up once less than this share of the maximum size is free.',
  },
  'general.scanner.engine': {
    label: 'Scanning engine',
    help: 'builtin needs nothing installed; clamd hands scanning to a running ClamAV daemon.',
  },
  'general.scanner.clamdAddress': {
    label: 'clamd address',
    help: 'Unix socket path or host:port of the ClamAV daemon (used with the clamd engine).',
  },
  'webCommunication.gatewayUrl': {
    label: 'Gateway URL',
    help: 'Address of the analysis gateway that receives samples and supplies definitions.',
  },
  'webCommunication.secureSubmission': {
    label: 'Secure submission',
    help: 'Send samples to the gateway over HTTPS.',
  },
  'webCommunication.secureDownload': {
    label: 'Secure download',
    help: 'Fetch definitions from the gateway over HTTPS.',
  },
  'webCommunication.caFile': {
    label: 'Trusted CA file',
    help: "PEM file of the authority that signed the gateway's certificate; empty trusts the system's authorities.",
  },
  'webCommunication.customerIdentifier': {
    label: 'Customer identifier',
    help: 'Service class and customer number the gateway knows this organisation by.',
  },
  'webCommunication.customerCredentials': {
    label: 'Customer credentials',
    help: 'Secret that proves the customer identifier to the gateway.',
  },
  'firewall.proxyHost': {
    label: 'Proxy host',
    help: 'Name or address of the HTTP proxy to reach the gateway through; empty connects directly.',
  },
  'firewall.proxyPort': {
    label: 'Proxy port',
    help: 'Port of the proxy; required when a proxy host is given.',
  },
  'firewall.proxyUser': {
    label: 'Proxy user name',
    help: 'Account for proxies that ask for a login; empty sends none.',
  },
  'firewall.proxyPassword': {
    label: 'Proxy password',
    help: 'Password of the proxy account.',
  },
  'samplePolicy.automaticSubmission': {
    label: 'Automatic sample submission',
    help: 'Queue samples the server cannot fix for analysis without waiting for an administrator.',
  },
  'samplePolicy.queueCheckIntervalSeconds': {
    label: 'Queue check interval',
    unit: 'seconds',
    help: 'How often the quarantine is looked through for samples waiting to be sent.',
  },
  'samplePolicy.stripUserData': {
    label: 'Strip user data',
    help: 'Remove document content that may be confidential and send only what analysis needs.',
  },
  'samplePolicy.statusQueryIntervalSeconds': {
    label: 'Status query interval',
    unit: 'secondsAsMinutes',
    help: 'How often the gateway is asked about samples it is still analysing.',
  },
  'definitionPolicy.activeSequence': {
    label: 'Active sequence number',
    help: 'Sequence of the definitions set the server uses now; a higher number replaces a lower one.',
  },
  'definitionPolicy.certifiedDefinitionsIntervalSeconds': {
    label: 'Certified definitions interval',
    unit: 'secondsAsMinutes',
    help: 'How often the gateway is polled for a newer certified definitions set.',
  },
  'installDefinitions.certified.toSelectedTargets': {
    label: 'Certified: install on selected targets',
    help: 'Push each new certified set to the computers listed below.',
  },
  'installDefinitions.certified.targets': {
    label: 'Certified: targets',
    help: 'Computers that receive every certified set.',
  },
  'installDefinitions.nonCertified.toSelectedClients': {
    label: 'Non-certified: install on infected clients',
    help: 'Push a set built for a sample to the endpoints where that sample was found.',
  },
  'installDefinitions.nonCertified.toServersOfSelectedClients': {
    label: 'Non-certified: install on their servers',
    help: 'Also push it to the managing server of each of those endpoints.',
  },
  'installDefinitions.nonCertified.toSelectedTargets': {
    label: 'Non-certified: install on selected targets',
    help: 'Also push it to the computers listed below.',
  },
  'installDefinitions.nonCertified.targets': {
    label: 'Non-certified: targets',
    help: 'Computers that receive every non-certified set.',
  },
  'installDefinitions.deliveryRetryIntervalSeconds': {
    label: 'Delivery retry interval',
    unit: 'secondsAsMinutes',
    help: 'Wait between attempts to deliver definitions to a computer that could not be reached.',
  },
  'installDefinitions.deliveryMaxAttempts': {
    label: 'Delivery attempts',
    unit: 'attempts',
    help: 'Attempts per computer before its delivery is given up and marked not installed.',
  },
  'customerInformation.company': {
    label: 'Company',
    help: 'Organisation that owns this server (required).',
  },
  'customerInformation.account': {
    label: 'Account number',
    help: 'Customer account number with the analysis service (required).',
  },
  'customerInformation.contactName': {
    label: 'Contact name',
    help: 'Person analysts may contact about submitted samples (required).',
  },
  'customerInformation.telephone': {
    label: 'Contact telephone',
    help: 'Telephone number of that person (required).',
  },
  'customerInformation.email': {
    label: 'Contact email',
    help: 'Email address of that person; also the default sender of mail (required).',
  },
  'alerting.enabled': {
    label: 'Enable alerts',
    help: 'Raise alerts at all; they are always written to the Quarantine Log regardless.',
  },
  ...smtpFields('alerting.smtp', 'for alert mail'),
  'alerting.smtp.from': {
    label: 'Sender address',
    help: 'From address of alert mail; empty uses the contact email.',
  },
  'alerting.smtp.to': {
    label: 'Recipients',
    help: 'Addresses that receive alerts sent by email.',
  },
  'alerting.syslog': {
    label: 'System event log',
    help: 'Allow alerts to be written to the Windows Event Log or to syslog.',
  },
  'email.submissionAddress': {
    label: 'Submission address',
    help: 'Mailbox of the analysis service that samples are emailed to.',
  },
  'email.from': {
    label: 'Sender address',
    help: 'From address of submissions; empty uses the contact email.',
  },
  ...smtpFields('email.smtp', 'to send samples'),
};

const eventFields = (id: AlertEventId, name: string) =>
  ({
    [`alerting.events.${id}.enabled`]: {
      label: name,
      help: `Raise the "${name}" alert.`,
    },
    [`alerting.events.${id}.timeoutSeconds`]: {
      label: 'Timeout',
      unit: 'secondsAsMinutes',
      help: 'How long the condition must last before the alert is raised; 0 raises it at once.',
    },
    [`alerting.events.${id}.channels.console`]: {
      label: 'Console',
      help: 'Show a notification in attached consoles and count it on the tray icon.',
    },
    [`alerting.events.${id}.channels.email`]: {
      label: 'Email',
      help: 'Mail the alert to the recipients of the SMTP settings.',
    },
    [`alerting.events.${id}.channels.eventLog`]: {
      label: 'Event log',
      help: 'Write the alert to the system event log.',
    },
  }) as Record<Extract<EventFieldPath, `alerting.events.${typeof id}.${string}`>, ConfigFieldMeta>;

// Event rows come from the catalog so a new event gets its fields without touching this file.
const EVENT_FIELDS = Object.assign(
  {},
  ...ALERT_EVENTS.map((event) => eventFields(event.id, event.name)),
) as Record<EventFieldPath, ConfigFieldMeta>;

function withFlags(
  fields: Record<ConfigFieldPath, ConfigFieldMeta>,
): Readonly<Record<ConfigFieldPath, ConfigFieldMeta>> {
  const out = { ...fields };
  for (const path of SECRET_PATHS) out[path] = { ...out[path], secret: true };
  for (const path of READ_ONLY_PATHS) out[path] = { ...out[path], readOnly: true };
  return out;
}

/** Label, unit and help of every setting, keyed by its dotted path. */
export const CONFIG_FIELDS = withFlags({ ...STATIC_FIELDS, ...EVENT_FIELDS });
