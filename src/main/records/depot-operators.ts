// Operators managed at a depot (docs/depot.md, "Operators"). Once a station has copied its depot's
// operators, they are the depot's: each change made there (with who made it) is applied here in
// order, to the same operators table sign-in reads, and journaled. The copy serves sign-in while the
// depot is unreachable for at most the age the depot sets (operators.ts enforces it, and refuses
// changes made at the station).
import type { DatabaseSync } from 'node:sqlite';
import { z } from 'zod';
import { OPERATOR_CHANGE_KINDS } from '../../shared/api.ts';
import type { OperatorClashResolution } from '../../shared/depot.ts';
import { ROLES, type Role } from '../../shared/records.ts';
import { RecordsError, roleNotAllowed } from './errors.ts';
import { operatorIdSchema, plainTextSchema } from './operators.ts';
import { inWriteTransaction } from './transactions.ts';
import { displaySafe } from '../../shared/untrusted.ts';

/** One change made at the depot, with the operator's whole state after it; hostile until parsed. */
export const depotOperatorChangeSchema = z.strictObject({
  id: z.int().positive(),
  operatorId: operatorIdSchema,
  change: z.enum(OPERATOR_CHANGE_KINDS),
  displayName: plainTextSchema('a display name', 80),
  role: z.enum(ROLES),
  pinHash: z.string().max(256).regex(/^scrypt\$[0-9]{1,10}\$[0-9]{1,3}\$[0-9]{1,3}\$[A-Za-z0-9+/=]{1,64}\$[A-Za-z0-9+/=]{1,128}$/),
  disabled: z.boolean(),
  madeAt: z.iso.datetime({ offset: true }),
  /** The PostgreSQL login of the administrator who made it, or the admin and the station it was made from (`admin.li@bench1`). */
  madeBy: z.string().regex(/^[A-Za-z0-9_.@-]{1,96}$/),
});
export type DepotOperatorChange = z.infer<typeof depotOperatorChangeSchema>;

/** One of the station's own operators, as the join's offer compares it with the depot's. */
export interface OwnOperator {
  readonly id: string;
  readonly displayName: string;
  readonly role: Role;
  readonly pinHash: string;
  readonly disabled: boolean;
}

/** What the station's copy of the depot's operators is, or null before its first copy. */
export interface DepotOperatorCopy {
  readonly lastChangeId: number;
  readonly confirmedAt: string;
  readonly offlineSignInS: number;
}

export function createDepotOperators(db: DatabaseSync, now: () => Date) {
  const copyRow = db.prepare('SELECT confirmed_at, offline_sign_in_s FROM depot_operator_copy WHERE id = 1');
  const lastChange = db.prepare('SELECT coalesce(max(id), 0) AS id FROM depot_operator_changes');
  const saveCopy = db.prepare(
    `INSERT INTO depot_operator_copy (id, confirmed_at, offline_sign_in_s) VALUES (1, ?, ?)
     ON CONFLICT (id) DO UPDATE SET confirmed_at = excluded.confirmed_at, offline_sign_in_s = excluded.offline_sign_in_s`,
  );
  // The station's own operators: none of the depot's changes applied to them, no clash resolved for them.
  const own = `NOT EXISTS (SELECT 1 FROM depot_operator_changes c WHERE c.operator_id = o.id)
    AND NOT EXISTS (SELECT 1 FROM depot_operator_resolutions r WHERE r.operator_id = o.id)`;
  const localOperator = db.prepare(`SELECT o.display_name, o.role, o.pin_hash, ${own} AS own FROM operators o WHERE o.id = ?`);
  const ownOperators = db.prepare(`SELECT o.id, o.display_name, o.role, o.pin_hash, o.disabled_at IS NOT NULL AS disabled FROM operators o WHERE ${own} ORDER BY o.id`);
  const insertOperator = db.prepare('INSERT INTO operators (id, display_name, role, pin_hash, created_at, created_by, disabled_at) VALUES (?, ?, ?, ?, ?, NULL, ?)');
  // A disable keeps the time it first took effect; a PIN reset or an unlock clears the station's lock-out.
  const updateOperator = db.prepare(
    `UPDATE operators SET display_name = ?2, role = ?3, pin_hash = ?4,
       disabled_at = CASE WHEN ?5 THEN coalesce(disabled_at, ?6) ELSE NULL END, disabled_by = NULL,
       failed_attempts = CASE WHEN ?7 THEN 0 ELSE failed_attempts END, locked_at = CASE WHEN ?7 THEN NULL ELSE locked_at END
     WHERE id = ?1`,
  );
  const journal = db.prepare(
    `INSERT INTO depot_operator_changes (id, operator_id, change, display_name, role, pin_hash, disabled, made_at, made_by, applied_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );

  function copy(): DepotOperatorCopy | null {
    const row = copyRow.get() as { confirmed_at: string; offline_sign_in_s: number } | undefined;
    if (!row) return null;
    return { lastChangeId: (lastChange.get() as { id: number }).id, confirmedAt: row.confirmed_at, offlineSignInS: row.offline_sign_in_s };
  }

  function applyOne(change: DepotOperatorChange): void {
    const disabledAt = change.disabled ? change.madeAt : null;
    const local = localOperator.get(change.operatorId) as { display_name: string; role: string; pin_hash: string; own: number } | undefined;
    // The station's own operator of that id is taken over only if the depot's is the same person (the
    // same name, role and PIN hash: one this station offered), or once an admin resolved the clash;
    // anyone else under that id is a clash for a person to resolve.
    if (local?.own && (local.display_name !== change.displayName || local.role !== change.role || local.pin_hash !== change.pinHash)) {
      throw new RecordsError(
        'OPERATOR_CLASH',
        `operator ${change.operatorId} exists on this station and the depot added another operator under that id (another name, role or PIN); ` +
          "nothing of the depot's operators was applied. A station admin resolves it: keep the depot's operator or rename the station's " +
          '(lockstep depot resolve-operator, or Settings → Depot).',
        { params: { operator: change.operatorId } },
      );
    }
    if (!local) {
      insertOperator.run(change.operatorId, change.displayName, change.role, change.pinHash, change.madeAt, disabledAt);
    } else {
      const clearsLockOut = change.change === 'pin-reset' || change.change === 'unlocked' ? 1 : 0;
      updateOperator.run(change.operatorId, change.displayName, change.role, change.pinHash, change.disabled ? 1 : 0, change.madeAt, clearsLockOut);
    }
    const at = now().toISOString();
    journal.run(change.id, change.operatorId, change.change, change.displayName, change.role, change.pinHash, change.disabled ? 1 : 0, change.madeAt, change.madeBy, at);
  }

  return {
    copy,

    /** The station's own operators (PIN hashes included, for comparing with the depot's; never shown). */
    ownOperators(): OwnOperator[] {
      return (ownOperators.all() as { id: string; display_name: string; role: Role; pin_hash: string; disabled: number }[]).map((row) => ({
        id: row.id,
        displayName: row.display_name,
        role: row.role,
        pinHash: row.pin_hash,
        disabled: row.disabled === 1,
      }));
    },

    /**
     * An admin's resolution of a clash over one of the station's own operators: the depot's operator
     * takes the id over with the next copy, or (rename) the station's person goes on under `renameTo`,
     * same name, role and PIN, and the depot's takes the old id. Journaled with who resolved it.
     */
    resolveClash(byAdmin: string, operatorId: string, resolution: OperatorClashResolution, renameTo: string | null): void {
      inWriteTransaction(db, () => {
        const admin = db.prepare('SELECT role FROM operators WHERE id = ? AND disabled_at IS NULL').get(byAdmin) as { role: Role } | undefined;
        const who = displaySafe(byAdmin, 64);
        if (!admin) throw new RecordsError('RECORDS_REFUSED', `operator '${who}' does not exist or is disabled.`, { detail: 'OPERATOR_NOT_ACTIVE', params: { operator: who } });
        if (admin.role !== 'admin') throw roleNotAllowed(who, admin.role, ['admin']);
        const local = localOperator.get(operatorId) as { display_name: string; role: Role; pin_hash: string; own: number } | undefined;
        if (!local?.own) {
          throw new RecordsError('RECORDS_REFUSED', `operator ${operatorId} is not one of this station's own operators awaiting a resolution.`, {
            detail: 'NO_CLASH_TO_RESOLVE',
            params: { operator: displaySafe(operatorId, 64) },
          });
        }
        const at = now().toISOString();
        let newId: string | null = null;
        if (resolution === 'rename') {
          const parsed = operatorIdSchema.safeParse(renameTo);
          if (!parsed.success) {
            throw new RecordsError('RECORDS_REFUSED', `the new id is not valid: ${parsed.error.issues[0]?.message ?? 'invalid'}`, {
              detail: 'OPERATOR_ID_INVALID',
              params: { operator: displaySafe(String(renameTo), 64) },
            });
          }
          newId = parsed.data;
          if (db.prepare('SELECT 1 FROM operators WHERE id = ?').get(newId)) {
            throw new RecordsError('RECORDS_REFUSED', `operator ${newId} already exists on this station; pick another id.`, { detail: 'OPERATOR_EXISTS', params: { operator: newId } });
          }
          db.prepare('INSERT INTO operators (id, display_name, role, pin_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)').run(
            newId,
            local.display_name,
            local.role,
            local.pin_hash,
            at,
            byAdmin,
          );
          db.prepare("INSERT INTO operator_changes (operator_id, change, by_id, at) VALUES (?, 'added', ?, ?)").run(newId, byAdmin, at);
        }
        db.prepare('INSERT INTO depot_operator_resolutions (operator_id, resolution, renamed_to, resolved_by, resolved_at) VALUES (?, ?, ?, ?, ?)').run(
          operatorId,
          resolution === 'rename' ? 'renamed' : 'depot',
          newId,
          byAdmin,
          at,
        );
      });
    },

    /**
     * Applies the depot's changes after the last one applied, in order, and confirms the copy as of
     * now: the depot was just asked and this is all it holds. One transaction, so a half-applied list
     * is never signed in against.
     */
    apply(changes: readonly unknown[], offlineSignInS: number): number {
      const parsed = changes.map((change, index) => {
        const result = depotOperatorChangeSchema.safeParse(change);
        if (!result.success) {
          throw new RecordsError('RECORDS_REFUSED', `the depot's operator change ${index + 1} is not valid: ${result.error.issues[0]?.message ?? 'invalid'}`, {
            detail: 'DEPOT_CHANGE_INVALID',
            params: { index: String(index + 1) },
          });
        }
        return result.data;
      });
      if (!Number.isInteger(offlineSignInS) || offlineSignInS <= 0) {
        throw new RecordsError('RECORDS_REFUSED', "the depot's offline sign-in age is not a positive number of seconds", { detail: 'DEPOT_SIGN_IN_AGE_INVALID' });
      }
      return inWriteTransaction(db, () => {
        let applied = 0;
        let last = (lastChange.get() as { id: number }).id;
        for (const change of parsed) {
          if (change.id <= last) continue;
          applyOne(change);
          last = change.id;
          applied += 1;
        }
        saveCopy.run(now().toISOString(), offlineSignInS);
        return applied;
      });
    },
  };
}

export type DepotOperators = ReturnType<typeof createDepotOperators>;
