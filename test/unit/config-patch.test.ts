import { describe, expect, it } from 'vitest';
import { createDefaultConfig, DEFAULT_CONFIG } from '../../src-shared/config/defaults.js';
import {
  applyConfigPatch,
  ConfigPatchSchema,
  findReadOnlyChanges,
} from '../../src-shared/config/patch.js';
import { getAtPath } from '../../src-shared/config/paths.js';
import type { Config } from '../../src-shared/config/schema.js';
import { redactConfig, SECRET_MASK, SECRET_PATHS } from '../../src-shared/config/secrets.js';

/** A configured server: secrets set, targets listed, Customer Information filled in. */
function configuredServer(): Config {
  const config = createDefaultConfig();
  config.webCommunication.customerCredentials = 'cred-0123456789ABCDEF';
  config.firewall = {
    proxyHost: 'proxy.corp',
    proxyPort: 3128,
    proxyUser: 'bob',
    proxyPassword: 'hunter2',
  };
  config.alerting.smtp.password = 'alert-pw';
  config.email.smtp.password = 'mail-pw';
  config.installDefinitions.certified.targets = ['fs01', 'fs02'];
  config.definitionPolicy.activeSequence = 678;
  return config;
}

/** `{ a: { b: value } }` for the path `a.b`. */
function nested(path: string, value: unknown): unknown {
  return path.split('.').reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
}

function expectOk(result: ReturnType<typeof applyConfigPatch>): Config {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.issues)}`);
  return result.config;
}

describe('applyConfigPatch: merging', () => {
  it('changes only the fields in the patch', () => {
    const current = configuredServer();
    const config = expectOk(applyConfigPatch(current, { general: { maxSizeMB: 800 } }));
    expect(config.general.maxSizeMB).toBe(800);
    expect({ ...config, general: { ...config.general, maxSizeMB: 500 } }).toEqual(current);
  });

  it('merges nested objects key by key', () => {
    const config = expectOk(
      applyConfigPatch(configuredServer(), {
        alerting: { events: { gatewayUnreachable: { channels: { email: false } } } },
      }),
    );
    expect(config.alerting.events.gatewayUnreachable).toEqual({
      enabled: true,
      timeoutSeconds: DEFAULT_CONFIG.alerting.events.gatewayUnreachable.timeoutSeconds,
      channels: { console: true, email: false, eventLog: true },
    });
  });

  it('replaces arrays whole', () => {
    const config = expectOk(
      applyConfigPatch(configuredServer(), {
        installDefinitions: { certified: { targets: ['fs03'] } },
      }),
    );
    expect(config.installDefinitions.certified.targets).toEqual(['fs03']);
  });

  it('accepts an empty patch as "no change"', () => {
    const current = configuredServer();
    expect(expectOk(applyConfigPatch(current, {}))).toEqual(current);
  });

  it('accepts read-only fields sent back with their current values', () => {
    const current = configuredServer();
    const config = expectOk(
      applyConfigPatch(current, {
        setupType: 'internet',
        definitionPolicy: { activeSequence: 678, certifiedDefinitionsIntervalSeconds: 60 },
      }),
    );
    expect(config.definitionPolicy).toEqual({
      activeSequence: 678,
      certifiedDefinitionsIntervalSeconds: 60,
    });
  });
});

describe('applyConfigPatch: refusals', () => {
  it.each([
    ['unknown top-level key', { colour: 'red' }, 'colour', 'unknown setting'],
    ['unknown nested key', { general: { colour: 'red' } }, 'general.colour', 'unknown setting'],
    [
      'unknown alert event',
      { alerting: { events: { bogus: { enabled: true } } } },
      'alerting.events.bogus',
      'unknown setting',
    ],
    [
      'wrong type',
      { samplePolicy: { automaticSubmission: 'yes' } },
      'samplePolicy.automaticSubmission',
      'true or false',
    ],
    ['string for a number', { general: { port: '8847' } }, 'general.port', 'whole number'],
    [
      'object where a value belongs',
      { general: { port: { value: 1 } } },
      'general.port',
      'whole number',
    ],
    ['port out of range', { general: { port: 65536 } }, 'general.port', 'at most 65535'],
    [
      'interval out of range',
      { samplePolicy: { statusQueryIntervalSeconds: 0 } },
      'samplePolicy.statusQueryIntervalSeconds',
      'at least 1',
    ],
    [
      'bad email',
      { customerInformation: { email: 'nobody' } },
      'customerInformation.email',
      'valid email',
    ],
    [
      'read-only active sequence',
      { definitionPolicy: { activeSequence: 700 } },
      'definitionPolicy.activeSequence',
      'read-only',
    ],
    ['setup type change', { setupType: 'email' }, 'setupType', 're-run setup'],
    [
      'rule across fields, checked after merging',
      { general: { tls: { enabled: true } } },
      'general.tls.certFile',
      'required when TLS',
    ],
    [
      'proxy port cleared while a proxy host is set',
      { firewall: { proxyPort: 0 } },
      'firewall.proxyPort',
      'proxy host',
    ],
    ['not an object', null, '', 'expected object'],
  ])('%s', (_name, patch, path, fragment) => {
    const current = configuredServer();
    const result = applyConfigPatch(current, patch);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const issue = result.issues.find((i) => i.path === path);
    expect(issue, JSON.stringify(result.issues)).toBeDefined();
    expect(issue?.message).toContain(fragment);
  });

  it('reports every problem of a patch at once, a read-only one only once', () => {
    const result = applyConfigPatch(configuredServer(), {
      setupType: 'email',
      definitionPolicy: { activeSequence: 'latest' },
      general: { port: -5, shade: 1 },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.path).sort()).toEqual([
      'definitionPolicy.activeSequence',
      'general.port',
      'general.shade',
      'setupType',
    ]);
  });

  it('findReadOnlyChanges names each read-only field a patch would change', () => {
    const current = configuredServer();
    expect(findReadOnlyChanges(current, { setupType: 'email' }).map((i) => i.path)).toEqual([
      'setupType',
    ]);
    expect(findReadOnlyChanges(current, { definitionPolicy: { activeSequence: 678 } })).toEqual([]);
    expect(findReadOnlyChanges(current, 'junk')).toEqual([]);
  });
});

describe('applyConfigPatch: secrets', () => {
  it.each(SECRET_PATHS)('a masked %s keeps the stored secret', (path) => {
    const current = configuredServer();
    const patch = nested(path, SECRET_MASK);
    const config = expectOk(applyConfigPatch(current, patch));
    expect(getAtPath(config, path)).toBe(getAtPath(current, path));
    expect(getAtPath(config, path)).not.toBe(SECRET_MASK);
  });

  it('round-trips what config.get returns without losing any secret', () => {
    const current = configuredServer();
    const config = expectOk(applyConfigPatch(current, redactConfig(current)));
    expect(config).toEqual(current);
  });

  it('stores a new secret, and clears one set to empty', () => {
    const config = expectOk(
      applyConfigPatch(configuredServer(), {
        firewall: { proxyPassword: 'new-pw', proxyUser: 'carol' },
        alerting: { smtp: { password: '' } },
      }),
    );
    expect(config.firewall.proxyPassword).toBe('new-pw');
    expect(config.firewall.proxyUser).toBe('carol');
    expect(config.alerting.smtp.password).toBe('');
  });
});

describe('applyConfigPatch: purity', () => {
  it('never modifies current, and shares no objects with it', () => {
    const current = configuredServer();
    const before = JSON.parse(JSON.stringify(current)) as unknown;
    const config = expectOk(
      applyConfigPatch(current, {
        general: { tls: { enabled: true, certFile: 'c.pem', keyFile: 'k.pem' } },
        installDefinitions: { nonCertified: { targets: ['srv9'] } },
        firewall: { proxyPassword: SECRET_MASK },
      }),
    );
    expect(current).toEqual(before);
    config.installDefinitions.certified.targets.push('mutated');
    config.alerting.events.defcastError.channels.email = false;
    expect(current).toEqual(before);
  });

  it('works on the frozen DEFAULT_CONFIG', () => {
    const config = expectOk(applyConfigPatch(DEFAULT_CONFIG, { general: { port: 0 } }));
    expect(config.general.port).toBe(0);
    expect(DEFAULT_CONFIG.general.port).toBe(8847);
  });
});

describe('ConfigPatchSchema', () => {
  it('fills in no defaults, so absent keys stay absent', () => {
    expect(ConfigPatchSchema.parse({})).toEqual({});
    expect(ConfigPatchSchema.parse({ general: { tls: { enabled: true } } })).toEqual({
      general: { tls: { enabled: true } },
    });
  });

  it.each([
    [{ general: { nope: 1 } }],
    [{ general: { port: 'x' } }],
    [{ alerting: { smtp: { to: 'ops@example.com' } } }],
  ])('refuses %j', (patch) => {
    expect(ConfigPatchSchema.safeParse(patch).success).toBe(false);
  });
});
