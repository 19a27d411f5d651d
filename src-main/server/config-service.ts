/**
 * The server's configuration (SPEC §11): one validated object kept in the settings table,
 * changed only through `set` (validated patch, audited, listeners told) or at start from a
 * config file and command-line shortcuts.
 */
import { readFileSync } from 'node:fs';
import { formatConfigIssues, type ConfigIssue } from '../../src-shared/config/issues.js';
import { applyConfigPatch } from '../../src-shared/config/patch.js';
import { deepMerge, getAtPath, listLeafPaths } from '../../src-shared/config/paths.js';
import { safeParseConfig, type Config, type SetupType } from '../../src-shared/config/schema.js';
import { isSecretPath } from '../../src-shared/config/secrets.js';
import { getSetupIssues, isSetupComplete } from '../../src-shared/config/setup.js';
import type { AuditRepo, SettingsRepo } from './store/index.js';

const SETTINGS_KEY = 'config';

/** A configuration that cannot be used, with every issue. */
export class ConfigRejected extends Error {
  constructor(
    readonly issues: readonly ConfigIssue[],
    context: string,
  ) {
    super(`${context}: ${formatConfigIssues(issues)}`);
    this.name = 'ConfigRejected';
  }
}

/** Startup inputs that shape the configuration. */
export interface ConfigStartup {
  /** JSON file with (part of) the configuration, same keys as `config.set`. */
  readonly file?: string;
  /** `--setup internet|email`: only on first setup, or when it matches. */
  readonly setup?: SetupType;
  /** `--gateway URL`: shortcut for `webCommunication.gatewayUrl`. */
  readonly gatewayUrl?: string;
}

/** Paths whose values differ between two configurations. */
export function changedPaths(before: Config, after: Config): string[] {
  const paths = new Set([...listLeafPaths(before), ...listLeafPaths(after)]);
  return [...paths].filter(
    (p) => JSON.stringify(getAtPath(before, p)) !== JSON.stringify(getAtPath(after, p)),
  );
}

/** Holds the live configuration. */
export class ConfigService {
  private current: Config;
  private readonly listeners = new Set<(config: Config, changed: string[]) => void>();

  private constructor(
    private readonly settings: SettingsRepo,
    private readonly audit: AuditRepo,
    initial: Config,
  ) {
    this.current = initial;
  }

  /** Load the stored configuration and apply the startup inputs (persisting any change). */
  static open(
    settings: SettingsRepo,
    audit: AuditRepo,
    startup: ConfigStartup = {},
  ): ConfigService {
    const stored = settings.get(SETTINGS_KEY);
    const isFirstRun = stored === undefined;
    const parsed = safeParseConfig(stored ?? {});
    if (!parsed.ok) throw new ConfigRejected(parsed.issues, 'the stored configuration is invalid');
    let config = parsed.config;
    const before = config;

    let overlay: Record<string, unknown> = {};
    if (startup.file) {
      let text: string;
      try {
        text = readFileSync(startup.file, 'utf8');
      } catch (error) {
        throw new ConfigRejected(
          [{ path: '', message: `cannot read ${startup.file}: ${(error as Error).message}` }],
          'config file',
        );
      }
      try {
        overlay = JSON.parse(text) as Record<string, unknown>;
      } catch (error) {
        throw new ConfigRejected(
          [{ path: '', message: `not JSON: ${(error as Error).message}` }],
          `config file ${startup.file}`,
        );
      }
      if (typeof overlay !== 'object' || overlay === null || Array.isArray(overlay)) {
        throw new ConfigRejected(
          [{ path: '', message: 'must be a JSON object' }],
          `config file ${startup.file}`,
        );
      }
    }
    const requestedSetup = startup.setup ?? (overlay.setupType as SetupType | undefined);
    if (requestedSetup !== undefined && !isFirstRun && requestedSetup !== config.setupType) {
      throw new ConfigRejected(
        [
          {
            path: 'setupType',
            message: `this server is set up for ${config.setupType} Scan and Deliver; switching to ${requestedSetup} is a new setup (use a new data folder)`,
          },
        ],
        'setup',
      );
    }
    // The active sequence belongs to the definitions store, never to a file.
    const definitionPolicy = overlay.definitionPolicy as Record<string, unknown> | undefined;
    if (definitionPolicy && typeof definitionPolicy === 'object')
      delete definitionPolicy.activeSequence;
    const merged = deepMerge(config, {
      ...overlay,
      ...(requestedSetup ? { setupType: requestedSetup } : {}),
      ...(startup.gatewayUrl
        ? {
            webCommunication: {
              ...(overlay.webCommunication as object),
              gatewayUrl: startup.gatewayUrl,
            },
          }
        : {}),
    });
    const result = safeParseConfig(merged);
    if (!result.ok)
      throw new ConfigRejected(
        result.issues,
        startup.file ? `config file ${startup.file}` : 'startup options',
      );
    config = result.config;

    const service = new ConfigService(settings, audit, config);
    const changed = changedPaths(before, config);
    if (isFirstRun || changed.length > 0)
      service.persist(config, 'startup', isFirstRun ? ['(initial setup)'] : changed);
    return service;
  }

  /** The live configuration (do not mutate). */
  get(): Config {
    return this.current;
  }

  /**
   * Apply a patch. Returns the new configuration, or throws ConfigRejected listing every issue
   * (nothing changes then).
   */
  set(patch: unknown, actor: string): Config {
    const result = applyConfigPatch(this.current, patch);
    if (!result.ok) throw new ConfigRejected(result.issues, 'configuration refused');
    const changed = changedPaths(this.current, result.config);
    if (changed.length === 0) return this.current;
    this.persist(result.config, actor, changed);
    for (const listener of this.listeners) listener(this.current, changed);
    return this.current;
  }

  /**
   * First-run setup (the installer pages): choose the setup type and apply the first settings
   * together. Refused once setup is complete; switching types later is a new setup.
   */
  setup(setupType: SetupType, patch: unknown, actor: string): Config {
    if (isSetupComplete(this.current)) {
      throw new ConfigRejected(
        [
          {
            path: 'setupType',
            message: 'this server is already set up; change settings in server Properties',
          },
        ],
        'setup refused',
      );
    }
    const result = applyConfigPatch({ ...this.current, setupType }, patch);
    if (!result.ok) throw new ConfigRejected(result.issues, 'setup refused');
    const missing = getSetupIssues(result.config);
    if (missing.length > 0) throw new ConfigRejected(missing, 'setup is incomplete');
    const changed = changedPaths(this.current, result.config);
    this.persist(result.config, actor, changed);
    for (const listener of this.listeners) listener(this.current, changed);
    return this.current;
  }

  /** Update the read-only active sequence (definitions store only). */
  setActiveSequence(sequence: number, actor: string): void {
    const next = {
      ...this.current,
      definitionPolicy: { ...this.current.definitionPolicy, activeSequence: sequence },
    };
    this.persist(next, actor, ['definitionPolicy.activeSequence']);
    for (const listener of this.listeners)
      listener(this.current, ['definitionPolicy.activeSequence']);
  }

  /** Be told about every change (returns an unsubscribe function). */
  onChange(listener: (config: Config, changed: string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private persist(config: Config, actor: string, changed: string[]): void {
    // The setting and its audit row commit together, or neither does.
    this.audit.recordWith(
      {
        actor,
        action: 'config.set',
        // Names of secret fields are recorded, never their values.
        detail: { changed: changed.map((p) => (isSecretPath(p) ? `${p} (secret)` : p)) },
      },
      () => this.settings.set(SETTINGS_KEY, config),
    );
    this.current = config;
  }
}
