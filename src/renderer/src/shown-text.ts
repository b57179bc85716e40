// The renderer's two ways of showing text, so each hostile value is escaped exactly once: a value
// from a handset, bundle or file is escaped here; a sentence of the station's already escaped the
// values it quotes (describeFailure's contract), so escaping it again would show `\\u202E`. A value
// cut short says so in the operator's language.
import i18next from 'i18next';
import { describeFailure } from '../../shared/describe-failure.ts';
import { displaySafe } from '../../shared/untrusted.ts';

const truncated = (count: number): string => i18next.t('truncated', { count });

/** A raw value from a device, bundle or file (a serial, an identity field), escaped and capped. */
export function deviceText(value: string | null | undefined, limit = 200): string {
  return value === null || value === undefined ? '—' : displaySafe(value, limit, truncated);
}

/** The station's own words (a failure reason, a journal detail): only what is still unsafe is escaped. */
export function stationText(value: string | null | undefined, limit = 400): string {
  return value === null || value === undefined ? '—' : describeFailure(value, limit, truncated);
}
