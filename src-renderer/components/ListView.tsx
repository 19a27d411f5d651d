/**
 * A virtualised ARIA grid for long lists (100,000 rows): fixed row height, only the rows in
 * view plus a small overscan are in the DOM, and rows not loaded yet show as placeholders.
 * Focus stays on the grid (aria-activedescendant names the active row); arrows, Page keys,
 * Home/End, Shift and Ctrl extend or move, Enter activates, Delete and the context-menu key
 * are reported to the owner.
 */
import {
  memo,
  useCallback,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
  type KeyboardEvent,
  type MouseEvent,
  type ReactNode,
} from 'react';
import { MAX_COLUMN_WIDTH, MIN_COLUMN_WIDTH } from '../lib/column-layout.js';
import { Splitter } from './Splitter.js';

/** One column. */
export interface ListColumn<Row> {
  readonly id: string;
  readonly label: string;
  readonly width: number;
  readonly align?: 'end';
  readonly text: (row: Row) => string;
  readonly sortable?: boolean;
}

/** How a selection gesture was made. */
export interface Gesture {
  readonly shift: boolean;
  readonly ctrl: boolean;
}

/** Props of ListView. */
export interface ListViewProps<Row> {
  readonly id: string;
  readonly label: string;
  readonly columns: readonly ListColumn<Row>[];
  readonly rowCount: number;
  readonly getRow: (index: number) => Row | undefined;
  readonly isSelected: (row: Row | undefined, index: number) => boolean;
  readonly focusIndex: number;
  readonly sortColumn?: string;
  readonly sortOrder?: 'asc' | 'desc';
  readonly onSort?: (columnId: string) => void;
  /** A column's edge was dragged (or moved with the arrow keys) to a new width. */
  readonly onResizeColumn?: (columnId: string, width: number) => void;
  /** A column header was dropped before another one (null: after the last). */
  readonly onMoveColumn?: (columnId: string, beforeId: string | null) => void;
  /** Changes when the content is replaced (new sort or filter): scroll back to the top. */
  readonly resetToken?: number;
  readonly onVisibleRangeChange?: (first: number, last: number) => void;
  /** Click on a row. */
  readonly onRowPointer: (index: number, gesture: Gesture) => void;
  /** Keyboard move to `index`. */
  readonly onFocusMove: (index: number, gesture: Gesture) => void;
  /** Space or Ctrl+Space on the focused row. */
  readonly onToggle?: (index: number) => void;
  /** Enter or double-click. */
  readonly onActivate: (index: number) => void;
  readonly onDelete?: () => void;
  readonly onSelectAll?: () => void;
  /** Right click or the context-menu key; index null = empty area. */
  readonly onContextMenu?: (index: number | null, x: number, y: number) => void;
  readonly emptyText?: string;
  readonly rowHeight?: number;
  /** Extra rows rendered above and below the visible ones. */
  readonly overscan?: number;
}

const HEADER_HEIGHT = 26;
/** Pixels an arrow key widens or narrows a column by. */
/** The drag payload type of a column header being moved. */
const COLUMN_DRAG_TYPE = 'application/x-cq-column';

interface RowProps<Row> {
  readonly gridId: string;
  readonly index: number;
  readonly row: Row | undefined;
  readonly columns: readonly ListColumn<Row>[];
  readonly selected: boolean;
  readonly focused: boolean;
  readonly top: number;
  readonly height: number;
  readonly onMouseDown: (index: number, event: MouseEvent) => void;
  readonly onDoubleClick: (index: number) => void;
  readonly onContextMenu: (index: number, event: MouseEvent) => void;
}

function RowView<Row>(props: RowProps<Row>): ReactNode {
  const { gridId, index, row, columns, selected, focused, top, height } = props;
  // React sets style props through the CSSOM, which the page's style-src 'self' policy allows.
  return (
    <div
      style={{ transform: `translateY(${top}px)`, height }}
      id={`${gridId}-row-${index}`}
      role="row"
      tabIndex={-1}
      aria-rowindex={index + 2}
      aria-selected={selected}
      className={`lv-row${selected ? ' selected' : ''}${focused ? ' focused' : ''}${row ? '' : ' placeholder'}`}
      onMouseDown={(event) => props.onMouseDown(index, event)}
      onDoubleClick={() => props.onDoubleClick(index)}
      onContextMenu={(event) => props.onContextMenu(index, event)}
    >
      {columns.map((column, c) => (
        <div
          key={column.id}
          role="gridcell"
          aria-colindex={c + 1}
          className={`lv-cell${column.align === 'end' ? ' end' : ''}`}
          style={{ width: column.width }}
        >
          {row ? column.text(row) : c === 0 ? '…' : ''}
        </div>
      ))}
    </div>
  );
}

const Row = memo(RowView) as typeof RowView;

/** A virtualised grid. */
export function ListView<Row>(props: ListViewProps<Row>): ReactNode {
  const {
    id,
    label,
    columns,
    rowCount,
    getRow,
    isSelected,
    focusIndex,
    rowHeight = 22,
    overscan = 6,
  } = props;
  const ref = useRef<HTMLDivElement>(null);
  const headRef = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  // While a column edge is dragged, headers must not start moving columns.
  const [resizing, setResizing] = useState(false);
  // A column moved from the keyboard: its grip gets the focus back once the headers are redrawn.
  const [movedColumn, setMovedColumn] = useState<string | null>(null);
  const keyboardMove = useRef(false);
  // Row handlers stay the same functions across renders (so memoised rows are not redrawn);
  // they read the latest props when called.
  const latest = useRef(props);
  latest.current = props;
  const totalWidth = columns.reduce((sum, c) => sum + c.width, 0);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setViewport(el.clientHeight));
    observer.observe(el);
    setViewport(el.clientHeight);
    return () => observer.disconnect();
  }, []);

  useLayoutEffect(() => {
    if (ref.current) ref.current.scrollTop = 0;
    setScrollTop(0);
  }, [props.resetToken]);

  const visibleRows = Math.max(1, Math.ceil((viewport - HEADER_HEIGHT) / rowHeight));
  const firstVisible = Math.floor(scrollTop / rowHeight);
  const first = Math.max(0, firstVisible - overscan);
  const last = Math.min(rowCount - 1, firstVisible + visibleRows + overscan);

  const { onVisibleRangeChange } = props;
  useEffect(() => {
    onVisibleRangeChange?.(first, Math.max(first, last));
  }, [first, last, onVisibleRangeChange]);

  useEffect(() => {
    if (movedColumn === null) return;
    setMovedColumn(null);
    ref.current
      ?.querySelector<HTMLElement>(`.lv-resize[data-key="${CSS.escape(movedColumn)}"]`)
      ?.focus();
  }, [movedColumn, columns]);

  /** Move a column one place from the keyboard, keeping its grip focused. */
  const moveByKey = (index: number, direction: -1 | 1): void => {
    const target = index + direction;
    if (target < 0 || target >= columns.length) return;
    // Before the left neighbour, or before the column after the right neighbour.
    const before = direction < 0 ? columns[target]!.id : (columns[target + 1]?.id ?? null);
    props.onMoveColumn?.(columns[index]!.id, before);
    setMovedColumn(columns[index]!.id);
  };

  // Keep the focused row in view after keyboard moves.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || !keyboardMove.current) return;
    keyboardMove.current = false;
    const top = focusIndex * rowHeight;
    const view = el.clientHeight - HEADER_HEIGHT;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + rowHeight > el.scrollTop + view) el.scrollTop = top + rowHeight - view;
    setScrollTop(el.scrollTop);
  }, [focusIndex, rowHeight]);

  const moveTo = (index: number, gesture: Gesture): void => {
    if (rowCount === 0) return;
    keyboardMove.current = true;
    props.onFocusMove(Math.max(0, Math.min(rowCount - 1, index)), gesture);
  };

  const contextMenuAt = (index: number | null): void => {
    const el = ref.current;
    if (!el || !props.onContextMenu) return;
    const rowEl = index === null ? null : document.getElementById(`${id}-row-${index}`);
    const rect = (rowEl ?? el).getBoundingClientRect();
    props.onContextMenu(index, rect.left + 24, rect.top + Math.min(rect.height, rowHeight));
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    // Keys act on the rows, not from the header: a column's splitter there must not delete
    // or open the selected items.
    if (headRef.current?.contains(event.target as Node)) return;
    const gesture: Gesture = { shift: event.shiftKey, ctrl: event.ctrlKey || event.metaKey };
    const page = Math.max(1, visibleRows - 1);
    switch (event.key) {
      case 'ArrowDown':
        moveTo(focusIndex + 1, gesture);
        break;
      case 'ArrowUp':
        moveTo(focusIndex - 1, gesture);
        break;
      case 'PageDown':
        moveTo(focusIndex + page, gesture);
        break;
      case 'PageUp':
        moveTo(focusIndex - page, gesture);
        break;
      case 'Home':
        moveTo(0, gesture);
        break;
      case 'End':
        moveTo(rowCount - 1, gesture);
        break;
      case ' ':
        if (rowCount > 0) {
          if (gesture.ctrl) props.onToggle?.(focusIndex);
          else props.onRowPointer(focusIndex, { shift: false, ctrl: false });
        }
        break;
      case 'Enter':
        if (rowCount > 0) props.onActivate(focusIndex);
        break;
      case 'Delete':
        props.onDelete?.();
        break;
      case 'ContextMenu':
        contextMenuAt(rowCount > 0 ? focusIndex : null);
        break;
      case 'F10':
        if (!event.shiftKey) return;
        contextMenuAt(rowCount > 0 ? focusIndex : null);
        break;
      case 'a':
      case 'A':
        if (!gesture.ctrl) return;
        props.onSelectAll?.();
        break;
      default:
        return;
    }
    event.preventDefault();
  };

  const onRowMouseDown = useCallback((index: number, event: MouseEvent): void => {
    if (event.button !== 0) return;
    latest.current.onRowPointer(index, {
      shift: event.shiftKey,
      ctrl: event.ctrlKey || event.metaKey,
    });
  }, []);

  const onRowDoubleClick = useCallback(
    (index: number): void => latest.current.onActivate(index),
    [],
  );

  const onRowContextMenu = useCallback((index: number, event: MouseEvent): void => {
    event.preventDefault();
    event.stopPropagation();
    ref.current?.focus();
    latest.current.onContextMenu?.(index, event.clientX, event.clientY);
  }, []);

  const rows: ReactNode[] = [];
  const slots = Math.max(1, last - first + 1);
  for (let index = first; index <= last; index++) {
    const row = getRow(index);
    rows.push(
      <Row
        // Keyed by slot, so scrolling reuses row elements instead of creating new ones.
        key={index % slots}
        gridId={id}
        index={index}
        row={row}
        columns={columns}
        selected={isSelected(row, index)}
        focused={index === focusIndex}
        top={index * rowHeight}
        height={rowHeight}
        onMouseDown={onRowMouseDown}
        onDoubleClick={onRowDoubleClick}
        onContextMenu={onRowContextMenu}
      />,
    );
  }

  const activeRendered = rowCount > 0 && focusIndex >= first && focusIndex <= last;

  return (
    <div
      ref={ref}
      id={id}
      className="listview"
      role="grid"
      aria-label={label}
      aria-rowcount={rowCount + 1}
      aria-colcount={columns.length}
      aria-multiselectable="true"
      aria-activedescendant={activeRendered ? `${id}-row-${focusIndex}` : undefined}
      tabIndex={0}
      onKeyDown={onKeyDown}
      onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}
      onContextMenu={(event) => {
        event.preventDefault();
        props.onContextMenu?.(null, event.clientX, event.clientY);
      }}
    >
      <div role="rowgroup" className="lv-head" ref={headRef}>
        <div
          role="row"
          aria-rowindex={1}
          className="lv-row lv-header"
          style={{ width: totalWidth }}
        >
          {columns.map((column, c) => {
            const sorted = props.sortColumn === column.id;
            const ariaSort = sorted
              ? props.sortOrder === 'asc'
                ? 'ascending'
                : 'descending'
              : 'none';
            return (
              <div
                key={column.id}
                role="columnheader"
                aria-colindex={c + 1}
                aria-sort={ariaSort}
                className="lv-cell"
                style={{ width: column.width }}
                tabIndex={-1}
                draggable={props.onMoveColumn !== undefined && !resizing}
                onDragStart={(event) => {
                  event.dataTransfer.setData(COLUMN_DRAG_TYPE, column.id);
                  event.dataTransfer.effectAllowed = 'move';
                }}
                onDragOver={(event) => {
                  if (!event.dataTransfer.types.includes(COLUMN_DRAG_TYPE)) return;
                  event.preventDefault();
                  event.dataTransfer.dropEffect = 'move';
                }}
                onDrop={(event) => {
                  const moved = event.dataTransfer.getData(COLUMN_DRAG_TYPE);
                  if (!moved) return;
                  event.preventDefault();
                  // Dropped on its right half: after this column, else before it.
                  const rect = event.currentTarget.getBoundingClientRect();
                  const after = event.clientX > rect.left + rect.width / 2;
                  const before = after ? (columns[c + 1]?.id ?? null) : column.id;
                  if (moved !== before) props.onMoveColumn?.(moved, before);
                }}
              >
                {column.sortable === false || !props.onSort ? (
                  <span className="lv-head-label">{column.label}</span>
                ) : (
                  <button
                    type="button"
                    tabIndex={-1}
                    className="lv-sort"
                    onMouseDown={(event) => event.stopPropagation()}
                    onClick={() => {
                      // The focus goes back to the grid, where the keys move through the rows.
                      ref.current?.focus({ preventScroll: true });
                      props.onSort?.(column.id);
                    }}
                  >
                    {column.label}
                    <span aria-hidden="true" className="lv-sort-mark">
                      {sorted ? (props.sortOrder === 'asc' ? '▲' : '▼') : ''}
                    </span>
                  </button>
                )}
                {props.onResizeColumn ? (
                  <Splitter
                    className="lv-resize"
                    dataKey={column.id}
                    label={`Resize ${column.label}`}
                    title={
                      props.onMoveColumn
                        ? 'Drag, or Left/Right, to resize; Alt+Left/Right moves the column'
                        : 'Drag, or Left/Right, to resize'
                    }
                    value={column.width}
                    min={MIN_COLUMN_WIDTH}
                    max={MAX_COLUMN_WIDTH}
                    onChange={(width) => props.onResizeColumn?.(column.id, width)}
                    onDragging={setResizing}
                    {...(props.onMoveColumn
                      ? { onMove: (direction: -1 | 1) => moveByKey(c, direction) }
                      : {})}
                  />
                ) : null}
              </div>
            );
          })}
        </div>
      </div>
      <div
        role="rowgroup"
        className="lv-body"
        style={{ height: rowCount * rowHeight, width: totalWidth }}
      >
        {rows}
      </div>
      {rowCount === 0 && props.emptyText ? <div className="lv-empty">{props.emptyText}</div> : null}
    </div>
  );
}
