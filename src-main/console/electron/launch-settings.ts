/**
 * Which server the desktop console runs against, from `<userData>/console-settings.json` and the
 * command line: by default an embedded `cq server` on the user's data folder; with
 * `--no-embedded-server` (or `"embeddedServer": false`) none, and the administrator attaches to
 * remote servers only. `--data-dir DIR` picks another folder for the embedded server.
 */
import path from 'node:path';
import { z } from 'zod';

/** File name inside userData. */
export const SETTINGS_FILE = 'console-settings.json';

/** The settings file's schema (every key optional). */
export const consoleSettingsSchema = z.strictObject({
  embeddedServer: z.boolean().optional(),
  dataDir: z.string().min(1).max(4096).optional(),
});

/** What the console starts with. */
export interface LaunchSettings {
  /** Folder of the embedded server, or null to attach to remote servers only. */
  readonly embeddedDataDir: string | null;
  /** Problems with the settings file or arguments, for the log. */
  readonly warnings: readonly string[];
}

/** Value of `--name=value` or `--name value` in `argv`, the last one winning. */
function optionValue(argv: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg.startsWith(`${name}=`)) value = arg.slice(name.length + 1);
    else if (arg === name && i + 1 < argv.length && !(argv[i + 1] ?? '').startsWith('--'))
      value = argv[++i];
  }
  return value;
}

/**
 * Resolve the launch settings. `file` is the parsed settings file (untrusted; undefined when
 * there is none); the command line wins over the file, the file over the default folder.
 */
export function resolveLaunchSettings(input: {
  readonly argv: readonly string[];
  readonly file: unknown;
  readonly defaultDataDir: string;
}): LaunchSettings {
  const warnings: string[] = [];
  let settings: z.infer<typeof consoleSettingsSchema> = {};
  if (input.file !== undefined) {
    const parsed = consoleSettingsSchema.safeParse(input.file);
    if (parsed.success) settings = parsed.data;
    else
      warnings.push(`ignoring ${SETTINGS_FILE}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }
  if (input.argv.includes('--no-embedded-server')) return { embeddedDataDir: null, warnings };
  const fromArgs = optionValue(input.argv, '--data-dir');
  if (fromArgs !== undefined) {
    if (fromArgs.length > 0 && !fromArgs.includes('\0'))
      return { embeddedDataDir: path.resolve(fromArgs), warnings };
    warnings.push('ignoring an empty --data-dir');
  }
  if (settings.embeddedServer === false) return { embeddedDataDir: null, warnings };
  return { embeddedDataDir: path.resolve(settings.dataDir ?? input.defaultDataDir), warnings };
}
