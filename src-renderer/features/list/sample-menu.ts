/** The item actions as menu entries (context menu and Action menu), enabled per the lifecycle rules. */
import type { MenuItemSpec } from '../../components/Menu.js';
import { offeredActions, selectionEligibility } from '../../lib/sample-actions.js';
import type { AppState } from '../../store/store.js';

/** Menu entries for the current selection. */
export function sampleMenuItems(state: AppState): MenuItemSpec[] {
  const count = state.selectedCount();
  const rows = state.selectedRows();
  const connected = state.servers.find((s) => s.id === state.list.serverId)?.state === 'connected';
  const items: MenuItemSpec[] = [
    {
      id: 'properties',
      label: 'Properties',
      shortcut: 'Enter',
      disabled: count === 0 || !connected,
      reason: !connected ? 'the server is not connected' : 'select an item first',
      onSelect: () => state.openItemProperties(),
    },
  ];
  offeredActions().forEach((action, index) => {
    const eligibility = connected
      ? selectionEligibility(action, rows, count)
      : { allowed: false as const, reason: 'the server is not connected' };
    items.push({
      id: action.method,
      label: action.label,
      ...(action.shortcut ? { shortcut: action.shortcut } : {}),
      disabled: !eligibility.allowed,
      ...(eligibility.allowed ? {} : { reason: eligibility.reason }),
      separatorBefore: index === 0,
      onSelect: () => void state.requestSampleAction(action.method),
    });
  });
  const emailSetup = state.infos[state.list.serverId ?? '']?.setupType === 'email';
  items.push({
    id: 'submit-by-email',
    label: 'Submit by email…',
    separatorBefore: true,
    disabled: !connected || !emailSetup || count === 0,
    reason: !connected
      ? 'the server is not connected'
      : !emailSetup
        ? 'the server is not set up for email submission'
        : 'select an item first',
    onSelect: () => void state.openEmailWizard(),
  });
  items.push({
    id: 'select-all',
    label: 'Select All',
    shortcut: 'Ctrl+A',
    separatorBefore: true,
    onSelect: () => state.selectAll(),
  });
  items.push({
    id: 'refresh',
    label: 'Refresh',
    shortcut: 'F5',
    onSelect: () => state.refreshList(),
  });
  return items;
}
