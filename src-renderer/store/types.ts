/** The shape of the console's one store, composed of one slice per pane or dialog. */
import type { StoreApi } from 'zustand/vanilla';
import type { ConsoleApi } from '../../src-shared/api/console-api.js';
import type { EmailWizardSlice } from '../features/wizard/email-wizard-slice.js';
import type { DialogsSlice } from './dialogs-slice.js';
import type { ListSlice } from './list-slice.js';
import type { PanesSlice } from './panes-slice.js';
import type { PropertiesSlice } from './properties-slice.js';
import type { SelectionSlice } from './selection-slice.js';
import type { ServersSlice } from './servers-slice.js';
import type { WizardSlice } from './wizard-slice.js';

/** Everything the console UI knows. */
export type AppState = ServersSlice &
  ListSlice &
  SelectionSlice &
  DialogsSlice &
  PropertiesSlice &
  PanesSlice &
  WizardSlice &
  EmailWizardSlice;

/** What each slice creator gets: the store's setter and getter, and the console API. */
export interface SliceContext {
  readonly set: StoreApi<AppState>['setState'];
  readonly get: StoreApi<AppState>['getState'];
  readonly api: ConsoleApi;
}
