/**
 * A clean quit that cannot hang: the shutdown steps (close server connections, stop the embedded
 * server, remove IPC handlers, save the window) run once, in order, each failure logged and
 * skipped, the whole bounded by a deadline after which the app quits anyway.
 */
import type { Logger } from '../../log/logger.js';

/** One named shutdown step. */
export interface ShutdownStep {
  readonly name: string;
  readonly run: () => Promise<void> | void;
}

/** Runs the steps the first time it is called; later calls share that run. */
export type Shutdown = () => Promise<void>;

/** Build the app's shutdown. */
export function createShutdown(
  steps: readonly ShutdownStep[],
  options: { readonly timeoutMs: number; readonly log: Logger },
): Shutdown {
  let running: Promise<void> | undefined;
  const runAll = async (): Promise<void> => {
    for (const step of steps) {
      try {
        await step.run();
      } catch (error) {
        options.log.error('shutdown step failed', { step: step.name, error: String(error) });
      }
    }
  };
  return () => {
    running ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        options.log.warn('shutdown took too long; quitting anyway', {
          timeoutMs: options.timeoutMs,
        });
        resolve();
      }, options.timeoutMs);
      void runAll().then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return running;
  };
}
