import { useEffect, useId, useRef, type KeyboardEvent, type ReactNode, type SyntheticEvent } from 'react';

/** What Tab can reach inside a dialog, in document order. */
const TABBABLE = 'a[href], button, input, select, textarea, [tabindex]';

function tabbable(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(TABBABLE)].filter(
    (element) => element.tabIndex >= 0 && !(element as HTMLButtonElement).disabled && element.getClientRects().length > 0,
  );
}

/**
 * A modal dialog on the native `<dialog>` opened with showModal(): the page behind is inert, Escape
 * closes it, focus starts on the field marked `data-autofocus` (else the first field, else the first
 * control), Tab and Shift+Tab cycle inside it (Chromium would otherwise leave the page past the last
 * control), and focus returns on close to where it was.
 */
export function Dialog({ title, onClose, children, wide }: { readonly title: string; readonly onClose: () => void; readonly children: ReactNode; readonly wide?: boolean }) {
  const titleId = useId();
  const box = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = box.current;
    if (!dialog) return;
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    // Open once (React's development mode runs effects twice); never closed here: unmounting removes it, and a
    // close() would fire a late `close` event at whichever dialog is mounted next.
    if (!dialog.open) dialog.showModal();
    const controls = tabbable(dialog);
    const first = dialog.querySelector<HTMLElement>('[data-autofocus]') ?? controls.find((element) => element.matches('input, select, textarea')) ?? controls[0];
    first?.focus();
    return () => {
      if (before?.isConnected) before.focus();
    };
  }, []);
  const trapTab = (event: KeyboardEvent<HTMLDialogElement>): void => {
    if (event.key !== 'Tab' || !box.current) return;
    const controls = tabbable(box.current);
    const [first, last] = [controls[0], controls.at(-1)];
    if (!first || !last) return;
    const active = document.activeElement;
    if (event.shiftKey ? active === first || !box.current.contains(active) : active === last) {
      event.preventDefault();
      (event.shiftKey ? last : first).focus();
    }
  };
  // Escape: the dialog stays until its owner unmounts it (the cancel is refused); where the browser does not let the
  // cancel be refused it closes itself, and its owner is told all the same.
  const cancel = (event: SyntheticEvent<HTMLDialogElement>): void => {
    event.preventDefault();
    onClose();
  };
  return (
    <dialog ref={box} className={`dialog${wide ? ' wide' : ''}`} aria-labelledby={titleId} onKeyDown={trapTab} onCancel={cancel} onClose={onClose}>
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}
