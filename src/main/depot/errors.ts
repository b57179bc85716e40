import { CodedError, type CodedErrorOptions } from '../../shared/coded-error.ts';
import type { DepotStream, DepotSyncProblem } from '../../shared/depot.ts';

/**
 * A refusal or failure of the depot the operator can act on: the message says what went wrong and
 * what to do. `code` is PostgreSQL's SQLSTATE when the depot refused (class LS, migrations.ts).
 */
export class DepotError extends Error {
  readonly code: string | null;
  constructor(message: string, code: string | null = null) {
    super(message);
    this.name = 'DepotError';
    this.code = code;
  }
}

/**
 * The depot holds another person under the id of one of the station's own operators, so none of
 * its operators were applied (an admin resolves the clash). Not a refusal: the pass pushed what it
 * had first (`pushed`, per stream), and the sync goes on saying why.
 */
export class OperatorClashError extends DepotError {
  readonly pushed: Readonly<Record<DepotStream, number>>;
  constructor(message: string, pushed: Readonly<Record<DepotStream, number>>) {
    super(message);
    this.name = 'OperatorClashError';
    this.pushed = pushed;
  }
}

/**
 * The depot's copy of this station is not this station's journal (depot-copy-check.ts): a refusal the
 * station found itself, so its sync stops as if the depot had refused, with a coded problem.
 */
export class DepotSyncProblemError extends DepotError {
  readonly problem: DepotSyncProblem;
  constructor(message: string, problem: DepotSyncProblem) {
    super(message);
    this.name = 'DepotSyncProblemError';
    this.problem = problem;
  }
}

/** Why a station could not join its depot, coded for the station UI (Settings → Depot) to word in the operator's language. */
export type DepotJoinCode =
  /** The credentials file cannot be read, is not JSON, or not a credentials file (params: file). */
  | 'DEPOT_CREDENTIALS_INVALID'
  /** The file is for another station's key (params: station). */
  | 'DEPOT_CREDENTIALS_FOREIGN'
  /** This station already belongs to another depot (params: database, host). */
  | 'DEPOT_OTHER_DEPOT'
  /** The depot refused this station (params: reason, the depot's words). */
  | 'DEPOT_REFUSED'
  /** The depot could not be reached, or the join failed otherwise (params: reason). */
  | 'DEPOT_JOIN_FAILED';

export class DepotJoinError extends CodedError<DepotJoinCode> {
  constructor(code: DepotJoinCode, message: string, options: CodedErrorOptions = {}) {
    super(code, message, options);
    this.name = 'DepotJoinError';
  }
}

/**
 * Why a change an admin made to the operators from Settings on a station in a depot did not happen
 * (or may not have), coded for the window (params: reason, the depot's or the network's words).
 */
export type DepotOperatorCode =
  /** The depot could not be reached: nothing was changed, at the depot or here. */
  | 'DEPOT_OFFLINE'
  /** The connection broke after the change was sent: the depot may have made it; the next sync shows. */
  | 'DEPOT_ANSWER_LOST'
  /** The depot refused the change (not an admin there, a wrong PIN, a reused id, the last admin…). */
  | 'DEPOT_OPERATOR_REFUSED'
  /** The station's operators were offered too long after its join: join again, then offer them. */
  | 'DEPOT_OFFER_EXPIRED'
  /** The offer shown was compared at a join that is no longer the station's latest: join again, then offer them. */
  | 'DEPOT_OFFER_SUPERSEDED';

export class DepotOperatorError extends CodedError<DepotOperatorCode> {
  constructor(code: DepotOperatorCode, message: string, options: CodedErrorOptions = {}) {
    super(code, message, options);
    this.name = 'DepotOperatorError';
  }
}

/**
 * The station's own check refused an offer or a clash resolution against what the depot holds now (an
 * id not offered, no such clash, a new id the depot already uses): nothing was sent or journaled.
 */
export class OperatorOfferRefused extends DepotError {
  constructor(message: string) {
    super(message);
    this.name = 'OperatorOfferRefused';
  }
}
