// The station API contract: one typed call per channel, and the events the station publishes. The
// preload, the test bridge and the CLI all speak exactly this, and main validates every request
// against these schemas before the core sees it.
import { z } from 'zod';
import type { ApiChannel, ApiEvent } from './channels.ts';
import type { BundleSigner } from './bundle.ts';
import { depotJoinMarkSchema, OPERATOR_CLASH_RESOLUTIONS, type DepotStream, type DepotSyncState, type OperatorOffer } from './depot.ts';
import { parseSlot, type SlotNames } from './handset.ts';
import { batchPreviewSchema, labelPrinterSchema, type LabelJobSummary, type LabelPrinterSettings, type PrinterStatus } from './labels.ts';
import { handsetActionSchema, type BatchInfo, type PipelineSnapshot } from './pipeline.ts';
import type { ProfileSummary } from './profile.ts';
import {
  RECORD_OUTCOMES,
  ROLES,
  type AuthorisationSummary,
  type OperatorSummary,
  type ProvisioningRecord,
  type Role,
  type StepEvent,
  type VerifyOutcome,
} from './records.ts';
import type { ScanResult, StationInfo, StationMode } from './types.ts';

const credentials = z.strictObject({ id: z.string().min(1).max(64), pin: z.string().min(1).max(64) });
const path = z.string().min(1).max(4096);

export const batchStartSchema = z.strictObject({
  /** A bundle folder or zip on the station. */
  bundlePath: path,
  trustDirs: z.array(path).max(16).default([]),
  /** How many handsets the operator expects in this batch; the supervisor's authorisation is capped at it. */
  expectedCount: z.int().min(1).max(100_000),
  parallel: z.int().min(1).max(64).default(4),
  /** Asset tags of a new batch (src/shared/asset-tag.ts); null: no tags. */
  assetTagPattern: z.string().max(64).nullable().default(null),
});
export type BatchStartRequest = z.input<typeof batchStartSchema>;

export const batchAuthoriseSchema = z.strictObject({
  /** The supervisor (or admin) at the gate dialog; checked in main, never kept. */
  supervisor: credentials,
  /** The most handsets the authorisation covers. */
  deviceCap: z.int().min(1).max(100_000),
});

/** Search text: a serial number, IMEI or asset tag, as typed or as a barcode scanner sends it. */
const searchText = z.string().max(128);

export const recordQuerySchema = z.strictObject({
  batchId: z.int().positive().optional(),
  /** ISO 8601 date or date-time with zone; inclusive. */
  since: z.string().max(40).optional(),
  /** Exclusive. */
  until: z.string().max(40).optional(),
  status: z.enum(RECORD_OUTCOMES).optional(),
  search: searchText.optional(),
  /** The page after the one that answered `next`: only records older than this sequence number. */
  before: z.int().positive().optional(),
  /** The page size. */
  limit: z.int().min(1).max(1000).default(200),
});
export type RecordQuery = z.input<typeof recordQuerySchema>;

export const recordExportSchema = z.strictObject({
  format: z.enum(['csv', 'jsonl', 'pdf']),
  /** Where to write the file on the station (the save dialog's answer). */
  path,
  filter: recordQuerySchema.omit({ search: true, before: true, limit: true }).default({}),
});

/** A slot as a depot names it: a USB port path such as 1-3.2, or tcp:HOST[:PORT] (src/shared/handset.ts). */
export const slotTextSchema = z
  .string()
  .max(300)
  .refine((text) => !('problem' in parseSlot(text)), 'a slot: a USB port path such as 1-3.2, or tcp:HOST:PORT');
/** What an operator reads on a hub label: short, printable, no control or bidi characters. */
export const slotNameSchema = z
  .string()
  .trim()
  .regex(/^[\p{L}\p{N} ._#/-]{1,16}$/u, 'a slot name: 1-16 letters, digits, space, . _ # / -');

/** The station's idle lock in minutes (0: never), at most four hours; the default keeps an unattended bench locked. */
export const DEFAULT_IDLE_LOCK_MINUTES = 5;
export const idleLockMinutesSchema = z.int().min(0).max(240);

export const slotNameChangeSchema = z.strictObject({
  slot: slotTextSchema,
  /** The slot's new name; null clears it. Names are unique on a station. */
  name: slotNameSchema.nullable(),
});

/** An admin's change to the operators, proven by the signed-in admin's own PIN as the records require. */
const adminPin = z.string().min(1).max(64);
const operatorId = z.string().min(1).max(64);

export const operatorAddSchema = z.strictObject({
  adminPin,
  operator: z
    .strictObject({
      id: operatorId,
      displayName: z.string().min(1).max(200),
      role: z.enum(ROLES),
      pin: z.string().min(1).max(64),
      /** The initial PIN typed a second time. */
      pinRepeat: z.string().min(1).max(64),
    })
    .refine((operator) => operator.pin === operator.pinRepeat, { path: ['pinRepeat'], message: 'the two PINs differ' }),
});
export type OperatorAddRequest = z.input<typeof operatorAddSchema>;

/** An admin gives an operator a new PIN, typed twice; the records apply the PIN policy. */
export const operatorResetPinSchema = z
  .strictObject({ adminPin, id: operatorId, pin: z.string().min(1).max(64), pinRepeat: z.string().min(1).max(64) })
  .refine((request) => request.pin === request.pinRepeat, { path: ['pinRepeat'], message: 'the two PINs differ' });
export type OperatorResetPinRequest = z.input<typeof operatorResetPinSchema>;

/** An admin gives an operator another role; the last admin who can sign in keeps theirs. */
export const operatorSetRoleSchema = z.strictObject({ adminPin, id: operatorId, role: z.enum(ROLES) });

export const OPERATOR_CHANGE_KINDS = ['added', 'disabled', 'enabled', 'unlocked', 'pin-reset', 'role-changed'] as const;
export type OperatorChangeKind = (typeof OPERATOR_CHANGE_KINDS)[number];

/** One admin change to an operator as the records journal it: who, what and when, never a PIN. */
export interface OperatorChange {
  readonly id: number;
  readonly operatorId: string;
  readonly change: OperatorChangeKind;
  /** The admin who made it: at the depot, a PostgreSQL login or, from a station, `ADMIN@STATION`. */
  readonly byId: string;
  readonly at: string;
  /** Made at this station, or at its depot and copied by the sync (docs/depot.md, "Operators"). */
  readonly madeAt: 'station' | 'depot';
}

/** The signed-in admin confirms the operators offered to the depot: these ids, or all of the offer when null (`offer-operators --as`). */
export const depotOfferSchema = z.strictObject({
  adminPin,
  ids: z.array(operatorId).min(1).max(1000).nullable(),
  // The join of the offer the window shows (OperatorOffer.join): the depot takes the offer only under the station's latest join.
  joinId: depotJoinMarkSchema.shape.id.nullable(),
});

/** The signed-in admin resolves one clash (`resolve-operator --keep-depot | --rename-to NEW --as`). */
export const depotResolveSchema = z
  .strictObject({ adminPin, id: operatorId, resolution: z.enum(OPERATOR_CLASH_RESOLUTIONS), renameTo: operatorId.nullable() })
  .refine((request) => (request.resolution === 'rename') === (request.renameTo !== null), {
    path: ['renameTo'],
    message: 'a new id goes with a rename, and only with it',
  });
export type DepotResolveRequest = z.input<typeof depotResolveSchema>;

export const apiRequestSchemas = {
  'station.info': z.undefined(),
  'devices.scan': z.undefined(),
  'session.signIn': credentials,
  'session.signOut': z.undefined(),
  'session.current': z.undefined(),
  'bundle.verify': z.strictObject({ bundlePath: path, trustDirs: z.array(path).max(16).default([]) }),
  'bundle.progress': z.undefined(),
  'profiles.list': z.undefined(),
  'batch.start': batchStartSchema,
  'batch.current': z.undefined(),
  'batch.authorise': batchAuthoriseSchema,
  'batch.pause': z.undefined(),
  'batch.resume': z.undefined(),
  'handset.retry': handsetActionSchema,
  'handset.abort': handsetActionSchema,
  'handset.detail': handsetActionSchema,
  'pipeline.snapshot': z.undefined(),
  'records.list': recordQuerySchema,
  'records.show': z.strictObject({ seq: z.int().positive() }),
  'records.export': recordExportSchema,
  'records.verify': z.strictObject({ path }),
  'settings.read': z.undefined(),
  'settings.slotName': slotNameChangeSchema,
  'settings.labelPrinter': z.strictObject({ printer: labelPrinterSchema.nullable() }),
  'settings.idleLock': z.strictObject({ minutes: idleLockMinutesSchema }),
  'operators.list': z.undefined(),
  'operators.add': operatorAddSchema,
  'operators.disable': z.strictObject({ adminPin, id: operatorId }),
  'operators.unlock': z.strictObject({ adminPin, id: operatorId }),
  'operators.enable': z.strictObject({ adminPin, id: operatorId }),
  'operators.resetPin': operatorResetPinSchema,
  'operators.setRole': operatorSetRoleSchema,
  'operators.changes': z.strictObject({ id: operatorId.optional() }),
  'labels.status': z.undefined(),
  'labels.preview': handsetActionSchema,
  'labels.batchPreview': batchPreviewSchema,
  'labels.reprint': z.strictObject({ serial: z.string().min(1).max(4096), reason: z.string().trim().min(1).max(200) }),
  'labels.unprinted': z.undefined(),
  'depot.state': z.undefined(),
  'depot.join': z.strictObject({ credentialsPath: path }),
  'depot.operatorOffer': z.undefined(),
  'depot.offerOperators': depotOfferSchema,
  'depot.resolveOperator': depotResolveSchema,
} as const satisfies Record<ApiChannel, z.ZodType>;

/**
 * A station that joined its depot from Settings: its name there, the rows its first upload pushed
 * (never the credentials), and its own operators against the depot's (offered, clashing).
 */
export interface DepotJoined {
  readonly station: string;
  readonly pushed: Readonly<Record<DepotStream, number>>;
  readonly operators: OperatorOffer;
}

/** A provisioned handset's label no printer took yet. */
export interface UnprintedLabelView {
  readonly recordSeq: number;
  readonly serial: string;
  readonly assetTag: string;
  readonly recordedAt: string;
  /** The label's latest job (its outcome is the printer's last answer), or null when none was sent. */
  readonly lastJob: LabelJobSummary | null;
}

export interface UnprintedLabels {
  /** The station printer's address, or null without one (then nothing can be reprinted yet). */
  readonly printer: string | null;
  readonly labels: UnprintedLabelView[];
}

/** Who is signed in at the station. The PIN never leaves the sign-in call. */
export interface Session {
  readonly operator: { readonly id: string; readonly displayName: string; readonly role: Role };
  readonly signedInAt: string;
}

/** A verified bundle as the batch setup screen shows it. */
export interface BundleOverview {
  readonly location: string;
  readonly products: readonly string[];
  readonly hardwareRevisions: 'any' | readonly string[];
  readonly version: string;
  readonly buildId: string;
  readonly manifestSha256: string;
  readonly signer: BundleSigner;
  readonly policy: { readonly fuses: readonly string[]; readonly lockBootloader: boolean };
  readonly partitions: readonly { readonly name: string; readonly size: number; readonly sparse: boolean }[];
  /** The station's profiles that can take a handset of the bundle's products. */
  readonly profiles: readonly ProfileSummary[];
}

/** Progress of the bundle verification under way (or just finished). */
export interface BundleProgress {
  readonly bundlePath: string;
  readonly partition: string;
  readonly overallDone: number;
  readonly overallTotal: number;
}

/**
 * The batch the station runs (`batch.start`, `batch.current`): what it shows, what the operator asked
 * for when starting this run of it, and where its supervisor gate stands.
 */
export interface BatchStatus extends Readonly<Pick<z.output<typeof batchStartSchema>, 'expectedCount' | 'assetTagPattern'>> {
  readonly info: BatchInfo;
  /** The operator who started this run of the batch; the journal keeps who opened it (`BatchSummary.operatorId`). */
  readonly startedBy: string;
  readonly profiles: readonly ProfileSummary[];
  /** Whether the bundle's policy has fuse or lock steps, which need a supervisor. */
  readonly gateRequired: boolean;
  /** The authorisation in force, newest first; null while the gate is closed. */
  readonly authorisation: AuthorisationSummary | null;
}

/** One handset of the running batch: its journal and its record, for the detail view. */
export interface HandsetDetail {
  readonly serial: string;
  readonly batchId: number;
  readonly registeredAt: string;
  /** The identify step's readback, raw: render with displaySafe. */
  readonly identity: Readonly<Record<string, string | null>>;
  readonly events: readonly StepEvent[];
  readonly record: ProvisioningRecord | null;
}

export interface RecordDetail {
  readonly record: ProvisioningRecord;
  readonly events: readonly StepEvent[];
}

export interface RecordList {
  readonly records: readonly ProvisioningRecord[];
  /** How many match the filter (before search and limit). */
  readonly total: number;
  /** The `before` of the next page (of the same filter and search); null on the last page. */
  readonly next: number | null;
}

export interface ExportResult {
  readonly path: string;
  readonly records: number;
  readonly headSeq: number;
  readonly headHash: string;
}

export interface TrustKeyInfo {
  /** The key's fingerprint: SHA-256 of its SubjectPublicKeyInfo, hex (what `lockstep keys list` prints). */
  readonly keyId: string;
  /** Where it came from: a file path, or the DEMO label. */
  readonly label: string;
  readonly demo: boolean;
}

export interface StationSettingsView {
  readonly slotNames: SlotNames;
  /** The station's idle lock: minutes without input before the window signs its operator out; 0: never. */
  readonly idleLockMinutes: number;
  /** The label printer the settings name (null: none) and the templates it may use. */
  readonly labels: { readonly printer: LabelPrinterSettings | null; readonly templates: readonly string[]; readonly warning: string | null };
  readonly trust: { readonly keys: readonly TrustKeyInfo[]; readonly warnings: readonly string[] };
  readonly profiles: readonly ProfileSummary[];
  readonly station: { readonly fingerprint: string; readonly publicKey: string; readonly dataDir: string; readonly mode: StationMode; readonly demo: boolean };
  /** The station's depot manages its operators: Settings makes changes to them at the depot, online only. */
  readonly operatorsAtDepot: boolean;
}

/** The station's label printer, as settings name it, and its state now; both null without one. */
export interface LabelStatus {
  readonly printer: LabelPrinterSettings | null;
  readonly status: PrinterStatus | null;
}

/** A label as it will print: a PNG, base64. */
export interface LabelImage {
  readonly png: string;
}

export interface ApiResponses {
  'station.info': StationInfo;
  'devices.scan': ScanResult;
  'session.signIn': Session;
  'session.signOut': null;
  'session.current': Session | null;
  'bundle.verify': BundleOverview;
  /** The latest progress of a verification, or null before any. */
  'bundle.progress': BundleProgress | null;
  'profiles.list': ProfileSummary[];
  'batch.start': BatchStatus;
  /** The running batch, or null before one started. */
  'batch.current': BatchStatus | null;
  'batch.authorise': BatchStatus;
  'batch.pause': PipelineSnapshot;
  'batch.resume': PipelineSnapshot;
  /** Whether the handset was attached and idle, so a new attempt started. */
  'handset.retry': boolean;
  /** Whether the handset had a running attempt to abort. */
  'handset.abort': boolean;
  'handset.detail': HandsetDetail;
  /** The latest snapshot, or null before any batch started. */
  'pipeline.snapshot': PipelineSnapshot | null;
  'records.list': RecordList;
  'records.show': RecordDetail;
  'records.export': ExportResult;
  'records.verify': VerifyOutcome;
  'settings.read': StationSettingsView;
  /** Admin or supervisor: names, renames or clears one slot; answers the settings as written. */
  'settings.slotName': StationSettingsView;
  /** Admin: sets or removes the label printer; answers the settings as written. */
  'settings.labelPrinter': StationSettingsView;
  /** Admin: sets the station's idle lock (minutes, 0: never); answers the settings as written. */
  'settings.idleLock': StationSettingsView;
  /** Admin only. */
  'operators.list': OperatorSummary[];
  /** Admin only, with the admin's PIN: the new operator. */
  'operators.add': OperatorSummary;
  'operators.disable': OperatorSummary;
  'operators.unlock': OperatorSummary;
  'operators.enable': OperatorSummary;
  'operators.resetPin': OperatorSummary;
  'operators.setRole': OperatorSummary;
  /** Admin only: the newest admin changes to the operators (or to one), newest first. */
  'operators.changes': OperatorChange[];
  'labels.status': LabelStatus;
  /** The handset's label from its provisioning record, as the station printer prints it. */
  'labels.preview': LabelImage;
  /** A batch's label before it starts, with sample values where a handset's own go. */
  'labels.batchPreview': LabelImage;
  /** The reprint job, queued on the station printer; its outcome reaches the records. */
  'labels.reprint': LabelJobSummary;
  /** Provisioned handsets whose label no printer took, oldest first, each with its last job. */
  'labels.unprinted': UnprintedLabels;
  /** The station's link to its depot (docs/depot.md), or null when it joined none. */
  'depot.state': DepotSyncState | null;
  /** Joins the depot a credentials file names (admins only), as `lockstep depot join`: the journal uploaded. */
  'depot.join': DepotJoined;
  /** Admin only: the station's own operators the depot lacks and those that clash, read from the depot now; null in no depot. */
  'depot.operatorOffer': OperatorOffer | null;
  /** Admin only, with the admin's PIN: the offer added at the depot; answers the offer as it stands after. */
  'depot.offerOperators': OperatorOffer;
  /** Admin only, with the admin's PIN: one clash resolved; answers the offer as it stands after. */
  'depot.resolveOperator': OperatorOffer;
}

export interface ApiEvents {
  'pipeline.snapshot': PipelineSnapshot;
  'bundle.progress': BundleProgress;
  'depot.state': DepotSyncState;
  /** Who is signed in to this front end's session, null once signed out (here, in another tab, or by an idle lock). */
  'session.current': Session | null;
}

export type ApiRequest<C extends ApiChannel> = z.input<(typeof apiRequestSchemas)[C]>;

export type EventListener<E extends ApiEvent> = (payload: ApiEvents[E]) => void;

/** The core object every front end drives: one call per channel, and subscriptions to its events. */
export type StationApi = {
  readonly [C in ApiChannel]: (request: ApiRequest<C>) => Promise<ApiResponses[C]>;
} & {
  /** Delivers the latest value at once (when there is one), then every new one; returns the unsubscribe function. */
  subscribe<E extends ApiEvent>(event: E, listener: EventListener<E>): () => void;
};

/**
 * How an API failure crosses a process boundary: where it was refused (`code`), the failure's own
 * stable code from the core (a bundle error's `BAD_SIGNATURE`, a pipeline's `NOT_AUTHORISED`), and
 * a sentence for the operator.
 */
export interface ApiErrorPayload {
  /** 'disconnected': a browser's socket to `lockstep serve` broke before the answer came (the call may or may not have run). */
  readonly code: 'bad-request' | 'unknown-channel' | 'failed' | 'disconnected';
  readonly failure: string | null;
  readonly message: string;
  /** The values the failure's code is worded with (see CodedError.params), escaped for display. */
  readonly params?: Readonly<Record<string, string>>;
  /** Which finding of the failure's code the message states, when the code has several (see CodedError.detail). */
  readonly detail?: string;
}

export type ApiResult<C extends ApiChannel> =
  | { readonly ok: true; readonly value: ApiResponses[C] }
  | { readonly ok: false; readonly error: ApiErrorPayload };

/**
 * What the preload (or the test bridge standing in for it) puts on `window.lockstep`: one function
 * per channel, answering with a result rather than throwing, because thrown errors lose their text
 * when they cross Electron's IPC; and a subscription to the station's events.
 */
export type StationBridge = {
  readonly [C in ApiChannel]: (request: ApiRequest<C>) => Promise<ApiResult<C>>;
} & {
  subscribe<E extends ApiEvent>(event: E, listener: EventListener<E>): () => void;
};
