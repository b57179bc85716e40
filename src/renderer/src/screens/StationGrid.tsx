import { memo, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { BatchStatus, StationApi } from '../../../shared/api.ts';
import { hasNoPrinter, NoPrinterAction, PrinterBadge, usePrinterStatus } from '../components/Labels.tsx';
import type { SlotNames } from '../../../shared/handset.ts';
import type { HandsetSnapshot, PipelineSnapshot } from '../../../shared/pipeline.ts';
import { displaySafe } from '../../../shared/untrusted.ts';
import { ConfirmDialog } from '../components/ConfirmDialog.tsx';
import { StateBadge } from '../components/StateBadge.tsx';
import { formatDuration, formatNumber } from '../format.ts';
import { labelNotPrinted } from '../phase.ts';
import { usePaced } from '../hooks/usePaced.ts';
import { useShiftCounters } from '../hooks/useShiftCounters.ts';
import { useSlotOrder } from '../hooks/useSlotOrder.ts';
import { cardWords, sameHandsetView, SlotCard, type SlotActions } from './SlotCard.tsx';

/**
 * Cards drawn or changed per frame: two screen rows. Measured with 32 handsets on 2 cores, 8 kept every
 * frame's own work at 13-14 ms of CPU with the renderer's total CPU as without pacing; 4 gave no shorter
 * frames and 60 % more CPU in all (every frame has a fixed cost), 16 gave frames of 23-25 ms.
 */
const CARDS_PER_FRAME = 8;

/** Hubs of up to 16 ports get cards with every step named; larger ones denser cards, steps as icons (details on click). */
const DENSE_ABOVE = 16;

interface StationGridProps {
  readonly station: StationApi;
  readonly batch: BatchStatus;
  readonly snapshot: PipelineSnapshot | null;
  readonly slotNames: SlotNames;
  readonly actions: SlotActions;
  /** An admin's way to Settings while the station has no printer; null for everyone else. */
  readonly onSetPrinter: (() => void) | null;
  readonly onPause: (pause: boolean) => void;
  readonly onOpenGate: () => void;
}

export function StationGrid({ station, batch, snapshot, slotNames, actions, onSetPrinter, onPause, onOpenGate }: StationGridProps) {
  const { t, i18n } = useTranslation();
  const language = i18n.language;
  const words = useMemo(() => cardWords(i18n.getFixedT(language)), [i18n, language]);
  const bySlot = useMemo(() => new Map<string, HandsetSnapshot>((snapshot?.handsets ?? []).map((handset) => [handset.slot, handset])), [snapshot]);
  const order = useSlotOrder([...bySlot.keys()], slotNames);
  const wanted = useMemo(() => new Map(order.map((slot) => [slot, bySlot.get(slot) ?? null])), [order, bySlot]);
  const drawn = usePaced(wanted, sameHandsetView, CARDS_PER_FRAME);
  return (
    <main className="station" aria-labelledby="station-heading">
      <h2 id="station-heading" className="visually-hidden">
        {t('grid.title')}
      </h2>
      <BatchBar station={station} batch={batch} snapshot={snapshot} onSetPrinter={onSetPrinter} onPause={onPause} onOpenGate={onOpenGate} />
      <div className="grid" role="list" aria-label={t('grid.slots')} data-density={order.length > DENSE_ABOVE ? 'dense' : 'normal'}>
        {order.map((slot, index) => {
          const handset = drawn.get(slot);
          return (
            <div role="listitem" key={slot}>
              {handset === undefined ? (
                <div className="slot-card pending" />
              ) : (
                <SlotCard position={index + 1} slot={slot} slotName={handset?.slotName ?? (Object.hasOwn(slotNames, slot) ? (slotNames[slot] as string) : null)} handset={handset} words={words} actions={actions} />
              )}
            </div>
          );
        })}
      </div>
      {order.length === 0 && <p className="hint">{t('grid.noSlots')}</p>}
    </main>
  );
}

/** Memoised: the grid renders again for every frame of paced cards, the bar only for a new snapshot. */
const BatchBar = memo(function BatchBar({ station, batch, snapshot, onSetPrinter, onPause, onOpenGate }: Omit<StationGridProps, 'slotNames' | 'actions'>) {
  const { t } = useTranslation();
  const printer = usePrinterStatus(station);
  const [shift, resetShift] = useShiftCounters(snapshot);
  // A new shift zeroes the counts on the bar: asked first, as one click would lose them (issue 20 #15).
  const [confirmingShift, setConfirmingShift] = useState(false);
  // Handsets whose labels went nowhere: what can be done about it is said once, beside the printer's state.
  const labelsWithoutPrinter = hasNoPrinter(printer) && (snapshot?.handsets.some((handset) => labelNotPrinted(handset) === 'no-printer') ?? false);
  const counters = snapshot?.counters;
  const paused = snapshot?.paused ?? false;
  // Offered while no authorisation covers the batch, and while a handset waits for one (the last one's cap is used up).
  const gateOpen = batch.gateRequired && (batch.authorisation === null || (snapshot?.handsets.some((handset) => handset.phase === 'waiting-for-authorisation') ?? false));
  return (
    <section className="batch-bar" aria-label={t('grid.batch')}>
      <div className="batch-name">
        <strong className="batch-title" title={displaySafe(batch.info.name, 120)}>
          {displaySafe(batch.info.name, 120)}
        </strong>
        {batch.info.demo && <StateBadge tone="attention" label={t('setup.demoKey')} />}
        <Elapsed since={batch.info.startedAt} />
      </div>
      <dl className="counters" aria-label={t('grid.counters')}>
        <Counter name={t('counters.attached')} value={counters?.attached ?? 0} testId="counter-attached" />
        <Counter name={t('counters.running')} value={counters?.running ?? 0} testId="counter-running" />
        <Counter name={t('counters.done')} value={shift.done} testId="counter-done" />
        <Counter name={t('counters.failed')} value={shift.failed} testId="counter-failed" />
        <Counter name={t('counters.expected')} value={batch.expectedCount} testId="counter-expected" />
      </dl>
      <div className="batch-actions">
        {gateOpen ? (
          <button type="button" className="attention-button" onClick={onOpenGate}>
            <StateBadge tone="attention" label={t('gate.waiting')} />
          </button>
        ) : batch.gateRequired && batch.authorisation ? (
          <StateBadge tone="done" label={t('gate.authorisedBy', { supervisor: batch.authorisation.supervisorId, used: batch.authorisation.devicesUsed, cap: batch.authorisation.deviceCap })} />
        ) : null}
        <button type="button" onClick={() => onPause(!paused)}>
          {paused ? t('grid.resume') : t('grid.pause')}
        </button>
        <button type="button" onClick={() => setConfirmingShift(true)} title={t('counters.resetHint')}>
          {t('counters.reset')}
        </button>
        <PrinterBadge status={printer} />
        {labelsWithoutPrinter && <NoPrinterAction onSetPrinter={onSetPrinter} short />}
      </div>
      {confirmingShift && (
        <ConfirmDialog
          title={t('confirm.shiftTitle')}
          text={t('confirm.shiftText', { done: formatNumber(shift.done), failed: formatNumber(shift.failed) })}
          confirm={t('confirm.shiftButton')}
          onConfirm={resetShift}
          onClose={() => setConfirmingShift(false)}
        />
      )}
    </section>
  );
});

function Counter({ name, value, testId }: { readonly name: string; readonly value: number; readonly testId: string }) {
  return (
    <div className="counter" data-testid={testId}>
      <dt>{name}</dt>
      <dd>{formatNumber(value)}</dd>
    </div>
  );
}

/** Ticks once a second in its own component, so the clock never re-renders the grid. */
function Elapsed({ since }: { readonly since: string }) {
  const { t } = useTranslation();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return <span className="elapsed">{t('grid.elapsed', { time: formatDuration((now - Date.parse(since)) / 1000) })}</span>;
}
