/**
 * How the desktop console starts its embedded `cq server`: as an Electron utility process in the
 * packaged app (no separate Node needed; better-sqlite3 is rebuilt for Electron by
 * electron-builder), and as a plain Node child process when run from a source checkout, where
 * better-sqlite3 is built for the system Node and would not load in Electron's.
 */
import { spawn } from 'node:child_process';
import { utilityProcess } from 'electron';
import type { Launcher } from '../embedded-server.js';

/** `utilityProcess.fork` with piped output, as the embedded-server supervisor expects. */
export const utilityProcessLauncher: Launcher = (modulePath, args) =>
  utilityProcess.fork(modulePath, [...args], {
    stdio: 'pipe',
    serviceName: 'Central Quarantine Server',
  });

/** A Node binary on PATH (or `nodePath`) running the launcher script. */
export function systemNodeLauncher(nodePath: string): Launcher {
  return (modulePath, args) => {
    const env = { ...process.env };
    delete env.ELECTRON_RUN_AS_NODE;
    return spawn(nodePath, [modulePath, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
      env,
    });
  };
}

/**
 * The launcher for this run: `CQ_EMBEDDED_LAUNCHER=utility|node` forces one; otherwise utility
 * processes when packaged, system Node (`CQ_NODE`, default `node`) from a checkout.
 */
export function chooseLauncher(packaged: boolean, env: NodeJS.ProcessEnv): Launcher {
  const forced = env.CQ_EMBEDDED_LAUNCHER;
  const useUtility = forced === 'utility' || (forced !== 'node' && packaged);
  return useUtility ? utilityProcessLauncher : systemNodeLauncher(env.CQ_NODE ?? 'node');
}
