/** A vertical splitter between two panes: drag it, or focus it and use the arrow keys. */
import { useRef, type KeyboardEvent, type PointerEvent, type ReactNode } from 'react';

/** Props of Splitter. */
export interface SplitterProps {
  readonly label: string;
  /** Width of the pane before the splitter, in pixels. */
  readonly value: number;
  readonly min: number;
  readonly max: number;
  readonly onChange: (value: number) => void;
  /** Id of the pane the splitter resizes. */
  readonly controls: string;
}

/** A vertical splitter. */
export function Splitter({ label, value, min, max, onChange, controls }: SplitterProps): ReactNode {
  const drag = useRef<{ startX: number; startValue: number } | null>(null);
  const clamp = (v: number): number => Math.max(min, Math.min(max, Math.round(v)));

  const onPointerDown = (event: PointerEvent<HTMLDivElement>): void => {
    drag.current = { startX: event.clientX, startValue: value };
    event.currentTarget.setPointerCapture(event.pointerId);
  };
  const onPointerMove = (event: PointerEvent<HTMLDivElement>): void => {
    if (!drag.current) return;
    onChange(clamp(drag.current.startValue + event.clientX - drag.current.startX));
  };
  const onPointerUp = (event: PointerEvent<HTMLDivElement>): void => {
    drag.current = null;
    event.currentTarget.releasePointerCapture(event.pointerId);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    const step = event.shiftKey ? 50 : 10;
    if (event.key === 'ArrowLeft') onChange(clamp(value - step));
    else if (event.key === 'ArrowRight') onChange(clamp(value + step));
    else if (event.key === 'Home') onChange(min);
    else if (event.key === 'End') onChange(max);
    else return;
    event.preventDefault();
  };

  // A focusable separator is a widget in ARIA (it has a value the keys change); the lint rules
  // only know the static kind.
  /* eslint-disable jsx-a11y/no-noninteractive-element-interactions, jsx-a11y/no-noninteractive-tabindex */
  return (
    <div
      className="splitter"
      role="separator"
      aria-orientation="vertical"
      aria-label={label}
      aria-controls={controls}
      aria-valuenow={value}
      aria-valuemin={min}
      aria-valuemax={max}
      tabIndex={0}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onKeyDown={onKeyDown}
    />
  );
  /* eslint-enable jsx-a11y/no-noninteractive-element-interactions, jsx-a11y/no-noninteractive-tabindex */
}
