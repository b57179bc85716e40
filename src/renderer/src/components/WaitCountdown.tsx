import { useTranslation } from 'react-i18next';
import type { HandsetWait } from '../../../shared/pipeline.ts';
import { displaySafe } from '../../../shared/untrusted.ts';
import { formatDuration } from '../format.ts';
import { useSecondClock } from '../hooks/useSecondClock.ts';

/**
 * "hashing system_a — gives up in 2:41": what a handset waits on and how long the station still gives
 * it, counted down here from the deadline its snapshot carries (no snapshot per second). The station
 * core runs on this machine, so its clock is this clock.
 */
export function WaitCountdown({ wait, className }: { readonly wait: HandsetWait; readonly className: string }) {
  const { t } = useTranslation();
  const now = useSecondClock();
  const seconds = Math.max(0, Math.ceil((Date.parse(wait.until) - now) / 1000));
  const text = t(`grid.wait.${wait.kind}`, { partition: displaySafe(wait.partition ?? '', 40), time: formatDuration(seconds) });
  return (
    <span className={className} role="timer" title={text}>
      {text}
    </span>
  );
}
