// A joined station's link to its depot while the station runs (the operator UI or `lockstep provision`):
// its sync worker started in the background, and the depot state every front end shows. Nothing here
// is awaited by provisioning: the worker reads the journal through its own read-only connection.
import { withTagsLow, type DepotSyncSettings, type DepotSyncState } from '../../shared/depot.ts';
import { describeFailure } from '../../shared/describe-failure.ts';
import type { PipelineSnapshot } from '../../shared/pipeline.ts';
import { openStationSync } from './station-depot.ts';
import type { DepotSync } from './sync.ts';

export interface DepotLink {
  readonly state: () => DepotSyncState;
  /** New rows were committed: push them now rather than at the next poll (also cuts a back-off short). */
  readonly wake: () => void;
  /** Stops the worker once its pass under way ends (bounded by its timeouts); the state stays readable. */
  readonly stop: () => Promise<void>;
}

/**
 * Starts the sync of the station whose journal is `databasePath`, or answers null when it joined no
 * depot. A station refused before stays stopped (refused, with the reason kept on disk). Credentials
 * that cannot be read also stop it: only a person can fix the file, so it is shown as a refusal.
 */
export async function startDepotLink(
  databasePath: string,
  onState: (state: DepotSyncState) => void,
  settings?: Partial<DepotSyncSettings>,
): Promise<DepotLink | null> {
  let current: DepotSyncState = { kind: 'idle' };
  const report = (state: DepotSyncState): void => {
    current = state;
    onState(state);
  };
  let sync: DepotSync | null = null;
  try {
    const opened = await openStationSync(databasePath, { settings, onState: report });
    if (!opened) return null;
    sync = opened.sync;
    // Read before a stopped worker closes its journal connection: tags running low show from the start.
    const tags = sync.tags();
    if (opened.refusedBefore) {
      await sync.stop();
      sync = null;
      report(withTagsLow({ kind: 'refused', ...opened.refusedBefore }, tags));
    } else {
      report(withTagsLow({ kind: 'idle' }, tags));
      sync.start();
    }
  } catch (error) {
    report({ kind: 'refused', at: new Date().toISOString(), reason: describeFailure(error) });
  }
  const running = sync;
  let stopped: Promise<void> | null = null;
  return {
    state: () => current,
    wake: () => running?.wake(),
    // Once: a second stop waits for the first.
    stop: () => (stopped ??= running?.stop() ?? Promise.resolve()),
  };
}

/**
 * A batch snapshot listener that wakes the link when a handset gets an outcome: its record was just
 * committed, so the depot can have it now rather than at the next poll.
 */
export function wakeOnOutcomes(wake: () => void): (snapshot: PipelineSnapshot) => void {
  let outcomes = 0;
  return ({ counters }) => {
    if (counters.provisioned + counters.failed === outcomes) return;
    outcomes = counters.provisioned + counters.failed;
    wake();
  };
}
