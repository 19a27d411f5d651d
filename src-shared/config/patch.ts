/**
 * `config.set {patch}`: a partial Config laid over the current one. The patch is checked for
 * shape (unknown keys, types, bounds), read-only fields and masked secrets, then the merged
 * result is validated as a whole; the current configuration is never modified.
 */
import { z } from 'zod';
import { toConfigIssues, type ConfigIssue, type ConfigResult } from './issues.js';
import { deepMerge, getAtPath, setAtPath } from './paths.js';
import { SECRET_MASK, SECRET_PATHS } from './secrets.js';
import { ConfigSchema, type Config, type ConfigFieldPath } from './schema.js';

/** `T` with every object level optional; arrays stay whole (a patch replaces them). */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** What `config.set` accepts. */
export type ConfigPatch = DeepPartial<Config>;

/** Fields `config.set` may not change, with the reason given to whoever tries. */
export const READ_ONLY_FIELDS = {
  setupType:
    'is chosen when the server is set up and cannot be changed here; re-run setup to switch between internet and email Scan and Deliver',
  'definitionPolicy.activeSequence':
    'is read-only: it changes only when a definitions set is installed or activated on the server',
} as const satisfies Partial<Record<ConfigFieldPath, string>>;

/** One of the read-only fields. */
export type ReadOnlyPath = keyof typeof READ_ONLY_FIELDS;

/** The read-only fields' paths. */
export const READ_ONLY_PATHS = Object.keys(READ_ONLY_FIELDS) as ReadOnlyPath[];

// Same fields and leaf rules as ConfigSchema, but nothing defaults: a key absent from a patch
// must stay absent, or merging would reset the current value. Object-level cross-field rules
// are left to the validation of the merged result.
function toPatchSchema(schema: z.core.$ZodType): z.ZodType {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault) {
    return toPatchSchema(schema.unwrap());
  }
  if (schema instanceof z.ZodObject) {
    const shape: Record<string, z.ZodType> = {};
    const fields: Record<string, z.core.$ZodType> = schema.shape;
    for (const [key, field] of Object.entries(fields)) {
      shape[key] = toPatchSchema(field).optional();
    }
    return z.strictObject(shape);
  }
  return schema as z.ZodType;
}

/** Shape of a `config.set` patch: any subset of Config, unknown keys refused. */
export const ConfigPatchSchema = toPatchSchema(ConfigSchema) as z.ZodType<ConfigPatch>;

/**
 * Read-only fields that `patch` would change, one issue each. Sending a read-only field with
 * its current value is allowed, so a console may send back the whole object it got.
 */
export function findReadOnlyChanges(current: Config, patch: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const path of READ_ONLY_PATHS) {
    const wanted = getAtPath(patch, path);
    if (wanted !== undefined && wanted !== getAtPath(current, path)) {
      issues.push({ path, message: READ_ONLY_FIELDS[path] });
    }
  }
  return issues;
}

/** Lay `patch` over `current` and validate the result; `current` is left untouched. */
export function applyConfigPatch(current: Config, patch: unknown): ConfigResult<Config> {
  const issues = findReadOnlyChanges(current, patch);
  const shape = ConfigPatchSchema.safeParse(patch);
  if (!shape.success) {
    // A read-only field already reported should not be reported twice.
    const reported = new Set(issues.map((i) => i.path));
    issues.push(...toConfigIssues(shape.error).filter((i) => !reported.has(i.path)));
  }
  if (!shape.success || issues.length > 0) return { ok: false, issues };

  const merged = deepMerge(current, shape.data) as Record<string, unknown>;
  for (const path of SECRET_PATHS) {
    // The console got the mask from config.get; sending it back means "unchanged".
    if (getAtPath(shape.data, path) === SECRET_MASK) {
      setAtPath(merged, path, getAtPath(current, path));
    }
  }
  const result = ConfigSchema.safeParse(merged);
  return result.success
    ? { ok: true, config: result.data }
    : { ok: false, issues: toConfigIssues(result.error) };
}
