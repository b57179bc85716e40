// The renderer's two ways of showing text, so each hostile value is escaped exactly once: a value
// from a handset, bundle or file is escaped here; a sentence of the station's already escaped the
// values it quotes (describeFailure's contract), so escaping it again would show `\\u202E`.
import { describeFailure } from '../../shared/describe-failure.ts';
import { displaySafe } from '../../shared/untrusted.ts';

/** A raw value from a device, bundle or file (a serial, an identity field), escaped and capped. */
export function deviceText(value: string | null | undefined, limit = 200): string {
  return value === null || value === undefined ? '—' : displaySafe(value, limit);
}

/** The station's own words (a failure reason, a journal detail): only what is still unsafe is escaped. */
export function stationText(value: string | null | undefined, limit = 400): string {
  return value === null || value === undefined ? '—' : describeFailure(value, limit);
}
