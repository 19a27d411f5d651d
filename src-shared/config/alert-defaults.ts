/**
 * Default settings of each alert event (SPEC §8). The guide gives the events but not their
 * defaults; the choices below follow one rule: an occurrence the administrator must act on fires
 * at once, a condition that may clear by itself waits a few minutes, and a "too long with …
 * status" condition waits for a multiple of the loop that normally moves the sample on.
 */
import type { AlertEventId } from '../catalog/events.js';

/** Default enabled flag, timeout and email channel of one alert event. */
export interface AlertEventDefault {
  readonly enabled: boolean;
  /** How long the condition must hold before the alert fires; 0 = at once. */
  readonly timeoutSeconds: number;
  /** Console and event-log channels are on for every event; mail only where someone must act. */
  readonly email: boolean;
}

const MINUTE = 60;
const HOUR = 60 * MINUTE;

const now = (email: boolean): AlertEventDefault => ({ enabled: true, timeoutSeconds: 0, email });
const after = (timeoutSeconds: number, email = true): AlertEventDefault => ({
  enabled: true,
  timeoutSeconds,
  email,
});

/** Per-event defaults, keyed by every id of ALERT_EVENT_IDS. */
export const ALERT_EVENT_DEFAULTS: Readonly<Record<AlertEventId, AlertEventDefault>> = {
  // The agent retries with back-off; a short outage (gateway restart, proxy blip) is not news.
  gatewayUnreachable: after(5 * MINUTE),
  // Each Defcast failure is retried per the delivery policy; alert if pushing keeps failing.
  defcastError: after(5 * MINUTE),
  // Nonmanaged endpoints need a manual download: tell the administrator right away.
  cannotInstallDefinitions: now(true),
  // Without the definitions folder nothing can be scanned or installed.
  definitionDirectoryInaccessible: now(true),
  // Leaves room for clamd to restart (it reloads its database) before raising the alarm.
  scannerUnreachable: after(5 * MINUTE),
  // The agent runs inside the server; it stopping is never expected.
  agentStopped: now(true),
  // Non-certified sets normally arrive within one status query (60 min); allow two.
  waitingForDefinitions: after(2 * HOUR),
  // Good news, not a fault: console and event log only.
  newCertifiedDefinitions: now(false),
  newNonCertifiedDefinitions: now(false),
  // lowQuotaPercent already sets the threshold; the quota only grows between deletions.
  diskQuotaLow: now(true),
  diskFreeBelowMaxSize: now(true),
  // Informational: the sample needed no repair or could not be repaired on the server.
  sampleNotRepaired: now(false),
  sampleDefinitionsInstallFailed: now(true),
  sampleProcessingError: now(true),
  sampleNeedsAttention: now(true),
  // Held samples wait for the administrator by policy (automatic submission off).
  sampleHeld: now(false),
  // Delivery is retried every 30 min by default: several failed rounds before alerting.
  sampleTooLongDistribute: after(4 * HOUR),
  // Endpoints may be switched off for a working day before they confirm installing.
  sampleTooLongDistributed: after(8 * HOUR),
  // Definitions exist at the gateway; fetching them takes at most a few status queries.
  sampleTooLongNeeded: after(4 * HOUR),
  // The queue is checked every minute; hours in released means the gateway is not taking it.
  sampleTooLongReleased: after(4 * HOUR),
  // Automated analysis takes minutes, a deferral to an expert can take a working day.
  sampleTooLongSubmitted: after(8 * HOUR),
  // The first scan normally follows intake within seconds; hours mean the scanner is stuck.
  sampleTooLongQuarantined: after(2 * HOUR),
  // Held by the install policy on purpose; the administrator queues delivery by hand.
  sampleDefinitionsHeld: now(false),
};
