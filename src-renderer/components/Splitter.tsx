/**
 * A vertical splitter: drag it with the primary button, or focus it and use the arrow keys
 * (Shift for bigger steps, Home and End for the limits). It splits two panes, or sits on a list
 * column's edge, where Alt with an arrow key moves the column one place.
 */
import { useRef, type KeyboardEvent, type PointerEvent, type ReactNode } from 'react';

/** Props of Splitter. */
export interface SplitterProps {
  readonly label: string;
  /** Width of what the splitter resizes, in pixels. */
  readonly value: number;
  readonly min: number;
  readonly max: number;
  readonly onChange: (value: number) => void;
  /** Id of the pane the splitter resizes. */
  readonly controls?: string;
  /** Default `splitter`. */
  readonly className?: string;
  readonly title?: string;
  /** Identifies the splitter among its siblings (as `data-key`), e.g. to focus it again. */
  readonly dataKey?: string;
  /** Alt+Left / Alt+Right: move what the splitter belongs to one place left or right. */
  readonly onMove?: (direction: -1 | 1) => void;
  /** A drag starts (true) or ends (false). */
  readonly onDragging?: (dragging: boolean) => void;
}

const STEP = 10;
const BIG_STEP = 50;

/** A vertical splitter. */
export function Splitter(props: SplitterProps): ReactNode {
  const { label, value, min, max, onChange, onMove, onDragging } = props;
  const drag = useRef<{ startX: number; startValue: number } | null>(null);
  const clamp = (v: number): number => Math.max(min, Math.min(max, Math.round(v)));

  const endDrag = (): void => {
    if (!drag.current) return;
    drag.current = null;
    onDragging?.(false);
  };
  const onPointerDown = (event: PointerEvent<HTMLDivElement>): void => {
    if (event.button !== 0) return;
    // Neither a text selection nor what the container does with a press (a column header
    // starting a move).
    event.preventDefault();
    event.stopPropagation();
    drag.current = { startX: event.clientX, startValue: value };
    event.currentTarget.setPointerCapture(event.pointerId);
    onDragging?.(true);
  };
  const onPointerMove = (event: PointerEvent<HTMLDivElement>): void => {
    if (!drag.current) return;
    onChange(clamp(drag.current.startValue + event.clientX - drag.current.startX));
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    const direction = event.key === 'ArrowLeft' ? -1 : event.key === 'ArrowRight' ? 1 : 0;
    if (event.altKey) {
      if (direction === 0 || !onMove) return;
      onMove(direction);
    } else if (direction !== 0) {
      onChange(clamp(value + direction * (event.shiftKey ? BIG_STEP : STEP)));
    } else if (event.key === 'Home') onChange(min);
    else if (event.key === 'End') onChange(max);
    else return;
    event.preventDefault();
    event.stopPropagation();
  };

  // A focusable separator is a widget in ARIA (it has a value the keys change); the lint rules
  // only know the static kind.
  /* eslint-disable jsx-a11y/no-noninteractive-element-interactions, jsx-a11y/no-noninteractive-tabindex */
  return (
    <div
      className={props.className ?? 'splitter'}
      role="separator"
      aria-orientation="vertical"
      aria-label={label}
      aria-controls={props.controls}
      aria-valuenow={value}
      aria-valuemin={min}
      aria-valuemax={max}
      aria-valuetext={`${value} pixels`}
      aria-keyshortcuts={onMove ? 'Alt+ArrowLeft Alt+ArrowRight' : undefined}
      title={props.title}
      data-key={props.dataKey}
      tabIndex={0}
      onMouseDown={(event) => event.stopPropagation()}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={(event) => {
        event.currentTarget.releasePointerCapture(event.pointerId);
        endDrag();
      }}
      onPointerCancel={endDrag}
      onLostPointerCapture={endDrag}
      onKeyDown={onKeyDown}
    />
  );
  /* eslint-enable jsx-a11y/no-noninteractive-element-interactions, jsx-a11y/no-noninteractive-tabindex */
}
