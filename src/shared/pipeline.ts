// The live state of the provisioning pipeline as every front end sees it: versioned snapshots of
// the batch and of each handset, published through the station API's subscription. The CLI's live
// table and the operator UI render exactly these.
import { z } from 'zod';
import { STEP_NAMES, type BatchSummary, type StepName } from './records.ts';
import type { PrinterStatus, UnprintedCause } from './labels.ts';

export const STEP_STATES = ['waiting', 'running', 'passed', 'failed', 'skipped'] as const;
export type StepState = (typeof STEP_STATES)[number];

/**
 * Where a handset's run stands. `waiting-for-handset`: its run is interrupted (unplugged, rebooting
 * into its OS) and resumes when it is back; `queued`: waiting for a flashing place (--parallel);
 * `waiting-for-authorisation`: flashed and verified, it waits at the fuse step (step `fuse`) until a
 * supervisor authorises the batch's irreversible steps, however long that takes.
 */
export const RUN_PHASES = ['queued', 'running', 'waiting-for-handset', 'waiting-for-authorisation', 'paused', 'provisioned', 'failed', 'aborted'] as const;
export type RunPhase = (typeof RUN_PHASES)[number];

/**
 * A finding as a front end words it in the operator's language: `key` names the words (the code, or
 * one of its findings), `params` the values they quote, escaped for display by the station.
 */
export interface FailureDetail {
  readonly key: string;
  readonly params: Readonly<Record<string, string>>;
  /** Further findings of the same failure, worded after this one (a bundle that does not fit a handset in two ways). */
  readonly also?: readonly FailureDetail[];
}

/** Why a handset stopped, for the operator: a stable code, what happened, and what to do next. */
export interface FailureReason {
  readonly code: string;
  /** The station's own sentence (the CLI's words, and the UI's where it has none for `detail`). */
  readonly message: string;
  readonly action: string;
  /** The same finding as a key and parameters; null for a failure that is not one of the station's coded errors. */
  readonly detail: FailureDetail | null;
}

/**
 * A handset in quarantine: an alarm (ALARM_CODES) stopped it, in this attempt or an earlier one of the
 * batch, or its journal holds an entry this station cannot read as data (code QUARANTINED). It gets no
 * further writes and the station refuses to retry it; a supervisor decides what happens to it. Decided
 * from the journal's data (src/main/pipeline/quarantine.ts), so it outlives the attempt that raised it.
 */
export interface Quarantine {
  /** The alarm's code, or QUARANTINED for an unreadable journal entry. */
  readonly code: string;
  /** The step that raised it; null for an unreadable journal entry. */
  readonly step: StepName | null;
  /** The finding in the station's words, as journaled. */
  readonly message: string;
}

export interface TransferProgress {
  readonly partition: string;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly bytesPerSecond: number;
  /** Seconds left at the current rate; null until there is a rate. */
  readonly etaSeconds: number | null;
}

/** What a handset can wait on under a deadline the station derived from the work (docs/pipeline.md, "Deadlines"). */
export const WAIT_KINDS = ['hash', 'erase', 'flash', 'reboot'] as const;
export type WaitKind = (typeof WAIT_KINDS)[number];

/**
 * A long command or wait under way and when the station gives up on it: the deadline as data, so a
 * front end counts down from it itself instead of asking for a snapshot every second.
 */
export interface HandsetWait {
  readonly kind: WaitKind;
  /** The partition hashed, erased or written (a name the station chose from the bundle); null for a reboot. */
  readonly partition: string | null;
  /** When the station gives up, ISO 8601. */
  readonly until: string;
}

export interface HandsetSnapshot {
  /** The slot as formatted by src/shared/handset.ts (`1-3.2`, `tcp:127.0.0.1:5554`). */
  readonly slot: string;
  /** The depot's name for the slot, when it has one. */
  readonly slotName: string | null;
  /** The serial number exactly as the handset reported it; render with displaySafe. */
  readonly serial: string | null;
  readonly profile: string | null;
  readonly phase: RunPhase;
  readonly step: StepName | null;
  readonly steps: Readonly<Record<StepName, StepState>>;
  readonly progress: TransferProgress | null;
  /** The deadline the handset is waiting under right now; null when no long command or wait is under way. */
  readonly wait: HandsetWait | null;
  readonly reason: FailureReason | null;
  /** Set while the handset is quarantined, whatever its phase: the alarm stays here when a later attempt stops at identify. */
  readonly quarantine: Quarantine | null;
  /** The provisioning record's sequence number once one is committed. */
  readonly recordSeq: number | null;
  /** Why the label is unprinted while the label step stands skipped (no printer, or the printer did not take it); else null. */
  readonly unprintedLabel: UnprintedCause | null;
  readonly updatedAt: string;
}

/** The live counts of the running batch: handsets in its slots now, and the outcomes among them. */
export interface BatchCounters {
  readonly attached: number;
  readonly running: number;
  readonly provisioned: number;
  readonly failed: number;
}

/**
 * The running batch as every front end shows it (snapshots, `batch.current`, the CLI's `{"at", "batch"}`
 * line): the journal's batch and what its bundle plans for each handset (products, fuses, lock).
 */
export interface BatchInfo extends Pick<BatchSummary, 'id' | 'name' | 'bundleVersion' | 'bundleHash' | 'startedAt'> {
  readonly products: readonly string[];
  readonly fuses: readonly string[];
  readonly lockBootloader: boolean;
  /** Signed with the DEMO key. */
  readonly demo: boolean;
}

export interface PipelineSnapshot {
  /** Increases with every published snapshot; a front end drops any older than the one it shows. */
  readonly version: number;
  readonly batch: BatchInfo | null;
  readonly paused: boolean;
  readonly handsets: readonly HandsetSnapshot[];
  readonly counters: BatchCounters;
  /**
   * The label printer's latest state (asked for before the batch and before every label): paper out,
   * head open and the like reach every front end as station state. Null without a printer, or before
   * its first answer.
   */
  readonly printer: PrinterStatus | null;
  readonly at: string;
}

export function initialSteps(): Record<StepName, StepState> {
  return Object.fromEntries(STEP_NAMES.map((step) => [step, 'waiting'])) as Record<StepName, StepState>;
}

/** What the operator's per-handset actions name: the handset by its serial number. */
export const handsetActionSchema = z.strictObject({ serial: z.string().min(1).max(4096) });
