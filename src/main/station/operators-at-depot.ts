// Operator changes an admin makes from Settings on a station whose operators its depot manages
// (docs/depot.md, "Operators changed from a station"). The change is made at the depot, online only,
// by depot.station_change_operator, which checks there that the admin is an enabled admin and proves
// it by the PIN; then this station copies the depot's changes at once, and every other station with
// its next sync. Nothing is changed here first: an unreachable depot means nothing changed anywhere.
import type { OperatorSummary } from '../../shared/records.ts';
import { depotOperatorArguments, type DepotOperatorRequest } from '../depot/operators-admin.ts';
import { journalOperatorChanges } from '../depot/station-journal.ts';
import { RecordsError } from '../records/errors.ts';
import { newOperatorSchema, requireValidPin, type Credentials } from '../records/operators.ts';
import type { StationRecords } from '../records/station-records.ts';
import { parseInput } from '../records/validation.ts';
import { connectJoinedStation, depotChangeFailure } from './depot-connection.ts';

/** Validated as the station validates its own operators, so the window gets the same codes before anything is sent. */
function validated(request: DepotOperatorRequest): void {
  if (request.change === 'added') {
    const { id, displayName, role, pin } = request;
    parseInput(newOperatorSchema, { id, displayName, role, pin }, 'operator');
  } else if (request.change === 'pin-reset') {
    requireValidPin(request.pin);
  }
}

export async function changeOperatorAtDepot(options: {
  readonly records: StationRecords;
  /** The signed-in admin and the PIN typed to confirm this change. */
  readonly admin: Credentials;
  readonly request: DepotOperatorRequest;
  readonly timeoutMs: number;
  readonly now: () => Date;
}): Promise<OperatorSummary> {
  const { records, admin, request } = options;
  validated(request);
  // The PIN is checked here first: a wrong one counts towards this station's lock-out, and a copy
  // older than the depot's offline age refuses, as for signing in.
  records.operators.authenticate(admin, ['admin']);
  const args = depotOperatorArguments(request);
  const client = await connectJoinedStation(records.databasePath, options.timeoutMs);
  try {
    const after = records.operators.depotChanges().at(-1)?.id ?? 0;
    const copied = await client
      .changeOperator(admin, args)
      .then(() => client.operatorChanges(after))
      .catch((error: unknown) => {
        // Sent: an outage now may have come after the depot committed the change.
        throw depotChangeFailure(error, 'DEPOT_ANSWER_LOST');
      });
    // This station need not wait for its next sync pass: it applies the depot's changes now, as the pass would.
    journalOperatorChanges(records.databasePath, copied.changes, copied.offlineSignInS, options.now);
  } finally {
    await client.close();
  }
  const changed = records.operators.get(request.id);
  if (!changed) throw new RecordsError('NO_SUCH_OPERATOR', `operator ${request.id} is not in this station's copy of the depot's operators`);
  return changed;
}
