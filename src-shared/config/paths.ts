/**
 * Dotted paths into plain JSON objects (`general.tls.enabled`): the common language of config
 * issues, secrets, read-only fields and the Properties dialog's field metadata.
 */

/** Every dotted path to a leaf of `T`; arrays count as leaves (a patch replaces them whole). */
export type LeafPath<T, Prefix extends string = ''> = {
  [K in keyof T & string]: T[K] extends readonly unknown[]
    ? `${Prefix}${K}`
    : T[K] extends object
      ? LeafPath<T[K], `${Prefix}${K}.`>
      : `${Prefix}${K}`;
}[keyof T & string];

/** A plain (JSON) object, as opposed to an array or a primitive. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at `path` in `root`, or undefined when any step is missing or not an object. */
export function getAtPath(root: unknown, path: string): unknown {
  let node: unknown = root;
  for (const key of path.split('.')) {
    if (!isPlainObject(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

/** Set the value at `path` in `root`, which must already hold every parent object. */
export function setAtPath(root: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  const last = keys.pop();
  let node: Record<string, unknown> = root;
  for (const key of keys) {
    const next = node[key];
    if (!isPlainObject(next)) throw new Error(`no object at ${key} of ${path}`);
    node = next;
  }
  if (last !== undefined) node[last] = value;
}

/** Dotted paths of every leaf of a plain object, arrays included as leaves, in key order. */
export function listLeafPaths(root: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(root)) {
    const path = `${prefix}${key}`;
    if (isPlainObject(value)) out.push(...listLeafPaths(value, `${path}.`));
    else out.push(path);
  }
  return out;
}

/** A deep copy of a JSON-shaped value (objects and arrays copied, primitives kept). */
export function clonePlain<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => clonePlain(item)) as T;
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = clonePlain(item);
    return out as T;
  }
  return value;
}

/**
 * `base` with `patch` laid over it: objects merge key by key, arrays and primitives replace,
 * undefined in the patch leaves the base value. Returns new objects; neither input is changed.
 */
export function deepMerge(base: unknown, patch: unknown): unknown {
  if (patch === undefined) return clonePlain(base);
  if (!isPlainObject(patch) || !isPlainObject(base)) return clonePlain(patch);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) out[key] = clonePlain(value);
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    out[key] = Object.hasOwn(base, key) ? deepMerge(base[key], value) : clonePlain(value);
  }
  return out;
}

/** Freeze `value` and everything inside it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}
