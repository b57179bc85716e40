// What one attempt learned about its handset, step by step, for the provisioning record and its
// evidence. Each fact is set by the step that proved it; nothing here is inferred from another fact.
import type { FuseReadback } from '../../shared/step-events.ts';
import type { AtCheckResult } from '../handset/at-checks.ts';
import type { FastbootIdentity } from '../handset/fastboot-ops.ts';
import type { FlashTarget } from './steps/partitions.ts';

export interface RunFacts {
  readonly startedAt: string;
  identity: FastbootIdentity | null;
  /** The partitions the bundle writes on this handset, its boot slot decided. */
  targets: FlashTarget[];
  /** The handset's own hash of each written partition, as last read. */
  partitions: { name: string; sha256: string }[];
  /** Every partition read back the bundle's hash in this attempt. */
  verified: boolean;
  fuseWordsBefore: FuseReadback[];
  fuseWordsAfter: FuseReadback[];
  /** Fuses this station programmed and proved set by read-back. */
  fusesBurned: string[];
  /** Policy fuses that read set before this station sent anything: an alarm, never counted as burned. */
  fusesFoundSet: string[];
  /** The bootloader reads back locked after this station's lock. */
  locked: boolean;
  lockState: string | null;
  atPort: string | null;
  checks: AtCheckResult[];
  authorisationId: number | null;
}

export function newFacts(): RunFacts {
  return {
    startedAt: new Date().toISOString(),
    identity: null,
    targets: [],
    partitions: [],
    verified: false,
    fuseWordsBefore: [],
    fuseWordsAfter: [],
    fusesBurned: [],
    fusesFoundSet: [],
    locked: false,
    lockState: null,
    atPort: null,
    checks: [],
    authorisationId: null,
  };
}

/** The identify readback as the records store it: text values, exactly as the handset answered. */
export function identityRecord(identity: FastbootIdentity): Record<string, string | null> {
  return { ...identity, unlocked: identity.unlocked === null ? null : String(identity.unlocked) };
}
