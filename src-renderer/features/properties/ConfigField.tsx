/** One setting of the server Properties dialog: its label, input, unit, help and any problem. */
import { useId, type ReactNode } from 'react';
import { unitLabel, type FieldInfo, type FieldValue } from '../../lib/config-form.js';

/** Props of ConfigField. */
export interface ConfigFieldProps {
  readonly field: FieldInfo;
  readonly value: FieldValue | undefined;
  readonly issue: string | undefined;
  readonly onChange: (path: string, value: FieldValue) => void;
}

/** A labelled setting with its help text and validation message. */
export function ConfigField({ field, value, issue, onChange }: ConfigFieldProps): ReactNode {
  const id = useId();
  const { meta } = field;
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;
  const describedBy =
    [meta.help ? helpId : '', issue ? errorId : ''].filter(Boolean).join(' ') || undefined;
  const help = meta.help ? (
    <p id={helpId} className="field-help">
      {meta.help}
    </p>
  ) : null;
  const error = issue ? (
    <p id={errorId} className="field-error">
      {issue}
    </p>
  ) : null;

  if (field.kind === 'flag') {
    return (
      <div className="config-field flag">
        <label>
          <input
            type="checkbox"
            checked={value === true}
            disabled={meta.readOnly}
            aria-describedby={describedBy}
            aria-invalid={issue ? true : undefined}
            onChange={(e) => onChange(field.path, e.target.checked)}
          />{' '}
          {meta.label}
        </label>
        {help}
        {error}
      </div>
    );
  }

  const text = typeof value === 'string' ? value : '';
  const unit = unitLabel(meta);
  return (
    <div className="config-field">
      <label htmlFor={id}>{meta.label}</label>
      <div className="field-input">
        {field.kind === 'list' ? (
          <textarea
            id={id}
            rows={3}
            value={text}
            readOnly={meta.readOnly}
            aria-describedby={describedBy}
            aria-invalid={issue ? true : undefined}
            onChange={(e) => onChange(field.path, e.target.value)}
          />
        ) : (
          <input
            id={id}
            type={meta.secret ? 'password' : 'text'}
            inputMode={field.kind === 'number' ? 'decimal' : undefined}
            value={text}
            readOnly={meta.readOnly}
            autoComplete="off"
            aria-describedby={describedBy}
            aria-invalid={issue ? true : undefined}
            onChange={(e) => onChange(field.path, e.target.value)}
          />
        )}
        {unit ? <span className="unit">{unit}</span> : null}
      </div>
      {help}
      {error}
    </div>
  );
}
