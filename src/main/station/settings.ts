// Station settings a depot edits (`station-settings.json` in the data folder): names for its slots,
// the TCP fastboot endpoints and serial port paths to watch, and the printer that labels handsets.
// Validated like every file the station did not write itself; an error names the field. The settings
// screen changes some of it (settings-store.ts).
import { join } from 'node:path';
import { z } from 'zod';
import { CodedError } from '../../shared/coded-error.ts';
import { DEFAULT_IDLE_LOCK_MINUTES, idleLockMinutesSchema, slotNameSchema, slotTextSchema } from '../../shared/api.ts';
import { formatSlot, parseSlot, type Slot } from '../../shared/handset.ts';
import { labelPrinterSchema } from '../../shared/labels.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { checkJson, JsonFileError, readJsonValue } from '../../lib/json/read-json-file.ts';

export const SETTINGS_FILE = 'station-settings.json';
const MAX_SETTINGS_BYTES = 1024 * 1024;

export const settingsSchema = z.strictObject({
  slotNames: z.record(slotTextSchema, slotNameSchema).default({}),
  /**
   * `tcp:HOST:PORT` or `tcp:HOST:FIRST-LAST`, as `--tcp` takes them. Each is parsed where the sources
   * are built (handset-sources.ts): one that does not parse is reported on the station's status line
   * and the CLI, and the station runs on the rest rather than not at all.
   */
  tcpEndpoints: z.array(z.string().min(1).max(300)).max(256).default([]),
  serialPorts: z.array(z.string().min(1).max(4096)).max(256).default([]),
  /** Where each provisioned handset's asset label is printed (docs/labels.md); null: no printer. */
  labelPrinter: labelPrinterSchema.nullable().default(null),
  /**
   * Minutes without input after which the station window signs its operator out; 0: never. A station
   * policy an admin sets (a technician cannot switch the lock off for the bench), default 5 minutes.
   */
  idleLockMinutes: idleLockMinutesSchema.default(DEFAULT_IDLE_LOCK_MINUTES),
});
export type StationSettings = z.infer<typeof settingsSchema>;

export class SettingsError extends CodedError<'SETTINGS_INVALID' | 'SLOT_NAME_TAKEN'> {
  constructor(code: SettingsError['code'], message: string) {
    super(code, message);
    this.name = 'SettingsError';
  }
}

/** The settings in `dataDir`, or the defaults when the depot has written none. */
export async function loadSettings(dataDir: string): Promise<StationSettings> {
  return (await readSettingsFile(dataDir)).settings;
}

/** The settings file as written (null when there is none) and the settings it holds, validated. */
export async function readSettingsFile(dataDir: string): Promise<{ readonly raw: Record<string, unknown> | null; readonly settings: StationSettings }> {
  const path = join(dataDir, SETTINGS_FILE);
  let value: unknown;
  try {
    value = await readJsonValue(path, { what: 'the station settings', maxBytes: MAX_SETTINGS_BYTES });
  } catch (error) {
    if (error instanceof JsonFileError && error.problem === 'missing') return { raw: null, settings: settingsSchema.parse({}) };
    throw asSettingsError(error);
  }
  return { raw: value as Record<string, unknown>, settings: validateSettings(value, path) };
}

/** Settings as the station uses them, or a SettingsError naming each field at fault in `path`. */
export function validateSettings(value: unknown, path: string): StationSettings {
  let valid: StationSettings;
  try {
    valid = checkJson(value, settingsSchema, path, 'the station settings');
  } catch (error) {
    throw asSettingsError(error);
  }
  // Slot names are keyed by the one spelling of a slot, whatever spelling the depot wrote.
  const slotNames = Object.fromEntries(Object.entries(valid.slotNames).map(([slot, name]) => [formatSlot(parseSlot(slot) as Slot), name]));
  return { ...valid, slotNames };
}

function asSettingsError(error: unknown): unknown {
  return error instanceof JsonFileError ? new SettingsError('SETTINGS_INVALID', error.message) : error;
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
