/**
 * Where alerts go besides the console and the Quarantine Log (SPEC §8): email through the
 * configured SMTP server (nodemailer) and the system event log (syslog through `logger` on
 * Linux and macOS, the Application log through `eventcreate` on Windows).
 */
import { execFile } from 'node:child_process';
import os from 'node:os';
import nodemailer from 'nodemailer';
import type { Config } from '../../../src-shared/config/schema.js';
import { createLogger } from '../../log/logger.js';

const log = createLogger('alerts.channels');

/** One alert as the channels render it. */
export interface AlertNotice {
  readonly eventName: string;
  readonly message: string;
  readonly sampleId: number | null;
  readonly serverName: string;
  readonly at: number;
  readonly cleared: boolean;
}

/** Subject and text of an alert email. */
export function formatAlertMail(notice: AlertNotice): { subject: string; text: string } {
  const state = notice.cleared ? 'cleared' : 'raised';
  const subject = `[Central Quarantine ${notice.serverName}] ${notice.eventName}${notice.cleared ? ' (cleared)' : ''}`;
  const lines = [
    `Event: ${notice.eventName} (${state})`,
    `Server: ${notice.serverName}`,
    `Time: ${new Date(notice.at).toUTCString()}`,
    ...(notice.sampleId !== null ? [`Sample: ${notice.sampleId}`] : []),
    '',
    notice.message,
    '',
    "Open the Central Quarantine console for details (Alerts & Log, or the sample's Errors tab).",
  ];
  return { subject, text: lines.join('\n') };
}

/** Send an alert email with the alerting SMTP settings; resolves false (logged) on failure. */
export async function sendAlertMail(config: Config, notice: AlertNotice): Promise<boolean> {
  const smtp = config.alerting.smtp;
  const from = smtp.from || config.customerInformation.email;
  if (!smtp.host || smtp.to.length === 0 || !from) {
    log.warn('alert email skipped: SMTP host, sender or recipients not configured');
    return false;
  }
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password } } : {}),
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
  });
  try {
    const { subject, text } = formatAlertMail(notice);
    await transport.sendMail({ from, to: smtp.to, subject, text });
    return true;
  } catch (error) {
    log.error('alert email failed', { error: (error as Error).message });
    return false;
  } finally {
    transport.close();
  }
}

/** The command that writes one line to the system event log on this OS. */
export function systemLogCommand(
  notice: AlertNotice,
  platform = os.platform(),
): { file: string; args: string[] } {
  const text = `${notice.eventName}${notice.cleared ? ' (cleared)' : ''}: ${notice.message}`.slice(
    0,
    1800,
  );
  if (platform === 'win32') {
    return {
      file: 'eventcreate',
      args: [
        '/T',
        notice.cleared ? 'INFORMATION' : 'WARNING',
        '/ID',
        '100',
        '/L',
        'APPLICATION',
        '/SO',
        'CentralQuarantine',
        '/D',
        text,
      ],
    };
  }
  return {
    file: 'logger',
    args: [
      '-t',
      'central-quarantine',
      '-p',
      notice.cleared ? 'user.notice' : 'user.warning',
      '--',
      text,
    ],
  };
}

/** Write one alert line to the system event log; resolves false (logged) on failure. */
export function writeSystemLog(notice: AlertNotice): Promise<boolean> {
  const { file, args } = systemLogCommand(notice);
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 10_000, windowsHide: true }, (error) => {
      if (error) log.warn('system event log write failed', { error: error.message });
      resolve(!error);
    });
  });
}
