import { useTranslation } from 'react-i18next';
import { Dialog } from './Dialog.tsx';

interface ConfirmDialogProps {
  readonly title: string;
  readonly text: string;
  /** The action's own words ("Abort handset"), never a bare "OK". */
  readonly confirm: string;
  /** The safe choice's words; "Cancel" unless given. */
  readonly cancel?: string;
  /** The action stops or loses something: the confirm button in the alarm colour. */
  readonly danger?: boolean;
  readonly onConfirm: () => void;
  readonly onClose: () => void;
}

/**
 * Asks before a one-click action that cannot be taken back (issue 20 #15). Focus starts on the safe choice,
 * so Enter or Escape straight away keeps things as they are; only the action's own button acts.
 */
export function ConfirmDialog({ title, text, confirm, cancel, danger, onConfirm, onClose }: ConfirmDialogProps) {
  const { t } = useTranslation();
  return (
    <Dialog title={title} onClose={onClose}>
      <p>{text}</p>
      <div className="dialog-actions">
        <button type="button" onClick={onClose} data-autofocus>
          {cancel ?? t('common.cancel')}
        </button>
        <button
          type="button"
          className={danger ? 'primary danger' : 'primary'}
          onClick={() => {
            onConfirm();
            onClose();
          }}
        >
          {confirm}
        </button>
      </div>
    </Dialog>
  );
}
