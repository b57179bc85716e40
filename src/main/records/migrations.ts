// Versioned schema migrations. `PRAGMA user_version` holds the version the file is at; each
// pending migration runs in its own transaction together with the version bump, so a crash leaves
// the file at the old version or the new one, never in between.
import type { DatabaseSync } from 'node:sqlite';
import { ROLES, STEP_NAMES, STEP_STATUSES, RECORD_OUTCOMES } from '../../shared/records.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { RecordsError } from './errors.ts';
import { convertLegacyEvent, type LegacyEvent } from './legacy-step-events.ts';
import { inWriteTransaction } from './transactions.ts';

const sqlList = (values: readonly string[]): string => values.map((value) => `'${value}'`).join(', ');

/** Triggers that make a table append-only: the database itself refuses UPDATE and DELETE. */
function appendOnly(table: string): string {
  return `
    CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table}
      BEGIN SELECT RAISE(ABORT, '${table} is append-only: rows cannot be changed'); END;
    CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table}
      BEGIN SELECT RAISE(ABORT, '${table} is append-only: rows cannot be deleted'); END;`;
}

/** The kinds of change to an operator from migration 12 on (OPERATOR_CHANGE_KINDS then): migration 6's and a change of role. */
const MIGRATION_12_CHANGE_KINDS = ['added', 'disabled', 'enabled', 'unlocked', 'pin-reset', 'role-changed'] as const;

/** A migration is SQL, or code for what SQL cannot say; either runs inside the version's transaction. */
const MIGRATIONS: readonly (string | ((db: DatabaseSync) => void))[] = [
  `
  CREATE TABLE operators (
    id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN (${sqlList(ROLES)})),
    pin_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT REFERENCES operators(id),
    disabled_at TEXT,
    disabled_by TEXT REFERENCES operators(id),
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_at TEXT
  ) STRICT;
  CREATE TRIGGER operators_no_delete BEFORE DELETE ON operators
    BEGIN SELECT RAISE(ABORT, 'operators are disabled, never deleted'); END;

  CREATE TABLE station_identity (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    public_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at TEXT NOT NULL
  ) STRICT;
  ${appendOnly('station_identity')}

  CREATE TABLE batches (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    product TEXT NOT NULL,
    bundle_hash TEXT NOT NULL,
    bundle_version TEXT NOT NULL,
    operator_id TEXT NOT NULL REFERENCES operators(id),
    started_at TEXT NOT NULL
  ) STRICT;
  ${appendOnly('batches')}

  CREATE TABLE devices (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    serial TEXT NOT NULL,
    identity_json TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    UNIQUE (batch_id, serial)
  ) STRICT;
  ${appendOnly('devices')}

  CREATE TABLE authorisations (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    supervisor_id TEXT NOT NULL REFERENCES operators(id),
    fuses_json TEXT NOT NULL,
    lock INTEGER NOT NULL CHECK (lock IN (0, 1)),
    bundle_hash TEXT NOT NULL,
    device_cap INTEGER NOT NULL CHECK (device_cap > 0),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  ) STRICT;
  ${appendOnly('authorisations')}

  CREATE TABLE authorisation_uses (
    authorisation_id INTEGER NOT NULL REFERENCES authorisations(id),
    device_serial TEXT NOT NULL,
    first_used_at TEXT NOT NULL,
    PRIMARY KEY (authorisation_id, device_serial)
  ) STRICT;
  ${appendOnly('authorisation_uses')}

  CREATE TABLE step_events (
    id INTEGER PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES devices(id),
    step TEXT NOT NULL CHECK (step IN (${sqlList(STEP_NAMES)})),
    status TEXT NOT NULL CHECK (status IN (${sqlList(STEP_STATUSES)})),
    detail TEXT,
    operator_id TEXT NOT NULL REFERENCES operators(id),
    at TEXT NOT NULL,
    authorised INTEGER CHECK (authorised IN (0, 1)),
    authorisation_id INTEGER REFERENCES authorisations(id),
    authorisation_reason TEXT,
    CHECK (step NOT IN ('fuse', 'lock') OR authorised IS NOT NULL),
    CHECK (authorised IS NOT 1 OR authorisation_id IS NOT NULL),
    CHECK (authorised IS NOT 0 OR authorisation_reason IS NOT NULL)
  ) STRICT;
  CREATE INDEX step_events_device ON step_events (device_id, id);
  ${appendOnly('step_events')}

  CREATE TABLE provisioning_records (
    seq INTEGER PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES devices(id),
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    recorded_at TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN (${sqlList(RECORD_OUTCOMES)})),
    body_json TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
  ) STRICT;
  CREATE INDEX provisioning_records_batch ON provisioning_records (batch_id, seq);
  CREATE INDEX provisioning_records_time ON provisioning_records (recorded_at);
  ${appendOnly('provisioning_records')}

  CREATE TABLE labels (
    id INTEGER PRIMARY KEY,
    record_seq INTEGER NOT NULL REFERENCES provisioning_records(seq),
    printer TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('accepted', 'failed')),
    detail TEXT,
    operator_id TEXT NOT NULL REFERENCES operators(id),
    at TEXT NOT NULL
  ) STRICT;
  ${appendOnly('labels')}
  `,
  // 2: a step that ran under a refused authorisation can only be recorded as not having run.
  // The status list is spelled out: a migration must mean the same thing forever.
  `
  CREATE TRIGGER step_events_refused_did_not_run BEFORE INSERT ON step_events
    WHEN NEW.authorised = 0 AND NEW.status NOT IN ('skipped', 'failed')
    BEGIN SELECT RAISE(ABORT, 'a step under a refused authorisation can only be skipped or failed'); END;
  `,
  // 3: admins unlocked without a PIN by someone holding the station key (admin-recovery.ts).
  `
  CREATE TABLE admin_recoveries (
    id INTEGER PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES operators(id),
    at TEXT NOT NULL,
    os_user TEXT NOT NULL,
    host TEXT NOT NULL,
    reason TEXT NOT NULL,
    failed_attempts_before INTEGER NOT NULL,
    locked_at_before TEXT,
    challenge TEXT NOT NULL,
    signature TEXT NOT NULL
  ) STRICT;
  ${appendOnly('admin_recoveries')}
  `,
  // 4: asset tags. A batch may name a tag pattern; each provisioned record gets the next tag in the
  // same transaction. Sequence numbers only grow and tags are never deleted, so no tag is ever reused.
  `
  ALTER TABLE batches ADD COLUMN asset_tag_pattern TEXT;
  CREATE TABLE asset_tag_sequences (
    pattern TEXT PRIMARY KEY,
    next_seq INTEGER NOT NULL CHECK (next_seq > 0)
  ) STRICT;
  CREATE TRIGGER asset_tag_sequences_only_grow BEFORE UPDATE ON asset_tag_sequences
    WHEN NEW.next_seq <= OLD.next_seq OR NEW.pattern IS NOT OLD.pattern
    BEGIN SELECT RAISE(ABORT, 'asset tag sequences only grow'); END;
  CREATE TRIGGER asset_tag_sequences_no_delete BEFORE DELETE ON asset_tag_sequences
    BEGIN SELECT RAISE(ABORT, 'asset tag sequences cannot be deleted'); END;
  CREATE TABLE asset_tags (
    tag TEXT PRIMARY KEY,
    record_seq INTEGER NOT NULL UNIQUE REFERENCES provisioning_records(seq),
    allocated_at TEXT NOT NULL
  ) STRICT;
  ${appendOnly('asset_tags')}
  `,
  // 5: label jobs (src/main/labels/label-store.ts). Each print or reprint of a record's label is a
  // job, asked for by an operator (a reprint with a reason); its outcome is a row of \`labels\` naming
  // the job. A provisioned record whose tag has no accepted label is unprinted, whatever happened to
  // the station in between, so a tag is never lost between allocation and printing.
  `
  CREATE TABLE label_jobs (
    id INTEGER PRIMARY KEY,
    record_seq INTEGER NOT NULL REFERENCES provisioning_records(seq),
    kind TEXT NOT NULL CHECK (kind IN ('first', 'reprint')),
    printer TEXT NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('zpl', 'pdf', 'png')),
    template TEXT NOT NULL,
    operator_id TEXT NOT NULL REFERENCES operators(id),
    reason TEXT,
    requested_at TEXT NOT NULL,
    CHECK (kind = 'first' OR length(reason) > 0)
  ) STRICT;
  CREATE INDEX label_jobs_record ON label_jobs (record_seq, id);
  ${appendOnly('label_jobs')}
  ALTER TABLE labels ADD COLUMN job_id INTEGER REFERENCES label_jobs(id);
  CREATE UNIQUE INDEX labels_one_outcome_per_job ON labels (job_id) WHERE job_id IS NOT NULL;
  CREATE INDEX labels_record ON labels (record_seq, status);
  `,
  // 6: who changed an operator and when (added, disabled, enabled, unlocked, PIN reset), never the PIN;
  // and the records' search keys. The search table is a trigram full-text index over each record's
  // serial, IMEI and asset tag (copied from the hashed body, which stays the only truth), so History
  // finds a substring without reading every record. It is derived: filled here for the records a
  // station already has and by a trigger for each new one.
  `
  CREATE TABLE operator_changes (
    id INTEGER PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES operators(id),
    change TEXT NOT NULL CHECK (change IN ('added', 'disabled', 'enabled', 'unlocked', 'pin-reset')),
    by_id TEXT NOT NULL REFERENCES operators(id),
    at TEXT NOT NULL
  ) STRICT;
  CREATE INDEX operator_changes_operator ON operator_changes (operator_id, id);
  ${appendOnly('operator_changes')}
  CREATE VIRTUAL TABLE record_search USING fts5(serial, imei, asset_tag, tokenize = 'trigram');
  -- Read by either name of the serial (format 4 says \`serial\`): harmless for a database of old records
  -- only, and right for any that reaches this migration holding newer ones.
  INSERT INTO record_search (rowid, serial, imei, asset_tag)
    SELECT seq, coalesce(body_json ->> '$.serial', body_json ->> '$.deviceSerial'), body_json ->> '$.imei', body_json ->> '$.assetTag'
    FROM provisioning_records;
  CREATE TRIGGER provisioning_records_search AFTER INSERT ON provisioning_records
    BEGIN
      INSERT INTO record_search (rowid, serial, imei, asset_tag)
        VALUES (NEW.seq, NEW.body_json ->> '$.deviceSerial', NEW.body_json ->> '$.imei', NEW.body_json ->> '$.assetTag');
    END;
  `,
  // 7: the structured journal. A step event's facts become data (its failure code, its typed data),
  // so that no decision about a fuse or a lock rests on reading a sentence back. Old events are
  // converted where they are in the exact wording the station wrote; the rest are kept verbatim and
  // marked unconverted, which quarantines their handsets. The append-only triggers step aside for
  // this one conversion, inside the migration's transaction, and come back unchanged.
  structuredJournal,
  // 8: asset tags from a depot (tag-leases.ts). A lease is journaled before any tag is drawn from it;
  // a tag drawn from one names its lease and number, each number used once. A provisioned handset
  // that found the leases empty is pending until the next lease gives it a tag.
  `
  CREATE TABLE tag_leases (
    id INTEGER PRIMARY KEY,
    pattern TEXT NOT NULL,
    first_seq INTEGER NOT NULL CHECK (first_seq > 0),
    last_seq INTEGER NOT NULL CHECK (last_seq >= first_seq),
    leased_at TEXT NOT NULL,
    journaled_at TEXT NOT NULL
  ) STRICT;
  ${appendOnly('tag_leases')}
  ALTER TABLE asset_tags ADD COLUMN lease_id INTEGER REFERENCES tag_leases(id);
  ALTER TABLE asset_tags ADD COLUMN lease_seq INTEGER;
  CREATE UNIQUE INDEX asset_tags_leased_number ON asset_tags (lease_seq) WHERE lease_seq IS NOT NULL;
  CREATE TRIGGER asset_tags_leased_number_in_lease BEFORE INSERT ON asset_tags
    WHEN (NEW.lease_id IS NULL) <> (NEW.lease_seq IS NULL) OR (NEW.lease_id IS NOT NULL AND NOT EXISTS (
      SELECT 1 FROM tag_leases l WHERE l.id = NEW.lease_id AND NEW.lease_seq BETWEEN l.first_seq AND l.last_seq))
    BEGIN SELECT RAISE(ABORT, 'a leased asset tag names its lease and a number of that lease'); END;
  CREATE TABLE asset_tags_pending (
    record_seq INTEGER PRIMARY KEY REFERENCES provisioning_records(seq),
    since TEXT NOT NULL
  ) STRICT;
  ${appendOnly('asset_tags_pending')}
  -- A tag given late to a pending handset is searchable like one its record carries (History finds it).
  CREATE TRIGGER asset_tags_late_search AFTER INSERT ON asset_tags
    WHEN EXISTS (SELECT 1 FROM asset_tags_pending p WHERE p.record_seq = NEW.record_seq)
    BEGIN UPDATE record_search SET asset_tag = NEW.tag WHERE rowid = NEW.record_seq; END;
  `,
  // 9: operators managed at a depot (depot-operators.ts). The depot's changes, applied in order to
  // operators and journaled here with who made them at the depot; and when the copy was last
  // confirmed with the depot, which bounds how long operators may sign in from it while offline.
  `
  CREATE TABLE depot_operator_changes (
    id INTEGER PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES operators(id),
    change TEXT NOT NULL CHECK (change IN ('added', 'disabled', 'enabled', 'unlocked', 'pin-reset')),
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN (${sqlList(ROLES)})),
    pin_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL CHECK (disabled IN (0, 1)),
    made_at TEXT NOT NULL,
    made_by TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT;
  ${appendOnly('depot_operator_changes')}
  CREATE TABLE depot_operator_copy (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    confirmed_at TEXT NOT NULL,
    offline_sign_in_s INTEGER NOT NULL CHECK (offline_sign_in_s > 0)
  ) STRICT;
  `,
  // 10: clashes between the station's own operators and its depot's, resolved by a station admin
  // (depot-operators.ts): the depot's operator takes the id over ('depot'), or the station's person
  // goes on under a new id ('renamed') and the depot's takes the old one. Never merged silently.
  `
  CREATE TABLE depot_operator_resolutions (
    operator_id TEXT PRIMARY KEY REFERENCES operators(id),
    resolution TEXT NOT NULL CHECK (resolution IN ('depot', 'renamed')),
    renamed_to TEXT REFERENCES operators(id),
    resolved_by TEXT NOT NULL REFERENCES operators(id),
    resolved_at TEXT NOT NULL,
    CHECK ((resolution = 'renamed') = (renamed_to IS NOT NULL))
  ) STRICT;
  ${appendOnly('depot_operator_resolutions')}
  `,
  // 11: one name for the handset's identity (issue 18): the column an authorisation's uses are keyed
  // by becomes \`serial\`, and the search trigger reads a record of format 4 by its \`serial\`. Records
  // of formats 1 to 3 stay as hashed (\`deviceSerial\`), so the trigger still reads that name for
  // them: a database of old records goes on appending to the same chain, searchable either way.
  `
  ALTER TABLE authorisation_uses RENAME COLUMN device_serial TO serial;
  DROP TRIGGER provisioning_records_search;
  CREATE TRIGGER provisioning_records_search AFTER INSERT ON provisioning_records
    BEGIN
      INSERT INTO record_search (rowid, serial, imei, asset_tag)
        VALUES (NEW.seq, coalesce(NEW.body_json ->> '$.serial', NEW.body_json ->> '$.deviceSerial'), NEW.body_json ->> '$.imei', NEW.body_json ->> '$.assetTag');
    END;
  `,
  // 12: an operator's role can change (operators.ts, and a depot's 'role-changed' copied by the sync). SQLite
  // cannot alter a CHECK, so both journals are rebuilt with the new kind: copied row for row under the same
  // ids, the old table dropped (DROP TABLE fires no trigger; no table refers to these two), the new one
  // renamed into its place, and its index and append-only triggers made again.
  `
  CREATE TABLE operator_changes_12 (
    id INTEGER PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES operators(id),
    change TEXT NOT NULL CHECK (change IN (${sqlList(MIGRATION_12_CHANGE_KINDS)})),
    by_id TEXT NOT NULL REFERENCES operators(id),
    at TEXT NOT NULL
  ) STRICT;
  INSERT INTO operator_changes_12 (id, operator_id, change, by_id, at) SELECT id, operator_id, change, by_id, at FROM operator_changes;
  DROP TABLE operator_changes;
  ALTER TABLE operator_changes_12 RENAME TO operator_changes;
  CREATE INDEX operator_changes_operator ON operator_changes (operator_id, id);
  ${appendOnly('operator_changes')}

  CREATE TABLE depot_operator_changes_12 (
    id INTEGER PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES operators(id),
    change TEXT NOT NULL CHECK (change IN (${sqlList(MIGRATION_12_CHANGE_KINDS)})),
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN (${sqlList(ROLES)})),
    pin_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL CHECK (disabled IN (0, 1)),
    made_at TEXT NOT NULL,
    made_by TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT;
  INSERT INTO depot_operator_changes_12 SELECT id, operator_id, change, display_name, role, pin_hash, disabled, made_at, made_by, applied_at FROM depot_operator_changes;
  DROP TABLE depot_operator_changes;
  ALTER TABLE depot_operator_changes_12 RENAME TO depot_operator_changes;
  ${appendOnly('depot_operator_changes')}
  `,
];

function structuredJournal(db: DatabaseSync): void {
  db.exec(`
    ALTER TABLE step_events ADD COLUMN code TEXT;
    ALTER TABLE step_events ADD COLUMN data_json TEXT;
    ALTER TABLE step_events ADD COLUMN unconverted INTEGER NOT NULL DEFAULT 0 CHECK (unconverted IN (0, 1));
    CREATE TRIGGER step_events_failed_has_code BEFORE INSERT ON step_events
      WHEN NEW.status = 'failed' AND NEW.code IS NULL AND NEW.unconverted = 0
      BEGIN SELECT RAISE(ABORT, 'a failed step event names its failure code'); END;
    CREATE TRIGGER step_events_data_is_json BEFORE INSERT ON step_events
      WHEN NEW.unconverted = 0 AND (NEW.data_json IS NULL OR json_valid(NEW.data_json) = 0)
      BEGIN SELECT RAISE(ABORT, 'a step event carries its data as JSON'); END;
    DROP TRIGGER step_events_no_update;
  `);
  const update = db.prepare('UPDATE step_events SET code = ?, data_json = ?, unconverted = ? WHERE id = ?');
  for (const row of db.prepare('SELECT id, step, status, detail FROM step_events ORDER BY id').all() as unknown as (LegacyEvent & { id: number })[]) {
    const converted = convertLegacyEvent(row);
    if (converted) update.run(converted.code, JSON.stringify(converted.data), 0, row.id);
    else update.run(null, null, 1, row.id);
  }
  db.exec(`
    CREATE TRIGGER step_events_no_update BEFORE UPDATE ON step_events
      BEGIN SELECT RAISE(ABORT, 'step_events is append-only: rows cannot be changed'); END;
  `);
}

export const SCHEMA_VERSION = MIGRATIONS.length;

export function applyMigrations(db: DatabaseSync, path: string): void {
  const { user_version: current } = db.prepare('PRAGMA user_version').get() as { user_version: number };
  if (current > SCHEMA_VERSION) {
    throw new RecordsError(
      'RECORDS_REFUSED',
      `the records database ${displaySafe(path)} is at schema version ${current}, ` +
        `newer than this Lockstep understands (${SCHEMA_VERSION}). Update Lockstep; do not open it with this version.`,
      { detail: 'SCHEMA_TOO_NEW', params: { file: displaySafe(path), version: String(current), supported: String(SCHEMA_VERSION) } },
    );
  }
  for (let version = current + 1; version <= SCHEMA_VERSION; version += 1) {
    inWriteTransaction(db, () => {
      // Another process may have migrated while we waited for the write lock.
      const { user_version: now } = db.prepare('PRAGMA user_version').get() as { user_version: number };
      if (now >= version) return;
      const migration = MIGRATIONS[version - 1] ?? '';
      if (typeof migration === 'string') db.exec(migration);
      else migration(db);
      db.exec(`PRAGMA user_version = ${version}`);
    });
  }
}
