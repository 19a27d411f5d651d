import { describe, expect, it } from 'vitest';
import { createDefaultConfig, DEFAULT_CONFIG } from '../../src-shared/config/defaults.js';
import { getAtPath, setAtPath } from '../../src-shared/config/paths.js';
import type { Config } from '../../src-shared/config/schema.js';
import {
  isSecretPath,
  redactConfig,
  SECRET_MASK,
  SECRET_PATHS,
} from '../../src-shared/config/secrets.js';

function withSecrets(): Config {
  const config = createDefaultConfig();
  for (const path of SECRET_PATHS) setAtPath(config, path, `secret-of-${path}`);
  config.firewall.proxyUser = 'bob';
  return config;
}

describe('redactConfig', () => {
  it.each(SECRET_PATHS)('masks a non-empty %s', (path) => {
    expect(getAtPath(redactConfig(withSecrets()), path)).toBe(SECRET_MASK);
  });

  it.each(SECRET_PATHS)('leaves an empty %s empty', (path) => {
    expect(getAtPath(redactConfig(DEFAULT_CONFIG), path)).toBe('');
  });

  it('leaves no secret anywhere in the redacted JSON', () => {
    const json = JSON.stringify(redactConfig(withSecrets()));
    expect(json).not.toContain('secret-of-');
  });

  it('changes nothing but the secrets, and not the original', () => {
    const config = withSecrets();
    const redacted = redactConfig(config);
    expect(redacted.firewall.proxyUser).toBe('bob');
    for (const path of SECRET_PATHS) setAtPath(redacted, path, getAtPath(config, path));
    expect(redacted).toEqual(config);
    expect(config.firewall.proxyPassword).toBe('secret-of-firewall.proxyPassword');
  });

  it('works on the frozen DEFAULT_CONFIG', () => {
    expect(redactConfig(DEFAULT_CONFIG)).toEqual(DEFAULT_CONFIG);
  });
});

describe('secret paths', () => {
  it.each([
    ['firewall.proxyPassword', true],
    ['email.smtp.password', true],
    ['firewall.proxyUser', false],
    ['general.tls.keyFile', false],
  ])('%s is secret: %s', (path, expected) => {
    expect(isSecretPath(path)).toBe(expected);
  });

  it('every secret path names a text field of the configuration', () => {
    for (const path of SECRET_PATHS) expect(typeof getAtPath(DEFAULT_CONFIG, path)).toBe('string');
  });
});
