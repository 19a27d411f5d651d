/**
 * The configuration of a server nobody has configured yet, derived from the schema's defaults so
 * the two can never disagree.
 */
import { deepFreeze } from './paths.js';
import { ConfigSchema, type Config } from './schema.js';

/** A fresh, mutable copy of the default configuration. */
export function createDefaultConfig(): Config {
  return ConfigSchema.parse({});
}

/** The default configuration (deeply frozen: copy it with createDefaultConfig to change it). */
export const DEFAULT_CONFIG: Config = deepFreeze(createDefaultConfig());
