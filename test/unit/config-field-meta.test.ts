import { describe, expect, it } from 'vitest';
import { ALERT_EVENTS } from '../../src-shared/catalog/events.js';
import { DEFAULT_CONFIG } from '../../src-shared/config/defaults.js';
import { CONFIG_FIELDS } from '../../src-shared/config/field-meta.js';
import { READ_ONLY_PATHS } from '../../src-shared/config/patch.js';
import { listLeafPaths } from '../../src-shared/config/paths.js';
import { SECRET_PATHS } from '../../src-shared/config/secrets.js';

const leafPaths = listLeafPaths(DEFAULT_CONFIG);
const entries = Object.entries(CONFIG_FIELDS);

describe('CONFIG_FIELDS', () => {
  it('describes exactly the fields of the configuration', () => {
    expect(Object.keys(CONFIG_FIELDS).sort()).toEqual([...leafPaths].sort());
  });

  it.each(entries)('%s has a label and a one-line help text', (_path, meta) => {
    expect(meta.label.trim()).not.toBe('');
    expect(meta.help.trim()).not.toBe('');
    expect(meta.help).not.toMatch(/\n/);
  });

  it.each(leafPaths.filter((p) => p.endsWith('Seconds')))('%s states its unit', (path) => {
    expect(['seconds', 'secondsAsMinutes']).toContain(
      CONFIG_FIELDS[path as keyof typeof CONFIG_FIELDS].unit,
    );
  });

  it.each([
    'samplePolicy.statusQueryIntervalSeconds',
    'definitionPolicy.certifiedDefinitionsIntervalSeconds',
    'installDefinitions.deliveryRetryIntervalSeconds',
    'alerting.events.gatewayUnreachable.timeoutSeconds',
  ] as const)('%s is shown in minutes, as the guide does', (path) => {
    expect(CONFIG_FIELDS[path].unit).toBe('secondsAsMinutes');
  });

  it('flags secrets and read-only fields, and nothing else', () => {
    const secret = entries.filter(([, m]) => m.secret === true).map(([p]) => p);
    const readOnly = entries.filter(([, m]) => m.readOnly === true).map(([p]) => p);
    expect(secret.sort()).toEqual([...SECRET_PATHS].sort());
    expect(readOnly.sort()).toEqual([...READ_ONLY_PATHS].sort());
  });

  it.each(ALERT_EVENTS.map((e) => [e.id, e.name] as const))(
    'labels alert event %s with its catalog name',
    (id, name) => {
      expect(CONFIG_FIELDS[`alerting.events.${id}.enabled`].label).toBe(name);
    },
  );
});
