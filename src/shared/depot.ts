// The depot: several stations feeding one PostgreSQL database (docs/depot.md). Types and zod schemas
// only: what a station's credentials file holds, how its sync worker is tuned, and the state the
// worker reports. The connection code lives in src/main/depot.
import { z } from 'zod';
import { parseTagPattern } from './asset-tag.ts';
import type { Role } from './records.ts';

/**
 * A station's name in the depot. Lower-case, so that it maps onto a PostgreSQL role name
 * (`lockstep_station_<name>`) without quoting or case folding, and short enough for the 63-byte limit.
 */
export const stationNameSchema = z.string().regex(/^[a-z0-9][a-z0-9_]{0,31}$/, 'a station name is 1-32 of a-z 0-9 _, starting with a letter or digit');

/** SHA-256 of a station's raw Ed25519 public key, lower-case hex (station_identity.fingerprint). */
export const keyFingerprintSchema = z.string().regex(/^[0-9a-f]{64}$/, 'a key fingerprint is 64 lower-case hex digits (lockstep records station-key prints it)');

export const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----\r?\n[\s\S]+?-----END CERTIFICATE-----\s*$/;

/**
 * TLS as libpq's sslmode names it. `verify-ca` and `verify-full` need the CA certificate(s), carried
 * in the file itself (PEM) so the file is all a station needs; `require` encrypts but does not
 * authenticate the server, so it is only for a network the depot already trusts.
 */
export const depotTlsSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('disable') }).strict(),
  z.object({ mode: z.literal('require') }).strict(),
  z.object({ mode: z.enum(['verify-ca', 'verify-full']), ca: z.string().max(65_536).regex(PEM_CERTIFICATE, 'ca must be PEM certificates') }).strict(),
]);
export type DepotTls = z.infer<typeof depotTlsSchema>;

export const CREDENTIALS_FORMAT = 'lockstep-depot-credentials/1';

/** The file `lockstep depot add-station` writes (mode 0600) and `lockstep depot join` reads. */
export const depotCredentialsSchema = z
  .object({
    format: z.literal(CREDENTIALS_FORMAT),
    station: stationNameSchema,
    keyFingerprint: keyFingerprintSchema,
    host: z.string().min(1).max(255).regex(/^[A-Za-z0-9.:_\-[\]/]+$/, 'host is a name, an address or a socket folder'),
    port: z.int().min(1).max(65_535),
    database: z.string().min(1).max(63),
    user: z.string().regex(/^lockstep_station_[a-z0-9_]{1,32}$/),
    password: z.string().min(16).max(256),
    tls: depotTlsSchema,
  })
  .strict();
export type DepotCredentials = z.infer<typeof depotCredentialsSchema>;

/** How a station's sync worker is tuned; every field has a default. */
export const depotSyncSettingsSchema = z
  .object({
    /** Rows sent per ingest call (one round trip and one transaction each). */
    batchSize: z.int().min(1).max(5_000).default(500),
    /** Pause between checks for new rows while everything is acknowledged. */
    pollMs: z.int().min(10).max(600_000).default(2_000),
    /** First and longest pause before reconnecting to an unreachable depot (doubling in between). */
    backoffMinMs: z.int().min(10).max(600_000).default(1_000),
    backoffMaxMs: z.int().min(10).max(3_600_000).default(60_000),
    /** How long a connection attempt or one call may take before the depot counts as unreachable. */
    timeoutMs: z.int().min(100).max(600_000).default(15_000),
    /** Take a new tag lease while fewer than this many tags are left (docs/depot.md, "Asset tags"). */
    tagTopUpBelow: z.int().min(1).max(100_000).default(100),
  })
  .strict();
export type DepotSyncSettings = z.infer<typeof depotSyncSettingsSchema>;

/**
 * The streams a station pushes, in the order each sync pass pushes them: a tag and a label job name
 * their record, and a label outcome its job, so each follows what it names.
 */
export const DEPOT_STREAMS = ['batches', 'authorisations', 'step_events', 'records', 'asset_tags', 'label_jobs', 'label_outcomes'] as const;
export type DepotStream = (typeof DEPOT_STREAMS)[number];
/** The streams whose rows name a record (and an outcome its job), sent with those names beside the body. */
export type LabelStream = Extract<DepotStream, 'label_jobs' | 'label_outcomes'>;

/** What a station reports of itself to its depot at each sync pass (depot.report_station). */
export interface StationReport {
  /** Rows not yet acknowledged by the depot, per stream. */
  readonly backlog: Readonly<Record<DepotStream, number>>;
  /** Why the depot refused this station, or null. */
  readonly refusal: string | null;
  /** Null for a station that numbers its own tags (no lease yet). */
  readonly tagsLeft: number | null;
  readonly tagsPending: number | null;
  readonly tagWarning: string | null;
}

/** What the depot holds of one station: the last id (records: seq) of each stream it acknowledged. */
export type DepotHeads = Readonly<Record<DepotStream, number>> & { readonly recordHash: string };

/**
 * The station's asset tags running low (the supply's `warning` is due): tags left in its leases and
 * handsets waiting for one. Each front end words it ("12 tags left; connect the depot").
 */
export interface DepotTagsLow {
  readonly left: number;
  readonly pending: number;
}

/**
 * What the depot holds of this station is not this station's journal, found when the sync compares
 * `depot.hello` with its own chain (docs/depot.md, "The depot's copy compared"). Coded, so every front
 * end words it, and what to do, in the operator's language:
 * - `DEPOT_CHAIN_DIVERGED`: the depot holds another hash at record `seq` (another station is using this
 *   station's credentials and key, or this station's database was replaced);
 * - `DEPOT_AHEAD_OF_STATION`: the depot holds more of `stream` (up to `depotHead`) than this station's
 *   journal (up to `stationHead`): the station's database was restored from an old backup, or another
 *   station pushes under its credentials.
 */
export const depotSyncProblemSchema = z.discriminatedUnion('code', [
  z.object({ code: z.literal('DEPOT_CHAIN_DIVERGED'), seq: z.int().positive() }).strict(),
  z
    .object({
      code: z.literal('DEPOT_AHEAD_OF_STATION'),
      stream: z.enum(DEPOT_STREAMS),
      depotHead: z.int().positive(),
      stationHead: z.int().nonnegative(),
    })
    .strict(),
]);
export type DepotSyncProblem = z.infer<typeof depotSyncProblemSchema>;
export type DepotSyncProblemCode = DepotSyncProblem['code'];

/**
 * The sync worker's state, for the station UI header, `lockstep provision` and `lockstep depot status`;
 * `tagsLow` rides along whenever the station's tags run low, whatever the link's state. A refusal the
 * station itself found in the depot's copy carries its `problem`; `reason` is its English wording.
 */
export type DepotSyncState = (
  | { readonly kind: 'idle' }
  | { readonly kind: 'connected'; readonly backlog: number; readonly at: string }
  | { readonly kind: 'offline'; readonly since: string; readonly backlog: number; readonly reason: string }
  | { readonly kind: 'refused'; readonly at: string; readonly reason: string; readonly problem?: DepotSyncProblem }
) & { readonly tagsLow?: DepotTagsLow };

/** A refusal a station keeps on disk (depot-refusal.json): its sync stays stopped until a person acts. */
export const depotRefusalSchema = z
  .object({ at: z.string().max(40), reason: z.string().max(4_000), problem: depotSyncProblemSchema.optional() })
  .strict();
export type DepotRefusal = z.infer<typeof depotRefusalSchema>;

const positiveInteger = z.union([z.string().regex(/^[1-9][0-9]{0,15}$/), z.int().positive()]).transform(Number).pipe(z.int().positive().max(Number.MAX_SAFE_INTEGER));

/**
 * A block of asset tag numbers the depot reserved for this station (depot.lease_tags), as the depot
 * returns it: checked here, since a lease's pattern ends up printed on handsets.
 */
export const tagLeaseSchema = z
  .object({
    id: positiveInteger,
    pattern: z.string().refine((text) => !('problem' in parseTagPattern(text)), 'not a valid asset tag pattern'),
    firstSeq: positiveInteger,
    lastSeq: positiveInteger,
    leasedAt: z.iso.datetime({ offset: true }),
  })
  .strict()
  .refine((lease) => lease.lastSeq >= lease.firstSeq && lease.lastSeq - lease.firstSeq < 100_000, 'a lease is 1 to 100000 numbers');
export type TagLease = z.infer<typeof tagLeaseSchema>;

/** How many tags a station has left before it warns that it needs the depot. */
export const TAG_WARN_BELOW = 25;

/**
 * Where a station's asset tags come from. Outside a depot it numbers them itself; in a depot it draws
 * from its leases, and a provisioned handset that found them empty waits for a tag (pending) until
 * the next lease, never given an invented one. `warning` is what the operator should read, or null.
 */
export type TagSupply =
  | { readonly mode: 'local' }
  | { readonly mode: 'depot'; readonly left: number; readonly pending: number; readonly pattern: string; readonly warning: string | null };

/** The state's `tagsLow` for a supply: set when its warning is due, absent otherwise. */
export function withTagsLow(state: DepotSyncState, supply: TagSupply): DepotSyncState {
  return supply.mode === 'depot' && supply.warning !== null ? { ...state, tagsLow: { left: supply.left, pending: supply.pending } } : state;
}

export function tagSupplyWarning(left: number, pending: number, warnBelow = TAG_WARN_BELOW): string | null {
  if (pending > 0) return `${pending} handset${pending === 1 ? '' : 's'} waiting for an asset tag; connect the depot`;
  if (left < warnBelow) return `${left} tag${left === 1 ? '' : 's'} left; connect the depot`;
  return null;
}

/** An operator as the join's offer shows it (never its PIN hash). */
export interface OfferedOperator {
  readonly id: string;
  readonly displayName: string;
  readonly role: Role;
}

/**
 * One id the station and its depot both use for different people: a different name, role or PIN
 * hash. Shown to an admin, who keeps the depot's or renames the station's; never merged silently.
 */
export interface OperatorClash {
  readonly id: string;
  readonly station: OfferedOperator;
  readonly depot: OfferedOperator & { readonly disabled: boolean };
  /** Which of the three differ ('pin': the PIN hashes). */
  readonly differs: readonly ('name' | 'role' | 'pin')[];
}

/**
 * The station's latest join of its depot as the depot journaled it (depot.station_joins): an offer of
 * the station's operators is made under it, and the depot takes it only while it is the station's
 * latest join and younger than the offer window. Kept beside the station's database (depot-join.json).
 */
export const depotJoinMarkSchema = z.strictObject({ id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER), joinedAt: z.iso.datetime() });
export type DepotJoinMark = z.infer<typeof depotJoinMarkSchema>;

/**
 * The station's own operators against its depot's, at join and until resolved: those the depot lacks
 * (offered for adding, once an admin confirms) and those that clash. Operators the depot already
 * holds identically, disabled ones and clashes already resolved are in neither list. `join` is the
 * join the offer is made under (null when the station keeps none: it joined before the depot knew ids).
 */
export interface OperatorOffer {
  readonly offer: readonly OfferedOperator[];
  readonly clashes: readonly OperatorClash[];
  readonly join: DepotJoinMark | null;
}

/** How an admin resolves a clash: the depot's operator takes the id over, or the station's goes on under a new id. */
export const OPERATOR_CLASH_RESOLUTIONS = ['keep-depot', 'rename'] as const;
export type OperatorClashResolution = (typeof OPERATOR_CLASH_RESOLUTIONS)[number];
