/**
 * The dialogs item actions need: confirmation before deleting, the destination (and overwrite
 * choice) for restoring or repairing, and the list of items an action refused.
 */
import { useId, useState, type ReactNode } from 'react';
import { absoluteFolderSchema } from '../../../src-shared/api/contract.js';
import { ConfirmationDialog, Dialog } from '../../components/Dialog.js';
import { plural } from '../../lib/format.js';
import { offeredAction } from '../../lib/sample-actions.js';
import type { DialogState } from '../../store/dialogs-slice.js';
import { useApp } from '../../store/store.js';

/** Confirm a destructive action (delete). */
export function ConfirmDialog({
  dialog,
}: {
  dialog: Extract<DialogState, { kind: 'confirm' }>;
}): ReactNode {
  const closeDialog = useApp((s) => s.closeDialog);
  const runSampleAction = useApp((s) => s.runSampleAction);
  const action = offeredAction(dialog.method);
  const verb = (action?.label ?? 'Continue').replace('…', '');
  const count = plural(dialog.ids.length, 'item');
  const text =
    dialog.method === 'samples.delete'
      ? `Delete ${count} from the server? The stored content, attributes and errors are removed; the audit trail keeps a record of the deletion. This cannot be undone.`
      : `${verb} ${count}?`;
  return (
    <ConfirmationDialog
      title={`${verb} ${count}`}
      text={text}
      confirmLabel={verb}
      danger
      onConfirm={() => {
        closeDialog();
        void runSampleAction(dialog.serverId, dialog.method, dialog.ids);
      }}
      onClose={closeDialog}
    />
  );
}

/** Ask where restored (or repaired) files go, and whether existing files may be replaced. */
export function DestinationDialog({
  dialog,
}: {
  dialog: Extract<DialogState, { kind: 'destination' }>;
}): ReactNode {
  const closeDialog = useApp((s) => s.closeDialog);
  const runSampleAction = useApp((s) => s.runSampleAction);
  const [destination, setDestination] = useState('');
  const [overwrite, setOverwrite] = useState(false);
  const [touched, setTouched] = useState(false);
  const describedBy = useId();
  const restoring = dialog.method === 'samples.restore';
  const verb = restoring ? 'Restore' : 'Repair';
  const checked = absoluteFolderSchema.safeParse(destination.trim());
  const problem = checked.success ? null : (checked.error.issues[0]?.message ?? 'not a folder');
  const count = plural(dialog.ids.length, 'item');
  return (
    <Dialog
      title={`${verb} ${count}`}
      role="alertdialog"
      describedBy={describedBy}
      onClose={closeDialog}
      size="small"
      footer={
        <>
          <button
            type="button"
            className={restoring ? 'danger' : undefined}
            disabled={!checked.success}
            onClick={() => {
              closeDialog();
              void runSampleAction(dialog.serverId, dialog.method, dialog.ids, {
                destination: destination.trim(),
                ...(overwrite ? { overwrite: true } : {}),
              });
            }}
          >
            {verb}
          </button>
          <button type="button" onClick={closeDialog}>
            Cancel
          </button>
        </>
      }
    >
      <p id={describedBy}>
        {restoring
          ? `Restoring writes the original, unrepaired content of ${count} to a folder on the server's computer. The files may still be infected: restore only what analysis found clean.`
          : `Repairing writes a cleaned copy of ${count} to a folder on the server's computer.`}
      </p>
      <div className="config-field">
        <label htmlFor="destination-folder">Destination folder on the server</label>
        <input
          id="destination-folder"
          value={destination}
          placeholder="/path/to/folder or C:\\Restored"
          aria-invalid={touched && problem ? true : undefined}
          aria-describedby={touched && problem ? 'destination-error' : undefined}
          onChange={(e) => {
            setTouched(true);
            setDestination(e.target.value);
          }}
        />
        {touched && problem ? (
          <p id="destination-error" className="field-error">
            {problem}
          </p>
        ) : null}
      </div>
      <label>
        <input
          type="checkbox"
          checked={overwrite}
          onChange={(e) => setOverwrite(e.target.checked)}
        />{' '}
        Replace files that already exist there
      </label>
    </Dialog>
  );
}

/** What an action refused, item by item. */
export function ResultDialog({
  dialog,
}: {
  dialog: Extract<DialogState, { kind: 'result' }>;
}): ReactNode {
  const closeDialog = useApp((s) => s.closeDialog);
  return (
    <Dialog
      title={dialog.title}
      onClose={closeDialog}
      size="small"
      footer={
        <button type="button" onClick={closeDialog}>
          Close
        </button>
      }
    >
      <ul className="result-lines">
        {dialog.lines.map((line, index) => (
          <li key={index}>{line}</li>
        ))}
      </ul>
    </Dialog>
  );
}

/** About the console. */
export function AboutDialog({ version, shell }: { version: string; shell: string }): ReactNode {
  const closeDialog = useApp((s) => s.closeDialog);
  return (
    <Dialog
      title="About Central Quarantine"
      onClose={closeDialog}
      size="small"
      footer={
        <button type="button" onClick={closeDialog}>
          Close
        </button>
      }
    >
      <p>Central Quarantine Console {version}</p>
      <p>
        {shell === 'web'
          ? 'Running in a browser, served by cq console --web on this computer.'
          : 'Running as the desktop console.'}
      </p>
    </Dialog>
  );
}
