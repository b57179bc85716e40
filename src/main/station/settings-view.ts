// The settings screen's read of the station: slot names, the label printer and the templates it may
// use, the keys bundles may be signed with, the device profiles and the station's own signing
// identity. Slot names and the printer are changed through settings-store.ts; the rest in files.
import type { StationSettingsView } from '../../shared/api.ts';
import { describeFailure } from '../../shared/describe-failure.ts';
import type { StationMode } from '../../shared/types.ts';
import { loadTrustStore } from '../bundle/trust-store.ts';
import type { ProfileSet } from '../profiles/profile-store.ts';
import type { StationRecords } from '../records/station-records.ts';
import { stationTemplates } from './label-setup.ts';
import { loadSettings } from './settings.ts';

export interface SettingsViewOptions {
  readonly dataDir: string;
  readonly mode: StationMode;
  readonly demo: boolean;
  readonly records: StationRecords;
  readonly profiles: ProfileSet;
}

export async function readSettingsView(options: SettingsViewOptions): Promise<StationSettingsView> {
  const settings = await loadSettings(options.dataDir);
  const trust = await loadTrustStore({ demo: options.demo });
  // A broken depot template must not hide the rest of the settings: the screen says what is wrong.
  const templates = await stationTemplates(options.dataDir).then(
    (set) => ({ names: set.templates.map((entry) => entry.template.name), warning: null }),
    (error: unknown) => ({ names: [], warning: describeFailure(error) }),
  );
  const { identity } = options.records;
  return {
    slotNames: settings.slotNames,
    idleLockMinutes: settings.idleLockMinutes,
    labels: { printer: settings.labelPrinter, templates: templates.names, warning: templates.warning },
    trust: { keys: [...trust.keys.values()].map((key) => ({ keyId: key.keyId, label: key.label, demo: key.demo })), warnings: trust.warnings },
    profiles: options.profiles.summaries(),
    station: { fingerprint: identity.fingerprint, publicKey: identity.publicKey, dataDir: options.dataDir, mode: options.mode, demo: options.demo },
    operatorsAtDepot: options.records.operators.managedByDepot(),
  };
}
