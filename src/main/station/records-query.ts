// The history screen's questions to the records: the newest records matching a filter and a search
// (serial number, IMEI or asset tag, as typed or as a barcode scanner sends it), one record with its
// step events, and the step journal of a handset of a batch.
import type { RecordDetail, RecordList, RecordQuery } from '../../shared/api.ts';
import type { ProvisioningRecord } from '../../shared/records.ts';
import { recordFromRow } from '../records/provisioning-log.ts';
import { parseRecordFilter } from '../records/record-filter.ts';
import { RecordsError } from '../records/errors.ts';
import type { StationRecords } from '../records/station-records.ts';

/** Newest first. A search reads every record the filter matches, since the searched fields live in the hashed body. */
export function listRecords(records: StationRecords, query: RecordQuery): RecordList {
  const filter = parseRecordFilter({ batchId: query.batchId, since: query.since, until: query.until, status: query.status });
  const limit = query.limit ?? 200;
  const total = records.log.count(filter);
  const needle = normalise(query.search ?? '');
  if (needle === '') return { records: records.log.latest(filter, limit).reverse(), total };
  const found: ProvisioningRecord[] = [];
  for (const row of records.log.rows(filter)) {
    const record = recordFromRow(row);
    if (matches(record, needle)) {
      found.push(record);
      if (found.length > limit) found.shift();
    }
  }
  return { records: found.reverse(), total };
}

export function showRecord(records: StationRecords, seq: number): RecordDetail {
  const record = records.log.get(seq);
  if (!record) throw new RecordsError(`there is no record ${seq}.`);
  const device = records.journal.findDevice(record.batchId, record.deviceSerial);
  return { record, events: device ? records.journal.stepEvents(device.id) : [] };
}

/** Scanners add no case but may add surrounding blanks; people type either case. */
function normalise(text: string): string {
  return text.trim().toLowerCase();
}

function matches(record: ProvisioningRecord, needle: string): boolean {
  const tag = 'assetTag' in record ? record.assetTag : null;
  return [record.deviceSerial, record.imei, tag].some((value) => value !== null && value.toLowerCase().includes(needle));
}
