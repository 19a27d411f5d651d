/**
 * The list pane's columns: the guide's table 4-2 for Internet-based servers and table 3-1 for
 * email-based ones. Each column sorts on the server by its `samples.list` sort key.
 */
import type { SampleSortKey, SampleSummary } from '../../src-shared/api/contract.js';
import type { SetupType } from '../../src-shared/config/schema.js';
import {
  analysisStateLabel,
  formatAge,
  formatDateTime,
  formatSequence,
  statusLabel,
} from './format.js';

/** One column of the sample list. */
export interface SampleColumn {
  readonly id: string;
  readonly label: string;
  /** Width in pixels. */
  readonly width: number;
  readonly sortKey: SampleSortKey;
  readonly text: (row: SampleSummary, now: number) => string;
  readonly align?: 'end';
}

const column = (
  id: SampleSortKey,
  label: string,
  width: number,
  text: SampleColumn['text'],
  align?: 'end',
): SampleColumn => ({ id, label, width, sortKey: id, text, ...(align ? { align } : {}) });

const FILE_NAME = column('fileName', 'File Name', 200, (r) => r.fileName ?? '');
const USER_NAME = column('userName', 'User Name', 110, (r) => r.userName ?? '');
const COMPUTER = column('computer', 'Computer', 150, (r) => r.computer ?? '');
const VIRUS = column('virus', 'Virus', 150, (r) => r.virus ?? '');

/** Table 4-2: Internet-based Scan and Deliver. */
export const INTERNET_COLUMNS: readonly SampleColumn[] = [
  FILE_NAME,
  USER_NAME,
  COMPUTER,
  column('analyzed', 'Analyzed', 80, (r) => (r.analyzed ? 'Yes' : 'No')),
  column('age', 'Age', 90, (r, now) => formatAge(r.receivedOn, now)),
  column('sampleState', 'Sample State', 110, (r) => analysisStateLabel(r.sampleState)),
  column('definitionsNeeded', 'Definitions Needed', 130, (r) =>
    formatSequence(r.definitionsNeeded),
  ),
  column('status', 'Sample Status', 110, (r) => statusLabel(r.status)),
  VIRUS,
  column(
    'sampleErrors',
    'Sample errors',
    100,
    (r) => (r.errors > 0 ? String(r.errors) : ''),
    'end',
  ),
];

/** Table 3-1: email-based Scan and Deliver. */
export const EMAIL_COLUMNS: readonly SampleColumn[] = [
  FILE_NAME,
  USER_NAME,
  COMPUTER,
  column('domain', 'Domain Name', 110, (r) => r.domain ?? ''),
  column('receivedOn', 'Received on', 160, (r) => formatDateTime(r.receivedOn)),
  column('submittedOn', 'Submitted on', 160, (r) => formatDateTime(r.submittedOn)),
  column('submittedBy', 'Submitted by', 110, (r) => r.submittedBy ?? ''),
  column('status', 'Status', 110, (r) => statusLabel(r.status)),
  VIRUS,
];

/** The columns for a server's setup type. */
export function columnsFor(setupType: SetupType): readonly SampleColumn[] {
  return setupType === 'email' ? EMAIL_COLUMNS : INTERNET_COLUMNS;
}
