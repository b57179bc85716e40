// The Zebra host status answer to `~HS`: three STX … ETX frames of comma-separated flags (ZPL II
// Programming Guide, ~HS). Only the flags that stop a label from printing are read. The bytes come
// from the network, so the parser takes nothing on trust: a frame count, field count or digit that
// is not what the guide describes is an unreadable answer, not a guess.
import type { PrinterProblem } from '../../../shared/labels.ts';

export interface HostStatus {
  readonly problems: readonly PrinterProblem[];
  readonly formatsInBuffer: number;
  readonly labelsRemaining: number;
}

/** The most bytes a ~HS answer takes (three frames of about 30 characters each, with some slack). */
export const MAX_HOST_STATUS_BYTES = 512;

// eslint-disable-next-line no-control-regex -- STX and ETX frame the answer
const FRAME = /\x02([^\x02\x03]*)\x03/g;
const FLAG = /^[01]$/;
const NUMBER = /^\d{1,8}$/;

/** The three frames once all have arrived, or null while more bytes are needed. */
export function hostStatusFrames(bytes: Buffer): string[] | null {
  const frames = [...bytes.toString('latin1').matchAll(FRAME)].map((match) => match[1] ?? '');
  return frames.length >= 3 ? frames.slice(0, 3) : null;
}

export function parseHostStatus(bytes: Buffer): HostStatus | { readonly problem: string } {
  const frames = hostStatusFrames(bytes);
  if (!frames) return { problem: 'the printer did not send the three frames of a ~HS answer' };
  const [first, second] = frames.map((frame) => frame.split(',').map((field) => field.trim()));
  if (!first || first.length < 12 || !second || second.length < 11) return { problem: 'the ~HS answer does not have the fields the ZPL guide describes' };
  const flag = (fields: string[], index: number): boolean | null => (FLAG.test(fields[index] ?? '') ? fields[index] === '1' : null);
  const ribbonOut = flag(second, 3);
  const thermalTransfer = flag(second, 4);
  const flags: [PrinterProblem, boolean | null][] = [
    ['paper-out', flag(first, 1)],
    ['paused', flag(first, 2)],
    ['buffer-full', flag(first, 5)],
    ['corrupt-ram', flag(first, 9)],
    ['under-temperature', flag(first, 10)],
    ['over-temperature', flag(first, 11)],
    ['head-open', flag(second, 2)],
    // A direct thermal printer (thermal transfer flag 0) needs no ribbon, whatever its sensor says.
    ['ribbon-out', ribbonOut === null || thermalTransfer === null ? null : ribbonOut && thermalTransfer],
  ];
  if (flags.some(([, value]) => value === null) || !NUMBER.test(first[4] ?? '') || !NUMBER.test(second[8] ?? '')) {
    return { problem: 'the ~HS answer holds a flag or count that is not a digit' };
  }
  return {
    problems: flags.filter(([, value]) => value).map(([name]) => name),
    formatsInBuffer: Number(first[4]),
    labelsRemaining: Number(second[8]),
  };
}

/** A ~HS answer as a Zebra sends it; the test printer and the docs use it. */
export function formatHostStatus(state: { paperOut?: boolean; paused?: boolean; bufferFull?: boolean; headOpen?: boolean; ribbonOut?: boolean; thermalTransfer?: boolean; formats?: number }): Buffer {
  const bit = (value: boolean | undefined): string => (value ? '1' : '0');
  const first = `030,${bit(state.paperOut)},${bit(state.paused)},1218,${String(state.formats ?? 0).padStart(3, '0')},${bit(state.bufferFull)},0,0,000,0,0,0`;
  const second = `001,0,${bit(state.headOpen)},${bit(state.ribbonOut)},${bit(state.thermalTransfer)},2,6,0,00000000,1,000`;
  return Buffer.from(`\x02${first}\x03\r\n\x02${second}\x03\r\n\x021234,0\x03\r\n`, 'latin1');
}
