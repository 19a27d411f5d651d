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
});
