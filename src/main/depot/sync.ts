// The sync worker: pushes a station's journal to its depot in order, in batches, resuming from what
// PostgreSQL acknowledged. It never holds anything provisioning waits for: it reads SQLite through its
// own read-only connection and talks to the depot asynchronously; an unreachable depot only grows
// the backlog while the worker backs off. A refusal (the depot checked a row and said no, or the
// station may no longer log in) stops the worker until a person acts: retrying would be refused again.
import { dirname, join } from 'node:path';
import {
  DEPOT_STREAMS,
  depotSyncSettingsSchema,
  type DepotCredentials,
  type DepotHeads,
  type DepotSyncSettings,
  type DepotSyncState,
  type DepotStream,
  type LabelStream,
  type StationReport,
  type TagSupply,
  withTagsLow,
} from '../../shared/depot.ts';
import { describeFailure } from '../../shared/describe-failure.ts';
import { signUnfilteredHead } from '../records/signed-head.ts';
import { identityOf, readKeyFile, type StationIdentity } from '../records/station-identity.ts';
import { STATION_KEY_FILE } from '../records/station-records.ts';
import { RecordsError } from '../records/errors.ts';
import { checkDepotCopy } from './depot-copy-check.ts';
import { DepotError, DepotSyncProblemError, OperatorClashError } from './errors.ts';
import { journalLeases, journalOperatorChanges } from './station-journal.ts';
import { asDepotError, isRefusal } from './refusals.ts';
import { connectStation, type StationClient } from './station-client.ts';
import { openStationSource, type LabelRow, type StationSource } from './station-source.ts';

export interface DepotSyncOptions {
  readonly databasePath: string;
  readonly credentials: DepotCredentials;
  /** The station's records signing key, which signs the heads it pushes; defaults to station-key.pem beside the database. */
  readonly stationKey?: string;
  readonly settings?: Partial<DepotSyncSettings>;
  readonly now?: () => Date;
  /** Called on every change of state (and after each acknowledged batch, with the new backlog). */
  readonly onState?: (state: DepotSyncState) => void;
}

/** At most this many leases in one pass: a depot handing out tiny leases cannot keep a pass going forever. */
const MAX_LEASES_PER_PASS = 10;

/** How often an unchanged copy of the depot's operators is confirmed (a write to the journal). */
const OPERATOR_CONFIRM_MS = 60_000;

/** Rows the depot acknowledged in one pass, per stream. */
export type PushCounts = Record<DepotStream, number>;

export interface DepotSync {
  /** Runs passes until stopped: pushes, waits `pollMs` (or a wake), backs off while unreachable. */
  readonly start: () => void;
  /** Pushes everything there is now, once; throws a DepotError on a refusal or an outage. */
  readonly drain: () => Promise<PushCounts>;
  /** Cuts the current wait short: new rows were committed. */
  readonly wake: () => void;
  readonly state: () => DepotSyncState;
  /** What the depot last acknowledged, or null before the first contact. */
  readonly heads: () => DepotHeads | null;
  /** Where the station's asset tags come from and how many are left, read from its journal. */
  readonly tags: () => TagSupply;
  readonly stop: () => Promise<void>;
}

export function createDepotSync(options: DepotSyncOptions): DepotSync {
  const settings = depotSyncSettingsSchema.parse(options.settings ?? {});
  const now = options.now ?? (() => new Date());
  const source: StationSource = openStationSource(options.databasePath);
  let client: StationClient | null = null;
  let acknowledged: DepotHeads | null = null;
  let current: DepotSyncState = { kind: 'idle' };
  let running: Promise<void> | null = null;
  let stopping = false;
  let wakeUp: (() => void) | null = null;
  let signer: StationIdentity | null = null;
  /** The newest record whose signed head the depot holds, as of this connection. */
  let signedSeq = 0;
  /** The last report the depot accepted, as sent: an unchanged one is not sent again. */
  let reported: string | null = null;

  /** Publishes a state, with the tags running low when they are (read from the journal each time: each handset may use one). */
  const setState = (next: DepotSyncState): void => {
    current = withTagsLow(next, source.tagSupply());
    options.onState?.(current);
  };

  /** Rows the depot does not hold yet, counted against what it last acknowledged (all of them before any contact). */
  const backlog = (): number => DEPOT_STREAMS.reduce((sum, stream) => sum + source.countAfter(stream, acknowledged?.[stream] ?? 0), 0);

  async function connected(): Promise<StationClient> {
    // A connection the depot closed (a restart, a shutdown) is replaced now, so an idle station
    // notices the depot is gone instead of showing "connected" until it next has rows to send.
    if (client?.alive()) return client;
    await disconnect();
    const fresh = await connectStation(options.credentials, settings.timeoutMs);
    try {
      acknowledged = await fresh.hello();
      signedSeq = await fresh.signedHeadSeq();
      // A depot met again (restarted, perhaps restored from a backup) hears the report anew.
      reported = null;
    } catch (error) {
      await fresh.close();
      throw error;
    }
    client = fresh;
    // After keeping the connection: a refusal found here is reported to the depot on it.
    checkDepotCopy(source, acknowledged);
    return fresh;
  }

  /**
   * The label rows up to the first one naming a record (or, an outcome, a job) the depot has not
   * acknowledged: one committed after this pass pushed the records waits for the next pass, since
   * the depot refuses a label of a record it does not hold.
   */
  function labelRowsHeld(stream: LabelStream, rows: LabelRow[]): LabelRow[] {
    const heads = acknowledged as DepotHeads;
    const ahead = rows.findIndex((row) => row.recordSeq > heads.records || (stream === 'label_outcomes' && row.jobId !== null && row.jobId > heads.label_jobs));
    return ahead === -1 ? rows : rows.slice(0, ahead);
  }

  async function pushStream(depot: StationClient, stream: DepotStream): Promise<number> {
    let pushed = 0;
    for (;;) {
      const after = (acknowledged as DepotHeads)[stream];
      let batch: readonly { id: number }[];
      let send: () => Promise<number>;
      if (stream === 'records') {
        const records = source.records(after, settings.batchSize);
        batch = records;
        send = () => depot.ingestRecords(records);
      } else if (stream === 'label_jobs' || stream === 'label_outcomes') {
        const rows = labelRowsHeld(stream, source.labelRows(stream, after, settings.batchSize));
        batch = rows;
        send = () => depot.ingestLabels(stream, rows);
      } else {
        const rows = source.rows(stream, after, settings.batchSize);
        batch = rows;
        send = () => depot.ingestRows(stream, rows);
      }
      const last = batch.at(-1);
      if (!last) return pushed;
      const head = await send();
      if (head < last.id) throw new DepotError(`the depot acknowledged ${stream} up to ${head} after receiving up to ${last.id}`);
      acknowledged = { ...(acknowledged as DepotHeads), [stream]: head };
      pushed += batch.length;
      setState({ kind: 'connected', backlog: backlog(), at: now().toISOString() });
    }
  }

  /**
   * Journals any lease the depot granted that the journal lacks (the station stopped between the
   * two), then takes leases until the station holds `tagTopUpBelow` tags or more. Before the
   * streams, so tags given to waiting handsets go out in the same pass.
   */
  async function topUpTags(depot: StationClient): Promise<void> {
    journalLeases(options.databasePath, await depot.leasesAfter(source.lastLeaseId()), now);
    for (let taken = 0; taken < MAX_LEASES_PER_PASS; taken += 1) {
      const supply = source.tagSupply();
      if (supply.mode === 'depot' && supply.left >= settings.tagTopUpBelow) return;
      journalLeases(options.databasePath, [await depot.leaseTags()], now);
    }
  }

  /**
   * Copies the operator changes made at the depot since the last one applied and confirms the copy
   * (operators sign in from it while the depot is unreachable, for as long as the depot allows).
   * A depot with no operators yet does not manage this station's.
   */
  async function copyOperators(depot: StationClient, pushed: PushCounts): Promise<void> {
    const held = source.operatorCopy();
    const { changes, offlineSignInS } = await depot.operatorChanges(held?.lastChangeId ?? 0);
    if (!held && changes.length === 0) return;
    const unchanged = held && changes.length === 0 && held.offlineSignInS === offlineSignInS;
    if (unchanged && now().getTime() - Date.parse(held.confirmedAt) < OPERATOR_CONFIRM_MS) return;
    try {
      journalOperatorChanges(options.databasePath, changes, offlineSignInS, now);
    } catch (error) {
      // Not an outage, though retried like one: the reason says what a person must resolve.
      const message = `the depot's operators cannot be applied on this station: ${describeFailure(error)}`;
      throw error instanceof RecordsError && error.code === 'OPERATOR_CLASH' ? new OperatorClashError(message, pushed) : new DepotError(message);
    }
  }

  /** The key the station signs its records with: the one its credentials name. */
  function stationSigner(): StationIdentity {
    if (signer) return signer;
    const identity = identityOf(readKeyFile(options.stationKey ?? join(dirname(options.databasePath), STATION_KEY_FILE)));
    if (identity.fingerprint !== options.credentials.keyFingerprint) {
      throw new DepotError(`the station key (fingerprint ${identity.fingerprint}) is not the key the depot credentials are for (${options.credentials.keyFingerprint}).`);
    }
    signer = identity;
    return identity;
  }

  /** Signs the newest record the depot acknowledged, when the depot does not hold that head signed yet. */
  async function pushSignedHead(depot: StationClient): Promise<void> {
    const seq = (acknowledged as DepotHeads).records;
    if (seq <= signedSeq) return;
    const record = source.records(seq - 1, 1)[0];
    if (record?.id !== seq) throw new DepotError(`record ${seq}, acknowledged by the depot, is not in this station's journal`);
    await depot.ingestSignedHead(signUnfilteredHead(stationSigner(), { seq, hash: record.hash }, now()));
    signedSeq = seq;
  }

  function currentReport(refusal: string | null): StationReport {
    const backlogs = Object.fromEntries(DEPOT_STREAMS.map((stream) => [stream, source.countAfter(stream, acknowledged?.[stream] ?? 0)])) as StationReport['backlog'];
    const tags = source.tagSupply();
    return tags.mode === 'depot'
      ? { backlog: backlogs, refusal, tagsLeft: tags.left, tagsPending: tags.pending, tagWarning: tags.warning }
      : { backlog: backlogs, refusal, tagsLeft: null, tagsPending: null, tagWarning: null };
  }

  /** Reports the station's backlog, refusal and tags to the depot when they changed since the last report. */
  async function report(depot: StationClient, refusal: string | null): Promise<void> {
    const next = currentReport(refusal);
    const text = JSON.stringify(next);
    if (text === reported) return;
    await depot.report(next);
    reported = text;
  }

  /**
   * After a refusal, tells the depot why, if it still listens (a refused call leaves the connection
   * usable; a station refused at login cannot report): the depot's status shows the alarm.
   */
  async function reportRefusal(reason: string): Promise<void> {
    if (!client?.alive()) return;
    try {
      await report(client, reason);
    } catch {
      // Best effort: the refusal is kept on the station either way.
    }
  }

  async function pass(): Promise<PushCounts> {
    const depot = await connected();
    await topUpTags(depot);
    const counts = Object.fromEntries(DEPOT_STREAMS.map((stream) => [stream, 0])) as PushCounts;
    for (const stream of DEPOT_STREAMS) counts[stream] = await pushStream(depot, stream);
    await pushSignedHead(depot);
    await report(depot, null);
    // Last: an operator clash the station cannot apply holds up neither its records nor its tags.
    await copyOperators(depot, counts);
    setState({ kind: 'connected', backlog: backlog(), at: now().toISOString() });
    return counts;
  }

  async function disconnect(): Promise<void> {
    const old = client;
    client = null;
    await old?.close();
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(finish, ms);
      function finish(): void {
        clearTimeout(timer);
        wakeUp = null;
        resolve();
      }
      wakeUp = finish;
    });
  }

  async function loop(): Promise<void> {
    let delay = settings.backoffMinMs;
    while (!stopping) {
      try {
        await pass();
        delay = settings.backoffMinMs;
        await sleep(settings.pollMs);
      } catch (error) {
        const failure = asDepotError(error);
        if (isRefusal(failure)) await reportRefusal(failure.message);
        await disconnect();
        if (isRefusal(failure)) {
          const problem = failure instanceof DepotSyncProblemError ? { problem: failure.problem } : {};
          setState({ kind: 'refused', at: now().toISOString(), reason: failure.message, ...problem });
          return;
        }
        const since = current.kind === 'offline' ? current.since : now().toISOString();
        setState({ kind: 'offline', since, backlog: backlog(), reason: failure.message });
        await sleep(delay);
        delay = Math.min(delay * 2, settings.backoffMaxMs);
      }
    }
  }

  return {
    start() {
      if (running || current.kind === 'refused') return;
      stopping = false;
      running = loop().finally(() => {
        running = null;
      });
    },
    async drain() {
      if (running) throw new DepotError('the sync worker is running; it drains the backlog itself.');
      try {
        return await pass();
      } catch (error) {
        const failure = asDepotError(error);
        if (isRefusal(failure)) await reportRefusal(failure.message);
        await disconnect();
        throw failure;
      }
    },
    wake: () => wakeUp?.(),
    state: () => current,
    heads: () => acknowledged,
    tags: () => source.tagSupply(),
    async stop() {
      stopping = true;
      wakeUp?.();
      await running;
      await disconnect();
      source.close();
    },
  };
}
