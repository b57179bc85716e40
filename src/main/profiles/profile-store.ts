// The device profiles a station knows: the ones shipped in resources/profiles and any a depot adds
// in its own folder. Profile files are configuration written by people, so every field is
// validated and an error names the file and the field; a profile that fails stops the station
// instead of being skipped, because a half-known handset model must never be provisioned.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CodedError } from '../../shared/coded-error.ts';
import { checkSummary, profileSchema, type DeviceProfile, type ProfileSummary } from '../../shared/profile.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { JsonFileError, readJsonFile } from '../../lib/json/read-json-file.ts';
import { resourcesDir } from '../resources-dir.ts';

/** A profile is a page of JSON; anything larger is not one. */
const MAX_PROFILE_BYTES = 256 * 1024;

export class ProfileError extends CodedError<'PROFILE_INVALID'> {
  constructor(message: string) {
    super('PROFILE_INVALID', message);
    this.name = 'ProfileError';
  }
}

export interface LoadedProfile {
  readonly profile: DeviceProfile;
  /** The file it came from. */
  readonly source: string;
}

export interface ProfileSet {
  readonly profiles: readonly LoadedProfile[];
  /** The profile for a handset on USB with these ids, or null when no profile claims them. */
  forUsb(vendorId: number, productId: number): LoadedProfile | null;
  /** The profile whose products include `product` (as the handset answered it). */
  forProduct(product: string): LoadedProfile | null;
  byId(id: string): LoadedProfile | null;
  summaries(): ProfileSummary[];
}

export function defaultProfilesDir(): string {
  return resourcesDir('profiles');
}

export interface ProfileStoreOptions {
  /** The shipped profiles; defaults to resources/profiles. */
  readonly stationDir?: string;
  /** A depot's own profile folders; each must exist. */
  readonly userDirs?: readonly string[];
}

export async function loadProfiles(options: ProfileStoreOptions = {}): Promise<ProfileSet> {
  const loaded: LoadedProfile[] = [];
  for (const dir of [options.stationDir ?? defaultProfilesDir(), ...(options.userDirs ?? [])]) {
    for (const file of await profileFiles(dir)) loaded.push({ profile: await readProfile(file), source: file });
  }
  refuseClashes(loaded);
  return profileSet(loaded);
}

/** Validates one profile file; the error names the file and each field at fault. */
export async function readProfile(path: string): Promise<DeviceProfile> {
  try {
    return await readJsonFile(path, profileSchema, { what: 'profile', maxBytes: MAX_PROFILE_BYTES });
  } catch (error) {
    if (error instanceof JsonFileError) throw new ProfileError(error.message);
    throw error;
  }
}

async function profileFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new ProfileError(`cannot read the profile folder ${displaySafe(dir)}: ${(error as NodeJS.ErrnoException).code ?? 'read error'}`);
  }
  return names.filter((name) => name.endsWith('.json')).sort().map((name) => join(dir, name));
}

/** Two profiles claiming the same id, USB ids or product would make a handset's commands depend on file order. */
function refuseClashes(loaded: readonly LoadedProfile[]): void {
  const owners = new Map<string, LoadedProfile>();
  const claim = (key: string, what: string, entry: LoadedProfile): void => {
    const other = owners.get(key);
    if (other) throw new ProfileError(`profiles ${displaySafe(other.source)} and ${displaySafe(entry.source)} both claim ${what}; remove or change one`);
    owners.set(key, entry);
  };
  for (const entry of loaded) {
    const { profile } = entry;
    claim(`id:${profile.id}`, `the id ${profile.id}`, entry);
    for (const ids of profile.match.usb) claim(`usb:${ids.vendorId}:${ids.productId}`, `USB ${hex4(ids.vendorId)}:${hex4(ids.productId)}`, entry);
    for (const product of profile.match.products) claim(`product:${product}`, `the product ${product}`, entry);
  }
}

function profileSet(loaded: readonly LoadedProfile[]): ProfileSet {
  return {
    profiles: loaded,
    forUsb: (vendorId, productId) => loaded.find(({ profile }) => profile.match.usb.some((ids) => ids.vendorId === vendorId && ids.productId === productId)) ?? null,
    forProduct: (product) => loaded.find(({ profile }) => profile.match.products.includes(product)) ?? null,
    byId: (id) => loaded.find(({ profile }) => profile.id === id) ?? null,
    summaries: () =>
      loaded.map(({ profile, source }) => ({
        id: profile.id,
        name: profile.name,
        products: profile.match.products,
        fuses: Object.keys(profile.fuses),
        source,
        checks: profile.at.checks.map(checkSummary),
      })),
  };
}

function hex4(value: number): string {
  return value.toString(16).padStart(4, '0');
}
