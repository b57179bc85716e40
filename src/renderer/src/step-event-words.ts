// A journal entry in the operator's language, from its typed facts (src/shared/step-events.ts) rather
// than its `detail`, which is the station's English and never parsed. Values from a handset are
// escaped here, once; an entry whose facts say nothing more than its step and status has no words.
import type { TFunction } from 'i18next';
import type { StepEvent } from '../../shared/records.ts';
import type { FuseReadback, StepData } from '../../shared/step-events.ts';
import { formatList, formatMegabytes } from './format.ts';
import { deviceText } from './shown-text.ts';

const hex32 = (value: number): string => `0x${value.toString(16).padStart(8, '0')}`;

/** Fuse words as bank/word and value, the way the detail view shows them. */
export function fuseReadbackText(words: readonly FuseReadback[]): string {
  return words.length === 0 ? '—' : words.map((word) => `${word.bank}/${word.word} ${hex32(word.value)}`).join(', ');
}

export function stepEventText(event: StepEvent, t: TFunction): string | null {
  const { data } = event;
  switch (`${event.step}:${event.status}`) {
    case 'detect:passed':
      return t('stepEvent.detected', { profile: deviceText((data as StepData<'detect', 'passed'>).profile, 64) });
    case 'identify:passed': {
      const { identity } = data as StepData<'identify', 'passed'>;
      // Old-format reader: journals written before profile schema 2 name the serial `serialNumber`.
      const serial = identity['serial'] ?? identity['serialNumber'];
      return t('stepEvent.identified', { serial: deviceText(serial, 64), product: deviceText(identity['product'], 64) });
    }
    case 'flash:started': {
      const started = data as StepData<'flash', 'started'>;
      return started.event === 'writing' ? t('stepEvent.writing', { partitions: formatList(started.targets.map((target) => deviceText(target, 64))) }) : null;
    }
    case 'flash:passed': {
      const passed = data as StepData<'flash', 'passed'>;
      return passed.written ? t('stepEvent.written', { size: formatMegabytes(passed.bytes) }) : t('stepEvent.alreadyWritten');
    }
    case 'verify:passed':
      return t('stepEvent.verified');
    case 'fuse:started': {
      const started = data as StepData<'fuse', 'started'>;
      if (started.event === 'read-before') return t('stepEvent.fuseWordsBefore', { words: fuseReadbackText(started.words) });
      if (started.event === 'program-sent') return t('stepEvent.fuseSent', { bank: started.bank, word: started.word, mask: hex32(started.mask) });
      if (started.event === 'program-acknowledged') return t('stepEvent.fuseAcknowledged', { bank: started.bank, word: started.word, mask: hex32(started.mask) });
      return null;
    }
    case 'fuse:passed':
      return t('stepEvent.fuseWordsAfter', { words: fuseReadbackText((data as StepData<'fuse', 'passed'>).after) });
    case 'fuse:skipped':
      return t('stepEvent.noFuses');
    case 'lock:started':
      return (data as StepData<'lock', 'started'>).event === 'lock-sent' ? t('stepEvent.lockSent') : null;
    case 'lock:passed': {
      const passed = data as StepData<'lock', 'passed'>;
      return t(passed.sent ? 'stepEvent.locked' : 'stepEvent.lockedEarlier', { state: deviceText(passed.lockState, 40) });
    }
    case 'lock:skipped':
      return t('stepEvent.noLock');
    case 'reboot:passed': {
      const passed = data as StepData<'reboot', 'passed'>;
      return t(passed.foundBooted ? 'stepEvent.foundBooted' : 'stepEvent.booted', { port: deviceText(passed.atPort, 120) });
    }
    case 'checks:passed':
      return t('stepEvent.checksPassed', { count: (data as StepData<'checks', 'passed'>).checks.length });
    case 'record:passed': {
      const passed = data as StepData<'record', 'passed'>;
      return t('stepEvent.recorded', { outcome: t(`outcome.${passed.outcome}`), seq: passed.seq });
    }
    default:
      return null;
  }
}
