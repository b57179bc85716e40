// One connection to the station's depot for a change an admin makes from the window (operators at the
// depot, the operators offered at join, a clash resolved): coded for the window either way. A depot
// that cannot be reached is DEPOT_OFFLINE, nothing having been sent; credentials that cannot be read
// need a person, as a refusal does.
import { CodedError } from '../../shared/coded-error.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { DepotError, DepotOperatorError, OperatorOfferRefused } from '../depot/errors.ts';
import { asDepotError, isRefusal } from '../depot/refusals.ts';
import { connectStation, type StationClient } from '../depot/station-client.ts';
import { joinedCredentials } from '../depot/station-depot.ts';

/** The depot's or the network's words, escaped, for the window to word with the code. */
function depotReason(error: DepotError): { params: { reason: string } } {
  return { params: { reason: displaySafe(error.message, 600) } };
}

/**
 * A failure once connected, coded: a refusal (the depot's, or the station's own check against what the
 * depot holds) is DEPOT_OPERATOR_REFUSED; an outage is `outage` (DEPOT_ANSWER_LOST once a change was sent).
 */
export function depotChangeFailure(error: unknown, outage: 'DEPOT_OFFLINE' | 'DEPOT_ANSWER_LOST'): unknown {
  // The station's own records' refusals (a new id already taken here, say) keep their codes.
  if (error instanceof CodedError) return error;
  const failure = asDepotError(error);
  const refused = failure instanceof OperatorOfferRefused || isRefusal(failure);
  return new DepotOperatorError(refused ? 'DEPOT_OPERATOR_REFUSED' : outage, failure.message, depotReason(failure));
}

/** Connects with the station's own credentials file (beside its journal), or says in code why not. */
export async function connectJoinedStation(databasePath: string, timeoutMs: number): Promise<StationClient> {
  const credentials = await joinedCredentials(databasePath).catch((error: unknown) => {
    if (!(error instanceof DepotError)) throw error;
    throw new DepotOperatorError('DEPOT_OPERATOR_REFUSED', error.message, depotReason(error));
  });
  if (!credentials) {
    const missing = new DepotError("this station's depot credentials are missing; join its depot again (Settings → Depot).");
    throw new DepotOperatorError('DEPOT_OPERATOR_REFUSED', missing.message, depotReason(missing));
  }
  try {
    return await connectStation(credentials, timeoutMs);
  } catch (error) {
    const failure = asDepotError(error);
    throw new DepotOperatorError(isRefusal(failure) ? 'DEPOT_OPERATOR_REFUSED' : 'DEPOT_OFFLINE', failure.message, depotReason(failure));
  }
}
