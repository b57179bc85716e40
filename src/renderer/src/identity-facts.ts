// A handset's identity readback as facts a person reads: each known field under its label in the
// operator's language, the lock state once (the raw variable and what it means under the profile
// are one fact), and any field this version does not know under its own name, escaped.
import type { TFunction } from 'i18next';
import { displaySafe } from '../../shared/untrusted.ts';
import { deviceText } from './shown-text.ts';

export interface IdentityFact {
  readonly key: string;
  readonly label: string;
  readonly value: string;
}

/** Fields in the order a technician checks them; each has words under `identityField.<name>`. */
const KNOWN_FIELDS = ['serial', 'product', 'hwRevision', 'bootloaderVersion', 'batteryMillivolts', 'imei', 'firmwareVersion'] as const;
/** Where the handset sat when it was identified: the detail view shows it once, beside the profile, not as identity. */
const NOT_IDENTITY: ReadonlySet<string> = new Set(['slot']);
/** The raw lock-state variable and its meaning (`unlocked`: 'true', 'false' or null), shown as one fact. */
const LOCK_FIELDS: ReadonlySet<string> = new Set(['lockState', 'unlocked']);

function lockFact(values: Readonly<Record<string, string | null>>, t: TFunction): IdentityFact {
  const unlocked = values['unlocked'];
  const value =
    unlocked === 'true'
      ? t('identityField.unlockedState')
      : unlocked === 'false'
        ? t('identityField.lockedState')
        : t('identityField.unknownLockState', { raw: deviceText(values['lockState']) });
  return { key: 'bootloader', label: t('identityField.bootloader'), value };
}

/** Old-format reader: a handset identified before profile schema 2 has its serial under `serialNumber`. */
function withCurrentNames(values: Readonly<Record<string, string | null>>): Readonly<Record<string, string | null>> {
  if (!('serialNumber' in values) || 'serial' in values) return values;
  const { serialNumber, ...others } = values;
  return { serial: serialNumber ?? null, ...others };
}

export function identityFacts(readback: Readonly<Record<string, string | null>>, t: TFunction): IdentityFact[] {
  const values = withCurrentNames(readback);
  const known: ReadonlySet<string> = new Set(KNOWN_FIELDS);
  const facts: IdentityFact[] = KNOWN_FIELDS.filter((name) => name in values).map((name) => ({
    key: name,
    label: t(`identityField.${name}`),
    value: deviceText(values[name]),
  }));
  if (Object.keys(values).some((name) => LOCK_FIELDS.has(name))) facts.push(lockFact(values, t));
  for (const [name, value] of Object.entries(values)) {
    if (!known.has(name) && !LOCK_FIELDS.has(name) && !NOT_IDENTITY.has(name)) facts.push({ key: `other:${name}`, label: displaySafe(name, 64), value: deviceText(value) });
  }
  return facts;
}
