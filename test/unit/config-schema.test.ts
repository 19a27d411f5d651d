import { describe, expect, it } from 'vitest';
import { ALERT_EVENT_IDS } from '../../src-shared/catalog/events.js';
import { createDefaultConfig, DEFAULT_CONFIG } from '../../src-shared/config/defaults.js';
import { ConfigError } from '../../src-shared/config/issues.js';
import { getAtPath } from '../../src-shared/config/paths.js';
import { parseConfig, safeParseConfig } from '../../src-shared/config/schema.js';

const MINUTE = 60;
const HOUR = 60 * MINUTE;

describe('default configuration', () => {
  it('is what an empty config file parses to, and parses back to itself', () => {
    expect(parseConfig({})).toEqual(DEFAULT_CONFIG);
    expect(parseConfig(JSON.parse(JSON.stringify(DEFAULT_CONFIG)))).toEqual(DEFAULT_CONFIG);
  });

  it('is frozen, while createDefaultConfig returns a fresh copy', () => {
    expect(Object.isFrozen(DEFAULT_CONFIG.general.tls)).toBe(true);
    const copy = createDefaultConfig();
    copy.general.port = 1;
    expect(DEFAULT_CONFIG.general.port).toBe(8847);
  });

  it.each([
    // the guide's defaults
    ['general.maxSizeMB', 500],
    ['general.port', 8847],
    ['samplePolicy.automaticSubmission', true],
    ['samplePolicy.statusQueryIntervalSeconds', 60 * MINUTE],
    ['definitionPolicy.certifiedDefinitionsIntervalSeconds', 480 * MINUTE],
    ['setupType', 'internet'],
    // this project's choices
    ['general.listenAddress', '127.0.0.1'],
    ['general.controlPort', 8850],
    ['general.maxSampleSizeMB', 100],
    ['general.maxSamplesPerPlatform', 1000],
    ['general.tls.enabled', false],
    ['webCommunication.gatewayUrl', 'http://127.0.0.1:8848'],
    ['webCommunication.secureSubmission', false],
    ['definitionPolicy.activeSequence', 0],
    ['installDefinitions.certified.toSelectedTargets', true],
    ['installDefinitions.nonCertified.toSelectedClients', true],
    ['installDefinitions.nonCertified.toServersOfSelectedClients', false],
    ['installDefinitions.deliveryRetryIntervalSeconds', 30 * MINUTE],
    ['alerting.enabled', true],
    ['alerting.smtp.port', 25],
    ['customerInformation.company', ''],
  ])('%s defaults to %j', (path, expected) => {
    expect(getAtPath(DEFAULT_CONFIG, path)).toEqual(expected);
  });

  it('has exactly one alert entry per catalog event', () => {
    expect(Object.keys(DEFAULT_CONFIG.alerting.events).sort()).toEqual([...ALERT_EVENT_IDS].sort());
  });

  it.each(ALERT_EVENT_IDS)('alert event %s is enabled with console and event log on', (id) => {
    const event = DEFAULT_CONFIG.alerting.events[id];
    expect(event.enabled).toBe(true);
    expect(event.channels.console).toBe(true);
    expect(event.channels.eventLog).toBe(true);
    expect(event.timeoutSeconds).toBeGreaterThanOrEqual(0);
  });

  it.each(ALERT_EVENT_IDS.filter((id) => id.startsWith('sampleTooLong')))(
    '"too long" event %s waits at least two hours',
    (id) => {
      expect(DEFAULT_CONFIG.alerting.events[id].timeoutSeconds).toBeGreaterThanOrEqual(2 * HOUR);
    },
  );

  it.each([
    'cannotInstallDefinitions',
    'sampleProcessingError',
    'newCertifiedDefinitions',
  ] as const)('occurrence event %s fires at once', (id) => {
    expect(DEFAULT_CONFIG.alerting.events[id].timeoutSeconds).toBe(0);
  });
});

describe('parseConfig', () => {
  it('fills what a partial file leaves out', () => {
    const config = parseConfig({
      setupType: 'email',
      general: { port: 0, tls: { enabled: true, certFile: 'c.pem', keyFile: 'k.pem' } },
      alerting: { events: { gatewayUnreachable: { timeoutSeconds: 1 } } },
    });
    expect(config.setupType).toBe('email');
    expect(config.general.port).toBe(0);
    expect(config.general.maxSizeMB).toBe(500);
    expect(config.general.tls.enabled).toBe(true);
    expect(config.alerting.events.gatewayUnreachable).toEqual({
      ...DEFAULT_CONFIG.alerting.events.gatewayUnreachable,
      timeoutSeconds: 1,
    });
  });

  it.each([
    [{ general: { port: 70000 } }, 'general.port', 'at most 65535'],
    [{ general: { port: '8847' } }, 'general.port', 'whole number'],
    [{ general: { port: 1.5 } }, 'general.port', 'whole number'],
    [{ general: { maxSizeMB: 0 } }, 'general.maxSizeMB', 'at least 1'],
    [{ general: { listenAddress: 'not a host' } }, 'general.listenAddress', 'host name'],
    [{ general: { port: 9000, controlPort: 9000 } }, 'general.controlPort', 'differ'],
    [{ general: { tls: { enabled: true } } }, 'general.tls.certFile', 'required when TLS'],
    [
      { general: { controlTls: { enabled: true, certFile: 'c' } } },
      'general.controlTls.keyFile',
      'required',
    ],
    [{ general: { scanner: { engine: 'mcafee' } } }, 'general.scanner.engine', 'builtin'],
    [{ bogus: 1 }, 'bogus', 'unknown setting'],
    [{ general: { colour: 'red' } }, 'general.colour', 'unknown setting'],
    [{ setupType: 'fax' }, 'setupType', "'internet' or 'email'"],
    [{ webCommunication: { gatewayUrl: 'ftp://gw' } }, 'webCommunication.gatewayUrl', 'http'],
    [
      { webCommunication: { gatewayUrl: 'http://u:pw@gw' } },
      'webCommunication.gatewayUrl',
      'password',
    ],
    [
      { webCommunication: { customerIdentifier: 'x'.repeat(64) } },
      'webCommunication.customerIdentifier',
      'at most 63',
    ],
    [
      { webCommunication: { customerCredentials: 'clé' } },
      'webCommunication.customerCredentials',
      'ASCII',
    ],
    [{ firewall: { proxyHost: 'proxy.local' } }, 'firewall.proxyPort', 'proxy host'],
    [
      { customerInformation: { email: 'not-an-address' } },
      'customerInformation.email',
      'valid email',
    ],
    [
      { customerInformation: { company: 'x'.repeat(256) } },
      'customerInformation.company',
      'at most 255',
    ],
    [
      { customerInformation: { contactName: 'Ann\r\nBcc: x@y.z' } },
      'customerInformation.contactName',
      'control characters',
    ],
    [
      { samplePolicy: { statusQueryIntervalSeconds: 0 } },
      'samplePolicy.statusQueryIntervalSeconds',
      'at least 1',
    ],
    [
      { alerting: { events: { gatewayUnreachable: { timeoutSeconds: -1 } } } },
      'alerting.events.gatewayUnreachable.timeoutSeconds',
      'at least 0',
    ],
    [
      { alerting: { events: { noSuchEvent: {} } } },
      'alerting.events.noSuchEvent',
      'unknown setting',
    ],
    [
      { alerting: { smtp: { to: ['ok@example.com', 'bad'] } } },
      'alerting.smtp.to.1',
      'valid email',
    ],
    [
      { installDefinitions: { certified: { targets: [''] } } },
      'installDefinitions.certified.targets.0',
      'empty',
    ],
    ['not an object', '', 'expected object'],
  ])('refuses %j at %s', (input, path, fragment) => {
    const result = safeParseConfig(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const issue = result.issues.find((i) => i.path === path);
    expect(issue, JSON.stringify(result.issues)).toBeDefined();
    expect(issue?.message).toContain(fragment);
  });

  it.each([
    { general: { listenAddress: '::' } },
    { general: { listenAddress: 'quarantine.corp.example' } },
    { general: { controlEnabled: false, port: 9000, controlPort: 9000 } },
    { webCommunication: { gatewayUrl: 'https://[::1]:8848/api' } },
    { alerting: { smtp: { to: ['ops@mailhost'] } } },
    { samplePolicy: { queueCheckIntervalSeconds: 1, statusQueryIntervalSeconds: 1 } },
  ])('accepts %j', (input) => {
    expect(safeParseConfig(input).ok).toBe(true);
  });

  it('throws a ConfigError that lists every problem as path: message', () => {
    let caught: unknown;
    try {
      parseConfig({ general: { port: -1 }, bogus: true });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.issues.map((i) => i.path).sort()).toEqual(['bogus', 'general.port']);
    expect(error.message).toContain('general.port: must be at least 0');
    expect(error.message).toContain('bogus: unknown setting');
  });
});
