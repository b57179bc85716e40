// The history screen's questions to the records: a page of the newest records matching a filter and
// a search (serial number, IMEI or asset tag, as typed or as a barcode scanner sends it), one record
// with its step events, and the step journal of a handset of a batch.
import type { RecordDetail, RecordList, RecordQuery } from '../../shared/api.ts';
import { parseRecordFilter } from '../records/record-filter.ts';
import { RecordsError } from '../records/errors.ts';
import type { StationRecords } from '../records/station-records.ts';

/** Newest first, one page at a time; the search and the paging happen in SQL (record-search.ts). */
export function listRecords(records: StationRecords, query: RecordQuery): RecordList {
  const filter = parseRecordFilter({ batchId: query.batchId, since: query.since, until: query.until, status: query.status });
  const page = records.search.page(filter, { search: query.search ?? '', before: query.before, limit: query.limit ?? 200 });
  return { ...page, total: records.log.count(filter) };
}

export function showRecord(records: StationRecords, seq: number): RecordDetail {
  const record = records.log.get(seq);
  if (!record) throw new RecordsError('RECORDS_REFUSED', `there is no record ${seq}.`, { detail: 'NO_SUCH_RECORD', params: { record: String(seq) } });
  const device = records.journal.findDevice(record.batchId, record.serial);
  return { record, events: device ? records.journal.stepEvents(device.id) : [] };
}
