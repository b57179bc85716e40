// Supervisor authorisations for the irreversible steps of a batch (fuse, lock), and the question
// the pipeline asks before each such step. An authorised answer reserves one of the
// authorisation's device slots for that device in the same transaction, so two handsets asking at
// once cannot both take the last slot; asking again for the same device reuses its slot. Only a
// device registered in the batch can take a slot.
import type { DatabaseSync } from 'node:sqlite';
import { z } from 'zod';
import type { AuthorisationDecision, AuthorisationSummary, IrreversibleStep, OperatorSummary } from '../../shared/records.ts';
import { bundleHashSchema, fuseNameSchema } from '../../shared/identifiers.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { noSuchBatch, RecordsError } from './errors.ts';
import type { Credentials, Operators, SignInProof } from './operators.ts';
import { inWriteTransaction } from './transactions.ts';
import { parseInput } from './validation.ts';


export const newAuthorisationSchema = z.strictObject({
  batchId: z.int().positive(),
  fuses: z.array(fuseNameSchema).max(64),
  lock: z.boolean(),
  bundleHash: bundleHashSchema,
  deviceCap: z.int().positive().max(100_000),
  expiresAt: z.iso.datetime(),
});
export type NewAuthorisation = z.infer<typeof newAuthorisationSchema>;

/** The pipeline's question; the answer is taken on the station's clock, never on a time it passes. */
export const authorisationQuerySchema = z.strictObject({
  batchId: z.int().positive(),
  serial: z.string(),
  step: z.enum(['fuse', 'lock']),
  /** For step 'fuse': the fuse names about to be burned. */
  fuses: z.array(z.string()).readonly().optional(),
  bundleHash: bundleHashSchema,
});
export type AuthorisationQuery = z.input<typeof authorisationQuerySchema>;

interface AuthorisationRow {
  id: number;
  batch_id: number;
  supervisor_id: string;
  fuses_json: string;
  lock: number;
  bundle_hash: string;
  device_cap: number;
  created_at: string;
  expires_at: string;
  devices_used: number;
  supervisor_disabled: number;
}

function summary(row: AuthorisationRow): AuthorisationSummary {
  return {
    id: row.id,
    batchId: row.batch_id,
    supervisorId: row.supervisor_id,
    fuses: JSON.parse(row.fuses_json) as string[],
    lock: row.lock === 1,
    bundleHash: row.bundle_hash,
    deviceCap: row.device_cap,
    devicesUsed: row.devices_used,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

/** Why `row` does not cover the query at time `at`, or null if it does. */
function refusal(row: AuthorisationSummary, supervisorDisabled: boolean, query: AuthorisationQuery, at: string, alreadyCounted: boolean): string | null {
  if (supervisorDisabled) return `authorisation ${row.id} was given by ${row.supervisorId}, who has since been disabled; a supervisor must authorise the batch again`;
  if (at < row.createdAt) return `authorisation ${row.id} starts at ${row.createdAt}, after ${at}`;
  if (at >= row.expiresAt) return `authorisation ${row.id} expired at ${row.expiresAt}; a supervisor must authorise the batch again`;
  if (row.bundleHash !== query.bundleHash) return `authorisation ${row.id} covers bundle ${row.bundleHash}, not ${query.bundleHash}`;
  if (query.step === 'lock' && !row.lock) return `authorisation ${row.id} does not authorise locking the bootloader`;
  if (query.step === 'fuse') {
    const requested = query.fuses ?? [];
    if (requested.length === 0) return 'a fuse step must name the fuses it burns';
    const missing = requested.filter((fuse) => !row.fuses.includes(fuse));
    if (missing.length > 0) return `authorisation ${row.id} does not authorise fuse(s) ${missing.join(', ')}`;
  }
  if (!alreadyCounted && row.devicesUsed >= row.deviceCap) return `authorisation ${row.id} has reached its cap of ${row.deviceCap} devices`;
  return null;
}

/**
 * Why a stored step or record may not cite `authorisationId` for this device, or null if it may:
 * `isAuthorised` must have granted it to this serial in this batch and, for a step, it must cover
 * that step (a fuse-only authorisation does not make a lock authorised).
 */
export function citationRefusal(
  db: DatabaseSync,
  authorisationId: number,
  device: { batchId: number; serial: string },
  step?: IrreversibleStep,
): RecordsError | null {
  const granted = db
    .prepare(
      'SELECT a.lock, a.fuses_json FROM authorisation_uses u JOIN authorisations a ON a.id = u.authorisation_id WHERE u.authorisation_id = ? AND u.serial = ? AND a.batch_id = ?',
    )
    .get(authorisationId, device.serial, device.batchId) as { lock: number; fuses_json: string } | undefined;
  const authorisation = String(authorisationId);
  if (!granted) {
    const serial = displaySafe(device.serial, 64);
    return new RecordsError('RECORDS_REFUSED', `authorisation ${authorisationId} was not granted to device ${serial}; ask isAuthorised before an irreversible step.`, {
      detail: 'AUTHORISATION_NOT_GRANTED',
      params: { authorisation, serial },
    });
  }
  if (step === 'lock' && granted.lock !== 1) {
    return new RecordsError('RECORDS_REFUSED', `authorisation ${authorisationId} does not authorise locking the bootloader.`, {
      detail: 'AUTHORISATION_NO_LOCK',
      params: { authorisation },
    });
  }
  if (step === 'fuse' && (JSON.parse(granted.fuses_json) as string[]).length === 0) {
    return new RecordsError('RECORDS_REFUSED', `authorisation ${authorisationId} does not authorise burning fuses.`, {
      detail: 'AUTHORISATION_NO_FUSES',
      params: { authorisation },
    });
  }
  return null;
}

export function createAuthorisations(db: DatabaseSync, operators: Operators, now: () => Date) {
  const select = `SELECT a.*, (SELECT COUNT(*) FROM authorisation_uses u WHERE u.authorisation_id = a.id) AS devices_used,
    (SELECT o.disabled_at IS NOT NULL FROM operators o WHERE o.id = a.supervisor_id) AS supervisor_disabled FROM authorisations a`;
  const forBatch = db.prepare(`${select} WHERE a.batch_id = ? ORDER BY a.id DESC`);
  const byId = db.prepare(`${select} WHERE a.id = ?`);
  const registered = db.prepare('SELECT 1 FROM devices WHERE batch_id = ? AND serial = ?');
  const used = db.prepare('SELECT 1 FROM authorisation_uses WHERE authorisation_id = ? AND serial = ?');
  const use = db.prepare('INSERT INTO authorisation_uses (authorisation_id, serial, first_used_at) VALUES (?, ?, ?)');

  return {
    /**
     * A supervisor (or admin) authorises the irreversible steps of a batch: with their PIN, or with the
     * proof (`operators.proveSignIn`) that they typed it a moment ago, redeemed in the authorisation's
     * own transaction, so the PIN is hashed once per start.
     */
    authorise(supervisor: Credentials | SignInProof, input: NewAuthorisation): AuthorisationSummary {
      const request = parseInput(newAuthorisationSchema, input, 'authorisation');
      const roles = ['supervisor', 'admin'] as const;
      // A PIN costs an scrypt, so it is checked before the transaction; a proof is redeemed inside it.
      let signer: () => OperatorSummary;
      if ('pin' in supervisor) {
        const by = operators.authenticate(supervisor, roles);
        signer = () => by;
      } else signer = () => operators.redeemSignIn(supervisor, roles);
      const createdAt = now().toISOString();
      const expiresAt = new Date(request.expiresAt).toISOString();
      if (expiresAt <= createdAt) {
        throw new RecordsError('RECORDS_REFUSED', `the expiry ${request.expiresAt} is already past; choose a later one.`, { detail: 'EXPIRY_PAST', params: { expiry: expiresAt } });
      }
      return inWriteTransaction(db, () => {
        const by = signer();
        const batch = db.prepare('SELECT bundle_hash FROM batches WHERE id = ?').get(request.batchId) as { bundle_hash: string } | undefined;
        if (!batch) throw noSuchBatch(request.batchId);
        if (batch.bundle_hash !== request.bundleHash) {
          throw new RecordsError('RECORDS_REFUSED', `batch ${request.batchId} flashes bundle ${batch.bundle_hash}, not ${request.bundleHash}; authorise the batch's own bundle.`, {
            detail: 'OTHER_BUNDLE',
            params: { batch: String(request.batchId), bundle: batch.bundle_hash, requested: request.bundleHash },
          });
        }
        const { lastInsertRowid } = db
          .prepare(
            'INSERT INTO authorisations (batch_id, supervisor_id, fuses_json, lock, bundle_hash, device_cap, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          )
          .run(request.batchId, by.id, JSON.stringify([...new Set(request.fuses)]), request.lock ? 1 : 0, request.bundleHash, request.deviceCap, createdAt, expiresAt);
        return summary(byId.get(lastInsertRowid) as unknown as AuthorisationRow);
      });
    },

    /**
     * Whether the irreversible `step` may run on this device now. Tries the batch's authorisations
     * newest first; when none covers the step, the reason given is the newest one's.
     */
    isAuthorised(input: AuthorisationQuery): AuthorisationDecision {
      const query = parseInput(authorisationQuerySchema, input, 'authorisation query');
      return inWriteTransaction(db, () => {
        const at = now().toISOString();
        // Only a handset the batch has identified may take a slot: a mistyped or hostile serial
        // would otherwise use up the cap and lock real handsets out.
        if (registered.get(query.batchId, query.serial) === undefined) {
          return {
            authorised: false,
            reason: `device ${displaySafe(query.serial, 64)} is not registered in batch ${query.batchId}; register it (identify step) before asking to run ${query.step} on it`,
          };
        }
        const rows = forBatch.all(query.batchId) as unknown as AuthorisationRow[];
        if (rows.length === 0) return { authorised: false, reason: `batch ${query.batchId} has no supervisor authorisation` };
        let firstReason: string | null = null;
        for (const row of rows) {
          const counted = used.get(row.id, query.serial) !== undefined;
          const reason = refusal(summary(row), row.supervisor_disabled === 1, query, at, counted);
          if (reason === null) {
            if (!counted) use.run(row.id, query.serial, at);
            return { authorised: true, authorisationId: row.id };
          }
          firstReason ??= reason;
        }
        return { authorised: false, reason: firstReason ?? 'not authorised' };
      });
    },

    get(id: number): AuthorisationSummary | null {
      const row = byId.get(id) as AuthorisationRow | undefined;
      return row ? summary(row) : null;
    },

    listForBatch(batchId: number): AuthorisationSummary[] {
      return (forBatch.all(batchId) as unknown as AuthorisationRow[]).map(summary);
    },
  };
}

export type Authorisations = ReturnType<typeof createAuthorisations>;
