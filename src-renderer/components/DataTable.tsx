/** A small static table for short lists (servers, history, errors, records of newer API methods). */
import type { ReactNode } from 'react';
import { formatDateTime } from '../lib/format.js';

/** One column of a DataTable. */
export interface DataColumn<Row> {
  readonly id: string;
  readonly label: string;
  readonly render: (row: Row) => ReactNode;
}

/** Props of DataTable. */
export interface DataTableProps<Row> {
  readonly label: string;
  readonly columns: readonly DataColumn<Row>[];
  readonly rows: readonly Row[];
  readonly rowKey: (row: Row, index: number) => string;
  readonly emptyText: string;
}

/** A labelled table; says so when it has no rows. */
export function DataTable<Row>({
  label,
  columns,
  rows,
  rowKey,
  emptyText,
}: DataTableProps<Row>): ReactNode {
  if (rows.length === 0) return <p className="empty-text">{emptyText}</p>;
  return (
    <div className="table-scroll">
      <table className="data-table" aria-label={label}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.id} scope="col">
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => (
            <tr key={rowKey(row, index)}>
              {columns.map((c) => (
                <td key={c.id}>{c.render(row)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const DATE_KEY = /(At|On|Seen|Date)$/;

/** "lastSeen" → "Last seen". */
function humanize(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** One value of a record as text: dates for time stamps, lists joined, flags as Yes/No. */
function cellText(key: string, value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' && DATE_KEY.test(key) && value > 1e11) return formatDateTime(value);
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.map((item) => cellText('', item)).join(', ');
  return JSON.stringify(value);
}

/**
 * Columns for records whose shape this console does not know yet (answers of API methods
 * newer than it): every key of the first rows, with readable headers and values.
 */
export function genericColumns(
  rows: readonly Readonly<Record<string, unknown>>[],
): DataColumn<Readonly<Record<string, unknown>>>[] {
  const keys: string[] = [];
  for (const row of rows.slice(0, 20))
    for (const key of Object.keys(row)) if (!keys.includes(key)) keys.push(key);
  return keys.map((key) => ({
    id: key,
    label: humanize(key),
    render: (row) => cellText(key, row[key]),
  }));
}
