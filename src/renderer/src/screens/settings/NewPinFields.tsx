// A new PIN typed twice, for a new operator or a PIN reset (labels already translated): masked,
// numeric keypad, never offered for autofill, the second field marked invalid while the two differ.
export interface NewPin {
  readonly pin: string;
  readonly pinRepeat: string;
}

export const pinsDiffer = ({ pin, pinRepeat }: NewPin): boolean => pinRepeat !== '' && pin !== pinRepeat;

export function NewPinFields({ value, labels, onChange }: { readonly value: NewPin; readonly labels: { readonly pin: string; readonly repeat: string }; readonly onChange: (change: Partial<NewPin>) => void }) {
  return (
    <>
      <label className="field">
        <span>{labels.pin}</span>
        <input type="password" inputMode="numeric" autoComplete="new-password" value={value.pin} maxLength={12} required onChange={(event) => onChange({ pin: event.target.value })} />
      </label>
      <label className="field">
        <span>{labels.repeat}</span>
        <input
          type="password"
          inputMode="numeric"
          autoComplete="new-password"
          value={value.pinRepeat}
          maxLength={12}
          required
          aria-invalid={pinsDiffer(value)}
          onChange={(event) => onChange({ pinRepeat: event.target.value })}
        />
      </label>
    </>
  );
}
