// The settings screen's changes to station-settings.json: one field at a time, everything else in
// the file kept as the depot wrote it (endpoints, serial ports, its own spelling of slots), the
// result validated as a whole before it replaces the file durably (temporary file, fsync, rename),
// so a crash leaves the old settings or the new ones, never half of either.
import { join } from 'node:path';
import { formatSlot, parseSlot, type Slot } from '../../shared/handset.ts';
import type { z } from 'zod';
import type { labelPrinterSchema } from '../../shared/labels.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { replaceFileDurably } from '../../lib/storage/replace-file.ts';
import { readSettingsFile, SETTINGS_FILE, SettingsError, validateSettings, type StationSettings } from './settings.ts';

const SETTINGS_MODE = 0o644;

/** One change at a time per folder: two quick edits must not each write over the other's. */
const writing = new Map<string, Promise<unknown>>();

async function updateSettings(dataDir: string, change: (raw: Record<string, unknown>, current: StationSettings) => Record<string, unknown>): Promise<StationSettings> {
  const previous = writing.get(dataDir) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(async () => {
    const { raw, settings } = await readSettingsFile(dataDir);
    const path = join(dataDir, SETTINGS_FILE);
    const changed = change(raw ?? {}, settings);
    const valid = validateSettings(changed, path);
    await replaceFileDurably(path, [`${JSON.stringify(changed, null, 2)}\n`], SETTINGS_MODE);
    return valid;
  });
  writing.set(dataDir, next);
  try {
    return await next;
  } finally {
    if (writing.get(dataDir) === next) writing.delete(dataDir);
  }
}

/** Names `slot` (any spelling parseSlot takes) `name`, or clears its name; a name another slot has is refused. */
export async function setSlotName(dataDir: string, slot: string, name: string | null): Promise<StationSettings> {
  const parsed = parseSlot(slot);
  if ('problem' in parsed) throw new SettingsError('SETTINGS_INVALID', `slot: ${parsed.problem}`);
  const key = formatSlot(parsed);
  const wanted = name?.trim() ?? null;
  return updateSettings(dataDir, (raw, current) => {
    if (wanted !== null) {
      const holder = Object.entries(current.slotNames).find(([other, taken]) => other !== key && taken.toLocaleLowerCase() === wanted.toLocaleLowerCase());
      if (holder) throw new SettingsError('SLOT_NAME_TAKEN', `name: slot ${displaySafe(holder[0], 80)} is already called ${displaySafe(holder[1], 16)}; slot names are unique.`);
    }
    // Validated as it was read: absent or an object whose every key is a slot.
    const written = (raw['slotNames'] ?? {}) as Record<string, string>;
    // The depot may have spelled this slot another way (usb:1-3.2); its one spelling replaces them all.
    const kept = Object.entries(written).filter(([other]) => formatSlot(parseSlot(other) as Slot) !== key);
    return { ...raw, slotNames: Object.fromEntries(wanted === null ? kept : [...kept, [key, wanted]]) };
  });
}

/** Sets the idle lock: minutes without input before the window signs its operator out (0: never). */
export async function setIdleLock(dataDir: string, minutes: number): Promise<StationSettings> {
  return updateSettings(dataDir, (raw) => ({ ...raw, idleLockMinutes: minutes }));
}

/** Sets the station's label printer, or removes it (null). The caller checks the template exists. */
export async function setLabelPrinter(dataDir: string, printer: z.input<typeof labelPrinterSchema> | null): Promise<StationSettings> {
  return updateSettings(dataDir, (raw) => ({ ...raw, labelPrinter: printer }));
}
