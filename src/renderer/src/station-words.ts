// The station's findings and statuses in the operator's language. The station sends a key and the
// values it quotes, already escaped (so they are shown as they come, never escaped twice), and the
// language files word them; a key the UI has no words for is left to the station's own sentence.
import type { TFunction } from 'i18next';
import type { FailureDetail, FailureReason } from '../../shared/pipeline.ts';
import type { TransportStatus } from '../../shared/types.ts';
import { trailingTruncation } from '../../shared/untrusted.ts';
import type { CheckTextsLookup } from './check-texts.ts';
import { formatAlternatives } from './format.ts';
import { deviceText } from './shown-text.ts';

/** Parameters whose value is itself a code with words of its own, and the family that words it. */
const CODED_PARAMS: Readonly<Record<string, string>> = { step: 'steps', bus: 'transportBus', role: 'roles', status: 'eventStatus', condition: 'systemCondition' };
/** Parameters that list such codes, comma-separated: any one of them will do. */
const CODED_ALTERNATIVES: Readonly<Record<string, string>> = { needed: 'roles' };

/**
 * The parameters of a station's key, with each code among them in the operator's words, and a value the
 * station shortened saying so in the operator's language.
 */
export function wordedParams(params: Readonly<Record<string, string>>, t: TFunction): Record<string, string> {
  const word = (family: string, code: string): string => t(`${family}.${code}`, { defaultValue: code });
  return Object.fromEntries(
    Object.entries(params).map(([name, value]) => {
      const family = CODED_PARAMS[name];
      const listed = CODED_ALTERNATIVES[name];
      if (family) return [name, word(family, value)];
      if (listed) return [name, formatAlternatives(value.split(',').map((code) => word(listed, code)))];
      const cut = trailingTruncation(value);
      return [name, cut ? cut.kept + t('truncated', { count: cut.removed }) : value];
    }),
  );
}

/**
 * A failure's detail line under its headline, or null when the UI has no words for its finding (the
 * station's sentence is shown then). A failed AT check is named by its profile's title and advice.
 */
export function failureDetailText(reason: FailureReason, profile: string | null, t: TFunction, checkTexts: CheckTextsLookup): string | null {
  const { detail } = reason;
  if (detail === null) return null;
  const findings = [detail, ...(detail.also ?? [])].map((finding) => findingText(finding, profile, t, checkTexts));
  return findings.includes(null) ? null : findings.join(' ');
}

/** A finding (`key`: a code or one of its findings) in the operator's words, or null when the UI has none for it. */
export function findingWords(key: string, params: Readonly<Record<string, string>>, t: TFunction): string | null {
  return t(`failureDetail.${key}`, { defaultValue: '' }) === '' ? null : t(`failureDetail.${key}`, wordedParams(params, t));
}

function findingText(detail: FailureDetail, profile: string | null, t: TFunction, checkTexts: CheckTextsLookup): string | null {
  if (detail.key !== 'CHECK_FAILED') return findingWords(detail.key, detail.params, t);
  const params = wordedParams(detail.params, t);
  const failed = (detail.params['checks'] ?? '').split(',').filter((id) => id !== '');
  params['checks'] = failed
    .map((id) => {
      const texts = checkTexts(profile, id);
      return texts ? t('failedCheck', { title: texts.title, advice: texts.failure }) : deviceText(id, 64);
    })
    .join(' ');
  return t(`failureDetail.${detail.key}`, params);
}

/** How a way of reaching handsets stands, in the operator's language. */
export function transportStatusText(status: TransportStatus, t: TFunction): string {
  return t(`transportStatus.${status.words.key}`, wordedParams(status.words.params, t));
}
