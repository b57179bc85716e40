// Operators, their roles and PINs. Operators are never deleted (records name them for years);
// they are disabled, and may be enabled again. Repeated wrong PINs lock the account until an admin
// unlocks it (or resets its PIN), and the failure count lives in the database so restarting the
// station does not reset it. Every admin change is journaled in operator_changes: who, what, when.
import type { DatabaseSync } from 'node:sqlite';
import { z } from 'zod';
import type { OperatorChange, OperatorChangeKind } from '../../shared/api.ts';
import { ROLES, type OperatorSummary, type Role } from '../../shared/records.ts';
import { displaySafe, isUnsafeCodePoint } from '../../shared/untrusted.ts';
import { RecordsError, roleNotAllowed } from './errors.ts';
import { decoyPinHash, hashPin, pinMatches } from './pin-hash.ts';
import { inWriteTransaction } from './transactions.ts';
import { parseInput } from './validation.ts';

export const MAX_PIN_FAILURES = 5;
/**
 * How long a PIN check may stand in for a second one (`proveSignIn`): long enough for a start to
 * verify a multi-gigabyte bundle between the check and the authorisation that uses it.
 */
const SIGN_IN_PROOF_MS = 15 * 60_000;

export interface Credentials {
  readonly id: string;
  readonly pin: string;
}

/**
 * That an operator typed the right PIN a moment ago, for one later step that needs it (a start's
 * authorisation, after the bundle is verified), so the PIN is hashed once per start. Only the
 * records instance that issued it honours it, once (`redeemSignIn`): any other object of this
 * shape, or one copied, is refused, so it cannot be forged from an operator's summary.
 */
export interface SignInProof {
  readonly operator: OperatorSummary;
}

interface IssuedProof {
  readonly pinHash: string;
  readonly roles: readonly Role[];
  readonly issuedAt: number;
}

export const operatorIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{1,31}$/, 'an operator id is 2 to 32 characters: lower-case letters, digits, dot, dash, underscore');
export const pinSchema = z.string().regex(/^[0-9]{6,12}$/, 'a PIN is 6 to 12 digits');
/** One line of text a person types for other people to read: no controls, no bidi tricks. */
export function plainTextSchema(what: string, maxLength: number) {
  return z
    .string()
    .trim()
    .min(1, `${what} is required`)
    .max(maxLength, `${what} is at most ${maxLength} characters`)
    .refine((text) => ![...text].some((char) => isUnsafeCodePoint(char.codePointAt(0) ?? 0)), `${what} cannot hold control or bidi characters`);
}
const displayNameSchema = plainTextSchema('a display name', 80);

export const newOperatorSchema = z.strictObject({
  id: operatorIdSchema,
  displayName: displayNameSchema,
  role: z.enum(ROLES),
  pin: pinSchema,
});
export type NewOperator = z.infer<typeof newOperatorSchema>;

/** A new PIN must follow the PIN policy, wherever it is set. */
export function requireValidPin(pin: string): void {
  if (!pinSchema.safeParse(pin).success) throw new RecordsError('PIN_INVALID', 'the new PIN is not valid: a PIN is 6 to 12 digits.');
}

interface OperatorRow {
  id: string;
  display_name: string;
  role: Role;
  pin_hash: string;
  created_at: string;
  created_by: string | null;
  disabled_at: string | null;
  locked_at: string | null;
  failed_attempts: number;
}

function summary(row: OperatorRow): OperatorSummary {
  return {
    id: row.id,
    displayName: row.display_name,
    role: row.role,
    createdAt: row.created_at,
    createdBy: row.created_by,
    disabledAt: row.disabled_at,
    lockedAt: row.locked_at,
    failedAttempts: row.failed_attempts,
  };
}

export type Operators = ReturnType<typeof createOperators>;

export function createOperators(db: DatabaseSync, now: () => Date) {
  const byId = db.prepare('SELECT * FROM operators WHERE id = ?');
  const insert = db.prepare(
    'INSERT INTO operators (id, display_name, role, pin_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)',
  );
  // An attempt is counted before its PIN is checked, and only while fewer than MAX_PIN_FAILURES are
  // counted: guesses made in parallel (several processes on one station) cannot exceed the limit.
  const claimAttempt = db.prepare(
    'UPDATE operators SET failed_attempts = failed_attempts + 1 WHERE id = ? AND disabled_at IS NULL AND locked_at IS NULL AND failed_attempts < ?',
  );
  const lockIfExhausted = db.prepare('UPDATE operators SET locked_at = ? WHERE id = ? AND locked_at IS NULL AND failed_attempts >= ?');
  const recordSuccess = db.prepare('UPDATE operators SET failed_attempts = 0 WHERE id = ? AND locked_at IS NULL');
  const find = (id: string): OperatorRow | undefined => byId.get(id) as OperatorRow | undefined;
  const insertChange = db.prepare('INSERT INTO operator_changes (operator_id, change, by_id, at) VALUES (?, ?, ?, ?)');
  /** Inside the change's own transaction, so the journal and the operator never disagree. */
  const journal = (id: string, change: OperatorChangeKind, by: OperatorSummary): void => {
    insertChange.run(id, change, by.id, now().toISOString());
  };
  // In a depot (depot-operators.ts) the operators are the depot's copy: signing in from it is allowed
  // for the age the depot sets, and adding, disabling, enabling or re-PINning happens at the depot.
  const depotCopy = db.prepare('SELECT confirmed_at, offline_sign_in_s FROM depot_operator_copy WHERE id = 1');
  const heldCopy = (): { confirmed_at: string; offline_sign_in_s: number } | undefined =>
    depotCopy.get() as { confirmed_at: string; offline_sign_in_s: number } | undefined;
  function requireFreshCopy(): void {
    const copy = heldCopy();
    if (!copy || now().getTime() - Date.parse(copy.confirmed_at) <= copy.offline_sign_in_s * 1000) return;
    const hours = Math.round((copy.offline_sign_in_s / 3600) * 10) / 10;
    throw new RecordsError(
      'DEPOT_SIGN_IN_STALE',
      `this station last heard its depot's operators at ${copy.confirmed_at}, more than ${hours} h ago; signing in needs the depot. Reconnect the station to its depot.`,
    );
  }
  function refuseInDepot(what: string): void {
    if (heldCopy()) {
      throw new RecordsError('OPERATORS_AT_DEPOT', `this station's operators are managed at its depot: ${what} there (lockstep depot operators, or Settings on a station).`);
    }
  }
  const lockedOut = (id: string): RecordsError =>
    new RecordsError('OPERATOR_LOCKED', `operator ${id} is locked after ${MAX_PIN_FAILURES} wrong PINs; an admin must unlock it (lockstep operators unlock).`);

  // One answer for an unknown id and a wrong PIN (a disabled account's too), with no count of attempts left, so a
  // sign-in screen never tells which operator ids exist. Only lock-out is named: the account refuses every PIN then.
  const signInFailed = (): RecordsError => new RecordsError('SIGN_IN_FAILED', 'unknown operator or wrong PIN.');

  function authenticate(credentials: Credentials, roles: readonly Role[] = ROLES): OperatorSummary {
    return summary({ ...authenticateRow(credentials, roles), failed_attempts: 0 });
  }

  /** The operator's row, as read before its PIN was checked, once the PIN is right and the role allowed. */
  function authenticateRow(credentials: Credentials, roles: readonly Role[]): OperatorRow {
    requireFreshCopy();
    const row = find(credentials.id);
    if (!row) {
      pinMatches(credentials.pin, decoyPinHash());
      throw signInFailed();
    }
    if (row.disabled_at) {
      if (!pinMatches(credentials.pin, row.pin_hash)) throw signInFailed();
      throw new RecordsError('OPERATOR_DISABLED', `operator ${row.id} is disabled; ask an admin.`);
    }
    const claimed = inWriteTransaction(db, () => Number(claimAttempt.run(row.id, MAX_PIN_FAILURES).changes));
    if (claimed === 0) throw lockedOut(row.id);
    if (!pinMatches(credentials.pin, row.pin_hash)) {
      const failures = inWriteTransaction(db, () => {
        lockIfExhausted.run(now().toISOString(), row.id, MAX_PIN_FAILURES);
        return (find(row.id) as OperatorRow).failed_attempts;
      });
      if (failures < MAX_PIN_FAILURES) throw signInFailed();
      throw new RecordsError('OPERATOR_LOCKED', `wrong PIN: operator ${row.id} is now locked; an admin must unlock it.`);
    }
    // A wrong guess made in parallel may have locked the account while this PIN was being checked.
    if (Number(inWriteTransaction(db, () => recordSuccess.run(row.id)).changes) === 0) throw lockedOut(row.id);
    if (!roles.includes(row.role)) throw roleNotAllowed(row.id, row.role, roles);
    return row;
  }

  const issued = new WeakMap<SignInProof, IssuedProof>();

  /** `authenticate`, returning a proof that one later step may redeem instead of asking for the PIN again. */
  function proveSignIn(credentials: Credentials, roles: readonly Role[] = ROLES): SignInProof {
    const row = authenticateRow(credentials, roles);
    const proof: SignInProof = Object.freeze({ operator: summary({ ...row, failed_attempts: 0 }) });
    issued.set(proof, { pinHash: row.pin_hash, roles, issuedAt: now().getTime() });
    return proof;
  }

  /**
   * The operator a proof from `proveSignIn` names, if it is this instance's, unused, recent, and the
   * operator is still enabled, not locked, in an allowed role and has the PIN that was checked. Call it
   * inside the write transaction that records what the PIN allows, so that state is the one recorded.
   */
  function redeemSignIn(proof: SignInProof, roles: readonly Role[]): OperatorSummary {
    const proven = issued.get(proof);
    issued.delete(proof);
    if (!proven) throw signInFailed();
    if (now().getTime() - proven.issuedAt > SIGN_IN_PROOF_MS) {
      throw new RecordsError('SIGN_IN_FAILED', `the PIN of ${proof.operator.id} was checked more than ${SIGN_IN_PROOF_MS / 60_000} minutes ago; enter it again.`);
    }
    requireFreshCopy();
    const row = find(proof.operator.id);
    if (!row || row.pin_hash !== proven.pinHash) throw new RecordsError('SIGN_IN_FAILED', `the PIN of ${proof.operator.id} was changed after it was checked; enter it again.`);
    if (row.disabled_at) throw new RecordsError('OPERATOR_DISABLED', `operator ${row.id} is disabled; ask an admin.`);
    if (row.locked_at) throw lockedOut(row.id);
    if (!roles.includes(row.role) || !proven.roles.includes(row.role)) {
      throw roleNotAllowed(row.id, row.role, roles);
    }
    return summary(row);
  }

  function existing(id: string): OperatorRow {
    const row = find(id);
    if (!row) throw new RecordsError('NO_SUCH_OPERATOR', `there is no operator '${displaySafe(id, 32)}'; see lockstep operators list.`);
    return row;
  }

  /** Admins other than `id` who can still sign in; a locked-out admin cannot unlock anyone, itself included. */
  const otherActiveAdmins = (id: string): number =>
    (db.prepare("SELECT COUNT(*) AS n FROM operators WHERE role = 'admin' AND disabled_at IS NULL AND locked_at IS NULL AND id <> ?").get(id) as { n: number }).n;

  return {
    authenticate,
    proveSignIn,
    redeemSignIn,

    /** Whether the operators are its depot's copy, so adding, disabling, enabling, re-PINning and changing roles happen at the depot. */
    managedByDepot: (): boolean => heldCopy() !== undefined,

    isEmpty(): boolean {
      return db.prepare('SELECT 1 FROM operators LIMIT 1').get() === undefined;
    },

    list(): OperatorSummary[] {
      return (db.prepare('SELECT * FROM operators ORDER BY created_at, id').all() as unknown as OperatorRow[]).map(summary);
    },

    get(id: string): OperatorSummary | null {
      const row = find(id);
      return row ? summary(row) : null;
    },

    /** First run: the first operator is the admin, created without anyone to authorise it. */
    createFirstAdmin(input: Omit<NewOperator, 'role'>): OperatorSummary {
      const operator = parseInput(newOperatorSchema, { ...input, role: 'admin' }, 'operator');
      const pinHash = hashPin(operator.pin);
      return inWriteTransaction(db, () => {
        if (db.prepare('SELECT 1 FROM operators LIMIT 1').get()) {
          throw new RecordsError('RECORDS_REFUSED', 'this station already has operators; an admin adds new ones with `lockstep operators add --as ADMIN`.', {
            detail: 'FIRST_ADMIN_EXISTS',
          });
        }
        insert.run(operator.id, operator.displayName, 'admin', pinHash, now().toISOString(), null);
        return summary(existing(operator.id));
      });
    },

    add(admin: Credentials, input: NewOperator): OperatorSummary {
      refuseInDepot('operators are added');
      const operator = parseInput(newOperatorSchema, input, 'operator');
      const by = authenticate(admin, ['admin']);
      const pinHash = hashPin(operator.pin);
      return inWriteTransaction(db, () => {
        if (find(operator.id)) {
          throw new RecordsError('RECORDS_REFUSED', `operator '${operator.id}' already exists; pick another id (disabled operators keep theirs).`, {
            detail: 'OPERATOR_EXISTS',
            params: { operator: operator.id },
          });
        }
        insert.run(operator.id, operator.displayName, operator.role, pinHash, now().toISOString(), by.id);
        journal(operator.id, 'added', by);
        return summary(existing(operator.id));
      });
    },

    disable(admin: Credentials, id: string): OperatorSummary {
      refuseInDepot('operators are disabled');
      const by = authenticate(admin, ['admin']);
      return inWriteTransaction(db, () => {
        const row = existing(id);
        if (row.disabled_at) return summary(row);
        if (row.role === 'admin' && otherActiveAdmins(id) === 0) {
          throw new RecordsError('LAST_ADMIN', `operator ${id} is the last active admin that is not locked out; add or unlock another admin before disabling it.`);
        }
        db.prepare('UPDATE operators SET disabled_at = ?, disabled_by = ? WHERE id = ?').run(now().toISOString(), by.id, id);
        journal(id, 'disabled', by);
        return summary(existing(id));
      });
    },

    /** Lets a disabled operator sign in again, with the PIN and lock-out state it had. */
    enable(admin: Credentials, id: string): OperatorSummary {
      refuseInDepot('operators are enabled');
      const by = authenticate(admin, ['admin']);
      return inWriteTransaction(db, () => {
        const row = existing(id);
        if (!row.disabled_at) return summary(row);
        db.prepare('UPDATE operators SET disabled_at = NULL, disabled_by = NULL WHERE id = ?').run(id);
        journal(id, 'enabled', by);
        return summary(existing(id));
      });
    },

    unlock(admin: Credentials, id: string): OperatorSummary {
      const by = authenticate(admin, ['admin']);
      return inWriteTransaction(db, () => {
        existing(id);
        db.prepare('UPDATE operators SET failed_attempts = 0, locked_at = NULL WHERE id = ?').run(id);
        journal(id, 'unlocked', by);
        return summary(existing(id));
      });
    },

    /** Gives an operator another role; the last admin who can sign in stays one, as disabling it is refused. */
    setRole(admin: Credentials, id: string, role: Role): OperatorSummary {
      refuseInDepot('roles are changed');
      const newRole = parseInput(z.enum(ROLES), role, 'role');
      const by = authenticate(admin, ['admin']);
      return inWriteTransaction(db, () => {
        const row = existing(id);
        if (row.role === newRole) return summary(row);
        if (row.role === 'admin' && !row.disabled_at && otherActiveAdmins(id) === 0) {
          throw new RecordsError('LAST_ADMIN', `operator ${id} is the last active admin that is not locked out; add or unlock another admin before changing its role.`);
        }
        db.prepare('UPDATE operators SET role = ? WHERE id = ?').run(newRole, id);
        journal(id, 'role-changed', by);
        return summary(existing(id));
      });
    },

    /**
     * Gives an operator a new PIN, under the same policy and hashing as a new operator's. The wrong
     * PINs counted against the old one no longer say anything, so the lock-out is cleared with it.
     * An admin may reset its own PIN: it proves the current one, and the new one is typed twice.
     */
    resetPin(admin: Credentials, id: string, pin: string): OperatorSummary {
      refuseInDepot('PINs are reset');
      requireValidPin(pin);
      const by = authenticate(admin, ['admin']);
      const pinHash = hashPin(pin);
      return inWriteTransaction(db, () => {
        existing(id);
        db.prepare('UPDATE operators SET pin_hash = ?, failed_attempts = 0, locked_at = NULL WHERE id = ?').run(pinHash, id);
        journal(id, 'pin-reset', by);
        return summary(existing(id));
      });
    },

    /** In a depot: the changes made there, as this station applied them, oldest first, each with who made it. */
    depotChanges(): { id: number; operatorId: string; change: OperatorChangeKind; madeAt: string; madeBy: string; appliedAt: string }[] {
      const rows = db.prepare('SELECT id, operator_id, change, made_at, made_by, applied_at FROM depot_operator_changes ORDER BY id').all() as {
        id: number;
        operator_id: string;
        change: OperatorChangeKind;
        made_at: string;
        made_by: string;
        applied_at: string;
      }[];
      return rows.map((row) => ({ id: row.id, operatorId: row.operator_id, change: row.change, madeAt: row.made_at, madeBy: row.made_by, appliedAt: row.applied_at }));
    },

    /** The journal of admin changes, newest first: all of them, or one operator's; in a depot, the depot's changes too. */
    changes(operatorId?: string, limit = 200): OperatorChange[] {
      const rows = db
        .prepare(
          `SELECT id, operator_id AS operatorId, change, by_id AS byId, at, 'station' AS madeAt FROM operator_changes WHERE ?1 IS NULL OR operator_id = ?1
           UNION ALL
           SELECT id, operator_id, change, made_by, made_at, 'depot' FROM depot_operator_changes WHERE ?1 IS NULL OR operator_id = ?1
           ORDER BY at DESC, id DESC LIMIT ?2`,
        )
        .all(operatorId ?? null, limit);
      return rows.map((row) => ({ ...row }) as unknown as OperatorChange);
    },
  };
}
