/**
 * The console's one store (zustand slices pattern): one slice per pane or dialog, combined
 * here once. Components read it through `useApp` and change it only through its actions, which
 * are the only code that talks to the console API.
 */
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ConsoleApi } from '../../src-shared/api/console-api.js';
import { createEmailWizardSlice } from '../features/wizard/email-wizard-slice.js';
import { createDialogsSlice } from './dialogs-slice.js';
import { createListSlice } from './list-slice.js';
import { createPanesSlice } from './panes-slice.js';
import { createPropertiesSlice } from './properties-slice.js';
import { createSelectionSlice } from './selection-slice.js';
import { createServersSlice } from './servers-slice.js';
import type { AppState } from './types.js';
import { createWizardSlice } from './wizard-slice.js';

export type { AppState } from './types.js';

/** The store type. */
export type AppStore = StoreApi<AppState>;

/** Create the store for one window. */
export function createAppStore(api: ConsoleApi): AppStore {
  return createStore<AppState>()((set, get) => {
    const context = { set, get, api };
    return {
      ...createServersSlice(context),
      ...createListSlice(context),
      ...createSelectionSlice(context),
      ...createDialogsSlice(context),
      ...createPropertiesSlice(context),
      ...createPanesSlice(context),
      ...createWizardSlice(context),
      ...createEmailWizardSlice(context),
    };
  });
}

/** The store of this window, provided at the root. */
export const StoreContext = createContext<AppStore | null>(null);

/** Read part of the store; re-renders when that part changes. */
export function useApp<T>(selector: (state: AppState) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useApp outside StoreContext');
  return useStore(store, selector);
}

/** The store itself, for event handlers that read state at the moment they run. */
export function useAppStore(): AppStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useAppStore outside StoreContext');
  return store;
}
