/**
 * Sending a built submission with nodemailer, and turning SMTP failures into messages an
 * administrator can act on (refused connection, rejected credentials, no answer).
 */
import nodemailer from 'nodemailer';
import type { SmtpServer } from '../../../src-shared/config/schema.js';
import type { BuiltSubmission } from './submission-message.js';

/** How long to wait for the SMTP server at each stage by default. */
export const DEFAULT_SMTP_TIMEOUT_MS = 30_000;

/** A failed send, with a sentence for the administrator and the nodemailer error code. */
export class SmtpSendError extends Error {
  constructor(
    message: string,
    readonly smtpCode: string,
  ) {
    super(message);
    this.name = 'SmtpSendError';
  }
}

function describeFailure(error: unknown, server: string): SmtpSendError {
  const e = error as { code?: string; message?: string; response?: string; responseCode?: number };
  const code = e.code ?? 'EUNKNOWN';
  const text = e.message ?? String(error);
  if (code === 'EAUTH')
    return new SmtpSendError(
      `the SMTP server ${server} refused the user name or password${e.response ? ` (${e.response})` : ''}`,
      code,
    );
  if (code === 'ETIMEDOUT' || /timeout/i.test(text))
    return new SmtpSendError(`the SMTP server ${server} did not answer in time`, 'ETIMEDOUT');
  if (/ECONNREFUSED/.test(text))
    return new SmtpSendError(`the SMTP server ${server} refused the connection`, 'ECONNREFUSED');
  if (code === 'EENVELOPE')
    return new SmtpSendError(
      `the SMTP server ${server} refused the sender or a recipient${e.response ? ` (${e.response})` : ''}`,
      code,
    );
  return new SmtpSendError(`sending through the SMTP server ${server} failed: ${text}`, code);
}

/** Send one submission; resolves with the message id the server accepted, or rejects with SmtpSendError. */
export async function sendSubmission(
  smtp: SmtpServer,
  message: BuiltSubmission,
  options: { readonly timeoutMs?: number } = {},
): Promise<string> {
  const timeout = options.timeoutMs ?? DEFAULT_SMTP_TIMEOUT_MS;
  const server = `${smtp.host}:${smtp.port}`;
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password } } : {}),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  const { description } = message;
  try {
    const info = await transport.sendMail({
      messageId: description.messageId,
      from: description.from,
      to: description.recipients,
      subject: description.subject,
      text: description.text,
      // Values are encoded already (RFC 2047 where needed): nodemailer must not touch them.
      headers: Object.fromEntries(
        Object.entries(message.headers).map(([key, value]) => [key, { prepared: true, value }]),
      ),
      attachments: message.attachments.map((a) => ({
        filename: a.filename,
        content: a.content,
        contentType: a.contentType,
      })),
    });
    return typeof info.messageId === 'string' ? info.messageId : description.messageId;
  } catch (error) {
    throw describeFailure(error, server);
  } finally {
    transport.close();
  }
}
