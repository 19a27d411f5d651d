/**
 * Leaf schemas shared by the configuration sections: every value that reaches a header, a log
 * line or a socket call is bounded here, with messages an administrator can act on.
 */
import { z } from 'zod';

/** Highest TCP port number. */
export const MAX_PORT = 65_535;

/** Seven days: the upper bound of every polling or retry interval. */
export const MAX_INTERVAL_SECONDS = 7 * 24 * 60 * 60;

/** Thirty days: the upper bound of an alert timeout. */
export const MAX_ALERT_TIMEOUT_SECONDS = 30 * 24 * 60 * 60;

// Values travel in headers (X-Customer-*), SMTP commands and log lines: a CR or LF would let a
// value forge extra header lines, so control characters are refused everywhere.
function hasControlChars(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function isPrintableAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) return false;
  }
  return true;
}

// A single-label name (`mailhost`) is valid on a LAN, so the domain part reuses the host-name
// rule rather than requiring a dot and a top-level domain.
const EMAIL_LOCAL_PART = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$/;

/** True when `value` looks like `local@host`. */
export function isEmailAddress(value: string): boolean {
  const at = value.lastIndexOf('@');
  if (at <= 0) return false;
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  return EMAIL_LOCAL_PART.test(local) && z.regexes.hostname.test(domain) && !domain.endsWith('.');
}

/** True when `value` is an IPv4 or IPv6 address or a host name. */
export function isHost(value: string): boolean {
  return z.regexes.ipv4.test(value) || z.regexes.ipv6.test(value) || z.regexes.hostname.test(value);
}

/** Text on one line, at most `max` characters. */
export function text(max: number) {
  return z
    .string({ error: 'must be text' })
    .max(max, { error: `must be at most ${max} characters` })
    .refine((v) => !hasControlChars(v), { error: 'must not contain control characters' });
}

/** Printable ASCII of at most `max` characters (values sent verbatim in a header). */
export function asciiText(max: number) {
  return text(max).refine(isPrintableAscii, { error: 'must use printable ASCII characters only' });
}

/** A file-system path as typed by the administrator ('' where the field is optional). */
export function filePath() {
  return text(4096);
}

/** A whole number in `[min, max]`. */
export function int(min: number, max: number) {
  return z
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });
}

/** A TCP port; `min` 0 allows "any free port" or "none", as the field documents. */
export function port(min: 0 | 1) {
  return int(min, MAX_PORT);
}

/** An interval in seconds, at least one second (tests run the loops in seconds). */
export function intervalSeconds() {
  return int(1, MAX_INTERVAL_SECONDS);
}

/** A yes/no switch. */
export function flag() {
  return z.boolean({ error: 'must be true or false' });
}

/** A host name or IP address; '' allowed when `optional` (the feature is then unused). */
export function host(optional: boolean) {
  return text(253).refine((v) => (optional && v === '') || isHost(v), {
    error: optional
      ? 'must be a host name or IP address, or empty'
      : 'must be a host name or IP address',
  });
}

/** An email address, or '' (not filled in yet). */
export function emailAddress() {
  return text(255).refine((v) => v === '' || isEmailAddress(v), {
    error: 'must be a valid email address',
  });
}

/** A non-empty list of at most `max` email addresses. */
export function emailList(max: number) {
  return z
    .array(
      emailAddress().refine((v) => v !== '', { error: 'must not be empty' }),
      {
        error: 'must be a list of email addresses',
      },
    )
    .max(max, { error: `must list at most ${max} addresses` });
}

/** A list of target computers (host name, or host:port for a non-default Defcast port). */
export function targetList() {
  return z
    .array(text(255).min(1, { error: 'must not be empty' }), {
      error: 'must be a list of computer names',
    })
    .max(10_000, { error: 'must list at most 10000 targets' });
}

/** A secret (password, credentials): stored as given, never sent back to a console in clear. */
export function secret() {
  return text(1024);
}

/** TLS settings of one listener; turning TLS on requires both files. */
export function tlsSettings() {
  return z
    .strictObject({
      enabled: flag().default(false),
      certFile: filePath().default(''),
      keyFile: filePath().default(''),
    })
    .superRefine((tls, ctx) => {
      if (!tls.enabled) return;
      for (const key of ['certFile', 'keyFile'] as const) {
        if (tls[key].trim() === '') {
          ctx.addIssue({ code: 'custom', path: [key], message: 'required when TLS is on' });
        }
      }
    })
    .prefault({});
}

/**
 * An SMTP server as used for alert mail and for email-based Scan and Deliver (also the shape of
 * the wizard's custom SMTP server override).
 */
export function smtpServerShape() {
  return {
    host: host(true).default(''),
    port: port(1).default(25),
    secure: flag().default(false),
    user: text(255).default(''),
    password: secret().default(''),
  };
}
