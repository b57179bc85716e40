// A station's membership of a depot, kept beside its records database: the credentials file it
// joined with (mode 0600) and, once the depot has refused something, that refusal, which keeps its
// sync stopped across restarts until a person has looked (docs/depot.md).
import { readFile, rm, writeFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  DEPOT_STREAMS,
  depotRefusalSchema,
  type DepotCredentials,
  type DepotHeads,
  type DepotJoinMark,
  type DepotRefusal,
  type DepotStream,
  type DepotSyncSettings,
  type DepotSyncProblem,
  type DepotSyncState,
  type OperatorOffer,
} from '../../shared/depot.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { depotCopyProblem } from './depot-copy-check.ts';
import { readCredentialsFile, replaceCredentialsFile, writeCredentialsFile } from './connection.ts';
import { DepotError, DepotJoinError, DepotSyncProblemError, OperatorClashError } from './errors.ts';
import { writeJoinMark } from './join-mark.ts';
import { readOperatorOffer } from './operator-offer.ts';
import { asDepotError, isRefusal } from './refusals.ts';
import { connectStation } from './station-client.ts';
import { openStationSource } from './station-source.ts';
import { createDepotSync, type DepotSync, type PushCounts } from './sync.ts';

export const DEPOT_CREDENTIALS_FILE = 'depot-credentials.json';
export const DEPOT_REFUSAL_FILE = 'depot-refusal.json';

function beside(databasePath: string, file: string): string {
  return join(dirname(databasePath), file);
}

/** The credentials of the depot this station joined, or null when it is not in a depot. */
export async function joinedCredentials(databasePath: string): Promise<DepotCredentials | null> {
  const path = beside(databasePath, DEPOT_CREDENTIALS_FILE);
  const exists = await readFile(path).then(() => true, () => false);
  return exists ? readCredentialsFile(path) : null;
}

export async function readRefusal(databasePath: string): Promise<DepotRefusal | null> {
  const text = await readFile(beside(databasePath, DEPOT_REFUSAL_FILE), 'utf8').catch(() => null);
  if (text === null) return null;
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Falls through to the damaged-file refusal below.
  }
  const parsed = depotRefusalSchema.safeParse(json);
  // A damaged refusal file still means a refusal: the sync stays stopped, saying the file is damaged.
  return parsed.success ? parsed.data : { at: 'unknown', reason: `the refusal file ${DEPOT_REFUSAL_FILE} is damaged; check the depot status` };
}

export async function writeRefusal(databasePath: string, refusal: DepotRefusal): Promise<void> {
  const path = beside(databasePath, DEPOT_REFUSAL_FILE);
  await writeFile(`${path}.tmp`, `${JSON.stringify(refusal)}\n`, { mode: 0o600 });
  await rename(`${path}.tmp`, path);
}

/** What a refused state keeps on disk. */
function refusalOf(state: Extract<DepotSyncState, { kind: 'refused' }>): DepotRefusal {
  return state.problem ? { at: state.at, reason: state.reason, problem: state.problem } : { at: state.at, reason: state.reason };
}

export async function clearRefusal(databasePath: string): Promise<void> {
  await rm(beside(databasePath, DEPOT_REFUSAL_FILE), { force: true });
}

export interface JoinResult {
  readonly credentials: DepotCredentials;
  readonly pushed: PushCounts;
  /** The station's own operators against the depot's: offered for adding once an admin confirms, and clashes to resolve. */
  readonly operators: OperatorOffer;
}

/**
 * Joins the depot named by a credentials file: checks the file is for this station's key, lets the
 * depot confirm it (same check), keeps a copy of the file beside the database, then uploads the
 * station's existing journal and compares its own operators with the depot's (an operator clash
 * does not fail the join: it is in the answer). Joining again with the same file retries after a refusal.
 */
export async function joinDepot(options: {
  databasePath: string;
  credentialsPath: string;
  stationFingerprint: string;
  settings?: Partial<DepotSyncSettings>;
}): Promise<JoinResult> {
  const credentials = await readCredentialsFile(options.credentialsPath).catch((error: unknown) => {
    if (!(error instanceof DepotError)) throw error;
    throw new DepotJoinError('DEPOT_CREDENTIALS_INVALID', error.message, { params: { file: displaySafe(options.credentialsPath) } });
  });
  if (credentials.keyFingerprint !== options.stationFingerprint) {
    throw new DepotJoinError(
      'DEPOT_CREDENTIALS_FOREIGN',
      `these credentials are for station ${credentials.station} with the key ${credentials.keyFingerprint}; ` +
        `this station's key is ${options.stationFingerprint}. Register this station with its own key (lockstep records station-key).`,
      { params: { station: credentials.station } },
    );
  }
  const held = await joinedCredentials(options.databasePath);
  if (held && (held.station !== credentials.station || held.database !== credentials.database || held.host !== credentials.host)) {
    throw new DepotJoinError(
      'DEPOT_OTHER_DEPOT',
      `this station already belongs to the depot ${displaySafe(held.database)} on ${displaySafe(held.host)} as ${held.station}.`,
      { params: { database: displaySafe(held.database), host: displaySafe(held.host) } },
    );
  }
  const probe = await connectStation(credentials, options.settings?.timeoutMs ?? 15_000).catch((error: unknown) => {
    throw asDepotError(error);
  });
  let joined: DepotJoinMark;
  try {
    await probe.hello();
    // From now on, for a while, this station's own operators may be offered to the depot under this join.
    joined = await probe.recordJoin();
  } catch (error) {
    throw asDepotError(error);
  } finally {
    await probe.close();
  }
  // The first join keeps a copy; a join with re-issued credentials (lockstep depot reissue-station:
  // a new password or CA for the same station of the same depot, just accepted by the depot) replaces it.
  const copy = beside(options.databasePath, DEPOT_CREDENTIALS_FILE);
  if (!held) await writeCredentialsFile(copy, credentials);
  else if (JSON.stringify(held) !== JSON.stringify(credentials)) await replaceCredentialsFile(copy, credentials);
  await writeJoinMark(options.databasePath, joined);
  await clearRefusal(options.databasePath);
  const sync = createDepotSync({ databasePath: options.databasePath, credentials, settings: options.settings });
  let pushed: PushCounts;
  try {
    pushed = await sync.drain();
  } catch (error) {
    if (isRefusal(error)) {
      const problem = error instanceof DepotSyncProblemError ? { problem: error.problem } : {};
      await writeRefusal(options.databasePath, { at: new Date().toISOString(), reason: (error as Error).message, ...problem });
    }
    // A clash is shown with the offer below; everything else was uploaded.
    if (!(error instanceof OperatorClashError)) throw error;
    pushed = { ...error.pushed };
  } finally {
    await sync.stop();
  }
  return { credentials, pushed, operators: await readOperatorOffer(options.databasePath, credentials, options.settings?.timeoutMs) };
}

/**
 * The sync worker of a joined station, which keeps a refusal on disk, or null when the station is
 * not in a depot. A station that was refused before starts refused: a person must look first.
 */
export async function openStationSync(
  databasePath: string,
  options: { settings?: Partial<DepotSyncSettings>; onState?: (state: DepotSyncState) => void } = {},
): Promise<{ sync: DepotSync; refusedBefore: DepotRefusal | null } | null> {
  const credentials = await joinedCredentials(databasePath);
  if (!credentials) return null;
  const refusedBefore = await readRefusal(databasePath);
  const sync = createDepotSync({
    databasePath,
    credentials,
    settings: options.settings,
    onState: (state) => {
      // If the file cannot be written the refusal is still shown now; the next start would retry once and be refused again.
      if (state.kind === 'refused') writeRefusal(databasePath, refusalOf(state)).catch(() => undefined);
      options.onState?.(state);
    },
  });
  return { sync, refusedBefore };
}

export interface StationDepotStatus {
  readonly credentials: DepotCredentials;
  readonly refusal: DepotRefusal | null;
  /**
   * What the depot holds of this station, and whether that is this station's own journal (the sync's
   * comparison, depot-copy-check.ts: null when it is), or why the depot could not be asked.
   */
  readonly depot:
    | { readonly reachable: true; readonly heads: DepotHeads; readonly copyProblem: DepotSyncProblem | null }
    | { readonly reachable: false; readonly reason: string; readonly refused: boolean };
  /** Rows the depot does not hold yet (all of them when it could not be asked), per stream. */
  readonly backlog: Record<DepotStream, number>;
}

/**
 * This station's standing with its depot (null when it joined none); asks the depot once and compares
 * its copy with the journal as the sync does before pushing, without writing anything.
 */
export async function stationDepotStatus(databasePath: string, timeoutMs = 15_000): Promise<StationDepotStatus | null> {
  const credentials = await joinedCredentials(databasePath);
  if (!credentials) return null;
  let asked: DepotHeads | Extract<StationDepotStatus['depot'], { reachable: false }>;
  try {
    const client = await connectStation(credentials, timeoutMs);
    try {
      asked = await client.hello();
    } finally {
      await client.close();
    }
  } catch (error) {
    const failure = asDepotError(error);
    asked = { reachable: false, reason: failure.message, refused: isRefusal(failure) };
  }
  const source = openStationSource(databasePath);
  try {
    const depot: StationDepotStatus['depot'] = 'reachable' in asked ? asked : { reachable: true, heads: asked, copyProblem: depotCopyProblem(source, asked) };
    const after = (stream: DepotStream): number => (depot.reachable ? depot.heads[stream] : 0);
    const backlog = Object.fromEntries(DEPOT_STREAMS.map((stream) => [stream, source.countAfter(stream, after(stream))])) as Record<DepotStream, number>;
    return { credentials, refusal: await readRefusal(databasePath), depot, backlog };
  } finally {
    source.close();
  }
}
