/** A small static table for short lists (servers, history, errors, records of newer API methods). */
import type { ReactNode } from 'react';

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

/** Columns for records whose shape this console does not know (every key of the first rows). */
export function genericColumns(
  rows: readonly Readonly<Record<string, unknown>>[],
): DataColumn<Readonly<Record<string, unknown>>>[] {
  const keys: string[] = [];
  for (const row of rows.slice(0, 20))
    for (const key of Object.keys(row)) if (!keys.includes(key)) keys.push(key);
  return keys.map((key) => ({
    id: key,
    label: key,
    render: (row) => {
      const value = row[key];
      if (value === null || value === undefined) return '';
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
        return String(value);
      return JSON.stringify(value);
    },
  }));
}
