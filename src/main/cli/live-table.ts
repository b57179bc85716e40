// The live table on a terminal: one line per handset (slot, serial, step, progress, MB/s, ETA,
// result), redrawn in place from each snapshot.
import type { HandsetSnapshot, PipelineSnapshot, Quarantine, RunPhase } from '../../shared/pipeline.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import type { CliIo } from './io.ts';

const CLEAR_LINE = '\u001b[2K';
const up = (lines: number): string => (lines > 0 ? `\u001b[${lines}A` : '');

/** Phases whose name alone would not tell the technician what to do. */
const PHASE_WORDS: Partial<Record<RunPhase, string>> = {
  'waiting-for-authorisation': 'WAITING FOR THE SUPERVISOR (authorise the batch)',
  paused: 'PAUSED (held before its next step until the batch resumes)',
};

export class LiveTable {
  readonly #io: CliIo;
  /** A line of the station's own state beside the batch's (the depot link's), or null for none. */
  readonly #note: () => string | null;
  #drawn = 0;

  constructor(io: CliIo, note: () => string | null = () => null) {
    this.#io = io;
    this.#note = note;
  }

  render(snapshot: PipelineSnapshot): void {
    const note = this.#note();
    const lines = [header(snapshot), ...(note === null ? [] : [note]), ...snapshot.handsets.map(row)];
    this.#io.out(`${up(this.#drawn)}${lines.map((line) => `${CLEAR_LINE}\r${line}\n`).join('')}`);
    this.#drawn = lines.length;
  }

  finish(snapshot: PipelineSnapshot): void {
    this.render(snapshot);
    this.#drawn = 0;
  }
}

function header(snapshot: PipelineSnapshot): string {
  const { counters } = snapshot;
  const waiting = snapshot.handsets.filter((handset) => handset.phase === 'waiting-for-authorisation').length;
  const gate = waiting > 0 ? `  waiting for the supervisor ${waiting}` : '';
  return `${snapshot.paused ? 'PAUSED  ' : ''}attached ${counters.attached}  running ${counters.running}  provisioned ${counters.provisioned}  failed ${counters.failed}${gate}${printerWords(snapshot)}`;
}

/** The label printer's state, loud only when labels will not print. */
function printerWords({ printer }: PipelineSnapshot): string {
  if (!printer) return '';
  const state = printer.state === 'not-ready' || printer.state === 'offline' ? `${printer.state.toUpperCase()}: ${displaySafe(printer.detail, 60)} (labels stay unprinted)` : printer.state;
  return `  printer ${displaySafe(printer.address, 40)} ${state}`;
}

/** A quarantined handset in the CLI's words: its state, the alarm that put it there, and what to do. */
export function quarantineWords(quarantine: Quarantine): string {
  return `QUARANTINED [${quarantine.code}] ${displaySafe(quarantine.message, 60)} (hand it to the security officer; it is not retried)`;
}

function row(handset: HandsetSnapshot): string {
  const slot = (handset.slotName ?? handset.slot).padEnd(10).slice(0, 24);
  const serial = (handset.serial === null ? '-' : displaySafe(handset.serial, 20)).padEnd(20);
  const step = (handset.step ?? '').padEnd(9);
  const progress = handset.progress;
  const transfer = progress
    ? `${String(Math.floor((progress.bytesDone / Math.max(1, progress.bytesTotal)) * 100)).padStart(3)}% ${(progress.bytesPerSecond / 1e6).toFixed(1).padStart(5)} MB/s ETA ${progress.etaSeconds ?? '?'}s`
    : ''.padEnd(26);
  // A quarantine outranks the phase, as on the operator's card: the alarm stays whatever a later attempt stopped with.
  if (handset.quarantine) return `${slot} ${serial} ${step} ${''.padEnd(26)} ${quarantineWords(handset.quarantine)}`;
  const phase = PHASE_WORDS[handset.phase] ?? handset.phase;
  const result = handset.reason ? `${phase} [${handset.reason.code}] ${handset.reason.message.slice(0, 60)}` : phase;
  return `${slot} ${serial} ${step} ${transfer.padEnd(26)} ${result}`;
}
