/**
 * Secret settings (SPEC §11: never returned to a console in clear). `config.get` answers with
 * redactConfig; a console that sends the mask back unchanged keeps the stored secret.
 */
import { clonePlain, getAtPath, setAtPath } from './paths.js';
import type { Config, ConfigFieldPath } from './schema.js';

/** What a console sees instead of a non-empty secret. */
export const SECRET_MASK = '********';

/** Every secret field of Config. */
export const SECRET_PATHS = [
  'webCommunication.customerCredentials',
  'firewall.proxyPassword',
  'alerting.smtp.password',
  'email.smtp.password',
] as const satisfies readonly ConfigFieldPath[];

/** One of the secret fields. */
export type SecretPath = (typeof SECRET_PATHS)[number];

/** True when `path` names a secret field. */
export function isSecretPath(path: string): path is SecretPath {
  return (SECRET_PATHS as readonly string[]).includes(path);
}

/** A copy of `config` with every non-empty secret replaced by SECRET_MASK ('' stays ''). */
export function redactConfig(config: Config): Config {
  const copy = clonePlain(config);
  for (const path of SECRET_PATHS) {
    if (getAtPath(copy, path) !== '') setAtPath(copy, path, SECRET_MASK);
  }
  return copy;
}
