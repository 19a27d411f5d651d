/**
 * The X-Platform-* attributes of this computer, read from the operating system (guide,
 * appendix A): what `cq forward` and `cq client` attach to every sample they send.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';

/** Platform attributes as canonical name → value. */
export type PlatformAttributes = Record<string, string>;

/** Options that override what the OS reports. */
export interface PlatformOverrides {
  readonly host?: string;
  readonly guid?: string;
  readonly scanner?: string;
}

/** Non-internal IPv4 and IPv6 addresses, space separated (X-Platform-Address is a list). */
export function platformAddresses(): string {
  const found: string[] = [];
  for (const entries of Object.values(os.networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (!entry.internal) found.push(entry.address.replace(/%.*$/, ''));
    }
  }
  return (found.length > 0 ? found : ['127.0.0.1']).join(' ');
}

/** A stable, anonymous 32-character correlator for this computer (same on every run). */
export function platformCorrelator(host = os.hostname()): string {
  const macs = Object.values(os.networkInterfaces())
    .flatMap((entries) => entries ?? [])
    .filter((e) => !e.internal && e.mac !== '00:00:00:00:00:00')
    .map((e) => e.mac)
    .sort();
  return createHash('md5')
    .update(`${host.toLowerCase()}|${macs[0] ?? ''}|${os.platform()}|${os.arch()}`)
    .digest('hex')
    .toUpperCase();
}

function systemDescription(): string {
  const version = typeof os.version === 'function' ? os.version() : '';
  return `${os.type()} ${os.release()}${version ? ` (${version})` : ''} ${os.arch()}`.trim();
}

function processorDescription(): string {
  const cpus = os.cpus();
  const first = cpus[0];
  if (!first) return os.arch();
  return `${first.model.trim()} ${first.speed} MHz, ${cpus.length} logical processors`;
}

function languageDescription(): string {
  const locale = Intl.DateTimeFormat().resolvedOptions().locale;
  try {
    const display = new Intl.DisplayNames(['en'], { type: 'language' }).of(locale);
    return display ? `${display} (${locale})` : locale;
  } catch {
    return locale;
  }
}

function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}

/** Collect the platform attributes of this computer. */
export function collectPlatformAttributes(overrides: PlatformOverrides = {}): PlatformAttributes {
  const host = overrides.host ?? os.hostname();
  const attributes: PlatformAttributes = {
    'X-Platform-Host': host,
    'X-Platform-User': userName(),
    'X-Platform-Address': platformAddresses(),
    'X-Platform-System': systemDescription(),
    'X-Platform-Processor': processorDescription(),
    'X-Platform-Language': languageDescription(),
    'X-Platform-Correlator': platformCorrelator(host),
    'X-Platform-Scanner': overrides.scanner ?? 'Central Quarantine endpoint',
  };
  const domain = process.env.USERDOMAIN;
  if (domain) attributes['X-Platform-Domain'] = domain;
  if (overrides.guid)
    attributes['X-Platform-GUID'] = overrides.guid.replace(/[^0-9A-Fa-f]/g, '').toUpperCase();
  return attributes;
}
