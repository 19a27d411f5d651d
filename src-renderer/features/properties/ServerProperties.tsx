/**
 * Server Properties: every settings tab of SPEC §11, the Alerting tab with per-event settings,
 * and General Errors from the Quarantine Log. Values are checked against the shared schema as
 * they are typed; Apply and OK send only what changed.
 */
import type { ReactNode } from 'react';
import { ALERT_EVENTS } from '../../../src-shared/catalog/events.js';
import { DataTable } from '../../components/DataTable.js';
import { Dialog } from '../../components/Dialog.js';
import { Tabs, type TabSpec } from '../../components/Tabs.js';
import {
  ALERTING_GENERAL_PATHS,
  CONFIG_TABS,
  tabFields,
  type FieldValue,
} from '../../lib/config-form.js';
import { formatDateTime } from '../../lib/format.js';
import type { ServerPropsState } from '../../store/properties-slice.js';
import { useApp } from '../../store/store.js';
import { ConfigField } from './ConfigField.js';

type Edit = (path: string, value: FieldValue) => void;

function issueOf(props: ServerPropsState, path: string): string | undefined {
  return props.check.issues[path] ?? props.serverIssues[path];
}

function FieldsTab({
  props,
  selectors,
  edit,
}: {
  props: ServerPropsState;
  selectors: readonly string[];
  edit: Edit;
}): ReactNode {
  if (!props.original) return null;
  return (
    <div className="config-fields">
      {tabFields(props.original, selectors).map((field) => (
        <ConfigField
          key={field.path}
          field={field}
          value={props.values[field.path]}
          issue={issueOf(props, field.path)}
          onChange={edit}
        />
      ))}
    </div>
  );
}

function AlertingTab({ props, edit }: { props: ServerPropsState; edit: Edit }): ReactNode {
  if (!props.original) return null;
  const value = (path: string): FieldValue | undefined => props.values[path];
  return (
    <div>
      <FieldsTab props={props} selectors={ALERTING_GENERAL_PATHS} edit={edit} />
      <h3>Events</h3>
      <p className="hint">
        Each event can be turned on or off, wait a number of minutes before it fires (0 = at once),
        and go to the console, email and the system event log. Every alert is also written to the
        Quarantine Log.
      </p>
      <div className="table-scroll">
        <table className="data-table alert-events" aria-label="Alert events">
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Timeout (minutes)</th>
              <th scope="col">Console</th>
              <th scope="col">Email</th>
              <th scope="col">Event log</th>
            </tr>
          </thead>
          <tbody>
            {ALERT_EVENTS.map((event) => {
              const base = `alerting.events.${event.id}`;
              const timeoutPath = `${base}.timeoutSeconds`;
              const issue = issueOf(props, timeoutPath);
              const channel = (
                name: 'console' | 'email' | 'eventLog',
                label: string,
              ): ReactNode => {
                const path = `${base}.channels.${name}`;
                return (
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`${event.name}: ${label}`}
                      checked={value(path) === true}
                      onChange={(e) => edit(path, e.target.checked)}
                    />
                  </td>
                );
              };
              return (
                <tr key={event.id} title={event.description}>
                  <td>
                    <label>
                      <input
                        type="checkbox"
                        checked={value(`${base}.enabled`) === true}
                        onChange={(e) => edit(`${base}.enabled`, e.target.checked)}
                      />{' '}
                      {event.name}
                    </label>
                  </td>
                  <td>
                    <input
                      type="text"
                      inputMode="decimal"
                      className="narrow"
                      aria-label={`${event.name}: timeout in minutes`}
                      aria-invalid={issue ? true : undefined}
                      value={
                        typeof value(timeoutPath) === 'string' ? (value(timeoutPath) as string) : ''
                      }
                      onChange={(e) => edit(timeoutPath, e.target.value)}
                    />
                    {issue ? <span className="field-error"> {issue}</span> : null}
                  </td>
                  {channel('console', 'console')}
                  {channel('email', 'email')}
                  {channel('eventLog', 'event log')}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function ErrorsTab({ props }: { props: ServerPropsState }): ReactNode {
  if (props.logError) {
    return (
      <p className="error-text" role="alert">
        {props.logError}
      </p>
    );
  }
  if (!props.log) return <p role="status">Loading…</p>;
  return (
    <DataTable
      label="General errors"
      rows={props.log}
      rowKey={(e) => e.id}
      emptyText="The server has recorded no errors or warnings."
      columns={[
        { id: 'at', label: 'Time', render: (e) => formatDateTime(e.at) },
        { id: 'level', label: 'Level', render: (e) => e.level },
        { id: 'source', label: 'Source', render: (e) => e.source },
        { id: 'message', label: 'Message', render: (e) => e.message },
      ]}
    />
  );
}

/** The server Properties dialog. */
export function ServerProperties(): ReactNode {
  const props = useApp((s) => s.serverProps);
  const server = useApp((s) => s.servers.find((e) => e.id === s.serverProps?.serverId));
  const edit = useApp((s) => s.editServerField);
  const apply = useApp((s) => s.applyServerProperties);
  const closeDialog = useApp((s) => s.closeDialog);
  if (!props) return null;
  const issueCount = Object.keys(props.check.issues).length;
  const setupType = (props.original?.setupType as string | undefined) ?? 'internet';
  const tabs: TabSpec[] = props.original
    ? [
        ...CONFIG_TABS.filter((t) => !t.setupType || t.setupType === setupType).map((tab) => ({
          id: tab.id,
          label: tab.label,
          render: () => <FieldsTab props={props} selectors={tab.paths} edit={edit} />,
        })),
        {
          id: 'alerting',
          label: 'Alerting',
          render: () => <AlertingTab props={props} edit={edit} />,
        },
        { id: 'errors', label: 'General Errors', render: () => <ErrorsTab props={props} /> },
      ]
    : [];
  const unplaced = Object.entries(props.check.issues).filter(
    ([path]) => path === '' || !(path in props.values),
  );
  const canApply = !props.saving && issueCount === 0 && props.check.changed > 0;

  return (
    <Dialog
      title={`${server?.label ?? 'Server'} Properties`}
      onClose={closeDialog}
      size="large"
      footer={
        <>
          <div className="footer-status">
            {issueCount > 0 ? (
              <span role="alert" className="error-text">
                {issueCount === 1 ? '1 setting needs' : `${issueCount} settings need`} correcting
                before the changes can be applied.
              </span>
            ) : props.error ? (
              <span role="alert" className="error-text">
                {props.error}
              </span>
            ) : props.saved ? (
              <span role="status">Changes applied.</span>
            ) : null}
          </div>
          <button
            type="button"
            disabled={props.saving || issueCount > 0 || !props.original}
            onClick={() =>
              void apply().then((ok) => {
                if (ok) closeDialog();
              })
            }
          >
            OK
          </button>
          <button type="button" onClick={closeDialog}>
            Cancel
          </button>
          <button type="button" disabled={!canApply} onClick={() => void apply()}>
            Apply
          </button>
        </>
      }
    >
      {props.loading ? <p role="status">Loading…</p> : null}
      {props.error && !props.original ? (
        <p className="error-text" role="alert">
          {props.error}
        </p>
      ) : null}
      {unplaced.map(([path, message]) => (
        <p key={path} className="error-text">
          {path || 'Settings'}: {message}
        </p>
      ))}
      {tabs.length > 0 ? <Tabs label="Server properties" tabs={tabs} /> : null}
    </Dialog>
  );
}
