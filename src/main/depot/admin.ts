// What the depot's administrator does: create or update the schema, register stations.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { parseTagPattern } from '../../shared/asset-tag.ts';
import {
  CREDENTIALS_FORMAT,
  DEPOT_STREAMS,
  keyFingerprintSchema,
  stationNameSchema,
  type DepotCredentials,
  type DepotTls,
  type StationReport,
} from '../../shared/depot.ts';
import { DepotError } from './errors.ts';
import { migrateDepot, type MigrationResult } from './migrations.ts';
import { scramVerifier } from './scram.ts';
import { asDepotError } from './refusals.ts';
import { boundedClient } from './bounded-close.ts';

/**
 * Runs `work` with one connection made from `config`, turning PostgreSQL's errors into DepotErrors.
 * Closing never hangs on a depot fallen silent (bounded-close.ts).
 */
export async function withClient<T>(config: pg.ClientConfig, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const { client, close } = boundedClient(config);
  // A connection that breaks while idle emits 'error'; the next call reports it instead.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await work(client);
  } catch (error) {
    throw asDepotError(error);
  } finally {
    await close();
  }
}

export function initDepot(config: pg.ClientConfig): Promise<MigrationResult> {
  return withClient(config, migrateDepot);
}

export interface NewStation {
  readonly name: string;
  readonly keyFingerprint: string;
  /** Where stations reach the depot, as written into the credentials file. */
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly tls: DepotTls;
}

/**
 * Registers a station and creates its login role with a fresh random password, which leaves this
 * process only inside the returned credentials (PostgreSQL receives its SCRAM verifier).
 */
export async function addStation(config: pg.ClientConfig, station: NewStation): Promise<DepotCredentials> {
  const name = stationNameSchema.safeParse(station.name);
  if (!name.success) throw new DepotError(`station name: ${name.error.issues[0]?.message ?? 'invalid'}`);
  const fingerprint = keyFingerprintSchema.safeParse(station.keyFingerprint);
  if (!fingerprint.success) throw new DepotError(`--key-fingerprint: ${fingerprint.error.issues[0]?.message ?? 'invalid'}`);
  const password = randomBytes(32).toString('base64url');
  const role = await withClient(config, async (client) => {
    const result = await client.query<{ role: string }>('SELECT depot.register_station($1, $2, $3) AS role', [name.data, fingerprint.data, scramVerifier(password)]);
    return result.rows[0]?.role ?? '';
  });
  return {
    format: CREDENTIALS_FORMAT,
    station: name.data,
    keyFingerprint: fingerprint.data,
    host: station.host,
    port: station.port,
    database: station.database,
    user: role,
    password,
    tls: station.tls,
  };
}

/** Where a re-issued station reaches the depot: as for a new station, its name and key already registered. */
export type ReissuedStation = Omit<NewStation, 'keyFingerprint'>;

/** A re-issue as the depot journaled it (depot.credential_reissues). */
export interface CredentialReissue {
  readonly reissuedAt: string;
  readonly reissuedBy: string;
  /** Sessions of the old credential ended at once; null when the administrator may not end them. */
  readonly sessionsEnded: number | null;
}

/**
 * Gives a registered station a new password (and, with `tls`, a new CA): the old credential stops
 * logging in and its open sessions are ended; the new password leaves this process only inside the
 * returned credentials, which the station joins with as it joined first.
 */
export async function reissueStation(config: pg.ClientConfig, station: ReissuedStation): Promise<{ credentials: DepotCredentials; reissue: CredentialReissue }> {
  const name = stationNameSchema.safeParse(station.name);
  if (!name.success) throw new DepotError(`station name: ${name.error.issues[0]?.message ?? 'invalid'}`);
  const password = randomBytes(32).toString('base64url');
  return withClient(config, async (client) => {
    const result = await client.query<{ reissued_at: Date; reissued_by: string; key_fingerprint: string; role_name: string }>(
      `SELECT r.reissued_at, r.reissued_by, s.key_fingerprint, s.role_name
        FROM depot.reissue_station($1, $2) r JOIN depot.stations s ON s.name = r.station`,
      [name.data, scramVerifier(password)],
    );
    const row = result.rows[0];
    if (!row) throw new DepotError(`the depot did not answer the re-issue of station ${name.data}`);
    // Committed: the old password logs in no more. A new password stops new logins only, so the
    // sessions already in (a station syncing, someone using copied credentials) are ended now.
    const ended = await client
      .query<{ n: number }>('SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE usename = $1', [row.role_name])
      .then((answer) => answer.rows[0]?.n ?? 0)
      .catch((error: unknown) => {
        // Neither superuser nor pg_signal_backend: those sessions end when they next reconnect.
        if ((error as { code?: unknown }).code === '42501') return null;
        throw error;
      });
    return {
      credentials: {
        format: CREDENTIALS_FORMAT,
        station: name.data,
        keyFingerprint: row.key_fingerprint,
        host: station.host,
        port: station.port,
        database: station.database,
        user: row.role_name,
        password,
        tls: station.tls,
      },
      reissue: { reissuedAt: row.reissued_at.toISOString(), reissuedBy: row.reissued_by, sessionsEnded: ended },
    };
  });
}

export interface StationOverview {
  readonly name: string;
  readonly keyFingerprint: string;
  readonly registeredAt: string;
  readonly lastContactAt: string | null;
  readonly records: number;
  readonly headSeq: number;
  readonly recordsToday: number;
  readonly failuresToday: number;
  /** Numbers leased to the station that no tag it reported uses yet: what it had left at its last push. */
  readonly tagsLeft: number;
  /** Label jobs the depot holds of the station (prints and reprints), and their outcomes by status; a job without one was not taken (yet). */
  readonly labelJobs: number;
  readonly labelsAccepted: number;
  readonly labelsFailed: number;
  /** What the station last reported of itself (schema version 4), or null before its first report. */
  readonly report: StationReportHeld | null;
}

/** A station's newest report as the depot holds it (depot.station_reports). */
export interface StationReportHeld extends StationReport {
  readonly reportedAt: string;
}

/**
 * Every station of the depot as its administrator or auditor sees it; "today" is the server's day of
 * receipt. A failed record is found in its canonical text, where `"outcome":"failed"` with bare quotes
 * can only be the record's own member (quotes inside strings are escaped).
 */
export function depotOverview(config: pg.ClientConfig): Promise<StationOverview[]> {
  return withClient(config, async (client) => {
    const result = await client.query<{
      name: string;
      key_fingerprint: string;
      registered_at: Date;
      last_contact_at: Date | null;
      records: string;
      head_seq: string;
      records_today: string;
      failures_today: string;
      tags_left: string;
      label_jobs: string;
      labels_accepted: string;
      labels_failed: string;
      reported_at: Date | null;
      backlog: Record<string, unknown> | null;
      refusal: string | null;
      report_tags_left: number | null;
      tags_pending: number | null;
      tag_warning: string | null;
    }>(`
      SELECT s.name, s.key_fingerprint, s.registered_at, c.last_contact_at,
        p.reported_at, p.backlog, p.refusal, p.tags_left AS report_tags_left, p.tags_pending, p.tag_warning,
        count(r.seq) AS records, coalesce(max(r.seq), 0) AS head_seq,
        count(r.seq) FILTER (WHERE r.received_at >= current_date) AS records_today,
        count(r.seq) FILTER (WHERE r.received_at >= current_date AND r.body::text LIKE '%"outcome":"failed"%') AS failures_today,
        (SELECT coalesce(sum(l.last_seq - l.first_seq + 1), 0) FROM depot.tag_leases l WHERE l.station = s.name)
          - (SELECT count(*) FROM depot.asset_tags t WHERE t.station = s.name) AS tags_left,
        (SELECT count(*) FROM depot.label_jobs j WHERE j.station = s.name) AS label_jobs,
        (SELECT count(*) FROM depot.label_outcomes o WHERE o.station = s.name AND o.status = 'accepted') AS labels_accepted,
        (SELECT count(*) FROM depot.label_outcomes o WHERE o.station = s.name AND o.status = 'failed') AS labels_failed
      FROM depot.stations s
      LEFT JOIN depot.station_contacts c ON c.station = s.name
      LEFT JOIN depot.station_reports p ON p.station = s.name
      LEFT JOIN depot.records r ON r.station = s.name
      GROUP BY s.name, s.key_fingerprint, s.registered_at, c.last_contact_at, p.station
      ORDER BY s.name`);
    return result.rows.map((row) => ({
      name: row.name,
      keyFingerprint: row.key_fingerprint,
      registeredAt: row.registered_at.toISOString(),
      lastContactAt: row.last_contact_at?.toISOString() ?? null,
      records: Number(row.records),
      headSeq: Number(row.head_seq),
      recordsToday: Number(row.records_today),
      failuresToday: Number(row.failures_today),
      tagsLeft: Number(row.tags_left),
      labelJobs: Number(row.label_jobs),
      labelsAccepted: Number(row.labels_accepted),
      labelsFailed: Number(row.labels_failed),
      report: row.reported_at
        ? {
            reportedAt: row.reported_at.toISOString(),
            // Written by the station through depot.report_station: counts as it sent them, per stream.
            backlog: Object.fromEntries(DEPOT_STREAMS.map((stream) => [stream, Number(row.backlog?.[stream] ?? 0)])) as StationReport['backlog'],
            refusal: row.refusal,
            tagsLeft: row.report_tags_left,
            tagsPending: row.tags_pending,
            tagWarning: row.tag_warning,
          }
        : null,
    }));
  });
}

/** The depot's asset tag settings in force (the newest row of depot.tag_settings) and who set them. */
export interface TagSettings {
  readonly pattern: string;
  readonly leaseSize: number;
  readonly changedAt: string;
  readonly changedBy: string;
}

export interface TagSettingsChange {
  readonly pattern?: string;
  readonly leaseSize?: number;
}

/**
 * Reads the depot's tag settings, after recording a change when one is given. A change applies to the
 * leases granted from then on; tags already leased keep the pattern of their lease.
 */
export async function depotTagSettings(config: pg.ClientConfig, change: TagSettingsChange = {}): Promise<TagSettings> {
  if (change.pattern !== undefined) {
    const parsed = parseTagPattern(change.pattern);
    if ('problem' in parsed) throw new DepotError(`--pattern: ${parsed.problem}`);
  }
  if (change.leaseSize !== undefined && (!Number.isInteger(change.leaseSize) || change.leaseSize < 1 || change.leaseSize > 100_000)) {
    throw new DepotError('--lease-size is a whole number from 1 to 100000.');
  }
  return withClient(config, async (client) => {
    if (change.pattern !== undefined || change.leaseSize !== undefined) {
      await client.query(
        `INSERT INTO depot.tag_settings (pattern, lease_size)
          SELECT coalesce($1, s.pattern), coalesce($2, s.lease_size) FROM depot.tag_settings s ORDER BY s.id DESC LIMIT 1`,
        [change.pattern ?? null, change.leaseSize ?? null],
      );
    }
    const result = await client.query<{ pattern: string; lease_size: number; changed_at: Date; changed_by: string }>(
      'SELECT pattern, lease_size, changed_at, changed_by FROM depot.tag_settings ORDER BY id DESC LIMIT 1',
    );
    const row = result.rows[0];
    if (!row) throw new DepotError('the depot has no tag settings; run lockstep depot init.');
    return { pattern: row.pattern, leaseSize: row.lease_size, changedAt: row.changed_at.toISOString(), changedBy: row.changed_by };
  });
}
