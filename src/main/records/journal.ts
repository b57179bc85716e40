// The working journal of the station: batches, the devices seen in each, every step event, and
// the labels printed. Step events and labels are append-only (the schema's triggers refuse changes);
// an irreversible step's event carries the authorisation decision it ran under.
import type { DatabaseSync } from 'node:sqlite';
import { z } from 'zod';
import {
  batchSchema,
  isIrreversible,
  STEP_NAMES,
  STEP_STATUSES,
  type AuthorisationDecision,
  type BatchSummary,
  type StepEvent,
  type StepName,
  type StepStatus,
} from '../../shared/records.ts';
import { FAILURE_CODES } from '../../shared/failures.ts';
import { stepDataSchema, type StepData, type StepEventFacts } from '../../shared/step-events.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { citationRefusal } from './authorisations.ts';
import { noSuchBatch, noSuchDevice, RecordsError } from './errors.ts';
import { createTagLeases } from './tag-leases.ts';
import { inUnsyncedWriteTransaction, inWriteTransaction } from './transactions.ts';
import { parseInput } from './validation.ts';

/**
 * A refused authorisation means the step must not run, so its event can only say the step did not
 * happen (skipped) or could not be completed (failed); never that it started or passed.
 */
const STATUSES_UNDER_REFUSAL: readonly StepStatus[] = ['skipped', 'failed'];

const decisionSchema = z.union([
  z.strictObject({ authorised: z.literal(true), authorisationId: z.int().positive() }),
  z.strictObject({ authorised: z.literal(false), reason: z.string().min(1) }),
]);

/** Opening a batch: the journal numbers it and stamps its start. */
export const newBatchSchema = batchSchema.omit({ id: true, startedAt: true }).extend({ assetTagPattern: batchSchema.shape.assetTagPattern.default(null) });

export const newDeviceSchema = z.strictObject({
  batchId: z.int().positive(),
  serial: z.string(),
  /** The identify step's readback ("before" state), values exactly as the handset sent them. */
  identity: z.record(z.string(), z.string().nullable()),
});

export const newStepEventSchema = z
  .strictObject({
    deviceId: z.int().positive(),
    step: z.enum(STEP_NAMES),
    status: z.enum(STEP_STATUSES),
    /** Required for a failed step; a skipped one names why it did not run (NOT_AUTHORISED) or nothing. */
    code: z.enum(FAILURE_CODES).nullable().default(null),
    /** Checked against the step's schema for this status (src/shared/step-events.ts). */
    data: z.unknown(),
    detail: z.string().nullable().default(null),
    operatorId: z.string(),
    authorisation: decisionSchema.nullable().default(null),
  })
  .superRefine((event, context) => {
    if (event.status === 'failed' && event.code === null) context.addIssue({ code: 'custom', path: ['code'], message: 'a failed step names its failure code' });
    if ((event.status === 'started' || event.status === 'passed') && event.code !== null) {
      context.addIssue({ code: 'custom', path: ['code'], message: `a ${event.status} step carries no failure code` });
    }
    const data = stepDataSchema(event.step, event.status).safeParse(event.data ?? null);
    for (const issue of data.error?.issues ?? []) context.addIssue({ ...issue, path: ['data', ...issue.path] } as z.core.$ZodRawIssue);
  });

/** What the pipeline journals: the step, status and data typed together, checked again against the schema at run time. */
export type NewStepEvent = StepEventFacts & Omit<z.input<typeof newStepEventSchema>, 'step' | 'status' | 'data'>;

export interface DeviceEntry {
  readonly id: number;
  readonly batchId: number;
  readonly serial: string;
  readonly identity: Readonly<Record<string, string | null>>;
  readonly registeredAt: string;
}

interface StepRow {
  id: number;
  device_id: number;
  step: StepEvent['step'];
  status: StepEvent['status'];
  code: string | null;
  data_json: string | null;
  unconverted: number;
  detail: string | null;
  operator_id: string;
  at: string;
  authorised: number | null;
  authorisation_id: number | null;
  authorisation_reason: string | null;
}

function stepEvent(row: StepRow): StepEvent {
  const authorisation: AuthorisationDecision | null =
    row.authorised === null
      ? null
      : row.authorised === 1
        ? { authorised: true, authorisationId: row.authorisation_id ?? 0 }
        : { authorised: false, reason: row.authorisation_reason ?? '' };
  return {
    id: row.id,
    deviceId: row.device_id,
    step: row.step,
    status: row.status,
    code: row.code,
    data: storedData(row),
    unconverted: row.unconverted === 1,
    detail: row.detail,
    operatorId: row.operator_id,
    at: row.at,
    authorisation,
  };
}

/**
 * The event's data, checked again on the way out: the file is only as trustworthy as whoever last
 * wrote it. Data that does not fit its schema is reported, never guessed at.
 */
function storedData(row: StepRow): StepData {
  if (row.unconverted === 1 || row.data_json === null) return null;
  const parsed = stepDataSchema(row.step, row.status).safeParse(JSON.parse(row.data_json));
  if (!parsed.success) {
    throw new RecordsError('RECORDS_REFUSED', `step event ${row.id} (${row.step} ${row.status}) holds data that does not fit its schema; the journal was altered.`, {
      detail: 'STEP_EVENT_ALTERED',
      params: { event: String(row.id), step: row.step, status: row.status },
    });
  }
  return parsed.data as StepData;
}

interface BatchRow {
  id: number;
  name: string;
  product: string;
  bundle_hash: string;
  bundle_version: string;
  operator_id: string;
  started_at: string;
  asset_tag_pattern: string | null;
}

function batchSummary(row: BatchRow): BatchSummary {
  return {
    id: row.id,
    name: row.name,
    product: row.product,
    bundleHash: row.bundle_hash,
    bundleVersion: row.bundle_version,
    operatorId: row.operator_id,
    startedAt: row.started_at,
    assetTagPattern: row.asset_tag_pattern,
  };
}

export function createJournal(db: DatabaseSync, now: () => Date) {
  const batchById = db.prepare('SELECT * FROM batches WHERE id = ?');
  const deviceById = db.prepare('SELECT * FROM devices WHERE id = ?');
  const deviceBySerial = db.prepare('SELECT * FROM devices WHERE batch_id = ? AND serial = ?');
  const tagLeases = createTagLeases(db, now);
  /** A batch that tags its handsets uses the depot's pattern once the station draws tags from a depot. */
  const tagPatternOf = (asked: string | null): string | null => (asked === null ? null : (tagLeases.depotPattern() ?? asked));

  function requireActiveOperator(id: string): void {
    const row = db.prepare('SELECT disabled_at FROM operators WHERE id = ?').get(id) as { disabled_at: string | null } | undefined;
    if (!row) throw new RecordsError('RECORDS_REFUSED', `there is no operator '${displaySafe(id, 32)}'.`, { detail: 'OPERATOR_UNKNOWN', params: { operator: displaySafe(id, 32) } });
    if (row.disabled_at) {
      throw new RecordsError('RECORDS_REFUSED', `operator ${id} is disabled and cannot work on handsets.`, { detail: 'OPERATOR_DISABLED_FOR_WORK', params: { operator: id } });
    }
  }

  function device(row: Record<string, unknown>): DeviceEntry {
    return {
      id: row.id as number,
      batchId: row.batch_id as number,
      serial: row.serial as string,
      identity: JSON.parse(row.identity_json as string) as Record<string, string | null>,
      registeredAt: row.registered_at as string,
    };
  }

  function requireDevice(id: number): DeviceEntry {
    const row = deviceById.get(id);
    if (!row) throw noSuchDevice(id);
    return device(row);
  }

  /**
   * An authorised decision must be one `isAuthorised` issued for this device, covering this step;
   * a refused one can only accompany a step that did not run.
   */
  function checkDecision(target: DeviceEntry, step: StepName, status: StepStatus, decision: AuthorisationDecision): void {
    if (!decision.authorised) {
      if (STATUSES_UNDER_REFUSAL.includes(status)) return;
      throw new RecordsError(
        'RECORDS_REFUSED',
        `a ${step} step cannot be recorded as ${status}: its authorisation was refused (${displaySafe(decision.reason, 200)}). The step must not run; record it as ${STATUSES_UNDER_REFUSAL.join(' or ')}.`,
        { detail: 'STEP_UNDER_REFUSAL', params: { step, status } },
      );
    }
    const refusal = citationRefusal(db, decision.authorisationId, target, isIrreversible(step) ? step : undefined);
    if (refusal) throw refusal;
  }

  return {
    startBatch(input: z.input<typeof newBatchSchema>): BatchSummary {
      const batch = parseInput(newBatchSchema, input, 'batch');
      requireActiveOperator(batch.operatorId);
      return inWriteTransaction(db, () => {
        const { lastInsertRowid } = db
          .prepare('INSERT INTO batches (name, product, bundle_hash, bundle_version, operator_id, started_at, asset_tag_pattern) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(batch.name, batch.product, batch.bundleHash, batch.bundleVersion, batch.operatorId, now().toISOString(), tagPatternOf(batch.assetTagPattern));
        return batchSummary(batchById.get(lastInsertRowid) as unknown as BatchRow);
      });
    },

    getBatch(id: number): BatchSummary | null {
      const row = batchById.get(id) as BatchRow | undefined;
      return row ? batchSummary(row) : null;
    },

    listBatches(): BatchSummary[] {
      return (db.prepare('SELECT * FROM batches ORDER BY id').all() as unknown as BatchRow[]).map(batchSummary);
    },

    /**
     * Registers a handset in a batch; a handset that comes back (reconnect, restart) gets its entry
     * back. Committed like a step event (no fsync here): it precedes the handset's step events and
     * goes to stable storage with them, before any irreversible step.
     */
    registerDevice(input: z.input<typeof newDeviceSchema>): DeviceEntry {
      const entry = parseInput(newDeviceSchema, input, 'device');
      return inUnsyncedWriteTransaction(db, () => {
        const known = deviceBySerial.get(entry.batchId, entry.serial);
        if (known) return device(known);
        if (!batchById.get(entry.batchId)) throw noSuchBatch(entry.batchId);
        const { lastInsertRowid } = db
          .prepare('INSERT INTO devices (batch_id, serial, identity_json, registered_at) VALUES (?, ?, ?, ?)')
          .run(entry.batchId, entry.serial, JSON.stringify(entry.identity), now().toISOString());
        return device(deviceById.get(lastInsertRowid) ?? {});
      });
    },

    getDevice: requireDevice,

    findDevice(batchId: number, serial: string): DeviceEntry | null {
      const row = deviceBySerial.get(batchId, serial);
      return row ? device(row) : null;
    },

    appendStepEvent(input: NewStepEvent): StepEvent {
      const event = parseInput(newStepEventSchema, input, 'step event');
      const target = requireDevice(event.deviceId);
      requireActiveOperator(event.operatorId);
      if (isIrreversible(event.step) && event.authorisation === null) {
        throw new RecordsError('RECORDS_REFUSED', `a ${event.step} step event must carry the authorisation decision it ran under.`, {
          detail: 'STEP_WITHOUT_DECISION',
          params: { step: event.step },
        });
      }
      if (event.authorisation) checkDecision(target, event.step, event.status, event.authorisation);
      const decision = event.authorisation;
      return inUnsyncedWriteTransaction(db, () => {
        const { lastInsertRowid } = db
          .prepare(
            'INSERT INTO step_events (device_id, step, status, code, data_json, detail, operator_id, at, authorised, authorisation_id, authorisation_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
          )
          .run(
            event.deviceId,
            event.step,
            event.status,
            event.code,
            JSON.stringify(event.data ?? null),
            event.detail,
            event.operatorId,
            now().toISOString(),
            decision === null ? null : decision.authorised ? 1 : 0,
            decision?.authorised ? decision.authorisationId : null,
            decision && !decision.authorised ? decision.reason : null,
          );
        return stepEvent(db.prepare('SELECT * FROM step_events WHERE id = ?').get(lastInsertRowid) as unknown as StepRow);
      });
    },

    stepEvents(deviceId: number): StepEvent[] {
      return (db.prepare('SELECT * FROM step_events WHERE device_id = ? ORDER BY id').all(deviceId) as unknown as StepRow[]).map(stepEvent);
    },

  };
}

export type Journal = ReturnType<typeof createJournal>;
