// What the PDF report shows of one record, as plain (still unescaped) text per table cell. A field
// the record's format does not hold is "not recorded"; an empty value is "—" or "none"; nothing is
// filled in from elsewhere. Formats: 1 (no recordVersion), 2 (asset tag, evidence), 3 (fuses found set), 4 (serial).
import { recordSerial, type ProvisioningRecordBody } from '../../shared/records.ts';
import { isFailureCode } from '../../shared/failures.ts';

export const NOT_RECORDED = 'not recorded';
const EMPTY = '—';

type Evidence = Extract<ProvisioningRecordBody, { evidence: unknown }>['evidence'];

function evidenceOf(record: ProvisioningRecordBody): Evidence | null {
  return 'evidence' in record ? record.evidence : null;
}

const names = (list: readonly string[]): string => (list.length === 0 ? 'none' : list.join(', '));

/** `2026-11-25 08:04:00` (UTC, as the column header says). */
const recordedTime = (record: ProvisioningRecordBody): string => record.recordedAt.replace('T', ' ').replace(/(\.\d+)?Z$/, '');

/** Seq, recorded (UTC), serial, asset tag, IMEI, firmware, outcome, operator. */
export function deviceCells(record: ProvisioningRecordBody): string[] {
  return [
    String(record.seq),
    recordedTime(record),
    recordSerial(record),
    'assetTag' in record ? (record.assetTag ?? EMPTY) : NOT_RECORDED,
    record.imei ?? EMPTY,
    record.firmwareVersion ?? EMPTY,
    record.outcome,
    record.operatorId,
  ];
}

/** Batch and bundle, fuses burned, fuses found set, lock, who authorised the irreversible steps. */
export function evidenceCells(record: ProvisioningRecordBody): string[] {
  return [
    `batch ${record.batchId}, bundle ${record.bundleVersion}`,
    names(record.fusesBurned),
    'fusesFoundSet' in record ? names(record.fusesFoundSet) : NOT_RECORDED,
    lockText(record),
    authorisedBy(record),
  ];
}

/** Whether the lock was proven by read-back, with the handset's raw answer when the record holds it. */
function lockText(record: ProvisioningRecordBody): string {
  const evidence = evidenceOf(record);
  const state = record.locked ? 'locked' : 'not locked';
  if (evidence?.lockState != null) return `${state}; answered "${evidence.lockState}"`;
  return record.locked ? `${state}; answer ${NOT_RECORDED}` : state;
}

function authorisedBy(record: ProvisioningRecordBody): string {
  if (record.authorisationId === null) return record.locked || record.fusesBurned.length > 0 ? NOT_RECORDED : EMPTY;
  const supervisor = evidenceOf(record)?.supervisorId ?? `supervisor ${NOT_RECORDED}`;
  return `${supervisor}, authorisation #${record.authorisationId}`;
}

/**
 * The code older stations put in front of a failed record's reason (formats 1 and 2 had no code field;
 * format 2 stations wrote `[CODE] message`). Only a known code counts; anything else is not recorded.
 */
export function legacyFailureCode(reason: string | null): { code: string; reason: string } {
  const match = /^\[([A-Z0-9_]+)\] ?/.exec(reason ?? '');
  if (match?.[1] !== undefined && isFailureCode(match[1])) return { code: match[1], reason: (reason ?? '').slice(match[0].length) };
  return { code: NOT_RECORDED, reason: reason ?? NOT_RECORDED };
}

/** The failure code and reason of a failed record: format 3 carries the code as a field of its own. */
export function failureParts(record: ProvisioningRecordBody): { code: string; reason: string } {
  if ('failureCode' in record) return { code: record.failureCode ?? NOT_RECORDED, reason: record.failureReason ?? NOT_RECORDED };
  return legacyFailureCode(record.failureReason);
}

export function failureCells(record: ProvisioningRecordBody): { cells: string[]; reason: string } {
  const { code, reason } = failureParts(record);
  return { cells: [String(record.seq), recordedTime(record), recordSerial(record), record.failedStep ?? NOT_RECORDED, code, record.operatorId], reason };
}
