/**
 * The list's column arrangement: stored order and widths applied to the default columns, moves,
 * and stored text that is malformed or stale never trusted.
 */
import { describe, expect, it } from 'vitest';
import {
  EMPTY_LAYOUT,
  MAX_COLUMN_WIDTH,
  MIN_COLUMN_WIDTH,
  arrangeColumns,
  moveColumn,
  parseLayout,
} from '../../src-renderer/lib/column-layout.js';

const COLUMNS = [
  { id: 'fileName', width: 200 },
  { id: 'computer', width: 150 },
  { id: 'status', width: 110 },
];

describe('column layout', () => {
  it('keeps the defaults without a stored layout', () => {
    expect(arrangeColumns(COLUMNS, EMPTY_LAYOUT)).toEqual(COLUMNS);
  });

  it('applies the stored order and widths; unknown ids are ignored, missing ones follow', () => {
    const arranged = arrangeColumns(COLUMNS, {
      order: ['status', 'gone', 'fileName', 'status'],
      widths: { fileName: 260, gone: 90 },
    });
    expect(arranged).toEqual([
      { id: 'status', width: 110 },
      { id: 'fileName', width: 260 },
      { id: 'computer', width: 150 },
    ]);
  });

  it.each([
    [['a', 'b', 'c'], 'c', 'a', ['c', 'a', 'b']],
    [['a', 'b', 'c'], 'a', null, ['b', 'c', 'a']],
    [['a', 'b', 'c'], 'a', 'c', ['b', 'a', 'c']],
    [['a', 'b', 'c'], 'b', 'b', ['a', 'b', 'c']],
    [['a', 'b', 'c'], 'b', 'missing', ['a', 'c', 'b']],
  ] as const)('moves %j: %s before %s → %j', (order, id, before, expected) => {
    expect(moveColumn(order, id, before)).toEqual(expected);
  });

  it.each([[null], [''], ['not json'], ['42'], ['null'], ['{"order":"fileName","widths":[1,2]}']])(
    'reads %j as the empty layout',
    (text) => {
      expect(parseLayout(text)).toEqual(EMPTY_LAYOUT);
    },
  );

  it('keeps only string ids and finite widths, clamped to the limits', () => {
    const layout = parseLayout(
      JSON.stringify({
        order: ['status', 3, null, 'fileName'],
        widths: { fileName: 5, status: 1e9, computer: 'wide', virus: 123.6 },
      }),
    );
    expect(layout).toEqual({
      order: ['status', 'fileName'],
      widths: { fileName: MIN_COLUMN_WIDTH, status: MAX_COLUMN_WIDTH, virus: 124 },
    });
  });

  it('drops infinite widths, clamps negative ones and keeps at most 64 entries', () => {
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`c${i}`, 100]));
    const layout = parseLayout(
      `{"order":${JSON.stringify(Object.keys(many))},"widths":${JSON.stringify({ fileName: -5, ...many }).replace('"c0":100', '"c0":1e999')}}`,
    );
    expect(layout.order).toHaveLength(64);
    expect(Object.hasOwn(layout.widths, 'c0')).toBe(false);
    expect(Object.keys(layout.widths).length).toBeLessThanOrEqual(64);
    expect(layout.widths.fileName).toBe(MIN_COLUMN_WIDTH);
  });

  it('prototype names in stored text or column ids change nothing they should not', () => {
    const layout = parseLayout(
      '{"order":["__proto__","constructor"],"widths":{"__proto__":300,"constructor":250}}',
    );
    expect(Object.getPrototypeOf(layout.widths)).toBe(Object.prototype);
    const columns = [
      { id: 'constructor', width: 120 },
      { id: 'toString', width: 90 },
    ];
    // A stored width for `constructor` applies; `toString` has none and keeps its default.
    expect(arrangeColumns(columns, layout)).toEqual([
      { id: 'constructor', width: 250 },
      { id: 'toString', width: 90 },
    ]);
    expect(arrangeColumns(columns, EMPTY_LAYOUT)).toEqual(columns);
  });
});
