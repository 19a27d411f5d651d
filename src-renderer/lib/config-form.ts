/**
 * The server Properties form: which settings each tab shows, how a value is displayed and
 * edited (minutes for intervals the guide gives in minutes, lists one per line), and the patch
 * of what changed. Validation is the shared schema's own (`applyConfigPatch`), run as you type.
 */
import { CONFIG_FIELDS, type ConfigFieldMeta } from '../../src-shared/config/field-meta.js';
import { toConfigIssues } from '../../src-shared/config/issues.js';
import { applyConfigPatch } from '../../src-shared/config/patch.js';
import { getAtPath, isPlainObject, listLeafPaths } from '../../src-shared/config/paths.js';
import { ConfigSchema, type Config } from '../../src-shared/config/schema.js';

/** A tab of the server Properties dialog that edits settings. */
export interface ConfigTab {
  readonly id: string;
  readonly label: string;
  /** Setting paths (or prefixes ending in '.') the tab shows, in order. */
  readonly paths: readonly string[];
  /** Only for this setup type. */
  readonly setupType?: Config['setupType'];
}

/** The settings tabs, in the order of SPEC §11 (Alerting and General Errors are separate). */
export const CONFIG_TABS: readonly ConfigTab[] = [
  { id: 'general', label: 'General', paths: ['serverName', 'setupType', 'general.'] },
  { id: 'web', label: 'Web Communication', paths: ['webCommunication.'] },
  { id: 'firewall', label: 'Firewall', paths: ['firewall.'] },
  { id: 'sample', label: 'Sample Policy', paths: ['samplePolicy.'] },
  { id: 'definition', label: 'Definition Policy', paths: ['definitionPolicy.'] },
  { id: 'install', label: 'Install Definitions', paths: ['installDefinitions.'] },
  { id: 'customer', label: 'Customer Information', paths: ['customerInformation.'] },
  { id: 'email', label: 'Email Submission', paths: ['email.'], setupType: 'email' },
];

/** Settings of the Alerting tab outside the per-event table. */
export const ALERTING_GENERAL_PATHS = ['alerting.enabled', 'alerting.syslog', 'alerting.smtp.'];

/** A value as the form holds it: text for text boxes, a flag for check boxes. */
export type FieldValue = string | boolean;

/** What the dialog knows about one setting. */
export interface FieldInfo {
  readonly path: string;
  readonly meta: ConfigFieldMeta;
  readonly kind: 'flag' | 'number' | 'text' | 'list';
}

/** Label, help and flags of a setting; unknown settings still get a usable label. */
export function fieldMeta(path: string): ConfigFieldMeta {
  const known = (CONFIG_FIELDS as Readonly<Record<string, ConfigFieldMeta | undefined>>)[path];
  return known ?? { label: path, help: '' };
}

/** Leaf paths of `config` that a tab's path list selects, in config order. */
export function pathsMatching(
  config: Record<string, unknown>,
  selectors: readonly string[],
): string[] {
  const leaves = listLeafPaths(config);
  const out: string[] = [];
  for (const selector of selectors) {
    for (const leaf of leaves) {
      const match = selector.endsWith('.') ? leaf.startsWith(selector) : leaf === selector;
      if (match && !out.includes(leaf)) out.push(leaf);
    }
  }
  return out;
}

/** The fields of one tab (alert events excluded: they have their own table). */
export function tabFields(
  config: Record<string, unknown>,
  selectors: readonly string[],
): FieldInfo[] {
  return pathsMatching(config, selectors)
    .filter((path) => !path.startsWith('alerting.events.'))
    .map((path) => ({ path, meta: fieldMeta(path), kind: kindOf(getAtPath(config, path)) }));
}

function kindOf(value: unknown): FieldInfo['kind'] {
  if (typeof value === 'boolean') return 'flag';
  if (typeof value === 'number') return 'number';
  if (Array.isArray(value)) return 'list';
  return 'text';
}

/** The value shown for a stored one (minutes for `secondsAsMinutes`, one list item per line). */
export function toFieldValue(path: string, stored: unknown): FieldValue {
  if (typeof stored === 'boolean') return stored;
  if (typeof stored === 'number') {
    if (fieldMeta(path).unit === 'secondsAsMinutes') {
      const minutes = stored / 60;
      return Number.isInteger(minutes) ? String(minutes) : minutes.toFixed(2);
    }
    return String(stored);
  }
  if (Array.isArray(stored)) return stored.map(String).join('\n');
  return typeof stored === 'string' ? stored : JSON.stringify(stored);
}

/** The stored value for what was typed, or why it cannot be one. */
export function fromFieldValue(
  path: string,
  value: FieldValue,
  stored: unknown,
): { ok: true; value: unknown } | { ok: false; message: string } {
  if (typeof stored === 'boolean') return { ok: true, value: value === true };
  const text = typeof value === 'string' ? value : String(value);
  if (typeof stored === 'number') {
    const trimmed = text.trim();
    if (!/^-?\d+(\.\d+)?$/.test(trimmed)) return { ok: false, message: 'must be a number' };
    const number = Number(trimmed);
    if (fieldMeta(path).unit === 'secondsAsMinutes')
      return { ok: true, value: Math.round(number * 60) };
    if (!Number.isInteger(number)) return { ok: false, message: 'must be a whole number' };
    return { ok: true, value: number };
  }
  if (Array.isArray(stored)) {
    return {
      ok: true,
      value: text
        .split(/[\n,]/)
        .map((item) => item.trim())
        .filter((item) => item !== ''),
    };
  }
  return { ok: true, value: text };
}

/** Unit shown after a number box. */
export function unitLabel(meta: ConfigFieldMeta): string {
  switch (meta.unit) {
    case 'megabytes':
      return 'MB';
    case 'percent':
      return '%';
    case 'seconds':
      return 'seconds';
    case 'secondsAsMinutes':
      return 'minutes';
    case 'samples':
      return 'samples';
    case 'attempts':
      return 'attempts';
    default:
      return '';
  }
}

/** Set `value` at a dotted path, creating the objects on the way. */
export function setDeep(root: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  const last = keys.pop();
  let node = root;
  for (const key of keys) {
    const next = node[key];
    if (isPlainObject(next)) node = next;
    else {
      const created: Record<string, unknown> = {};
      node[key] = created;
      node = created;
    }
  }
  if (last !== undefined) node[last] = value;
}

/** Parse the configuration a server returned (secrets masked) for local validation. */
export function parseServerConfig(config: Record<string, unknown>): Config | null {
  const parsed = ConfigSchema.safeParse(config);
  return parsed.success ? parsed.data : null;
}

/** Result of checking the form. */
export interface FormCheck {
  /** The patch of every changed setting (what config.set gets). */
  readonly patch: Record<string, unknown>;
  /** Problems by setting path ('' = not tied to one field). */
  readonly issues: Readonly<Record<string, string>>;
  readonly changed: number;
}

/**
 * Check the edited values against the shared schema: each changed field converted back to its
 * stored form, the patch laid over the server's configuration, every issue reported by path.
 */
export function checkForm(
  original: Record<string, unknown>,
  values: Readonly<Record<string, FieldValue>>,
): FormCheck {
  const issues: Record<string, string> = {};
  const patch: Record<string, unknown> = {};
  let changed = 0;
  for (const [path, value] of Object.entries(values)) {
    const stored = getAtPath(original, path);
    const converted = fromFieldValue(path, value, stored);
    if (!converted.ok) {
      issues[path] = converted.message;
      continue;
    }
    if (JSON.stringify(converted.value) === JSON.stringify(stored)) continue;
    setDeep(patch, path, converted.value);
    changed++;
  }
  const base = parseServerConfig(original);
  if (base && changed > 0) {
    const result = applyConfigPatch(base, patch);
    if (!result.ok) for (const issue of result.issues) issues[issue.path] ??= issue.message;
  } else if (!base) {
    const parsed = ConfigSchema.safeParse(original);
    if (!parsed.success)
      for (const issue of toConfigIssues(parsed.error)) issues[issue.path] ??= issue.message;
  }
  return { patch, issues, changed };
}
