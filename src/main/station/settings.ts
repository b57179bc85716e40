// Station settings a depot edits (`station-settings.json` in the data folder): names for its slots,
// the TCP fastboot endpoints and serial port paths to watch, and the printer that labels handsets. Validated like every file the station
// did not write itself; an error names the field.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { formatSlot, parseSlot, type Slot } from '../../shared/handset.ts';
import { labelPrinterSchema } from '../../shared/labels.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { describeIssues } from '../../shared/zod-issues.ts';
import { parseStrictJson } from '../bundle/strict-json.ts';

export const SETTINGS_FILE = 'station-settings.json';
const MAX_SETTINGS_BYTES = 1024 * 1024;

const slotText = z.string().refine((text) => !('problem' in parseSlot(text)), 'a slot: a USB port path such as 1-3.2, or tcp:HOST:PORT');
/** What an operator reads on a hub label: short, printable, no control or bidi characters. */
const slotName = z.string().regex(/^[\p{L}\p{N} ._#/-]{1,16}$/u, 'a slot name: 1-16 letters, digits, space, . _ # / -');

export const settingsSchema = z.strictObject({
  slotNames: z.record(slotText, slotName).default({}),
  tcpEndpoints: z.array(slotText.refine((text) => text.startsWith('tcp:'), 'a TCP endpoint: tcp:HOST:PORT')).max(256).default([]),
  serialPorts: z.array(z.string().min(1).max(4096)).max(256).default([]),
  /** Where each provisioned handset's asset label is printed (docs/labels.md); null: no printer. */
  labelPrinter: labelPrinterSchema.nullable().default(null),
});
export type StationSettings = z.infer<typeof settingsSchema>;

export class SettingsError extends Error {
  readonly code = 'SETTINGS_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

/** The settings in `dataDir`, or the defaults when the depot has written none. */
export async function loadSettings(dataDir: string): Promise<StationSettings> {
  const path = join(dataDir, SETTINGS_FILE);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return settingsSchema.parse({});
    throw new SettingsError(`cannot read ${displaySafe(path)}: ${(error as NodeJS.ErrnoException).code ?? 'read error'}`);
  }
  if (bytes.length > MAX_SETTINGS_BYTES) throw new SettingsError(`${displaySafe(path)} is larger than ${MAX_SETTINGS_BYTES} bytes`);
  let value: unknown;
  try {
    value = parseStrictJson(bytes);
  } catch (error) {
    throw new SettingsError(`${displaySafe(path)} is not valid JSON: ${displaySafe((error as Error).message, 200)}`);
  }
  const parsed = settingsSchema.safeParse(value);
  if (!parsed.success) throw new SettingsError(`${displaySafe(path)} has errors:\n${describeIssues(parsed.error)}`);
  // Slot names are keyed by the one spelling of a slot, whatever spelling the depot wrote.
  const slotNames = Object.fromEntries(Object.entries(parsed.data.slotNames).map(([slot, name]) => [formatSlot(parseSlot(slot) as Slot), name]));
  return { ...parsed.data, slotNames };
}

/** `HOST:PORT` or `HOST:FIRST-LAST` (a `lockstep sim --tcp` fleet on consecutive ports) as TCP slots. */
export function parseTcpEndpoints(text: string): Extract<Slot, { kind: 'tcp' }>[] | { readonly problem: string } {
  const range = /^(?:tcp:)?(.+):(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!range) return { problem: `'${displaySafe(text, 80)}' is not HOST:PORT or HOST:FIRST-LAST` };
  const first = Number(range[2]);
  const last = range[3] === undefined ? first : Number(range[3]);
  if (last < first || last - first >= 256) return { problem: `'${displaySafe(text, 80)}': a range covers 1 to 256 ports, first to last` };
  const slots: Extract<Slot, { kind: 'tcp' }>[] = [];
  for (let port = first; port <= last; port++) {
    const slot = parseSlot(`tcp:${range[1]}:${port}`);
    if ('problem' in slot) return slot;
    if (slot.kind === 'tcp') slots.push(slot);
  }
  return slots;
}
