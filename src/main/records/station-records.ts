// The records store of one station: the entry point the pipeline, the CLI and the UI use.
// `openStationRecords(dataDir)` opens (creating on first run) the database and the station key in
// the station's data directory and returns typed methods over them.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RecordFilter } from '../../shared/records.ts';
import { createAdminRecovery } from './admin-recovery.ts';
import { createAuthorisations } from './authorisations.ts';
import { openDatabase } from './database.ts';
import { exportCsv } from './export-csv.ts';
import { refuseOwnFile } from './export-file.ts';
import { exportJsonl } from './export-jsonl.ts';
import { exportPdf } from './export-pdf.ts';
import type { ExportSummary } from './export-source.ts';
import { createJournal } from './journal.ts';
import { createOperators } from './operators.ts';
import { createProvisioningLog } from './provisioning-log.ts';
import { parseRecordFilter } from './record-filter.ts';
import { createRecordSearch } from './record-search.ts';
import { loadStationIdentity } from './station-identity.ts';
import { createTagLeases } from './tag-leases.ts';
import { WalSync } from './wal-sync.ts';

export const DATABASE_FILE = 'records.sqlite';
export const STATION_KEY_FILE = 'station-key.pem';

export const EXPORT_FORMATS = ['csv', 'jsonl', 'pdf'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface StationRecordsLocation {
  /** The SQLite file. */
  readonly database: string;
  /** The station's Ed25519 private key (PKCS#8 PEM, 0600); defaults to station-key.pem beside the database. */
  readonly stationKey?: string;
  /** The station clock; tests pass a fixed one. */
  readonly now?: () => Date;
}

const EXPORTERS = { csv: exportCsv, jsonl: exportJsonl, pdf: exportPdf } as const;

export function openStationRecords(location: string | StationRecordsLocation) {
  const options: StationRecordsLocation = typeof location === 'string' ? { database: join(location, DATABASE_FILE) } : location;
  const now = options.now ?? (() => new Date());
  const keyPath = options.stationKey ?? join(dirname(options.database), STATION_KEY_FILE);
  mkdirSync(dirname(options.database), { recursive: true, mode: 0o700 });
  const db = openDatabase(options.database);
  try {
    const identity = loadStationIdentity(db, keyPath, now);
    const operators = createOperators(db, now);
    const authorisations = createAuthorisations(db, operators, now);
    const journal = createJournal(db, now);
    const log = createProvisioningLog(db, now);
    const tagLeases = createTagLeases(db, now);
    const wal = new WalSync(options.database);
    return {
      databasePath: options.database,
      identity,
      operators,
      /** PIN-less unlocking of an admin for whoever holds the station key; not for the operator UI. */
      adminRecovery: createAdminRecovery(db, keyPath, now),
      authorisations,
      journal,
      log,
      /** History's pages of records, searched by serial, IMEI or asset tag in SQL. */
      search: createRecordSearch(db),

      // The pipeline's calls, in the order a handset meets them.
      startBatch: journal.startBatch,
      registerDevice: journal.registerDevice,
      appendStepEvent: journal.appendStepEvent,
      /** Makes every commit so far (step events included) survive a power cut; awaited before an irreversible step. */
      durable: () => wal.sync(),
      isAuthorised: authorisations.isAuthorised,
      commitProvisioningRecord: log.commit,
      /** Where asset tags come from (the station itself, or its depot's leases) and, in a depot, how many are left and any warning. */
      tagSupply: tagLeases.supply,
      /** Provisioned records waiting for a tag from the depot's next lease. */
      pendingTags: tagLeases.pendingRecords,

      /** Writes an export of the records matching `filter`; the file appears only once complete. */
      async export(format: ExportFormat, filter: RecordFilter, out: string): Promise<ExportSummary> {
        const database = options.database;
        refuseOwnFile(out, [database, `${database}-wal`, `${database}-shm`, `${database}-journal`, keyPath]);
        return EXPORTERS[format]({ source: { databasePath: database, identity, now }, filter: parseRecordFilter(filter), out });
      },

      /** Checks the integrity of the database file and recomputes the whole chain. */
      checkIntegrity() {
        const rows = db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[];
        const problems = rows.map((row) => row.integrity_check).filter((text) => text !== 'ok');
        return { database: problems, chain: log.verifyChain() };
      },

      /** Closes the database; closing twice is harmless. */
      close(): void {
        if (db.isOpen) db.close();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

export type StationRecords = ReturnType<typeof openStationRecords>;
