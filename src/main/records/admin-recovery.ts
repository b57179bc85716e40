// Recovery of a locked-out admin without a PIN. Five wrong PINs, which anyone at the keyboard can
// type, lock an admin out, and a station whose only admin is locked has nobody left to unlock it.
// Whoever can read the station's private key file already controls the station (they can copy,
// replace or rewrite its files), so proving possession of that key adds no new power: the caller
// signs a fresh challenge with the key file as it is now, and the signature must verify against
// the public key the database holds. Each recovery is recorded, append-only, with who (the OS
// account and host), when, why, the admin's state before, and the signed challenge, which an
// auditor can check against the station's public key.
import { describeFailure } from '../../shared/describe-failure.ts';
import { randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import type { DatabaseSync } from 'node:sqlite';
import { z } from 'zod';
import { displaySafe } from '../../shared/untrusted.ts';
import { canonicalJson } from './canonical-json.ts';
import { RecordsError } from './errors.ts';
import { operatorIdSchema, plainTextSchema } from './operators.ts';
import { publicKeyFromRaw, readKeyFile } from './station-identity.ts';
import { inWriteTransaction } from './transactions.ts';
import { parseInput } from './validation.ts';

export const adminRecoverySchema = z.strictObject({
  adminId: operatorIdSchema,
  reason: plainTextSchema('a reason', 500),
});

export interface AdminRecovery {
  readonly id: number;
  readonly operatorId: string;
  readonly at: string;
  /** The OS account that ran the recovery, and the machine. */
  readonly osUser: string;
  readonly host: string;
  readonly reason: string;
  readonly failedAttemptsBefore: number;
  readonly lockedAtBefore: string | null;
  /** Canonical JSON of {adminId, at, nonce, purpose:"lockstep-admin-recovery"}, signed by the station key. */
  readonly challenge: string;
  /** Ed25519 signature (base64) of the challenge's UTF-8 bytes. */
  readonly signature: string;
}

// Selected under the field names of AdminRecovery, so a row is the value itself.
const SELECT_RECOVERY = `SELECT id, operator_id AS operatorId, at, os_user AS osUser, host, reason, failed_attempts_before AS failedAttemptsBefore,
  locked_at_before AS lockedAtBefore, challenge, signature FROM admin_recoveries`;

/** The account a person logged in as; a uid without a passwd entry is named by its number. */
function osAccount(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? 'unknown'}`;
  }
}

function stationKey(keyPath: string): KeyObject {
  try {
    return readKeyFile(keyPath);
  } catch (error) {
    if (error instanceof RecordsError) throw error;
    throw new RecordsError(
      'RECORDS_REFUSED',
      `cannot read the station key ${displaySafe(keyPath)} (${describeFailure(error)}); ` +
        "recovery needs the station's own key file: run it as the account that runs the station, on the station.",
      { detail: 'RECOVERY_KEY_UNREADABLE', params: { file: displaySafe(keyPath) } },
    );
  }
}

export function createAdminRecovery(db: DatabaseSync, keyPath: string, now: () => Date) {
  return {
    /** Unlocks an admin without its PIN, for someone who proves possession of the station key. */
    recover(input: z.input<typeof adminRecoverySchema>): AdminRecovery {
      const request = parseInput(adminRecoverySchema, input, 'admin recovery');
      const key = stationKey(keyPath);
      return inWriteTransaction(db, () => {
        const at = now().toISOString();
        const challenge = canonicalJson({ adminId: request.adminId, at, nonce: randomBytes(32).toString('base64'), purpose: 'lockstep-admin-recovery' });
        const signature = sign(null, Buffer.from(challenge, 'utf8'), key);
        const stored = db.prepare('SELECT public_key, fingerprint FROM station_identity WHERE id = 1').get() as { public_key: string; fingerprint: string } | undefined;
        if (!stored || !verify(null, Buffer.from(challenge, 'utf8'), publicKeyFromRaw(stored.public_key), signature)) {
          throw new RecordsError(
            'RECORDS_REFUSED',
            `the key file ${displaySafe(keyPath)} is not the key of this station (${stored?.fingerprint ?? 'no identity'}); ` +
              "recovery needs the station's own key file.",
            { detail: 'RECOVERY_FOREIGN_KEY', params: { file: displaySafe(keyPath) } },
          );
        }
        const admin = db.prepare('SELECT role, disabled_at, failed_attempts, locked_at FROM operators WHERE id = ?').get(request.adminId) as
          | { role: string; disabled_at: string | null; failed_attempts: number; locked_at: string | null }
          | undefined;
        const operator = request.adminId;
        if (!admin) throw new RecordsError('RECORDS_REFUSED', `there is no operator '${operator}'; see lockstep operators list.`, { detail: 'OPERATOR_UNKNOWN', params: { operator } });
        if (admin.role !== 'admin') {
          throw new RecordsError('RECORDS_REFUSED', `operator ${operator} is a ${admin.role}; recovery is only for admins, an admin unlocks it with lockstep operators unlock.`, {
            detail: 'RECOVERY_NOT_ADMIN',
            params: { operator, role: admin.role },
          });
        }
        if (admin.disabled_at) {
          throw new RecordsError('RECORDS_REFUSED', `operator ${operator} is disabled; recovery unlocks admins, it does not enable them.`, {
            detail: 'RECOVERY_ADMIN_DISABLED',
            params: { operator },
          });
        }
        if (admin.locked_at === null && admin.failed_attempts === 0) {
          throw new RecordsError('RECORDS_REFUSED', `admin ${operator} is not locked out and has no failed PINs; nothing to recover.`, { detail: 'RECOVERY_NOT_NEEDED', params: { operator } });
        }
        db.prepare('UPDATE operators SET failed_attempts = 0, locked_at = NULL WHERE id = ?').run(request.adminId);
        const { lastInsertRowid } = db
          .prepare(
            `INSERT INTO admin_recoveries (operator_id, at, os_user, host, reason, failed_attempts_before, locked_at_before, challenge, signature)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(request.adminId, at, osAccount(), hostname(), request.reason, admin.failed_attempts, admin.locked_at, challenge, signature.toString('base64'));
        return { ...db.prepare(`${SELECT_RECOVERY} WHERE id = ?`).get(lastInsertRowid) } as unknown as AdminRecovery;
      });
    },

    list(): AdminRecovery[] {
      return db.prepare(`${SELECT_RECOVERY} ORDER BY id`).all().map((row) => ({ ...row }) as unknown as AdminRecovery);
    },
  };
}
