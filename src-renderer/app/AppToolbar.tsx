/** The toolbar: the most used commands as icon buttons; arrow keys move between them. */
import { useRef, type KeyboardEvent, type ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { ICONS } from '../lib/icons.js';
import { useApp, useAppStore } from '../store/store.js';
import { itemActionState, openProperties, refresh } from './commands.js';

interface ToolButton {
  readonly id: string;
  readonly label: string;
  readonly icon: string;
  readonly enabled: boolean;
  readonly reason?: string;
  readonly run: () => void;
}

/** The toolbar. */
export function AppToolbar(): ReactNode {
  const store = useAppStore();
  // Re-render when anything the buttons' states depend on changes.
  useApp(useShallow((s) => [s.selectedNode, s.selection, s.list.pages, s.servers]));
  const state = store.getState();
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const del = itemActionState(state, 'samples.delete');
  const restore = itemActionState(state, 'samples.restore');
  const hasTarget = state.selectedNode !== 'root';
  const buttons: ToolButton[] = [
    {
      id: 'attach',
      label: 'Attach to Server',
      icon: ICONS.attach,
      enabled: true,
      run: () => state.openDialog({ kind: 'attach' }),
    },
    {
      id: 'properties',
      label: 'Properties',
      icon: ICONS.properties,
      enabled: hasTarget,
      reason: 'select a server or an item first',
      run: () => openProperties(store.getState()),
    },
    {
      id: 'refresh',
      label: 'Refresh',
      icon: ICONS.refresh,
      enabled: hasTarget,
      reason: 'select a server first',
      run: () => refresh(store.getState()),
    },
    {
      id: 'restore',
      label: 'Restore',
      icon: ICONS.restore,
      enabled: restore.enabled,
      ...(restore.reason ? { reason: restore.reason } : {}),
      run: () => void store.getState().requestSampleAction('samples.restore'),
    },
    {
      id: 'delete',
      label: 'Delete',
      icon: ICONS.delete,
      enabled: del.enabled,
      ...(del.reason ? { reason: del.reason } : {}),
      run: () => void store.getState().requestSampleAction('samples.delete'),
    },
  ];

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
    event.preventDefault();
    const elements = refs.current.filter((el): el is HTMLButtonElement => el !== null);
    const index = elements.indexOf(document.activeElement as HTMLButtonElement);
    const next =
      elements[(index + (event.key === 'ArrowRight' ? 1 : -1) + elements.length) % elements.length];
    next?.focus();
  };

  return (
    <div role="toolbar" aria-label="Commands" className="toolbar" onKeyDown={onKeyDown}>
      {buttons.map((button, index) => (
        <button
          key={button.id}
          ref={(el) => {
            refs.current[index] = el;
          }}
          type="button"
          className="tool"
          aria-label={button.label}
          title={
            button.enabled ? button.label : `${button.label}: ${button.reason ?? 'not available'}`
          }
          aria-disabled={button.enabled ? undefined : true}
          tabIndex={index === 0 ? 0 : -1}
          onClick={() => {
            if (button.enabled) button.run();
          }}
        >
          <img src={button.icon} alt="" />
        </button>
      ))}
    </div>
  );
}
