/**
 * Configuration problems as values: one `{ path, message }` per problem, so the CLI can print
 * them on one line, the API can return them in its error envelope and the Properties dialog can
 * show each next to its field.
 */
import type { z } from 'zod';

/** One problem with a configuration or a patch; `path` is dotted ('' = the whole object). */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** Result of checking a configuration: the valid config, or every problem found. */
export type ConfigResult<T> =
  | { readonly ok: true; readonly config: T }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/** `path: message` for each issue, joined on one line. */
export function formatConfigIssues(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => `${i.path === '' ? '(config)' : i.path}: ${i.message}`).join('; ');
}

/** A configuration was refused; `issues` lists every problem. */
export class ConfigError extends Error {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(`invalid configuration: ${formatConfigIssues(issues)}`);
    this.name = 'ConfigError';
  }
}

/** Turn zod's issues into config issues (one per unknown key, dotted paths). */
export function toConfigIssues(error: z.ZodError): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ path: path === '' ? key : `${path}.${key}`, message: 'unknown setting' });
      }
    } else {
      out.push({ path, message: issue.message });
    }
  }
  return out;
}
