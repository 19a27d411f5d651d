/**
 * The console window, laid out like the MMC console of the guide: menu bar and toolbar on top,
 * the server tree on the left, the selected node's pane on the right, the status bar below, and
 * whichever dialog is open.
 */
import { useEffect, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { ConsoleAppInfo } from '../../src-shared/api/console-api.js';
import { MenuBar } from '../components/MenuBar.js';
import { Splitter } from '../components/Splitter.js';
import { AttachDialog } from '../features/attach/AttachDialog.js';
import {
  AboutDialog,
  ConfirmDialog,
  DestinationDialog,
  ResultDialog,
} from '../features/confirm/ActionDialogs.js';
import { SamplePane } from '../features/list/SamplePane.js';
import { FolderPane } from '../features/panes/FolderPane.js';
import { LogPane } from '../features/panes/LogPane.js';
import { RootPane } from '../features/panes/RootPane.js';
import { ServerPane } from '../features/panes/ServerPane.js';
import { ItemProperties } from '../features/properties/ItemProperties.js';
import { ServerProperties } from '../features/properties/ServerProperties.js';
import { ServerTree } from '../features/tree/ServerTree.js';
import { EmailWizard } from '../features/wizard/EmailWizard.js';
import { SetupWizard } from '../features/wizard/SetupWizard.js';
import { parseNode } from '../store/nodes.js';
import { useApp, useAppStore } from '../store/store.js';
import { AppToolbar } from './AppToolbar.js';
import { actionMenu, fileMenu, helpMenu, refresh, viewMenu } from './commands.js';
import { StatusBar } from './StatusBar.js';

function RightPane(): ReactNode {
  const selectedNode = useApp((s) => s.selectedNode);
  const node = parseNode(selectedNode);
  switch (node.kind) {
    case 'root':
      return <RootPane />;
    case 'server':
      return <ServerPane serverId={node.serverId} />;
    case 'items':
      return <SamplePane serverId={node.serverId} />;
    case 'log':
      return <LogPane serverId={node.serverId} />;
    case 'definitions':
    case 'targets':
      return <FolderPane serverId={node.serverId} kind={node.kind} />;
  }
}

function DialogHost({ appInfo }: { appInfo: () => ConsoleAppInfo }): ReactNode {
  const dialog = useApp((s) => s.dialog);
  if (!dialog) return null;
  switch (dialog.kind) {
    case 'itemProperties':
      return <ItemProperties />;
    case 'serverProperties':
      return <ServerProperties />;
    case 'attach':
      return <AttachDialog />;
    case 'wizard':
      return <SetupWizard />;
    case 'emailWizard':
      return <EmailWizard />;
    case 'confirm':
      return <ConfirmDialog dialog={dialog} />;
    case 'destination':
      return <DestinationDialog dialog={dialog} />;
    case 'result':
      return <ResultDialog dialog={dialog} />;
    case 'about':
      return <AboutDialog version={appInfo().version} shell={appInfo().shell} />;
  }
}

/** The whole console window. */
export function App({ appInfo }: { appInfo: () => ConsoleAppInfo }): ReactNode {
  const store = useAppStore();
  const [treeWidth, setTreeWidth] = useState(260);
  const dialogOpen = useApp((s) => s.dialog !== null);

  useEffect(() => store.getState().startSession(), [store]);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    if (event.key === 'F5' && !dialogOpen) {
      event.preventDefault();
      refresh(store.getState());
    }
  };

  return (
    // The window-wide F5 shortcut: a keyboard handler on the layout root, not an interactive widget.
    // eslint-disable-next-line jsx-a11y/no-static-element-interactions
    <div className="app" onKeyDown={onKeyDown}>
      <header className="app-header">
        <MenuBar
          label="Console menu"
          menus={[
            { id: 'file', label: 'File', items: () => fileMenu(store.getState()) },
            { id: 'action', label: 'Action', items: () => actionMenu(store.getState()) },
            { id: 'view', label: 'View', items: () => viewMenu(store.getState()) },
            { id: 'help', label: 'Help', items: () => helpMenu(store.getState()) },
          ]}
        />
        <AppToolbar />
      </header>
      <main className="workspace" aria-hidden={dialogOpen ? true : undefined}>
        <nav
          className="tree-pane"
          id="tree-pane"
          aria-label="Console tree"
          style={{ width: treeWidth }}
        >
          <ServerTree id="server-tree" />
        </nav>
        <Splitter
          label="Resize the tree"
          value={treeWidth}
          min={160}
          max={600}
          onChange={setTreeWidth}
          controls="tree-pane"
        />
        <div className="right-pane">
          <RightPane />
        </div>
      </main>
      <StatusBar />
      <DialogHost appInfo={appInfo} />
    </div>
  );
}
