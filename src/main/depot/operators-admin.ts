// Operators managed once, at the depot (docs/depot.md, "Operators"): what the administrator does
// through depot.change_operator, whose journal names the administrator's PostgreSQL login. PINs
// are hashed here, with the station's scrypt parameters, and given their depot verifier (the form
// an admin's PIN is checked in when it acts from a station); the depot never holds a PIN.
import type pg from 'pg';
import type { OperatorChangeKind } from '../../shared/api.ts';
import { ROLES, type Role } from '../../shared/records.ts';
import { newOperatorSchema, operatorIdSchema, pinSchema } from '../records/operators.ts';
import { hashPin, pinVerifier } from '../records/pin-hash.ts';
import { withClient } from './admin.ts';
import { DepotError } from './errors.ts';

/** An operator as the depot holds it: the state after its newest change. */
export interface DepotOperator {
  readonly id: string;
  readonly displayName: string;
  readonly role: Role;
  readonly disabled: boolean;
  readonly lastChange: OperatorChangeKind;
  readonly lastChangeAt: string;
  readonly lastChangeBy: string;
}

export interface DepotOperatorChangeEntry {
  readonly id: number;
  readonly operatorId: string;
  readonly change: OperatorChangeKind;
  readonly madeAt: string;
  readonly madeBy: string;
}

export type DepotOperatorRequest =
  | { readonly change: 'added'; readonly id: string; readonly displayName: string; readonly role: Role; readonly pin: string }
  | { readonly change: 'pin-reset'; readonly id: string; readonly pin: string }
  | { readonly change: 'role-changed'; readonly id: string; readonly role: Role }
  | { readonly change: 'disabled' | 'enabled' | 'unlocked'; readonly id: string };

interface StateRow {
  operator_id: string;
  display_name: string;
  role: Role;
  disabled: boolean;
  change: OperatorChangeKind;
  made_at: Date;
  made_by: string;
}

/**
 * Who made a change, as one word: the administrator's PostgreSQL login, or for a change an admin made
 * from Settings on a station, that operator at that station (`admin.li@bench1`).
 */
export const MADE_BY_SQL = `CASE WHEN made_by_operator IS NULL THEN made_by ELSE made_by_operator || '@' || made_at_station END`;

const LATEST = `SELECT DISTINCT ON (operator_id) operator_id, display_name, role, disabled, change, made_at, ${MADE_BY_SQL} AS made_by
  FROM depot.operator_changes ORDER BY operator_id, id DESC`;

function operatorOf(row: StateRow): DepotOperator {
  return {
    id: row.operator_id,
    displayName: row.display_name,
    role: row.role,
    disabled: row.disabled,
    lastChange: row.change,
    lastChangeAt: row.made_at.toISOString(),
    lastChangeBy: row.made_by,
  };
}

function firstIssue(result: { success: false; error: { issues: { message: string }[] } }): string {
  return result.error.issues[0]?.message ?? 'invalid';
}

/** Every operator of the depot, by id. */
export function depotOperators(config: pg.ClientConfig): Promise<DepotOperator[]> {
  return withClient(config, async (client) => (await client.query<StateRow>(LATEST)).rows.map(operatorOf));
}

/** A change as the depot's functions take it: validated, a new PIN hashed for stations and as the depot's verifier. */
export interface DepotOperatorArguments {
  readonly change: DepotOperatorRequest['change'];
  readonly id: string;
  readonly displayName: string | null;
  readonly role: Role | null;
  readonly pinHash: string | null;
  readonly proofKdf: string | null;
  readonly proofVerifier: string | null;
}

export function depotOperatorArguments(request: DepotOperatorRequest): DepotOperatorArguments {
  let displayName: string | null = null;
  let role: Role | null = null;
  let pin: string | null = null;
  if (request.change === 'added') {
    const parsed = newOperatorSchema.safeParse({ id: request.id, displayName: request.displayName, role: request.role, pin: request.pin });
    if (!parsed.success) throw new DepotError(`operator: ${firstIssue(parsed)}`);
    ({ displayName, role, pin } = parsed.data);
  } else {
    const id = operatorIdSchema.safeParse(request.id);
    if (!id.success) throw new DepotError(`--id: ${firstIssue(id)}`);
    if (request.change === 'pin-reset') {
      if (!pinSchema.safeParse(request.pin).success) throw new DepotError('the new PIN is not valid: a PIN is 6 to 12 digits.');
      pin = request.pin;
    } else if (request.change === 'role-changed') {
      if (!(ROLES as readonly string[]).includes(request.role)) throw new DepotError(`--role: one of ${ROLES.join(', ')}.`);
      role = request.role;
    }
  }
  const proof = pin === null ? null : pinVerifier(pin);
  return {
    change: request.change,
    id: request.id,
    displayName,
    role,
    pinHash: pin === null ? null : hashPin(pin),
    proofKdf: proof?.kdf ?? null,
    proofVerifier: proof?.verifier ?? null,
  };
}

/** The arguments after the station's or admin's own, in the order the depot's functions take them. */
export function depotOperatorValues(args: DepotOperatorArguments): (string | null)[] {
  return [args.change, args.id, args.displayName, args.role, args.pinHash, args.proofKdf, args.proofVerifier];
}

/** Makes one change at the depot; stations apply it at their next sync. Returns the operator after it. */
export async function changeDepotOperator(config: pg.ClientConfig, request: DepotOperatorRequest): Promise<DepotOperator> {
  const args = depotOperatorArguments(request);
  return withClient(config, async (client) => {
    await client.query('SELECT depot.change_operator($1, $2, $3, $4, $5, $6, $7)', depotOperatorValues(args));
    const held = await client.query<StateRow>(`SELECT * FROM (${LATEST}) latest WHERE operator_id = $1`, [request.id]);
    return operatorOf(held.rows[0] as StateRow);
  });
}

/** The journal of changes made at the depot, newest first: all of them, or one operator's. */
export function depotOperatorChanges(config: pg.ClientConfig, operatorId?: string, limit = 200): Promise<DepotOperatorChangeEntry[]> {
  return withClient(config, async (client) => {
    const result = await client.query<{ id: string; operator_id: string; change: OperatorChangeKind; made_at: Date; made_by: string }>(
      `SELECT id, operator_id, change, made_at, ${MADE_BY_SQL} AS made_by FROM depot.operator_changes WHERE $1::text IS NULL OR operator_id = $1 ORDER BY id DESC LIMIT $2`,
      [operatorId ?? null, limit],
    );
    return result.rows.map((row) => ({ id: Number(row.id), operatorId: row.operator_id, change: row.change, madeAt: row.made_at.toISOString(), madeBy: row.made_by }));
  });
}

export interface OfflineSignIn {
  readonly seconds: number;
  readonly changedAt: string;
  readonly changedBy: string;
}

/** How long stations may sign operators in from their copy without the depot; set first when `seconds` is given. */
export async function depotOfflineSignIn(config: pg.ClientConfig, seconds?: number): Promise<OfflineSignIn> {
  if (seconds !== undefined && (!Number.isInteger(seconds) || seconds < 60 || seconds > 31 * 86_400)) {
    throw new DepotError('the offline sign-in age is from 1 minute to 31 days.');
  }
  return withClient(config, async (client) => {
    if (seconds !== undefined) await client.query('INSERT INTO depot.operator_settings (offline_sign_in_s) VALUES ($1)', [seconds]);
    const result = await client.query<{ offline_sign_in_s: number; changed_at: Date; changed_by: string }>(
      'SELECT offline_sign_in_s, changed_at, changed_by FROM depot.operator_settings ORDER BY id DESC LIMIT 1',
    );
    const row = result.rows[0];
    if (!row) throw new DepotError('the depot has no operator settings; run lockstep depot init.');
    return { seconds: row.offline_sign_in_s, changedAt: row.changed_at.toISOString(), changedBy: row.changed_by };
  });
}
