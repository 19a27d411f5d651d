/** How the console shows values: dates, ages, sizes, statuses and analysis states. */
import { SAMPLE_STATUS_INFO, isSampleStatus, tokenLabel } from '../../src-shared/catalog/tokens.js';

/** Local date and time, or '' for none. */
export function formatDateTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  return new Date(ms).toLocaleString();
}

/** How long ago `ms` was, at a useful precision ("4 d 3 h", "12 min", "just now"). */
export function formatAge(ms: number, now: number = Date.now()): string {
  const seconds = Math.max(0, Math.floor((now - ms) / 1000));
  if (seconds < 60) return 'just now';
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return `${days} d ${hours % 24} h`;
}

/** Bytes in the largest sensible unit. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** A Sample Status token's label ("Not installed" for `notinstalled`). */
export function statusLabel(status: string): string {
  return isSampleStatus(status) ? SAMPLE_STATUS_INFO[status].label : status;
}

/** What a Sample Status means, for tooltips and the General tab. */
export function statusDescription(status: string): string {
  return isSampleStatus(status) ? SAMPLE_STATUS_INFO[status].description : '';
}

/** An Analysis State token's label, or '' for none. */
export function analysisStateLabel(state: string | null): string {
  return state === null ? '' : tokenLabel('analysisState', state);
}

/** A definitions sequence as the guide writes it (8 digits), or ''. */
export function formatSequence(sequence: number | null): string {
  return sequence === null ? '' : String(sequence).padStart(8, '0');
}

/**
 * How a definitions set reads where one is chosen: its sequence, then what its list row tells
 * (version, certified or not, and, unless `state` is false, whether it is the active one).
 */
export function definitionsSetLabel(
  row:
    | { readonly displayVersion?: unknown; readonly certified?: unknown; readonly active?: unknown }
    | undefined,
  sequence: number,
  options: { readonly state?: boolean } = {},
): string {
  const parts = [formatSequence(sequence)];
  if (typeof row?.displayVersion === 'string' && row.displayVersion !== '') {
    parts.push(row.displayVersion);
  }
  if (typeof row?.certified === 'boolean') {
    parts.push(row.certified ? 'certified' : 'not certified');
  }
  if (options.state !== false && row?.active === true) parts.push('active');
  return parts.join(' · ');
}

/** "1 item", "3 items". */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count.toLocaleString()} ${count === 1 ? noun : nouns}`;
}
