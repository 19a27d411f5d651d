/** Files written so that they survive a crash or power loss whole, or not at all. */
import fs from 'node:fs';
import path from 'node:path';

/** Write `data` to `file` and fsync it before closing; `flag` as for `fs.openSync`. */
export function writeSynced(
  file: string,
  data: string | Uint8Array,
  options: { flag?: 'w' | 'wx'; mode?: number } = {},
): void {
  const fd = fs.openSync(file, options.flag ?? 'w', options.mode ?? 0o600);
  try {
    // Given a descriptor, writeFileSync writes until every byte is out.
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Fsync a folder, so that names created or renamed in it survive a power loss. Windows cannot
 * open a folder for fsync; NTFS journals the rename itself.
 */
export function fsyncDirSync(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Replace `file` with `data` atomically and durably: written and fsynced under a temporary
 * name beside it, renamed over it, then its folder fsynced, so that a reader (or a restart
 * after a crash or power loss) sees the old or the new content, never a torn one. A failed
 * write leaves no temporary file behind.
 */
export function replaceFileDurably(file: string, data: string | Uint8Array, mode = 0o600): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeSynced(temp, data, { mode });
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  fsyncDirSync(path.dirname(file));
}
