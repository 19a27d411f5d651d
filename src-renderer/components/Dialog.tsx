/**
 * A modal dialog: role=dialog with a title, focus moved in on open and trapped while open,
 * Escape to close, focus given back to where it was on close.
 */
import {
  useEffect,
  useId,
  useRef,
  useState,
  type KeyboardEvent,
  type ReactNode,
  type RefObject,
} from 'react';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Everything focusable inside `root`, in tab order. */
export function focusableIn(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
    (el) => !el.hasAttribute('disabled') && el.getAttribute('aria-hidden') !== 'true',
  );
}

/** Props of Dialog. */
export interface DialogProps {
  readonly title: string;
  readonly onClose: () => void;
  readonly children: ReactNode;
  /** The dialog's buttons. */
  readonly footer?: ReactNode;
  /** What gets the focus on open (default: the first focusable element of the body). */
  readonly initialFocus?: RefObject<HTMLElement | null>;
  readonly size?: 'small' | 'medium' | 'large';
  /** 'alertdialog' for confirmations. */
  readonly role?: 'dialog' | 'alertdialog';
  /** Id of the element that describes the dialog (for confirmations). */
  readonly describedBy?: string;
}

/** A modal dialog. */
export function Dialog(props: DialogProps): ReactNode {
  const {
    title,
    onClose,
    children,
    footer,
    initialFocus,
    size = 'medium',
    role = 'dialog',
  } = props;
  const titleId = useId();
  const ref = useRef<HTMLDivElement>(null);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useEffect(() => {
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const root = ref.current;
    if (root) {
      const target =
        initialFocus?.current ?? focusableIn(root.querySelector('.dialog-body') ?? root)[0] ?? root;
      target.focus();
    }
    return () => {
      if (previous?.isConnected) previous.focus();
    };
    // Focus moves in once, when the dialog opens.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      event.preventDefault();
      onCloseRef.current();
      return;
    }
    if (event.key !== 'Tab' || !ref.current) return;
    const items = focusableIn(ref.current);
    const first = items[0];
    const last = items[items.length - 1];
    if (!first || !last) {
      event.preventDefault();
      return;
    }
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };

  return (
    <div className="dialog-backdrop">
      <div
        ref={ref}
        className={`dialog dialog-${size}`}
        role={role}
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={props.describedBy}
        tabIndex={-1}
        onKeyDown={onKeyDown}
      >
        <div className="dialog-title">
          <h2 id={titleId}>{title}</h2>
          <button
            type="button"
            className="dialog-close"
            aria-label="Close dialog"
            onClick={onClose}
          >
            ×
          </button>
        </div>
        <div className="dialog-body">{children}</div>
        {footer ? <div className="dialog-footer">{footer}</div> : null}
      </div>
    </div>
  );
}

/**
 * The buttons of a dialog whose body is a form: submit and close. While the request runs the
 * submit button says so and is only marked disabled (aria-disabled): a really disabled button
 * would drop the keyboard focus out of the dialog. The form's submit handler must ignore
 * submits while busy.
 */
export function FormDialogButtons(props: {
  /** Id of the form the submit button submits. */
  readonly form: string;
  readonly label: string;
  readonly busyLabel: string;
  readonly busy: boolean;
  /** Nothing to submit yet (e.g. no target chosen). */
  readonly disabled?: boolean;
  readonly closeLabel: string;
  readonly onClose: () => void;
}): ReactNode {
  return (
    <>
      <button
        type="submit"
        form={props.form}
        disabled={props.disabled}
        aria-disabled={props.busy || undefined}
      >
        {props.busy ? props.busyLabel : props.label}
      </button>
      <button type="button" onClick={props.onClose}>
        {props.closeLabel}
      </button>
    </>
  );
}

/**
 * A question with one answer that acts and one that does not: an alertdialog whose text
 * describes it, with Cancel focused first so that Enter never acts by accident. The acting
 * button works once (later presses are ignored, and it is marked aria-disabled).
 */
export function ConfirmationDialog(props: {
  readonly title: string;
  readonly text: string;
  readonly confirmLabel: string;
  /** Styled as destructive (deleting). */
  readonly danger?: boolean;
  readonly onConfirm: () => void;
  readonly onClose: () => void;
}): ReactNode {
  const describedBy = useId();
  const cancelRef = useRef<HTMLButtonElement>(null);
  // A ref, not a disabled button: disabling the focused button would drop the focus out of
  // the dialog (see FormDialogButtons).
  const confirmed = useRef(false);
  const [busy, setBusy] = useState(false);
  return (
    <Dialog
      title={props.title}
      role="alertdialog"
      describedBy={describedBy}
      onClose={props.onClose}
      size="small"
      initialFocus={cancelRef}
      footer={
        <>
          <button
            type="button"
            className={props.danger ? 'danger' : undefined}
            aria-disabled={busy || undefined}
            onClick={() => {
              if (confirmed.current) return;
              confirmed.current = true;
              setBusy(true);
              props.onConfirm();
            }}
          >
            {props.confirmLabel}
          </button>
          <button ref={cancelRef} type="button" onClick={props.onClose}>
            Cancel
          </button>
        </>
      }
    >
      <p id={describedBy}>{props.text}</p>
    </Dialog>
  );
}
