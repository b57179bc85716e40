// Whether what the depot holds of this station is this station's own journal. `depot.hello` names
// the last row of each stream the depot holds and the hash of its last record; the sync resumes after
// them. A depot that is behind (rows lost, restored from a backup) simply gets the rest again. A depot
// holding another hash at a position, or more than the journal holds, is a copy of something else:
// this station's database restored from an old backup, or another station pushing under its
// credentials and key. Pushing on would mix two histories, so the sync stops and says what to do.
import { DEPOT_STREAMS, type DepotHeads, type DepotSyncProblem } from '../../shared/depot.ts';
import { DepotSyncProblemError } from './errors.ts';
import type { StationSource } from './station-source.ts';

/** The problem with the depot's copy, or null when it is a prefix of the station's journal. */
export function depotCopyProblem(source: StationSource, heads: DepotHeads): DepotSyncProblem | null {
  const stationRecords = source.lastId('records');
  if (heads.records > stationRecords) return { code: 'DEPOT_AHEAD_OF_STATION', stream: 'records', depotHead: heads.records, stationHead: stationRecords };
  if (heads.records > 0 && source.records(heads.records - 1, 1)[0]?.hash !== heads.recordHash) return { code: 'DEPOT_CHAIN_DIVERGED', seq: heads.records };
  for (const stream of DEPOT_STREAMS) {
    const stationHead = source.lastId(stream);
    if (heads[stream] > stationHead) return { code: 'DEPOT_AHEAD_OF_STATION', stream, depotHead: heads[stream], stationHead };
  }
  return null;
}

/** The problem in English with what to do, as the CLI and the refusal file say it (the window words it from the code). */
export function describeDepotCopyProblem(problem: DepotSyncProblem): string {
  const stopped = 'Syncing stopped; provisioning goes on here.';
  if (problem.code === 'DEPOT_CHAIN_DIVERGED') {
    return (
      `the depot holds another record ${problem.seq} for this station than its journal: another station is using this station's ` +
      `credentials and key, or this station's database was replaced. ${stopped} A supervisor stops any other station using ` +
      'these credentials and calls the depot administrator before this station joins again (lockstep depot join).'
    );
  }
  return (
    `the depot holds this station's ${problem.stream} up to ${problem.depotHead}, its journal only up to ${problem.stationHead}: ` +
    `its database was restored from an old backup, or another station is using its credentials. ${stopped} A supervisor ` +
    "restores the station's newest database backup, or calls the depot administrator, then joins again (lockstep depot join)."
  );
}

/** Throws the problem as a refusal the sync stops on. */
export function checkDepotCopy(source: StationSource, heads: DepotHeads): void {
  const problem = depotCopyProblem(source, heads);
  if (problem) throw new DepotSyncProblemError(describeDepotCopyProblem(problem), problem);
}
