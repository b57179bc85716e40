// Telling a refusal from an outage. A refusal (the depot checked what it was given and said no, or
// this station may not log in) needs a person: the station's sync stops and shows why. Anything else
// (no route, a server restarting, a dropped connection, a timeout) is an outage the sync waits out.
import pg from 'pg';
import { describeFailure } from '../../shared/describe-failure.ts';
import { RecordsError } from '../records/errors.ts';
import { DepotError, DepotSyncProblemError } from './errors.ts';

/**
 * SQLSTATEs that mean "refused": the depot's own (class LS), invalid authorisation (class 28: wrong
 * password, role dropped), a privilege missing (42501), a database or function missing (3D000,
 * 42883: the wrong database, or one `depot init` has not prepared).
 */
function isRefusalCode(code: string): boolean {
  return code.startsWith('LS') || code.startsWith('28') || code === '42501' || code === '3D000' || code === '42883';
}

/** PostgreSQL's SQLSTATE, when the error is the server's answer (not a socket error such as EPIPE). */
function sqlState(error: unknown): string | null {
  return error instanceof pg.DatabaseError && typeof error.code === 'string' ? error.code : null;
}

/** Whether the depot refused, or holds what the station refuses to add to (as opposed to could not be reached). */
export function isRefusal(error: unknown): boolean {
  // The station found the depot's copy is not its own: pushing more would only add to the wrong chain.
  if (error instanceof DepotSyncProblemError) return true;
  if (error instanceof DepotError) return error.code !== null && isRefusalCode(error.code);
  const code = sqlState(error);
  return code !== null && isRefusalCode(code);
}

/** A DepotError with PostgreSQL's message (escaped: it quotes what the station sent) and SQLSTATE. */
export function asDepotError(error: unknown): DepotError {
  if (error instanceof DepotError) return error;
  const message = describeFailure(error, 600);
  const code = sqlState(error);
  return new DepotError(code ? `the depot said: ${message} (SQLSTATE ${code})` : `cannot reach the depot: ${message}`, code);
}

/**
 * A failure while working over a depot connection: the station's own records refusing (an admin's role,
 * a file that cannot be written) is not the depot speaking and keeps its code; anything else is the depot's.
 */
export function asDepotFailure(error: unknown): RecordsError | DepotError {
  return error instanceof RecordsError ? error : asDepotError(error);
}
