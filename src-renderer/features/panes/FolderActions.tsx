/**
 * Actions of the Definitions and Targets panes: import a package, activate or deliver a set,
 * select targets for delivery. Each appears only when the server API has its method.
 */
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { isMethodName } from '../../../src-shared/api/contract.js';
import { ConfirmationDialog, Dialog, FormDialogButtons } from '../../components/Dialog.js';
import { definitionsSetLabel, formatSequence } from '../../lib/format.js';
import type { GenericRow, PaneActionResult, TargetChoice } from '../../store/panes-slice.js';
import { useApp } from '../../store/store.js';

/**
 * What the last action said: lines on success, or an error. The status region is there from
 * the start, empty: screen readers announce changes to a live region they already know, and
 * often miss one that appears together with its text.
 */
function ActionOutcome({ outcome }: { outcome: PaneActionResult | null }): ReactNode {
  return (
    <>
      <div role="status">
        {outcome?.ok ? outcome.lines.map((line, index) => <p key={index}>{line}</p>) : null}
      </div>
      {outcome && !outcome.ok ? (
        <p className="error-text" role="alert">
          {outcome.error}
        </p>
      ) : null}
    </>
  );
}

/**
 * One action at a time, and what the last one said. A press while one runs is ignored, so
 * buttons can stay focusable (aria-disabled) instead of dropping the focus when disabled.
 */
function usePaneAction(): {
  readonly busy: boolean;
  readonly outcome: PaneActionResult | null;
  readonly run: (task: () => Promise<PaneActionResult>) => Promise<void>;
  readonly setOutcome: (outcome: PaneActionResult | null) => void;
} {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<PaneActionResult | null>(null);
  const running = useRef(false);
  const run = async (task: () => Promise<PaneActionResult>): Promise<void> => {
    if (running.current) return;
    running.current = true;
    setBusy(true);
    // Cleared first: a stale result must not stand for this action, and the same words said
    // again are a change of the live region, so they are announced again.
    setOutcome(null);
    try {
      setOutcome(await task());
    } finally {
      running.current = false;
      setBusy(false);
    }
  };
  return { busy, outcome, run, setOutcome };
}

/** Import definitions: a path on the server to a package `.zip` or an `.eml` carrying one. */
function ImportDialog({ serverId, onClose }: { serverId: string; onClose: () => void }): ReactNode {
  const importDefinitions = useApp((s) => s.importDefinitions);
  const [path, setPath] = useState('');
  const { busy, outcome, run } = usePaneAction();
  const pathRef = useRef<HTMLInputElement>(null);
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    await run(() => importDefinitions(serverId, path));
  };
  return (
    <Dialog
      title="Import definitions"
      onClose={onClose}
      size="small"
      initialFocus={pathRef}
      footer={
        <FormDialogButtons
          form="import-definitions-form"
          label="Import"
          busyLabel="Importing…"
          busy={busy}
          closeLabel="Close"
          onClose={onClose}
        />
      }
    >
      <form id="import-definitions-form" className="form-grid" onSubmit={(e) => void submit(e)}>
        <label htmlFor="import-definitions-path">Path on the server</label>
        <input
          id="import-definitions-path"
          ref={pathRef}
          value={path}
          autoComplete="off"
          placeholder="/path/to/package.zip or message.eml"
          onChange={(e) => setPath(e.target.value)}
        />
      </form>
      <ActionOutcome outcome={outcome} />
    </Dialog>
  );
}

/** Deliver a set now to targets picked from `targets.list`. */
function DeliverDialog({
  serverId,
  sequence,
  onClose,
}: {
  serverId: string;
  sequence: number;
  onClose: () => void;
}): ReactNode {
  const listTargets = useApp((s) => s.listTargets);
  const deliverDefinitions = useApp((s) => s.deliverDefinitions);
  const [targets, setTargets] = useState<TargetChoice[] | null>(null);
  const [chosen, setChosen] = useState<readonly string[]>([]);
  const { busy, outcome, run, setOutcome } = usePaneAction();
  useEffect(() => {
    let live = true;
    void listTargets(serverId).then((answer) => {
      if (!live) return;
      if (answer.ok) {
        setTargets(answer.targets);
        setChosen(answer.targets.filter((t) => t.selected).map((t) => t.id));
      } else {
        setTargets([]);
        setOutcome({ ok: false, error: answer.error });
      }
    });
    return () => {
      live = false;
    };
  }, [listTargets, serverId, setOutcome]);
  const toggle = (id: string, on: boolean): void =>
    setChosen((ids) => (on ? [...ids, id] : ids.filter((i) => i !== id)));
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    await run(() => deliverDefinitions(serverId, sequence, chosen));
  };
  return (
    <Dialog
      title={`Deliver sequence ${formatSequence(sequence)}`}
      onClose={onClose}
      size="small"
      footer={
        <FormDialogButtons
          form="deliver-definitions-form"
          label="Deliver"
          busyLabel="Delivering…"
          busy={busy}
          disabled={chosen.length === 0}
          closeLabel="Close"
          onClose={onClose}
        />
      }
    >
      <form id="deliver-definitions-form" onSubmit={(e) => void submit(e)}>
        <fieldset>
          <legend>Targets</legend>
          {targets === null ? <p>Loading…</p> : null}
          {targets?.length === 0 ? <p className="empty-text">No targets are known.</p> : null}
          {targets?.map((t) => (
            <label key={t.id} className="check-row">
              <input
                type="checkbox"
                checked={chosen.includes(t.id)}
                onChange={(e) => toggle(t.id, e.target.checked)}
              />{' '}
              {t.host}
            </label>
          ))}
        </fieldset>
      </form>
      <ActionOutcome outcome={outcome} />
    </Dialog>
  );
}

/** Sequence of a `definitions.list` row, if it has one. */
function rowSequence(row: GenericRow): number | null {
  return typeof row.sequence === 'number' ? row.sequence : null;
}

/** What Activate asks: making a set active changes every scan and may start deliveries. */
function activationQuestion(label: string, alreadyActive: boolean): string {
  return alreadyActive
    ? `Set ${label} is already the active one. Activate it again? Items it may resolve are rescanned.`
    : `Make set ${label} the active definitions? The scanner uses it from now on, items it may resolve are rescanned, and Defcast delivers it to the targets its policy selects.`;
}

/** Import, Activate and Deliver in the Definitions pane. */
export function DefinitionsActions({
  serverId,
  rows,
}: {
  serverId: string;
  rows: readonly GenericRow[];
}): ReactNode {
  const activateDefinitions = useApp((s) => s.activateDefinitions);
  // A dialog about a set keeps the set it was opened for: the list may reload underneath it.
  const [open, setOpen] = useState<
    | { readonly kind: 'import' }
    | { readonly kind: 'deliver'; readonly sequence: number }
    | { readonly kind: 'activate'; readonly sequence: number; readonly question: string }
    | null
  >(null);
  const [picked, setPicked] = useState<number | null>(null);
  const { busy, outcome, run } = usePaneAction();
  const sequences = rows.map(rowSequence).filter((n): n is number => n !== null);
  const sequence = picked !== null && sequences.includes(picked) ? picked : (sequences[0] ?? null);
  const canActivate = isMethodName('definitions.activate');
  const canDeliver = isMethodName('definitions.deliver') && isMethodName('targets.list');
  const rowOf = (n: number): GenericRow | undefined => rows.find((r) => rowSequence(r) === n);
  const activate = async (chosen: number): Promise<void> => {
    setOpen(null);
    await run(() => activateDefinitions(serverId, chosen));
  };
  return (
    <>
      <p className="button-row">
        {isMethodName('definitions.import') && isMethodName('definitions.importEmail') ? (
          <button type="button" onClick={() => setOpen({ kind: 'import' })}>
            Import definitions…
          </button>
        ) : null}
        {(canActivate || canDeliver) && sequences.length > 0 ? (
          <>
            <label>
              Definitions set{' '}
              <select value={sequence ?? ''} onChange={(e) => setPicked(Number(e.target.value))}>
                {sequences.map((n) => (
                  <option key={n} value={n}>
                    {definitionsSetLabel(rowOf(n), n)}
                  </option>
                ))}
              </select>
            </label>
            {canActivate ? (
              <button
                type="button"
                aria-disabled={busy || undefined}
                onClick={() => {
                  if (busy || sequence === null) return;
                  const row = rowOf(sequence);
                  setOpen({
                    kind: 'activate',
                    sequence,
                    question: activationQuestion(
                      definitionsSetLabel(row, sequence, { state: false }),
                      row?.active === true,
                    ),
                  });
                }}
              >
                Activate…
              </button>
            ) : null}
            {canDeliver ? (
              <button
                type="button"
                onClick={() => {
                  if (sequence !== null) setOpen({ kind: 'deliver', sequence });
                }}
              >
                Deliver…
              </button>
            ) : null}
          </>
        ) : null}
      </p>
      <ActionOutcome outcome={outcome} />
      {open?.kind === 'import' ? (
        <ImportDialog serverId={serverId} onClose={() => setOpen(null)} />
      ) : null}
      {open?.kind === 'activate' ? (
        <ConfirmationDialog
          title="Activate definitions"
          text={open.question}
          confirmLabel="Activate"
          onConfirm={() => void activate(open.sequence)}
          onClose={() => setOpen(null)}
        />
      ) : null}
      {open?.kind === 'deliver' ? (
        <DeliverDialog serverId={serverId} sequence={open.sequence} onClose={() => setOpen(null)} />
      ) : null}
    </>
  );
}

/** Select for delivery / Unselect in the Targets pane. */
export function TargetsActions({
  serverId,
  rows,
}: {
  serverId: string;
  rows: readonly GenericRow[];
}): ReactNode {
  const selectTargets = useApp((s) => s.selectTargets);
  const [picked, setPicked] = useState<string | null>(null);
  const { busy, outcome, run } = usePaneAction();
  const targets = rows.filter((r) => typeof r.id === 'string');
  const ids = targets.map((r) => String(r.id));
  const id = picked !== null && ids.includes(picked) ? picked : (ids[0] ?? null);
  if (!isMethodName('targets.select') || id === null) return null;
  const mark = (selected: boolean): Promise<void> =>
    run(() => selectTargets(serverId, [id], selected));
  return (
    <>
      <p className="button-row">
        <label>
          Target{' '}
          <select value={id} onChange={(e) => setPicked(e.target.value)}>
            {targets.map((r) => (
              <option key={String(r.id)} value={String(r.id)}>
                {typeof r.host === 'string' ? r.host : String(r.id)}
              </option>
            ))}
          </select>
        </label>
        <button type="button" aria-disabled={busy || undefined} onClick={() => void mark(true)}>
          Select for delivery
        </button>
        <button type="button" aria-disabled={busy || undefined} onClick={() => void mark(false)}>
          Unselect
        </button>
      </p>
      <ActionOutcome outcome={outcome} />
    </>
  );
}
