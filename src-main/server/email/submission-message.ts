/**
 * The email submission of one sample (SPEC §9): its X- attributes as message headers (RFC 2047
 * where needed) and as `attributes.txt`, and its content — stripped when asked and possible —
 * inside a zip encrypted with AES and the password `infected`, the convention analysts expect.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { BlobReader, BlobWriter, ZipWriter, configure } from '@zip.js/zip.js';
import type { EmailMessage } from '../../../src-shared/api/contract.js';
import { encodeHeaderValue } from '../../../src-shared/codec/headers.js';
import type { Config, CustomerInformation } from '../../../src-shared/config/schema.js';
import { md5Hex } from '../../codec/content.js';
import { stripSample } from '../../strip/strip-sample.js';
import { submittedAttributes } from '../agent/submission-payload.js';
import { safeFileName } from '../control/restore.js';
import { stripHintOf, type LoadedSample } from './sample-bytes.js';

// zip.js would otherwise look for browser-style web workers.
configure({ useWebWorkers: false });

/** The password of the sample zip (the industry convention for exchanging malware). */
export const SAMPLE_ZIP_PASSWORD = 'infected';

/** Name of the attachment that lists the sample's attributes. */
export const ATTRIBUTES_FILE = 'attributes.txt';

/** A built message: what nodemailer sends, and its description for the console. */
export interface BuiltSubmission {
  readonly description: EmailMessage;
  readonly attachments: readonly {
    filename: string;
    content: Buffer;
    contentType: string;
  }[];
  /** Header name → wire value (already encoded). */
  readonly headers: Readonly<Record<string, string>>;
  /** What the stored sample gains once the message is accepted. */
  readonly strip: string | null;
}

/** Who the message comes from and goes to, and who the analysts should contact. */
export interface SubmissionParties {
  readonly from: string;
  readonly to: readonly string[];
  readonly contact: CustomerInformation;
}

async function encryptedZip(entryName: string, bytes: Buffer): Promise<Buffer> {
  const writer = new ZipWriter(new BlobWriter('application/zip'), {
    password: SAMPLE_ZIP_PASSWORD,
    encryptionStrength: 3,
  });
  await writer.add(entryName, new BlobReader(new Blob([new Uint8Array(bytes)])));
  const blob = await writer.close();
  return Buffer.from(await blob.arrayBuffer());
}

function baseName(path: string | undefined): string | undefined {
  if (!path) return undefined;
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1) || undefined;
}

function bodyText(
  id: string,
  name: string,
  attributes: Readonly<Record<string, string>>,
  contact: CustomerInformation,
  strip: string | null,
): string {
  const lines = [
    'Central Quarantine: a suspicious sample is submitted for analysis.',
    '',
    `Sample: ${name} (quarantine item ${id})`,
    `Checksum (MD5): ${attributes['X-Sample-Checksum'] ?? ''}`,
    `Size: ${attributes['X-Sample-Size'] ?? ''} bytes`,
    strip
      ? `Content: stripped of user data (${strip}); only the parts that can carry code are included.`
      : 'Content: the whole file, as quarantined.',
    `The sample is in the attached zip, encrypted with the password "${SAMPLE_ZIP_PASSWORD}".`,
    `Its attributes are in the message header and in ${ATTRIBUTES_FILE}.`,
    '',
    'Contact:',
    `  ${contact.contactName}, ${contact.company}${contact.account ? ` (account ${contact.account})` : ''}`,
    `  Telephone: ${contact.telephone}`,
    `  Email: ${contact.email}`,
    '',
  ];
  return lines.join('\r\n');
}

/** Build the submission message of one sample (nothing is sent or recorded here). */
export async function buildSubmissionMessage(
  sample: LoadedSample,
  config: Config,
  parties: SubmissionParties,
  options: { readonly strip: boolean },
): Promise<BuiltSubmission> {
  const { row, attributes: stored, bytes } = sample;
  const stripped = options.strip ? await stripSample(bytes, stripHintOf(stored)) : null;
  const sent = stripped?.ok ? stripped.bytes : bytes;
  const strip = stripped?.ok ? stripped.method : null;
  const withContact: Config = { ...config, customerInformation: parties.contact };
  const attributes: Record<string, string> = {
    ...submittedAttributes(stored, withContact, strip !== null),
    ...(parties.contact.account ? { 'X-Customer-Identifier': parties.contact.account } : {}),
    'X-Checksum-Method': 'md5',
    'X-Sample-Checksum': md5Hex(sent),
    'X-Sample-Size': String(sent.length),
    ...(strip ? { 'X-Sample-Strip': strip } : {}),
  };
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes)) headers[name] = encodeHeaderValue(value);

  const id = String(row.id);
  const original = baseName(stored['X-Sample-File'] ?? row.fileName ?? undefined);
  // A stripped copy no longer carries the user's file name (X-Sample-File is removed).
  const entryName = strip
    ? `sample-${id}${original?.includes('.') ? original.slice(original.lastIndexOf('.')) : '.bin'}`
    : safeFileName(original, `sample-${id}.bin`);
  const zip = await encryptedZip(entryName, sent);
  const listing = Buffer.from(
    Object.entries(attributes)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join(''),
    'utf8',
  );
  const attachments = [
    { filename: ATTRIBUTES_FILE, content: listing, contentType: 'text/plain; charset=utf-8' },
    { filename: `sample-${id}.zip`, content: zip, contentType: 'application/zip' },
  ];
  const shown = strip ? `sample ${id}` : (original ?? `sample ${id}`);
  const subject = `Sample for analysis: ${shown} [${attributes['X-Sample-Checksum']}] from ${parties.contact.company}`;
  return {
    description: {
      id,
      messageId: `<cq-${id}-${randomUUID()}@${os.hostname() || 'central-quarantine'}>`,
      from: parties.from,
      recipients: [...parties.to],
      subject,
      headers,
      text: bodyText(id, shown, attributes, parties.contact, strip),
      attachments: attachments.map((a) => ({
        name: a.filename,
        size: a.content.length,
        contentType: a.contentType,
      })),
      strip,
    },
    attachments,
    headers,
    strip,
  };
}
