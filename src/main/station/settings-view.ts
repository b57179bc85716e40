// The settings screen's read of the station: slot names, the keys bundles may be signed with, the
// device profiles and the station's own signing identity. Reads only; a depot edits the files.
import type { StationSettingsView } from '../../shared/api.ts';
import type { StationMode } from '../../shared/types.ts';
import { loadTrustStore } from '../bundle/trust-store.ts';
import type { ProfileSet } from '../profiles/profile-store.ts';
import type { StationRecords } from '../records/station-records.ts';
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
  const { identity } = options.records;
  return {
    slotNames: settings.slotNames,
    trust: { keys: [...trust.keys.values()].map((key) => ({ keyId: key.keyId, label: key.label, demo: key.demo })), warnings: trust.warnings },
    profiles: options.profiles.summaries(),
    station: { fingerprint: identity.fingerprint, publicKey: identity.publicKey, dataDir: options.dataDir, mode: options.mode, demo: options.demo },
  };
}
