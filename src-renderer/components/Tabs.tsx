/** Tabs: a tablist of roving-focus tabs (arrow keys, Home, End) and the selected tab's panel. */
import { useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';

/** One tab. */
export interface TabSpec {
  readonly id: string;
  readonly label: string;
  /** Rendered only while the tab is selected. */
  readonly render: () => ReactNode;
}

/** Props of Tabs. */
export interface TabsProps {
  readonly label: string;
  readonly tabs: readonly TabSpec[];
  readonly initial?: string;
}

/** A tab set. */
export function Tabs({ label, tabs, initial }: TabsProps): ReactNode {
  const [selected, setSelected] = useState(initial ?? tabs[0]?.id ?? '');
  const base = useId();
  const refs = useRef(new Map<string, HTMLButtonElement>());
  const current = tabs.find((t) => t.id === selected) ?? tabs[0];

  const onKeyDown = (event: KeyboardEvent<HTMLButtonElement>): void => {
    const index = tabs.findIndex((t) => t.id === current?.id);
    let next = index;
    if (event.key === 'ArrowRight') next = (index + 1) % tabs.length;
    else if (event.key === 'ArrowLeft') next = (index - 1 + tabs.length) % tabs.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = tabs.length - 1;
    else return;
    event.preventDefault();
    const tab = tabs[next];
    if (!tab) return;
    setSelected(tab.id);
    refs.current.get(tab.id)?.focus();
  };

  return (
    <div className="tabs">
      <div role="tablist" aria-label={label} className="tablist">
        {tabs.map((tab) => {
          const active = tab.id === current?.id;
          return (
            <button
              key={tab.id}
              ref={(el) => {
                if (el) refs.current.set(tab.id, el);
                else refs.current.delete(tab.id);
              }}
              type="button"
              role="tab"
              id={`${base}-tab-${tab.id}`}
              aria-selected={active}
              aria-controls={`${base}-panel-${tab.id}`}
              tabIndex={active ? 0 : -1}
              className="tab"
              onClick={() => setSelected(tab.id)}
              onKeyDown={onKeyDown}
            >
              {tab.label}
            </button>
          );
        })}
      </div>
      {current ? (
        <div
          role="tabpanel"
          id={`${base}-panel-${current.id}`}
          aria-labelledby={`${base}-tab-${current.id}`}
          className="tabpanel"
        >
          {current.render()}
        </div>
      ) : null}
    </div>
  );
}
