/** The menu bar: top-level menus opened with a click, Enter or Down; Left/Right move between them. */
import { useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { MenuPopup, type MenuItemSpec } from './Menu.js';

/** One top-level menu. */
export interface MenuSpec {
  readonly id: string;
  readonly label: string;
  readonly items: () => readonly MenuItemSpec[];
}

/** The menu bar. */
export function MenuBar({
  label,
  menus,
}: {
  label: string;
  menus: readonly MenuSpec[];
}): ReactNode {
  const [open, setOpen] = useState<string | null>(null);
  const [focus, setFocus] = useState(0);
  const refs = useRef<(HTMLButtonElement | null)[]>([]);

  const focusMenu = (index: number, openIt: boolean): void => {
    const next = (index + menus.length) % menus.length;
    setFocus(next);
    refs.current[next]?.focus();
    setOpen(openIt ? (menus[next]?.id ?? null) : null);
  };

  const onBarKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    if (event.key === 'ArrowRight') focusMenu(focus + 1, open !== null);
    else if (event.key === 'ArrowLeft') focusMenu(focus - 1, open !== null);
    else if (event.key === 'ArrowDown' || event.key === 'Enter' || event.key === ' ')
      focusMenu(focus, true);
    else return;
    event.preventDefault();
  };

  return (
    <div
      role="menubar"
      aria-label={label}
      className="menubar"
      tabIndex={-1}
      onKeyDown={onBarKeyDown}
    >
      {menus.map((menu, index) => (
        <div key={menu.id} className="menubar-entry">
          <button
            ref={(el) => {
              refs.current[index] = el;
            }}
            type="button"
            role="menuitem"
            aria-haspopup="menu"
            aria-expanded={open === menu.id}
            tabIndex={index === focus ? 0 : -1}
            className="menubar-item"
            onClick={() => (open === menu.id ? setOpen(null) : focusMenu(index, true))}
          >
            {menu.label}
          </button>
          {open === menu.id ? (
            <MenuPopup
              label={menu.label}
              items={menu.items()}
              onClose={() => {
                setOpen(null);
                refs.current[index]?.focus();
              }}
              onOtherKey={(event) => {
                if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
                  event.preventDefault();
                  event.stopPropagation();
                  focusMenu(index + (event.key === 'ArrowRight' ? 1 : -1), true);
                }
              }}
            />
          ) : null}
        </div>
      ))}
    </div>
  );
}
