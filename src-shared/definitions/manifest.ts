/**
 * The definitions package of SPEC §4.4: its manifest, its file name, the names of the files it
 * may carry and the display form of its version. Server, gateway, endpoint and console all read
 * packages through these schemas, so what one side writes the others accept.
 */
import { z } from 'zod';
import { parseHttpDate } from '../codec/dates.js';

/** Name of the manifest inside every package. */
export const MANIFEST_FILE = 'manifest.json';

/** Name of the repair recipes file (optional in a package). */
export const REPAIR_FILE = 'repair.json';

/** Highest sequence a package name can carry (8 digits). */
export const MAX_SEQUENCE = 99_999_999;

/** The two kinds of package: a whole set, or an increment on top of a base set. */
export const DEFINITIONS_KINDS = ['all', 'incr'] as const;

/** `all` (a whole set) or `incr` (applied on top of `base`). */
export type DefinitionsKind = (typeof DEFINITIONS_KINDS)[number];

/** Signature database extensions a package may carry; `.ldb`/`.yar` serve only the clamd engine. */
export const SIGNATURE_EXTENSIONS = ['hdb', 'hsb', 'ndb', 'ldb', 'yar'] as const;

// Flat names only: no separators, no leading dot, bounded length, and a known extension.
const FILE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.(hdb|hsb|ndb|ldb|yar|json)$/;
// Device names are reserved on Windows whatever the extension, so `CON.ndb` could not be written.
const WINDOWS_DEVICE_PATTERN = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/i;

/**
 * Why `name` may not be a file of a package, or null when it may. The manifest itself is never
 * listed (it cannot carry its own checksum).
 */
export function packageFileNameProblem(name: string): string | null {
  if (name === MANIFEST_FILE) return `${MANIFEST_FILE} cannot list itself`;
  if (!FILE_NAME_PATTERN.test(name)) {
    return 'not a flat signature file name (letters, digits, ".", "_", "-"; .hdb .hsb .ndb .ldb .yar .json)';
  }
  if (WINDOWS_DEVICE_PATTERN.test(name)) return 'a reserved device name on Windows';
  return null;
}

/** True when `name` may be listed in a package manifest. */
export function isPackageFileName(name: string): boolean {
  return packageFileNameProblem(name) === null;
}

const VERSION_PATTERN = /^(\d{4})\.(\d{2})\.(\d{2})\.(\d{3})$/;

/** The parts of a `YYYY.MM.DD.NNN` version. */
export interface VersionParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly revision: number;
}

/** Parse a `YYYY.MM.DD.NNN` version; null unless the date exists and the revision is 1..999. */
export function parseDefinitionsVersion(version: string): VersionParts | null {
  const match = VERSION_PATTERN.exec(version);
  if (!match) return null;
  const [year, month, day, revision] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    revision < 1
  ) {
    return null;
  }
  return { year, month, day, revision };
}

/** The version of revision `revision` of the UTC day of `time` (`2026.03.14.002`). */
export function formatDefinitionsVersion(time: number, revision = 1): string {
  if (!Number.isInteger(revision) || revision < 1 || revision > 999) {
    throw new RangeError(`revision ${revision} is outside 1..999`);
  }
  const date = new Date(time);
  const pad = (n: number, width: number): string => String(n).padStart(width, '0');
  return `${pad(date.getUTCFullYear(), 4)}.${pad(date.getUTCMonth() + 1, 2)}.${pad(date.getUTCDate(), 2)}.${pad(revision, 3)}`;
}

/** Revision as letters: 1 → a … 26 → z, then aa, ab … (so a busy day never runs out). */
function revisionLetters(revision: number): string {
  let n = revision;
  let letters = '';
  while (n > 0) {
    const rem = (n - 1) % 26;
    letters = String.fromCharCode(97 + rem) + letters;
    n = Math.floor((n - 1) / 26);
  }
  return letters;
}

/** The display version `YYMMDDx` of a `YYYY.MM.DD.NNN` version (`2026.03.14.002` → `260314b`). */
export function displayDefinitionsVersion(version: string): string {
  const parts = parseDefinitionsVersion(version);
  if (!parts) return version;
  const two = (n: number): string => String(n % 100).padStart(2, '0');
  return `${two(parts.year)}${two(parts.month)}${two(parts.day)}${revisionLetters(parts.revision)}`;
}

const PACKAGE_NAME_PATTERN = /^(\d{8})\.(all|incr)\.zip$/;

/** The package file name `{sequence:8}.{kind}.zip` (`00000678.all.zip`). */
export function formatPackageName(sequence: number, kind: DefinitionsKind): string {
  if (!Number.isInteger(sequence) || sequence < 1 || sequence > MAX_SEQUENCE) {
    throw new RangeError(`sequence ${sequence} is outside 1..${MAX_SEQUENCE}`);
  }
  return `${String(sequence).padStart(8, '0')}.${kind}.zip`;
}

/** Parse a package file name; null when it is not of the form `{sequence:8}.{kind}.zip`. */
export function parsePackageName(
  name: string,
): { readonly sequence: number; readonly kind: DefinitionsKind } | null {
  const match = PACKAGE_NAME_PATTERN.exec(name);
  if (!match) return null;
  const sequence = Number(match[1]);
  if (sequence < 1) return null;
  return { sequence, kind: match[2] as DefinitionsKind };
}

const sequenceSchema = z.number().int().min(1).max(MAX_SEQUENCE);

const httpDateSchema = z
  .string()
  .refine((value) => parseHttpDate(value) !== null, 'must be an RFC 1123 date');

const md5Schema = z.string().regex(/^[0-9a-fA-F]{32}$/, 'must be an MD5 in hex');

/** The manifest of a definitions package (`manifest.json`). */
export const manifestSchema = z
  .strictObject({
    sequence: sequenceSchema,
    version: z
      .string()
      .refine(
        (v) => parseDefinitionsVersion(v) !== null,
        'must be YYYY.MM.DD.NNN with a real date',
      ),
    certified: z.boolean(),
    kind: z.enum(DEFINITIONS_KINDS),
    base: sequenceSchema.nullable().optional(),
    produced: httpDateSchema,
    published: httpDateSchema,
    blessed: httpDateSchema.nullable(),
    files: z.record(z.string(), md5Schema),
  })
  .superRefine((m, ctx) => {
    if (m.kind === 'incr' && (m.base === undefined || m.base === null)) {
      ctx.addIssue({
        code: 'custom',
        path: ['base'],
        message: 'an incr set needs its base sequence',
      });
    }
    if (m.kind === 'incr' && typeof m.base === 'number' && m.base >= m.sequence) {
      ctx.addIssue({ code: 'custom', path: ['base'], message: 'base must be lower than sequence' });
    }
    if (m.kind === 'all' && typeof m.base === 'number') {
      ctx.addIssue({ code: 'custom', path: ['base'], message: 'an all set has no base' });
    }
    // A certified set is one that was blessed; the date says when.
    if (m.certified !== (m.blessed !== null)) {
      ctx.addIssue({
        code: 'custom',
        path: ['blessed'],
        message: 'is set exactly when the set is certified',
      });
    }
    for (const name of Object.keys(m.files)) {
      const problem = packageFileNameProblem(name);
      if (problem) ctx.addIssue({ code: 'custom', path: ['files', name], message: problem });
    }
  });

/** A parsed, valid manifest. */
export type DefinitionsManifest = z.infer<typeof manifestSchema>;

/**
 * Parse a manifest; the reason names the first problem (`files.x.ndb: must be an MD5 in hex`).
 */
export function parseManifest(
  value: unknown,
): { ok: true; manifest: DefinitionsManifest } | { ok: false; reason: string } {
  const result = manifestSchema.safeParse(value);
  if (result.success) return { ok: true, manifest: result.data };
  return { ok: false, reason: firstIssue(result.error) };
}

/** One readable line for the first issue of a zod error: `path: message`. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const where = issue.path.map(String).join('.');
  return where ? `${where}: ${issue.message}` : issue.message;
}
