/**
 * Menus: a popup list of menu items (used by the context menu and the menu bar). Disabled
 * items stay focusable so their reason (the tooltip) can be read, but do nothing.
 */
import { useEffect, useRef, type KeyboardEvent, type ReactNode } from 'react';

/** One entry of a menu. */
export interface MenuItemSpec {
  readonly id: string;
  readonly label: string;
  readonly shortcut?: string;
  readonly disabled?: boolean;
  /** Why the item is disabled (shown as its tooltip). */
  readonly reason?: string;
  readonly separatorBefore?: boolean;
  readonly onSelect: () => void;
}

/** Props of MenuPopup. */
export interface MenuPopupProps {
  readonly label: string;
  readonly items: readonly MenuItemSpec[];
  readonly onClose: () => void;
  /** Page position; absent = placed by the parent's CSS. */
  readonly position?: { readonly x: number; readonly y: number };
  /** Keys the popup does not handle itself (the menu bar's Left/Right). */
  readonly onOtherKey?: (event: KeyboardEvent<HTMLDivElement>) => void;
  readonly id?: string;
}

/** A popup menu; the first item takes the focus when it opens. */
export function MenuPopup({
  label,
  items,
  onClose,
  position,
  onOtherKey,
  id,
}: MenuPopupProps): ReactNode {
  const ref = useRef<HTMLDivElement>(null);
  const refs = useRef<(HTMLDivElement | null)[]>([]);

  useEffect(() => {
    const first = refs.current.find((el) => el && el.getAttribute('aria-disabled') !== 'true');
    (first ?? refs.current[0])?.focus();
  }, []);

  useEffect(() => {
    const el = ref.current;
    if (!el || !position) return;
    // Keep the menu inside the window.
    const rect = el.getBoundingClientRect();
    const x = Math.min(position.x, window.innerWidth - rect.width - 4);
    const y = Math.min(position.y, window.innerHeight - rect.height - 4);
    el.style.left = `${Math.max(0, x)}px`;
    el.style.top = `${Math.max(0, y)}px`;
  }, [position]);

  useEffect(() => {
    const onPointer = (event: MouseEvent): void => {
      if (ref.current && !ref.current.contains(event.target as Node)) onClose();
    };
    document.addEventListener('mousedown', onPointer, true);
    return () => document.removeEventListener('mousedown', onPointer, true);
  }, [onClose]);

  const move = (delta: number): void => {
    const elements = refs.current.filter((el): el is HTMLDivElement => el !== null);
    const index = elements.indexOf(document.activeElement as HTMLDivElement);
    const next = elements[(index + delta + elements.length) % elements.length];
    next?.focus();
  };

  const activate = (item: MenuItemSpec): void => {
    if (item.disabled) return;
    onClose();
    item.onSelect();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    switch (event.key) {
      case 'ArrowDown':
        move(1);
        break;
      case 'ArrowUp':
        move(-1);
        break;
      case 'Home':
        refs.current.find((el) => el)?.focus();
        break;
      case 'End':
        [...refs.current]
          .reverse()
          .find((el) => el)
          ?.focus();
        break;
      case 'Escape':
      case 'Tab':
        onClose();
        break;
      case 'Enter':
      case ' ': {
        const index = refs.current.indexOf(document.activeElement as HTMLDivElement);
        const item = items[index];
        if (item) activate(item);
        break;
      }
      default:
        onOtherKey?.(event);
        return;
    }
    event.preventDefault();
    event.stopPropagation();
  };

  return (
    <div
      ref={ref}
      id={id}
      role="menu"
      aria-label={label}
      className={position ? 'menu menu-floating' : 'menu'}
      tabIndex={-1}
      onKeyDown={onKeyDown}
    >
      {items.map((item, index) => (
        <div key={item.id} className={item.separatorBefore ? 'menu-group' : undefined}>
          <div
            ref={(el) => {
              refs.current[index] = el;
            }}
            role="menuitem"
            tabIndex={-1}
            aria-disabled={item.disabled ? true : undefined}
            title={item.disabled ? item.reason : undefined}
            className="menuitem"
            onClick={() => activate(item)}
            onKeyDown={() => undefined}
          >
            <span>{item.label}</span>
            {item.shortcut ? <span className="shortcut">{item.shortcut}</span> : null}
          </div>
        </div>
      ))}
    </div>
  );
}
