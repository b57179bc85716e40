// The operators a station had before it joined its depot, handled from Settings → Depot as
// `lockstep depot offer-operators` and `resolve-operator` handle them (docs/depot.md, "Operators a
// station already has"): the offer and the clashes read from the depot, the offer confirmed and a clash
// resolved by the signed-in admin, whose PIN the station's records check as the CLI's --as does. Each
// answers the offer as it stands after, and the caller wakes the sync so the depot's operators apply.
import type { OperatorClashResolution, OperatorOffer } from '../../shared/depot.ts';
import { DepotOperatorError } from '../depot/errors.ts';
import { DEPOT_OFFER_WINDOW_MINUTES, REFUSAL_CODES } from '../depot/migrations.ts';
import { offerOperatorsOver, operatorOfferOver, resolveOperatorClashOver } from '../depot/operator-offer.ts';
import { asDepotError } from '../depot/refusals.ts';
import type { StationClient } from '../depot/station-client.ts';
import type { Credentials } from '../records/operators.ts';
import type { StationRecords } from '../records/station-records.ts';
import { connectJoinedStation, depotChangeFailure } from './depot-connection.ts';

async function overDepot<T>(
  records: StationRecords,
  timeoutMs: number,
  outage: 'DEPOT_OFFLINE' | 'DEPOT_ANSWER_LOST',
  work: (client: StationClient) => Promise<T>,
): Promise<T> {
  const client = await connectJoinedStation(records.databasePath, timeoutMs);
  try {
    return await work(client);
  } catch (error) {
    throw depotChangeFailure(error, outage);
  } finally {
    await client.close();
  }
}

/** The offer and the clashes as of now, for a station in a depot. */
export function readOfferFromWindow(records: StationRecords, timeoutMs: number): Promise<OperatorOffer> {
  return overDepot(records, timeoutMs, 'DEPOT_OFFLINE', (client) => operatorOfferOver(client, records.databasePath));
}

/**
 * The admin confirms the offer (`ids`, or all of it when null): added at the depot in one call, under
 * the join of the offer the window showed (`joinId`), which the depot refuses once it is not the
 * station's latest join (DEPOT_OFFER_SUPERSEDED) or is older than the window (DEPOT_OFFER_EXPIRED).
 */
export function offerFromWindow(
  records: StationRecords,
  admin: Credentials,
  offer: { readonly ids: readonly string[] | null; readonly joinId: number | null },
  timeoutMs: number,
): Promise<OperatorOffer> {
  records.operators.authenticate(admin, ['admin']);
  return overDepot(records, timeoutMs, 'DEPOT_ANSWER_LOST', async (client) => {
    await offerOperatorsOver(client, records.databasePath, offer.ids, offer.joinId).catch((error: unknown) => {
      const failure = asDepotError(error);
      if (failure.code === REFUSAL_CODES.offerWindowClosed) {
        throw new DepotOperatorError('DEPOT_OFFER_EXPIRED', failure.message, { params: { minutes: String(DEPOT_OFFER_WINDOW_MINUTES) } });
      }
      if (failure.code === REFUSAL_CODES.offerJoinSuperseded) throw new DepotOperatorError('DEPOT_OFFER_SUPERSEDED', failure.message);
      throw error;
    });
    return operatorOfferOver(client, records.databasePath);
  });
}

/** The admin resolves one clash: the depot's operator keeps the id, or the station's goes on under `renameTo`. */
export function resolveFromWindow(
  records: StationRecords,
  admin: Credentials,
  clash: { readonly operatorId: string; readonly resolution: OperatorClashResolution; readonly renameTo: string | null },
  timeoutMs: number,
): Promise<OperatorOffer> {
  const byAdmin = records.operators.authenticate(admin, ['admin']).id;
  // Nothing is sent: the resolution is journaled here once the depot's operators are read.
  return overDepot(records, timeoutMs, 'DEPOT_OFFLINE', (client) => resolveOperatorClashOver(client, records.databasePath, { ...clash, byAdmin }));
}
