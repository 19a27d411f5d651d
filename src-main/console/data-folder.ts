/**
 * Where the console keeps its embedded server and its own state when no folder is given: the
 * per-machine or per-user application data folder on Windows, a dot folder in the home folder
 * elsewhere.
 */
import os from 'node:os';
import path from 'node:path';

/** Name of the data folder on Windows (under %ProgramData% or %APPDATA%). */
export const WINDOWS_FOLDER_NAME = 'Central Quarantine';

/** Name of the data folder in the home folder on other systems. */
export const HOME_FOLDER_NAME = '.central-quarantine';

/** Environment and platform facts the choice depends on (injectable for tests). */
export interface DataFolderEnvironment {
  readonly platform: NodeJS.Platform;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly home: string;
}

/**
 * The default data folder. On Windows a per-machine installation (ProgramData) is preferred,
 * as the server there serves every user of the computer; without it the roaming profile is used.
 */
export function defaultDataFolder(
  environment: DataFolderEnvironment = {
    platform: process.platform,
    env: process.env,
    home: os.homedir(),
  },
): string {
  const { platform, env, home } = environment;
  if (platform === 'win32') {
    const base = env.ProgramData ?? env.PROGRAMDATA ?? env.APPDATA;
    if (base) return path.win32.join(base, WINDOWS_FOLDER_NAME);
    return path.win32.join(home, 'AppData', 'Roaming', WINDOWS_FOLDER_NAME);
  }
  return path.posix.join(home, HOME_FOLDER_NAME);
}
