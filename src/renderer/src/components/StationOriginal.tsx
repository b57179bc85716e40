// The station's own sentences are English. What the records keep in them is shown as it is to an
// operator reading English, and to one reading another language only on request, under a heading that
// says what it is, beside the UI's own words for the same fact.
import { useTranslation } from 'react-i18next';
import { stationText } from '../shown-text.ts';

/**
 * Text the station wrote in its own words (English) and kept in the records: shown as it is to an operator
 * reading English, and on request, under a heading saying what it is, to one reading another language or
 * (`collapsed`) where the UI already said the same in words.
 */
export function StationOriginal({ text, limit, collapsed = false }: { readonly text: string | null; readonly limit?: number; readonly collapsed?: boolean }) {
  const { t, i18n } = useTranslation();
  if (text === null || text === '') return null;
  if (i18n.language === 'en' && !collapsed) {
    return (
      <span data-station-words lang="en">
        {stationText(text, limit)}
      </span>
    );
  }
  return (
    <details className="station-original">
      <summary>{t('stationOriginal')}</summary>
      <span data-station-words lang="en">
        {stationText(text, limit)}
      </span>
    </details>
  );
}
