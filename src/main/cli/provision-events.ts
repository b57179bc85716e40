// The headless form of the live state: one JSON object per line for each change of a handset's
// phase, step, reason, quarantine or wait (progress at most once a second) and of the label printer's state, so a
// script or a log collector can follow a batch without parsing a table.
import type { BatchInfo, HandsetSnapshot, PipelineSnapshot } from '../../shared/pipeline.ts';
import { terminalSafeJson } from '../../shared/untrusted.ts';

const PROGRESS_EVERY_MS = 1000;
/** The printer's entry in `seen`: no slot contains a NUL. */
const PRINTER_KEY = '\u0000printer';

/** Lines for what changed since `seen` (updated in place: slot → last key and time). */
export function eventLines(snapshot: PipelineSnapshot, seen: Map<string, string>): string[] {
  const lines: string[] = [];
  for (const handset of snapshot.handsets) {
    const key = `${handset.serial}|${handset.phase}|${handset.step}|${handset.reason?.code ?? ''}|${handset.quarantine?.code ?? ''}|${handset.recordSeq}|${handset.wait?.until ?? ''}`;
    const last = seen.get(handset.slot);
    const now = Date.parse(snapshot.at);
    const progressDue = handset.progress !== null && (last === undefined || now - Number(last.split('@')[1] ?? 0) >= PROGRESS_EVERY_MS);
    if (last?.split('@')[0] === key && !progressDue) continue;
    seen.set(handset.slot, `${key}@${now}`);
    lines.push(terminalSafeJson(JSON.stringify(event(handset, snapshot.at))));
  }
  const { printer } = snapshot;
  const printerKey = printer && `${printer.state}|${printer.address}|${printer.detail}`;
  if (printer && printerKey !== seen.get(PRINTER_KEY)) {
    seen.set(PRINTER_KEY, `${printerKey}`);
    lines.push(terminalSafeJson(JSON.stringify({ at: snapshot.at, printer })));
  }
  return lines;
}

/** The first line of a batch's events: which batch they belong to, and when it began (or was continued) in this run. */
export function batchLine(info: BatchInfo, continued: boolean, at: Date): string {
  return terminalSafeJson(JSON.stringify({ at: at.toISOString(), batch: { ...info, continued } }));
}

function event(handset: HandsetSnapshot, at: string) {
  return {
    at,
    slot: handset.slot,
    slotName: handset.slotName,
    serial: handset.serial,
    phase: handset.phase,
    step: handset.step,
    progress: handset.progress,
    wait: handset.wait,
    reason: handset.reason,
    quarantine: handset.quarantine,
    recordSeq: handset.recordSeq,
  };
}
