/** Files written so that they survive a crash or power loss whole, or not at all. */
import fs from 'node:fs';

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
 * Replace `file` with `data` atomically: written and fsynced under a temporary name beside it,
 * then renamed over it, so that a reader (or a restart after a crash) sees the old or the new
 * content, never a torn one.
 */
export function replaceFileDurably(file: string, data: string | Uint8Array, mode = 0o600): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeSynced(temp, data, { mode });
  fs.renameSync(temp, file);
}
