/** Attach to Server: server, port, user, password, domain and TLS (the guide's dialog plus port and TLS). */
import { useRef, useState, type FormEvent, type ReactNode } from 'react';
import { attachRequestSchema } from '../../../src-shared/api/console-api.js';
import { summarizeIssues } from '../../../src-shared/api/wire.js';
import { Dialog, FormDialogButtons } from '../../components/Dialog.js';
import { useApp } from '../../store/store.js';

/** Default TCP port of a server's remote control listener. */
const DEFAULT_CONTROL_PORT = '8850';

/** The Attach to Server dialog. */
export function AttachDialog(): ReactNode {
  const closeDialog = useApp((s) => s.closeDialog);
  const attachServer = useApp((s) => s.attachServer);
  const [host, setHost] = useState('');
  const [port, setPort] = useState(DEFAULT_CONTROL_PORT);
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [domain, setDomain] = useState('');
  const [tls, setTls] = useState(false);
  const [ca, setCa] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const hostRef = useRef<HTMLInputElement>(null);

  const submit = async (event?: FormEvent): Promise<void> => {
    event?.preventDefault();
    if (busy) return;
    const request = {
      host: host.trim(),
      port: /^\d+$/.test(port.trim()) ? Number(port.trim()) : Number.NaN,
      user: user.trim(),
      password,
      ...(domain.trim() ? { domain: domain.trim() } : {}),
      ...(tls ? { tls: true } : {}),
      ...(tls && ca.trim() ? { ca: ca.trim() } : {}),
    };
    const checked = attachRequestSchema.safeParse(request);
    if (!checked.success) {
      setError(`Check the fields: ${summarizeIssues(checked.error).message}`);
      return;
    }
    setBusy(true);
    setError(null);
    const failure = await attachServer(checked.data);
    setBusy(false);
    if (failure) setError(failure);
    else closeDialog();
  };

  return (
    <Dialog
      title="Attach to Server"
      onClose={closeDialog}
      size="small"
      initialFocus={hostRef}
      footer={
        <FormDialogButtons
          form="attach-form"
          label="OK"
          busyLabel="Attaching…"
          busy={busy}
          closeLabel="Cancel"
          onClose={closeDialog}
        />
      }
    >
      <form id="attach-form" className="form-grid" onSubmit={(e) => void submit(e)}>
        <label htmlFor="attach-host">Server</label>
        <input
          id="attach-host"
          ref={hostRef}
          value={host}
          autoComplete="off"
          placeholder="name or address"
          onChange={(e) => setHost(e.target.value)}
        />
        <label htmlFor="attach-port">Port</label>
        <input
          id="attach-port"
          value={port}
          inputMode="numeric"
          onChange={(e) => setPort(e.target.value)}
        />
        <label htmlFor="attach-user">User name</label>
        <input
          id="attach-user"
          value={user}
          autoComplete="username"
          onChange={(e) => setUser(e.target.value)}
        />
        <label htmlFor="attach-password">Password</label>
        <input
          id="attach-password"
          type="password"
          value={password}
          autoComplete="current-password"
          onChange={(e) => setPassword(e.target.value)}
        />
        <label htmlFor="attach-domain">Domain</label>
        <input
          id="attach-domain"
          value={domain}
          placeholder="if the user belongs to one"
          onChange={(e) => setDomain(e.target.value)}
        />
        <span />
        <label>
          <input type="checkbox" checked={tls} onChange={(e) => setTls(e.target.checked)} /> Use TLS
        </label>
        {tls ? (
          <>
            <label htmlFor="attach-ca">Trusted CA (PEM)</label>
            <textarea
              id="attach-ca"
              rows={4}
              value={ca}
              placeholder="only for a server with a self-signed certificate"
              onChange={(e) => setCa(e.target.value)}
            />
          </>
        ) : null}
      </form>
      {error ? (
        <p className="error-text" role="alert">
          {error}
        </p>
      ) : null}
    </Dialog>
  );
}
