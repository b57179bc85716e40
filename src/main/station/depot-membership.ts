// The station's membership of a depot while it runs: its depot link (the sync worker, whose state
// every front end shows) and joining from the window (Settings → Depot, admins only) with the same
// joinDepot as `lockstep depot join`. A join stops the running worker first, so the join's upload is
// the only push of this station meanwhile, and starts the link again afterwards (joined or not), so
// the header's depot state follows at once instead of at the next start.
import type { DepotJoined } from '../../shared/api.ts';
import type { DepotSyncSettings, DepotSyncState } from '../../shared/depot.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { startDepotLink, type DepotLink } from '../depot/depot-link.ts';
import { DepotError, DepotJoinError } from '../depot/errors.ts';
import { isRefusal } from '../depot/refusals.ts';
import { joinDepot } from '../depot/station-depot.ts';

export interface DepotMembership {
  /** The running link, or null for a station in no depot (or while a join runs). */
  readonly link: () => Promise<DepotLink | null>;
  readonly join: (credentialsPath: string, stationFingerprint: string) => Promise<DepotJoined>;
  readonly close: () => Promise<void>;
}

export function createDepotMembership(options: {
  readonly databasePath: string;
  readonly onState: (state: DepotSyncState) => void;
  readonly settings?: Partial<DepotSyncSettings>;
}): DepotMembership {
  const start = (): Promise<DepotLink | null> => startDepotLink(options.databasePath, options.onState, options.settings);
  let link = start();
  let joining = false;
  let closed = false;
  return {
    link: () => link,
    async join(credentialsPath, stationFingerprint) {
      if (joining) throw new DepotJoinError('DEPOT_JOIN_FAILED', 'a join is already under way on this station.', { params: { reason: 'a join is already under way' } });
      joining = true;
      const running = link;
      link = running.then(async (old) => {
        await old?.stop();
        return null;
      });
      try {
        await link;
        const joined = await joinDepot({ databasePath: options.databasePath, credentialsPath, stationFingerprint, settings: options.settings });
        return { station: joined.credentials.station, pushed: joined.pushed, operators: joined.operators };
      } catch (error) {
        if (!(error instanceof DepotError)) throw error;
        // The depot's own words (PostgreSQL's message, escaped) go with the code: they say what to fix.
        const params = { params: { reason: displaySafe(error.message, 600) } };
        throw isRefusal(error) ? new DepotJoinError('DEPOT_REFUSED', error.message, params) : new DepotJoinError('DEPOT_JOIN_FAILED', error.message, params);
      } finally {
        joining = false;
        if (!closed) link = start();
      }
    },
    async close() {
      closed = true;
      await (await link)?.stop();
    },
  };
}
