import { useTranslation } from 'react-i18next';
import { fusesInWords } from '../fuse-words.ts';
import { StateBadge } from './StateBadge.tsx';

/** A bundle's irreversible policy in words: which fuses it burns and whether it locks the bootloader. */
export function PolicyText({ fuses, lockBootloader }: { readonly fuses: readonly string[]; readonly lockBootloader: boolean }) {
  const { t } = useTranslation();
  if (fuses.length === 0 && !lockBootloader) return <p>{t('policy.none')}</p>;
  return (
    <ul className="policy">
      {fuses.length > 0 && (
        <li>
          <StateBadge tone="attention" label={t('policy.fuses', { fuses: fusesInWords(fuses, t), count: fuses.length })} />
        </li>
      )}
      {lockBootloader && (
        <li>
          <StateBadge tone="attention" label={t('policy.lock')} />
        </li>
      )}
      <li className="hint">{t('policy.irreversible')}</li>
    </ul>
  );
}
