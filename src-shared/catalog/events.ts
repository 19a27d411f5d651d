/**
 * The alert events of the guide's table 4-3. `id` is this project's stable key (config,
 * API, tests); `name` is the event's name as administrators know it.
 */
export interface AlertEventSpec {
  readonly id: AlertEventId;
  readonly name: string;
  readonly description: string;
  /** Evaluated per sample ("Sample: …" events) rather than for the whole server. */
  readonly perSample: boolean;
}

export const ALERT_EVENT_IDS = [
  'gatewayUnreachable',
  'defcastError',
  'cannotInstallDefinitions',
  'definitionDirectoryInaccessible',
  'scannerUnreachable',
  'agentStopped',
  'waitingForDefinitions',
  'newCertifiedDefinitions',
  'newNonCertifiedDefinitions',
  'diskQuotaLow',
  'diskFreeBelowMaxSize',
  'sampleNotRepaired',
  'sampleDefinitionsInstallFailed',
  'sampleProcessingError',
  'sampleNeedsAttention',
  'sampleHeld',
  'sampleTooLongDistribute',
  'sampleTooLongDistributed',
  'sampleTooLongNeeded',
  'sampleTooLongReleased',
  'sampleTooLongSubmitted',
  'sampleTooLongQuarantined',
  'sampleDefinitionsHeld',
] as const;

/** Stable key of an alert event. */
export type AlertEventId = (typeof ALERT_EVENT_IDS)[number];

/** Every event of table 4-3, in the guide's order. */
export const ALERT_EVENTS: readonly AlertEventSpec[] = [
  ev(
    'gatewayUnreachable',
    'Unable to connect to the Gateway',
    'The Quarantine Agent cannot reach the analysis gateway.',
  ),
  ev(
    'defcastError',
    'Defcast error',
    'Pushing new definitions from this server to endpoints failed.',
  ),
  ev(
    'cannotInstallDefinitions',
    'Cannot install definitions on target machines',
    'Definitions could not be delivered, or are waiting to be fetched by hand for nonmanaged endpoints.',
  ),
  ev(
    'definitionDirectoryInaccessible',
    'Unable to access definition directory',
    'The server cannot read or write its definitions folder.',
  ),
  ev(
    'scannerUnreachable',
    'Cannot connect to Quarantine Scanner svc',
    'The scanning engine is not answering, so samples cannot be scanned or sent on.',
  ),
  ev(
    'agentStopped',
    'The Quarantine Agent service has stopped',
    'Nothing will be exchanged with the gateway until the agent runs again.',
  ),
  ev(
    'waitingForDefinitions',
    'Waiting for needed definitions',
    'Definitions the gateway announced have not arrived yet.',
  ),
  ev(
    'newCertifiedDefinitions',
    'New Certified definitions arrived',
    'A new certified definitions set was installed on the server.',
  ),
  ev(
    'newNonCertifiedDefinitions',
    'New non-certified definitions arrived',
    'A new non-certified set, built for a submitted sample, was installed on the server.',
  ),
  ev(
    'diskQuotaLow',
    'Disk quota remaining is low for Quarantine dir',
    'Stored samples are close to the configured maximum size.',
  ),
  ev(
    'diskFreeBelowMaxSize',
    'Disk free space is less than Quarantine max size',
    'The disk has less free space than the configured maximum quarantine size.',
  ),
  ev(
    'sampleNotRepaired',
    'Sample: was not repaired',
    'A sample was left unrepaired, or needed no repair.',
    true,
  ),
  ev(
    'sampleDefinitionsInstallFailed',
    'Sample: unable to install definitions',
    'Definitions for a sample could not be installed, often because the set is damaged.',
    true,
  ),
  ev('sampleProcessingError', 'Sample: processing error', 'Processing a sample failed.', true),
  ev(
    'sampleNeedsAttention',
    'Sample: needs attention from Tech Support',
    'Automatic processing could not finish a sample; a specialist must look at it.',
    true,
  ),
  ev(
    'sampleHeld',
    'Sample: held for manual submission',
    'A sample stays on the server instead of being submitted automatically.',
    true,
  ),
  ev(
    'sampleTooLongDistribute',
    'Sample: too long without installing new defs',
    'A sample has waited in distribute status longer than allowed.',
    true,
  ),
  ev(
    'sampleTooLongDistributed',
    'Sample: too long with Distributed Status',
    'Definitions went out but the endpoint has not confirmed installing them.',
    true,
  ),
  ev(
    'sampleTooLongNeeded',
    'Sample: too long with Needed status',
    'Definitions for a sample have not been fetched from the gateway yet.',
    true,
  ),
  ev(
    'sampleTooLongReleased',
    'Sample: too long with Released status',
    'A released sample has not been taken by the gateway yet.',
    true,
  ),
  ev(
    'sampleTooLongSubmitted',
    'Sample: too long with Submitted status',
    'The gateway has not finished with a submitted sample yet.',
    true,
  ),
  ev(
    'sampleTooLongQuarantined',
    'Sample: too long with Quarantined status',
    'A new sample has not had its first scan on the server yet.',
    true,
  ),
  ev(
    'sampleDefinitionsHeld',
    'Sample: new definitions held for delivery',
    'Definitions for a sample are kept on the server instead of being delivered.',
    true,
  ),
];

function ev(
  id: AlertEventId,
  name: string,
  description: string,
  perSample = false,
): AlertEventSpec {
  return { id, name, description, perSample };
}

/** Look up an event by its stable key. */
export function getAlertEvent(id: AlertEventId): AlertEventSpec {
  const spec = ALERT_EVENTS.find((e) => e.id === id);
  if (!spec) throw new Error(`unknown alert event ${id}`);
  return spec;
}
