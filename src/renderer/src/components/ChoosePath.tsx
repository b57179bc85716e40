import { useState } from 'react';
import { describeFailure } from '../../../shared/describe-failure.ts';
import { pickPath, shellBridge, type PathPick } from '../shell-client.ts';
import type { ShownError } from '../station-client.ts';
import { ErrorText } from './StateBadge.tsx';

/**
 * A "Choose…" button that fills a path field from the window's native file dialog. It is shown only
 * in the Electron window; elsewhere (a browser, the headless bridge) the typed path is the only way.
 */
interface ChoosePathProps {
  /** The button's text, and its accessible name (which says what is chosen). */
  readonly label: string;
  readonly name: string;
  readonly pick: () => PathPick;
  readonly onChosen: (path: string) => void;
}

export function ChoosePath({ label, name, pick, onChosen }: ChoosePathProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ShownError | null>(null);
  const shell = shellBridge();
  if (!shell) return null;
  const choose = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const result = await pickPath(shell, pick());
      if (!result.ok) setError({ code: 'dialog', message: result.message });
      else if (result.value !== null) onChosen(result.value);
    } catch (cause) {
      setError({ code: 'dialog', message: describeFailure(cause) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" onClick={() => void choose()} disabled={busy} aria-label={name}>
        {label}
      </button>
      <ErrorText error={error} />
    </>
  );
}
