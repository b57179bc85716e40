// Depot names for slots (`1-3.2` → `A4`), as on the labels of its hubs. Admins and supervisors
// name, rename and clear them; main checks the role, the slot grammar and that names are unique.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { StationApi, StationSettingsView } from '../../../../shared/api.ts';
import { displaySafe } from '../../../../shared/untrusted.ts';
import { ErrorText } from '../../components/StateBadge.tsx';
import { useAction } from './use-action.ts';

interface SlotNamesProps {
  readonly station: StationApi;
  readonly settings: StationSettingsView;
  readonly canEdit: boolean;
  readonly onSaved: (settings: StationSettingsView) => void;
}

export function SlotNames({ station, settings, canEdit, onSaved }: SlotNamesProps) {
  const { t } = useTranslation();
  const [slot, setSlot] = useState('');
  const [name, setName] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const action = useAction();
  const entries = Object.entries(settings.slotNames);

  const save = async (target: string, newName: string | null): Promise<void> => {
    setDone(null);
    const saved = await action.run(() => station['settings.slotName']({ slot: target, name: newName }));
    if (!saved) return;
    onSaved(saved);
    const shownSlot = displaySafe(target, 80);
    setDone(newName === null ? t('settings.slotNameCleared', { slot: shownSlot }) : t('settings.slotNameSaved', { slot: shownSlot, name: displaySafe(newName.trim(), 32) }));
    setSlot('');
    setName('');
  };
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    void save(slot.trim(), name);
  };

  return (
    <section className="panel" aria-labelledby="slots-heading">
      <h3 id="slots-heading">{t('settings.slotNames')}</h3>
      {entries.length === 0 ? (
        <p className="hint">{t('settings.noSlotNames')}</p>
      ) : (
        <table aria-labelledby="slots-heading">
          <thead>
            <tr>
              <th scope="col">{t('settings.slotPath')}</th>
              <th scope="col">{t('settings.slotName')}</th>
              {canEdit && <th scope="col">{t('settings.actions')}</th>}
            </tr>
          </thead>
          <tbody>
            {entries.map(([path, slotName]) => (
              <tr key={path}>
                <td className="mono">{displaySafe(path, 80)}</td>
                <td>{displaySafe(slotName, 32)}</td>
                {canEdit && (
                  <td>
                    <button
                      type="button"
                      aria-label={t('settings.renameSlot', { slot: displaySafe(path, 80) })}
                      onClick={() => {
                        setSlot(path);
                        setName(slotName);
                      }}
                    >
                      {t('settings.rename')}
                    </button>{' '}
                    <button type="button" aria-label={t('settings.clearSlot', { slot: displaySafe(path, 80) })} disabled={action.busy} onClick={() => void save(path, null)}>
                      {t('settings.clear')}
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canEdit ? (
        <form className="inline-form" aria-label={t('settings.nameSlot')} onSubmit={submit}>
          <label className="field">
            <span>{t('settings.slotPath')}</span>
            <input className="mono" value={slot} maxLength={300} placeholder={t('settings.slotPathHint')} required onChange={(event) => setSlot(event.target.value)} />
          </label>
          <label className="field">
            <span>{t('settings.slotName')}</span>
            <input value={name} maxLength={16} required onChange={(event) => setName(event.target.value)} />
          </label>
          <button type="submit" className="primary" disabled={action.busy}>
            {t('settings.saveSlotName')}
          </button>
        </form>
      ) : (
        <p className="hint">{t('settings.slotNamesRoles')}</p>
      )}
      <ErrorText error={action.error} />
      {done && <p role="status">{done}</p>}
    </section>
  );
}
