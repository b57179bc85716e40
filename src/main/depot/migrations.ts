// The depot's schema in PostgreSQL, as numbered migrations (docs/depot.md). PostgreSQL itself holds
// the depot's rules: stations reach their rows only through the SECURITY DEFINER ingest functions,
// which check every record's hash chain; row-level security limits what a station's role reads;
// nobody can UPDATE, DELETE or TRUNCATE a received row. A migration must mean the same thing
// forever: a change is a new migration, never an edit of an old one.
import type { ClientBase } from 'pg';
import { ROLES } from '../../shared/records.ts';
import { DepotError } from './errors.ts';

/** Group roles (cluster-wide): every station's login role is a member of the first, auditors of the second. */
export const STATION_GROUP = 'lockstep_station';
export const AUDITOR_GROUP = 'lockstep_auditor';

/** SQLSTATEs the depot's functions raise for a refusal (class LS): the station stops and shows why. */
export const REFUSAL_CODES = {
  unknownStation: 'LS001',
  wrongKey: 'LS002',
  chainBreak: 'LS003',
  hashMismatch: 'LS004',
  conflict: 'LS005',
  malformed: 'LS006',
  nameTaken: 'LS007',
  tagNotLeased: 'LS008',
  tagTaken: 'LS009',
  operatorExists: 'LS010',
  noSuchOperator: 'LS011',
  lastAdmin: 'LS012',
  headNotHeld: 'LS013',
  // Operator changes made from a station (migration 6); LS014… are left to the label jobs' migration 5.
  notAnAdmin: 'LS020',
  adminPinLocked: 'LS021',
  noPinProof: 'LS022',
  wrongAdminPin: 'LS023',
  // Migration 7: an offer of a station's operators made too long after its join.
  offerWindowClosed: 'LS024',
  // Migration 9: an offer made under a join that is not the station's latest (it joined again since).
  offerJoinSuperseded: 'LS025',
} as const;

/**
 * The streams migration 1 created tables for. Spelled out rather than read from DEPOT_STREAMS: a
 * migration means the same thing forever, and later streams (asset_tags) come with later migrations.
 */
const RECEIVED_TABLES = ['batches', 'authorisations', 'step_events', 'records'] as const;
/** The tables of rows a station pushes as they are, keyed by the station's own id. */
const ROW_TABLES = RECEIVED_TABLES.filter((stream) => stream !== 'records');

/** Serialises station registrations (an arbitrary constant: "LSSTATN"). */
const REGISTRATION_LOCK = 0x4c5353544154;

const DEFINER = `SECURITY DEFINER SET search_path = pg_catalog, pg_temp`;

/**
 * The ingest function of one of the row tables: rows are keyed by (station, id); a row the depot
 * already holds is accepted again unchanged (a re-send after a lost acknowledgement) and refused
 * if its content differs. Returns the highest id the depot now holds for the station.
 */
function rowIngestFunction(table: string): string {
  return `
  CREATE FUNCTION depot.ingest_${table}(p_key_fingerprint text, p_id bigint[], p_body text[]) RETURNS bigint
  LANGUAGE plpgsql ${DEFINER} AS $fn$
  DECLARE
    v_station text := depot.caller(p_key_fingerprint);
    v_held text;
  BEGIN
    IF cardinality(p_id) IS DISTINCT FROM cardinality(p_body) THEN
      RAISE EXCEPTION 'ingest_${table}: % ids but % bodies', cardinality(p_id), cardinality(p_body) USING ERRCODE = '${REFUSAL_CODES.malformed}';
    END IF;
    FOR i IN 1 .. coalesce(cardinality(p_id), 0) LOOP
      IF p_id[i] IS NULL OR p_id[i] < 1 OR p_body[i] IS NULL THEN
        RAISE EXCEPTION 'ingest_${table}: row % has no id or no body', i USING ERRCODE = '${REFUSAL_CODES.malformed}';
      END IF;
      INSERT INTO depot.${table} (station, id, body) VALUES (v_station, p_id[i], p_body[i]::json) ON CONFLICT (station, id) DO NOTHING;
      IF NOT FOUND THEN
        SELECT body::text INTO v_held FROM depot.${table} WHERE station = v_station AND id = p_id[i];
        IF v_held IS DISTINCT FROM p_body[i] THEN
          RAISE EXCEPTION '${table} row % of station % differs from the one the depot already holds', p_id[i], v_station
            USING ERRCODE = '${REFUSAL_CODES.conflict}';
        END IF;
      END IF;
    END LOOP;
    RETURN (SELECT coalesce(max(id), 0) FROM depot.${table} WHERE station = v_station);
  END $fn$;`;
}

function receivedTable(table: string): string {
  const key = table === 'records' ? 'seq' : 'id';
  const chain = table === 'records' ? `prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'), hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),` : '';
  return `
  CREATE TABLE depot.${table} (
    station text NOT NULL REFERENCES depot.stations (name),
    ${key} bigint NOT NULL CHECK (${key} > 0),
    ${chain}
    body json NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station, ${key})${table === 'records' ? ',\n    UNIQUE (station, hash)' : ''}
  );`;
}

function appendOnly(table: string): string {
  return `
  CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON depot.${table} FOR EACH ROW EXECUTE FUNCTION depot.refuse_change();
  CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON depot.${table} FOR EACH STATEMENT EXECUTE FUNCTION depot.refuse_change();`;
}

/** Stations read their own rows, auditors every row; neither has any write privilege. */
function readPolicies(table: string, ownColumn: string): string {
  return `
  ALTER TABLE depot.${table} ENABLE ROW LEVEL SECURITY;
  CREATE POLICY ${table}_own_station ON depot.${table} FOR SELECT TO ${STATION_GROUP} USING (${ownColumn} = depot.session_station());
  CREATE POLICY ${table}_auditor ON depot.${table} FOR SELECT TO ${AUDITOR_GROUP} USING (true);
  GRANT SELECT ON depot.${table} TO ${STATION_GROUP}, ${AUDITOR_GROUP};`;
}

/**
 * The parts every version of depot.offer_operators shares (migrations 4, 7 and 9 define it around them): one entry
 * per operator in each array; each offered operator added, none that the depot already has. Interpolated, so each
 * migration's SQL is byte for byte what it was when depots applied it.
 */
const OFFER_ARRAYS_CHECK = `    IF n IS DISTINCT FROM coalesce(cardinality(p_display_name), 0) OR n IS DISTINCT FROM coalesce(cardinality(p_role), 0)
       OR n IS DISTINCT FROM coalesce(cardinality(p_pin_hash), 0) THEN
      RAISE EXCEPTION 'offer_operators: the arrays differ in length' USING ERRCODE = '${REFUSAL_CODES.malformed}';
    END IF;
`;
const OFFER_OPERATORS_LOOP = `    FOR i IN 1 .. n LOOP
      IF EXISTS (SELECT FROM depot.operator_changes c WHERE c.operator_id = p_operator_id[i]) THEN
        RAISE EXCEPTION 'operator % already exists at the depot; station % cannot change it (an admin resolves the clash)', p_operator_id[i], v_station
          USING ERRCODE = '${REFUSAL_CODES.operatorExists}';
      END IF;
      -- The table's checks judge the id, the name, the role and the PIN hash.
      INSERT INTO depot.operator_changes (operator_id, change, display_name, role, pin_hash, disabled)
        VALUES (p_operator_id[i], 'added', p_display_name[i], p_role[i], p_pin_hash[i], false);
    END LOOP;
`;

const MIGRATION_1 = `
  CREATE TABLE depot.stations (
    name text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_]{0,31}$'),
    key_fingerprint text NOT NULL UNIQUE CHECK (key_fingerprint ~ '^[0-9a-f]{64}$'),
    role_name text NOT NULL UNIQUE,
    registered_at timestamptz NOT NULL DEFAULT now(),
    registered_by text NOT NULL DEFAULT session_user
  );
  -- The one row a station's calls update: when the depot last heard from it.
  CREATE TABLE depot.station_contacts (
    station text PRIMARY KEY REFERENCES depot.stations (name),
    last_contact_at timestamptz NOT NULL
  );
  ${RECEIVED_TABLES.map(receivedTable).join('\n')}

  CREATE FUNCTION depot.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
  BEGIN
    RAISE EXCEPTION 'depot.% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
  END $fn$;
  ${['stations', ...RECEIVED_TABLES].map(appendOnly).join('\n')}

  -- The station whose login role runs this session; NULL for anyone else. Row-level security and
  -- every ingest function name the station this way, so no call can speak for another station.
  CREATE FUNCTION depot.session_station() RETURNS text LANGUAGE sql STABLE ${DEFINER} AS $fn$
    SELECT name FROM depot.stations WHERE role_name = session_user
  $fn$;

  -- The calling station, checked against the key it signs its records with; serialises its calls.
  CREATE FUNCTION depot.caller(p_key_fingerprint text) RETURNS text LANGUAGE plpgsql ${DEFINER} AS $fn$
  DECLARE
    v_station depot.stations;
  BEGIN
    SELECT * INTO v_station FROM depot.stations WHERE role_name = session_user FOR UPDATE;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'the role % is not a station of this depot', session_user USING ERRCODE = '${REFUSAL_CODES.unknownStation}';
    END IF;
    IF v_station.key_fingerprint IS DISTINCT FROM p_key_fingerprint THEN
      RAISE EXCEPTION 'station % is registered to the key %, not to this station''s key %', v_station.name, v_station.key_fingerprint, p_key_fingerprint
        USING ERRCODE = '${REFUSAL_CODES.wrongKey}';
    END IF;
    INSERT INTO depot.station_contacts (station, last_contact_at) VALUES (v_station.name, now())
      ON CONFLICT (station) DO UPDATE SET last_contact_at = excluded.last_contact_at;
    RETURN v_station.name;
  END $fn$;

  -- What the depot holds of the calling station: where its sync resumes.
  CREATE FUNCTION depot.hello(p_key_fingerprint text)
    RETURNS TABLE (head_station text, head_batches bigint, head_authorisations bigint, head_step_events bigint, head_records bigint, head_record_hash text)
  LANGUAGE plpgsql ${DEFINER} AS $fn$
  DECLARE
    v_station text := depot.caller(p_key_fingerprint);
  BEGIN
    RETURN QUERY SELECT v_station,
      (SELECT coalesce(max(b.id), 0) FROM depot.batches b WHERE b.station = v_station),
      (SELECT coalesce(max(a.id), 0) FROM depot.authorisations a WHERE a.station = v_station),
      (SELECT coalesce(max(e.id), 0) FROM depot.step_events e WHERE e.station = v_station),
      coalesce((SELECT r.seq FROM depot.records r WHERE r.station = v_station ORDER BY r.seq DESC LIMIT 1), 0),
      coalesce((SELECT r.hash FROM depot.records r WHERE r.station = v_station ORDER BY r.seq DESC LIMIT 1), repeat('0', 64));
  END $fn$;

  -- Records, in chain order. PostgreSQL recomputes each hash over the exact canonical JSON the
  -- station hashed (src/main/records/chain.ts): SHA-256 of {"prevHash":"<prev>","record":<body>}.
  CREATE FUNCTION depot.ingest_records(p_key_fingerprint text, p_seq bigint[], p_prev_hash text[], p_hash text[], p_body text[]) RETURNS bigint
  LANGUAGE plpgsql ${DEFINER} AS $fn$
  DECLARE
    v_station text := depot.caller(p_key_fingerprint);
    v_head_seq bigint := 0;
    v_head_hash text := repeat('0', 64);
    v_held depot.records;
    v_computed text;
    v_body_seq text;
    n integer := coalesce(cardinality(p_seq), 0);
  BEGIN
    IF n IS DISTINCT FROM coalesce(cardinality(p_prev_hash), 0) OR n IS DISTINCT FROM coalesce(cardinality(p_hash), 0)
       OR n IS DISTINCT FROM coalesce(cardinality(p_body), 0) THEN
      RAISE EXCEPTION 'ingest_records: the arrays differ in length' USING ERRCODE = '${REFUSAL_CODES.malformed}';
    END IF;
    SELECT r.seq, r.hash INTO v_head_seq, v_head_hash FROM depot.records r WHERE r.station = v_station ORDER BY r.seq DESC LIMIT 1;
    IF NOT FOUND THEN
      v_head_seq := 0;
      v_head_hash := repeat('0', 64);
    END IF;
    FOR i IN 1 .. n LOOP
      IF p_seq[i] IS NULL OR p_prev_hash[i] IS NULL OR p_hash[i] IS NULL OR p_body[i] IS NULL THEN
        RAISE EXCEPTION 'ingest_records: record % of the call lacks a field', i USING ERRCODE = '${REFUSAL_CODES.malformed}';
      END IF;
      IF p_seq[i] <= v_head_seq THEN
        -- A re-send after a lost acknowledgement: the same record changes nothing, another one is refused.
        SELECT * INTO v_held FROM depot.records r WHERE r.station = v_station AND r.seq = p_seq[i];
        IF v_held.hash IS DISTINCT FROM p_hash[i] OR v_held.prev_hash IS DISTINCT FROM p_prev_hash[i] OR v_held.body::text IS DISTINCT FROM p_body[i] THEN
          RAISE EXCEPTION 'record % of station % differs from the one the depot already holds (hash %)', p_seq[i], v_station, v_held.hash
            USING ERRCODE = '${REFUSAL_CODES.conflict}';
        END IF;
        CONTINUE;
      END IF;
      IF p_seq[i] <> v_head_seq + 1 THEN
        RAISE EXCEPTION 'record % of station % does not follow record %, the last the depot holds', p_seq[i], v_station, v_head_seq
          USING ERRCODE = '${REFUSAL_CODES.chainBreak}';
      END IF;
      IF p_prev_hash[i] <> v_head_hash THEN
        RAISE EXCEPTION 'record % of station % names the previous hash %, but the last hash the depot holds is %', p_seq[i], v_station, p_prev_hash[i], v_head_hash
          USING ERRCODE = '${REFUSAL_CODES.chainBreak}';
      END IF;
      v_computed := encode(sha256(convert_to('{"prevHash":"' || p_prev_hash[i] || '","record":' || p_body[i] || '}', 'UTF8')), 'hex');
      IF v_computed <> p_hash[i] THEN
        RAISE EXCEPTION 'record % of station % does not match its hash: its body hashes to %, the station sent %', p_seq[i], v_station, v_computed, p_hash[i]
          USING ERRCODE = '${REFUSAL_CODES.hashMismatch}';
      END IF;
      -- The body must carry the seq it is filed under. PostgreSQL's JSON operators refuse \\u0000 and
      -- lone surrogate escapes, which canonical JSON writes for hostile strings: a body with such an
      -- escape is kept and hashed as text (the json type accepts it), its seq not read back.
      IF strpos(p_body[i], '\\u') = 0 THEN
        v_body_seq := p_body[i]::json ->> 'seq';
      ELSE
        BEGIN
          v_body_seq := p_body[i]::json ->> 'seq';
        EXCEPTION WHEN untranslatable_character OR invalid_text_representation THEN
          PERFORM p_body[i]::json;
          v_body_seq := p_seq[i]::text;
        END;
      END IF;
      IF v_body_seq IS DISTINCT FROM p_seq[i]::text THEN
        RAISE EXCEPTION 'record % of station % carries seq % in its body', p_seq[i], v_station, v_body_seq USING ERRCODE = '${REFUSAL_CODES.malformed}';
      END IF;
      INSERT INTO depot.records (station, seq, prev_hash, hash, body) VALUES (v_station, p_seq[i], p_prev_hash[i], p_hash[i], p_body[i]::json);
      v_head_seq := p_seq[i];
      v_head_hash := p_hash[i];
    END LOOP;
    RETURN v_head_seq;
  END $fn$;
  ${ROW_TABLES.map(rowIngestFunction).join('\n')}

  -- Registers a station and creates its login role. Not SECURITY DEFINER: it runs as the administrator,
  -- who needs CREATEROLE. The password arrives as a SCRAM verifier, never as the password itself.
  CREATE FUNCTION depot.register_station(p_name text, p_key_fingerprint text, p_password_verifier text) RETURNS text
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
  DECLARE
    v_role text := 'lockstep_station_' || p_name;
    v_held depot.stations;
  BEGIN
    -- Two registrations at once would both update the database's ACL (GRANT CONNECT) and one would
    -- fail with "tuple concurrently updated"; they queue instead.
    PERFORM pg_advisory_xact_lock(${REGISTRATION_LOCK});
    SELECT * INTO v_held FROM depot.stations WHERE name = p_name;
    IF FOUND THEN
      RAISE EXCEPTION 'station % is already registered, to the key %; a station name belongs to one key', p_name, v_held.key_fingerprint
        USING ERRCODE = '${REFUSAL_CODES.nameTaken}';
    END IF;
    SELECT * INTO v_held FROM depot.stations WHERE key_fingerprint = p_key_fingerprint;
    IF FOUND THEN
      RAISE EXCEPTION 'the key % is already registered as station %', p_key_fingerprint, v_held.name USING ERRCODE = '${REFUSAL_CODES.nameTaken}';
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = v_role) THEN
      RAISE EXCEPTION 'the role % already exists in this PostgreSQL cluster (another depot database?); pick another station name', v_role
        USING ERRCODE = '${REFUSAL_CODES.nameTaken}';
    END IF;
    IF p_password_verifier !~ '^SCRAM-SHA-256\\$' THEN
      RAISE EXCEPTION 'register_station takes a SCRAM-SHA-256 verifier, not a password' USING ERRCODE = '${REFUSAL_CODES.malformed}';
    END IF;
    INSERT INTO depot.stations (name, key_fingerprint, role_name) VALUES (p_name, p_key_fingerprint, v_role);
    EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE ${STATION_GROUP}', v_role, p_password_verifier);
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), v_role);
    RETURN v_role;
  END $fn$;

  ${readPolicies('stations', 'name')}
  ${readPolicies('station_contacts', 'station')}
  ${RECEIVED_TABLES.map((table) => readPolicies(table, 'station')).join('\n')}

  REVOKE ALL ON ALL FUNCTIONS IN SCHEMA depot FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION depot.session_station() TO ${STATION_GROUP};
  GRANT EXECUTE ON FUNCTION depot.hello(text) TO ${STATION_GROUP};
  GRANT EXECUTE ON FUNCTION depot.ingest_records(text, bigint[], text[], text[], text[]) TO ${STATION_GROUP};
  ${ROW_TABLES.map((table) => `GRANT EXECUTE ON FUNCTION depot.ingest_${table}(text, bigint[], text[]) TO ${STATION_GROUP};`).join('\n  ')}
`;

/** Serialises tag leases (an arbitrary constant: "LSTAGS"), so each starts where the last one ended. */
const TAG_LEASE_LOCK = 0x4c5354414753;

/** The depot's tag pattern until its administrator sets one: distinct from a lone station's default (LS-{yyyy}-{seq:06}). */
export const DEPOT_DEFAULT_TAG_PATTERN = 'DEPOT-{yyyy}-{seq:06}';
export const DEPOT_DEFAULT_LEASE_SIZE = 200;

// Asset tags unique across the depot. The depot numbers tags with one counter; a station holds
// leases, blocks of numbers reserved for it in one transaction, which it journals before drawing
// from them and formats with the lease's pattern. Every leased number is a row of its own under a
// primary key, and every tag a station reports under UNIQUE (tag) and UNIQUE (tag_seq): whatever
// goes wrong upstream, PostgreSQL refuses to let two stations hold one number or one tag.
const MIGRATION_2 = `
  -- The tag pattern and lease size in force: the newest row. Append-only, so every change says who made it.
  CREATE TABLE depot.tag_settings (
    id bigserial PRIMARY KEY,
    pattern text NOT NULL CHECK (length(pattern) BETWEEN 1 AND 64),
    lease_size integer NOT NULL CHECK (lease_size BETWEEN 1 AND 100000),
    changed_at timestamptz NOT NULL DEFAULT now(),
    changed_by text NOT NULL DEFAULT session_user
  );
  INSERT INTO depot.tag_settings (pattern, lease_size) VALUES ('${DEPOT_DEFAULT_TAG_PATTERN}', ${DEPOT_DEFAULT_LEASE_SIZE});

  CREATE TABLE depot.tag_leases (
    id bigserial PRIMARY KEY,
    station text NOT NULL REFERENCES depot.stations (name),
    pattern text NOT NULL,
    first_seq bigint NOT NULL CHECK (first_seq > 0),
    last_seq bigint NOT NULL CHECK (last_seq >= first_seq),
    leased_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE INDEX tag_leases_station ON depot.tag_leases (station, id);
  -- The last guard: a number belongs to one lease, whatever a future function or a hand-written INSERT does.
  CREATE TABLE depot.leased_tag_numbers (
    seq bigint PRIMARY KEY,
    lease_id bigint NOT NULL REFERENCES depot.tag_leases (id)
  );
  -- The tags stations drew, keyed by (station, the record's seq); one tag, one number, anywhere in the depot.
  CREATE TABLE depot.asset_tags (
    station text NOT NULL REFERENCES depot.stations (name),
    id bigint NOT NULL CHECK (id > 0),
    tag text NOT NULL UNIQUE,
    tag_seq bigint NOT NULL UNIQUE REFERENCES depot.leased_tag_numbers (seq),
    lease_id bigint NOT NULL REFERENCES depot.tag_leases (id),
    body json NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station, id)
  );
  ${['tag_settings', 'tag_leases', 'leased_tag_numbers', 'asset_tags'].map(appendOnly).join('\n')}

  -- A new lease for the calling station, of the size and pattern in force, starting after the last lease.
  CREATE FUNCTION depot.lease_tags(p_key_fingerprint text)
    RETURNS TABLE (lease_id bigint, lease_pattern text, lease_first_seq bigint, lease_last_seq bigint, lease_leased_at timestamptz)
  LANGUAGE plpgsql ${DEFINER} AS $fn$
  DECLARE
    v_station text := depot.caller(p_key_fingerprint);
    v_settings depot.tag_settings;
    v_first bigint;
    v_lease bigint;
  BEGIN
    PERFORM pg_advisory_xact_lock(${TAG_LEASE_LOCK});
    SELECT * INTO v_settings FROM depot.tag_settings s ORDER BY s.id DESC LIMIT 1;
    SELECT coalesce(max(l.last_seq), 0) + 1 INTO v_first FROM depot.tag_leases l;
    INSERT INTO depot.tag_leases (station, pattern, first_seq, last_seq)
      VALUES (v_station, v_settings.pattern, v_first, v_first + v_settings.lease_size - 1) RETURNING id INTO v_lease;
    INSERT INTO depot.leased_tag_numbers (seq, lease_id) SELECT n, v_lease FROM generate_series(v_first, v_first + v_settings.lease_size - 1) AS n;
    RETURN QUERY SELECT l.id, l.pattern, l.first_seq, l.last_seq, l.leased_at FROM depot.tag_leases l WHERE l.id = v_lease;
  END $fn$;

  -- The tags number p_seq of a pattern reads as, on any date, as an anchored regular expression
  -- (src/shared/asset-tag.ts formats them): literal text escaped, date parts as digits, the number
  -- zero-padded to the width {seq:N} names (never cut).
  CREATE FUNCTION depot.tag_regex(p_pattern text, p_seq bigint) RETURNS text LANGUAGE plpgsql IMMUTABLE
  SET search_path = pg_catalog, pg_temp AS $fn$
  DECLARE
    v_width integer := coalesce(substring(p_pattern FROM '\\{seq:([0-9]+)\\}')::integer, 1);
    v_number text := CASE WHEN length(p_seq::text) >= v_width THEN p_seq::text ELSE lpad(p_seq::text, v_width, '0') END;
    v_regex text := replace(p_pattern, '.', '\\.');
  BEGIN
    v_regex := regexp_replace(v_regex, '\\{seq(:[0-9]+)?\\}', v_number);
    v_regex := replace(v_regex, '{yyyy}', '[0-9]{4}');
    v_regex := replace(replace(replace(v_regex, '{yy}', '[0-9]{2}'), '{mm}', '[0-9]{2}'), '{dd}', '[0-9]{2}');
    RETURN '^' || v_regex || '$';
  END $fn$;

  -- The tags a station drew, in record order: each must come from a lease of that station, and no
  -- other row of the depot may hold its tag or its number.
  CREATE FUNCTION depot.ingest_asset_tags(p_key_fingerprint text, p_id bigint[], p_body text[]) RETURNS bigint
  LANGUAGE plpgsql ${DEFINER} AS $fn$
  DECLARE
    v_station text := depot.caller(p_key_fingerprint);
    v_row json;
    v_held text;
    v_other text;
    v_tag text;
    v_seq bigint;
    v_lease bigint;
    v_pattern text;
  BEGIN
    IF cardinality(p_id) IS DISTINCT FROM cardinality(p_body) THEN
      RAISE EXCEPTION 'ingest_asset_tags: % ids but % bodies', cardinality(p_id), cardinality(p_body) USING ERRCODE = '${REFUSAL_CODES.malformed}';
    END IF;
    FOR i IN 1 .. coalesce(cardinality(p_id), 0) LOOP
      IF p_id[i] IS NULL OR p_id[i] < 1 OR p_body[i] IS NULL THEN
        RAISE EXCEPTION 'ingest_asset_tags: row % has no id or no body', i USING ERRCODE = '${REFUSAL_CODES.malformed}';
      END IF;
      SELECT body::text INTO v_held FROM depot.asset_tags WHERE station = v_station AND id = p_id[i];
      IF FOUND THEN
        IF v_held IS DISTINCT FROM p_body[i] THEN
          RAISE EXCEPTION 'the asset tag of record % of station % differs from the one the depot already holds', p_id[i], v_station
            USING ERRCODE = '${REFUSAL_CODES.conflict}';
        END IF;
        CONTINUE;
      END IF;
      BEGIN
        v_row := p_body[i]::json;
        v_tag := v_row ->> 'tag';
        v_seq := (v_row ->> 'lease_seq')::bigint;
        v_lease := (v_row ->> 'lease_id')::bigint;
      EXCEPTION WHEN data_exception THEN
        RAISE EXCEPTION 'ingest_asset_tags: row % is not an asset tag: %', p_id[i], SQLERRM USING ERRCODE = '${REFUSAL_CODES.malformed}';
      END;
      IF v_tag IS NULL OR v_seq IS NULL OR v_lease IS NULL OR (v_row ->> 'record_seq') IS DISTINCT FROM p_id[i]::text THEN
        RAISE EXCEPTION 'ingest_asset_tags: row % lacks its tag, its number, its lease or its record', p_id[i] USING ERRCODE = '${REFUSAL_CODES.malformed}';
      END IF;
      SELECT l.pattern INTO v_pattern FROM depot.tag_leases l WHERE l.id = v_lease AND l.station = v_station AND v_seq BETWEEN l.first_seq AND l.last_seq;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'asset tag % (number %) of station % is not from a lease the depot gave that station', v_tag, v_seq, v_station
          USING ERRCODE = '${REFUSAL_CODES.tagNotLeased}';
      END IF;
      -- The tag must read as its number in its lease's pattern (any date): a station cannot take
      -- a text that another station's number would produce.
      IF v_tag !~ depot.tag_regex(v_pattern, v_seq) THEN
        RAISE EXCEPTION 'asset tag % of station % does not read as number % of the pattern %', v_tag, v_station, v_seq, v_pattern
          USING ERRCODE = '${REFUSAL_CODES.malformed}';
      END IF;
      BEGIN
        INSERT INTO depot.asset_tags (station, id, tag, tag_seq, lease_id, body) VALUES (v_station, p_id[i], v_tag, v_seq, v_lease, p_body[i]::json);
      EXCEPTION WHEN unique_violation THEN
        SELECT t.station INTO v_other FROM depot.asset_tags t WHERE t.tag = v_tag OR t.tag_seq = v_seq LIMIT 1;
        RAISE EXCEPTION 'asset tag % (number %) of station % is already held by station %', v_tag, v_seq, v_station, v_other
          USING ERRCODE = '${REFUSAL_CODES.tagTaken}';
      END;
    END LOOP;
    RETURN (SELECT coalesce(max(t.id), 0) FROM depot.asset_tags t WHERE t.station = v_station);
  END $fn$;

  -- hello gains the head of the asset tags (its result type changes, so it is replaced).
  DROP FUNCTION depot.hello(text);
  CREATE FUNCTION depot.hello(p_key_fingerprint text)
    RETURNS TABLE (head_station text, head_batches bigint, head_authorisations bigint, head_step_events bigint, head_records bigint, head_record_hash text,
      head_asset_tags bigint)
  LANGUAGE plpgsql ${DEFINER} AS $fn$
  DECLARE
    v_station text := depot.caller(p_key_fingerprint);
  BEGIN
    RETURN QUERY SELECT v_station,
      (SELECT coalesce(max(b.id), 0) FROM depot.batches b WHERE b.station = v_station),
      (SELECT coalesce(max(a.id), 0) FROM depot.authorisations a WHERE a.station = v_station),
      (SELECT coalesce(max(e.id), 0) FROM depot.step_events e WHERE e.station = v_station),
      coalesce((SELECT r.seq FROM depot.records r WHERE r.station = v_station ORDER BY r.seq DESC LIMIT 1), 0),
      coalesce((SELECT r.hash FROM depot.records r WHERE r.station = v_station ORDER BY r.seq DESC LIMIT 1), repeat('0', 64)),
      (SELECT coalesce(max(t.id), 0) FROM depot.asset_tags t WHERE t.station = v_station);
  END $fn$;

  ${readPolicies('tag_leases', 'station')}
  ${readPolicies('asset_tags', 'station')}
  -- Every station reads the settings (the pattern its leases will carry); the numbers are for auditors.
  GRANT SELECT ON depot.tag_settings TO ${STATION_GROUP}, ${AUDITOR_GROUP};
  GRANT SELECT ON depot.leased_tag_numbers TO ${AUDITOR_GROUP};

  REVOKE ALL ON FUNCTION depot.lease_tags(text), depot.ingest_asset_tags(text, bigint[], text[]), depot.hello(text), depot.tag_regex(text, bigint) FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION depot.hello(text) TO ${STATION_GROUP};
  GRANT EXECUTE ON FUNCTION depot.lease_tags(text) TO ${STATION_GROUP};
  GRANT EXECUTE ON FUNCTION depot.ingest_asset_tags(text, bigint[], text[]) TO ${STATION_GROUP};
`;

/** Serialises operator changes (an arbitrary constant: "LSOPERS"), so each sees the one before. */
const OPERATOR_LOCK = 0x4c534f504552;

/** How long a station may sign operators in from its copy without hearing from the depot, until set otherwise. */
export const DEPOT_DEFAULT_OFFLINE_SIGN_IN_S = 24 * 3600;

/** What can happen to an operator, as migration 3 knows it (the station's kinds of change, OPERATOR_CHANGE_KINDS, at the time). */
const MIGRATION_3_CHANGE_KINDS = ['added', 'disabled', 'enabled', 'unlocked', 'pin-reset'] as const;

// Operators managed once, at the depot. Every change is a row of an append-only journal carrying
// the operator's whole state after it (name, role, PIN hash, disabled) and who made it (the
// administrator's PostgreSQL login): an operator's state is its newest row, and a station copies
// the rows after the last one it applied. A PIN reaches the depot only as its scrypt hash.
const MIGRATION_3 = `
  CREATE TABLE depot.operator_changes (
    id bigserial PRIMARY KEY,
    operator_id text NOT NULL CHECK (operator_id ~ '^[a-z0-9][a-z0-9._-]{1,31}$'),
    change text NOT NULL CHECK (change IN (${MIGRATION_3_CHANGE_KINDS.map((kind) => `'${kind}'`).join(', ')})),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 80),
    role text NOT NULL CHECK (role IN (${ROLES.map((role) => `'${role}'`).join(', ')})),
    pin_hash text NOT NULL CHECK (pin_hash ~ '^scrypt\\$[0-9]+\\$[0-9]+\\$[0-9]+\\$[A-Za-z0-9+/=]+\\$[A-Za-z0-9+/=]+$'),
    disabled boolean NOT NULL,
    made_at timestamptz NOT NULL DEFAULT now(),
    made_by text NOT NULL DEFAULT session_user
  );
  CREATE INDEX operator_changes_operator ON depot.operator_changes (operator_id, id);
  -- How long a station may sign operators in from its copy without hearing from the depot; the newest row is in force.
  CREATE TABLE depot.operator_settings (
    id bigserial PRIMARY KEY,
    offline_sign_in_s integer NOT NULL CHECK (offline_sign_in_s BETWEEN 60 AND 2678400),
    changed_at timestamptz NOT NULL DEFAULT now(),
    changed_by text NOT NULL DEFAULT session_user
  );
  INSERT INTO depot.operator_settings (offline_sign_in_s) VALUES (${DEPOT_DEFAULT_OFFLINE_SIGN_IN_S});
  ${['operator_changes', 'operator_settings'].map(appendOnly).join('\n')}

  -- An administrator's change to an operator. Not SECURITY DEFINER: it runs as the administrator,
  -- whose login is journaled as made_by. The PIN arrives as its hash.
  CREATE FUNCTION depot.change_operator(p_change text, p_operator_id text, p_display_name text, p_role text, p_pin_hash text) RETURNS bigint
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
  DECLARE
    v_held depot.operator_changes;
    v_id bigint;
  BEGIN
    PERFORM pg_advisory_xact_lock(${OPERATOR_LOCK});
    SELECT * INTO v_held FROM depot.operator_changes c WHERE c.operator_id = p_operator_id ORDER BY c.id DESC LIMIT 1;
    IF p_change = 'added' THEN
      IF FOUND THEN
        RAISE EXCEPTION 'operator % already exists at the depot; an id is never reused (disabled operators keep theirs)', p_operator_id
          USING ERRCODE = '${REFUSAL_CODES.operatorExists}';
      END IF;
      INSERT INTO depot.operator_changes (operator_id, change, display_name, role, pin_hash, disabled)
        VALUES (p_operator_id, 'added', p_display_name, p_role, p_pin_hash, false) RETURNING id INTO v_id;
      RETURN v_id;
    END IF;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'there is no operator % at the depot', p_operator_id USING ERRCODE = '${REFUSAL_CODES.noSuchOperator}';
    END IF;
    IF p_change = 'disabled' AND v_held.role = 'admin' AND NOT v_held.disabled AND NOT EXISTS (
      SELECT FROM (SELECT DISTINCT ON (c.operator_id) c.operator_id, c.role, c.disabled FROM depot.operator_changes c ORDER BY c.operator_id, c.id DESC) latest
      WHERE latest.operator_id <> p_operator_id AND latest.role = 'admin' AND NOT latest.disabled) THEN
      RAISE EXCEPTION 'operator % is the depot''s last enabled admin; add or enable another admin first', p_operator_id USING ERRCODE = '${REFUSAL_CODES.lastAdmin}';
    END IF;
    INSERT INTO depot.operator_changes (operator_id, change, display_name, role, pin_hash, disabled)
      VALUES (p_operator_id, p_change, v_held.display_name, v_held.role,
        CASE WHEN p_change = 'pin-reset' THEN p_pin_hash ELSE v_held.pin_hash END,
        CASE p_change WHEN 'disabled' THEN true WHEN 'enabled' THEN false ELSE v_held.disabled END)
      RETURNING id INTO v_id;
    RETURN v_id;
  END $fn$;
  REVOKE ALL ON FUNCTION depot.change_operator(text, text, text, text, text) FROM PUBLIC;

  -- Every station copies the operators (PIN hashes included: it signs them in while offline); auditors read the journal.
  GRANT SELECT ON depot.operator_changes, depot.operator_settings TO ${STATION_GROUP}, ${AUDITOR_GROUP};
`;

// Signed heads and station reports. A station signs, with its records key, the head line its own
// unfiltered export would end with at the record the depot just acknowledged (docs/records.md, "The
// chain-head line"), and pushes it: a depot export then carries each station's signature, so whoever
// can write the depot's tables but holds no station key cannot rebuild a chain unnoticed. PostgreSQL
// cannot check an Ed25519 signature; it checks that the key is the registered one (its fingerprint)
// and that the head is a record it holds; `records verify` checks the signature offline. The report is
// what only the station knows: its backlog, why the depot refused it, how many tags it has left.
const MIGRATION_4 = `
  CREATE TABLE depot.signed_heads (
    station text NOT NULL REFERENCES depot.stations (name),
    head_seq bigint NOT NULL CHECK (head_seq > 0),
    head_hash text NOT NULL CHECK (head_hash ~ '^[0-9a-f]{64}$'),
    -- The signed head's exportedAt and format, as the station wrote them: the signed text is rebuilt from them.
    signed_at text NOT NULL CHECK (signed_at ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$'),
    format text NOT NULL CHECK (format ~ '^lockstep-records/[0-9]+$'),
    public_key text NOT NULL CHECK (public_key ~ '^[A-Za-z0-9+/]{43}=$'),
    signature text NOT NULL CHECK (signature ~ '^[A-Za-z0-9+/]{86}==$'),
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station, head_seq),
    FOREIGN KEY (station, head_hash) REFERENCES depot.records (station, hash)
  );
  ${appendOnly('signed_heads')}

  -- The newest report of each station (one row, replaced at each sync pass, like station_contacts).
  CREATE TABLE depot.station_reports (
    station text PRIMARY KEY REFERENCES depot.stations (name),
    reported_at timestamptz NOT NULL,
    backlog json NOT NULL,
    refusal text CHECK (length(refusal) <= 4000),
    tags_left integer CHECK (tags_left >= 0),
    tags_pending integer CHECK (tags_pending >= 0),
    tag_warning text CHECK (length(tag_warning) <= 200)
  );

  -- A head the calling station signed. A head the depot already holds is accepted again unchanged
  -- (a re-send); the key must be the one whose fingerprint the station was registered with.
  CREATE FUNCTION depot.ingest_signed_head(p_key_fingerprint text, p_head_seq bigint, p_head_hash text, p_signed_at text, p_format text,
    p_public_key text, p_signature text) RETURNS bigint
  LANGUAGE plpgsql ${DEFINER} AS $fn$
  DECLARE
    v_station text := depot.caller(p_key_fingerprint);
    v_key bytea;
    v_held depot.signed_heads;
  BEGIN
    BEGIN
      v_key := decode(p_public_key, 'base64');
    EXCEPTION WHEN invalid_parameter_value THEN
      RAISE EXCEPTION 'the public key of station % is not base64', v_station USING ERRCODE = '${REFUSAL_CODES.malformed}';
    END;
    IF length(v_key) <> 32 OR encode(sha256(v_key), 'hex') <> p_key_fingerprint THEN
      RAISE EXCEPTION 'the public key % is not the key station % is registered with (fingerprint %)', p_public_key, v_station, p_key_fingerprint
        USING ERRCODE = '${REFUSAL_CODES.wrongKey}';
    END IF;
    IF NOT EXISTS (SELECT FROM depot.records r WHERE r.station = v_station AND r.seq = p_head_seq AND r.hash = p_head_hash) THEN
      RAISE EXCEPTION 'station % signed record % (hash %), which the depot does not hold', v_station, p_head_seq, p_head_hash
        USING ERRCODE = '${REFUSAL_CODES.headNotHeld}';
    END IF;
    SELECT * INTO v_held FROM depot.signed_heads h WHERE h.station = v_station AND h.head_seq = p_head_seq;
    IF FOUND THEN
      RETURN p_head_seq;
    END IF;
    INSERT INTO depot.signed_heads (station, head_seq, head_hash, signed_at, format, public_key, signature)
      VALUES (v_station, p_head_seq, p_head_hash, p_signed_at, p_format, p_public_key, p_signature);
    RETURN p_head_seq;
  END $fn$;

  -- What the calling station reports of itself at each sync pass (or, best effort, when refused).
  CREATE FUNCTION depot.report_station(p_key_fingerprint text, p_backlog text, p_refusal text, p_tags_left integer, p_tags_pending integer,
    p_tag_warning text) RETURNS void
  LANGUAGE plpgsql ${DEFINER} AS $fn$
  DECLARE
    v_station text := depot.caller(p_key_fingerprint);
    v_backlog json;
  BEGIN
    BEGIN
      v_backlog := p_backlog::json;
    EXCEPTION WHEN data_exception THEN
      RAISE EXCEPTION 'the report of station % has a backlog that is not JSON', v_station USING ERRCODE = '${REFUSAL_CODES.malformed}';
    END;
    IF json_typeof(v_backlog) IS DISTINCT FROM 'object' THEN
      RAISE EXCEPTION 'the report of station % has a backlog that is not an object', v_station USING ERRCODE = '${REFUSAL_CODES.malformed}';
    END IF;
    INSERT INTO depot.station_reports (station, reported_at, backlog, refusal, tags_left, tags_pending, tag_warning)
      VALUES (v_station, now(), v_backlog, p_refusal, p_tags_left, p_tags_pending, p_tag_warning)
      ON CONFLICT (station) DO UPDATE SET reported_at = excluded.reported_at, backlog = excluded.backlog, refusal = excluded.refusal,
        tags_left = excluded.tags_left, tags_pending = excluded.tags_pending, tag_warning = excluded.tag_warning;
  END $fn$;

  ${readPolicies('signed_heads', 'station')}
  ${readPolicies('station_reports', 'station')}
  REVOKE ALL ON FUNCTION depot.ingest_signed_head(text, bigint, text, text, text, text, text), depot.report_station(text, text, text, integer, integer, text) FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION depot.ingest_signed_head(text, bigint, text, text, text, text, text) TO ${STATION_GROUP};
  GRANT EXECUTE ON FUNCTION depot.report_station(text, text, text, integer, integer, text) TO ${STATION_GROUP};
`;

// Label jobs and their outcomes, and the operators a station offers at join. Label jobs
// (src/main/labels/label-store.ts): each print or reprint a station
// asked for, and what the printer answered (accepted, or failed with why). A job with no outcome was
// not taken (yet); a handset labelled on a station without a printer has no job, its step event says
// so. Each row names the record it labels, and an outcome its job: foreign keys, so the depot holds
// no label of a record or job it lacks. The typed columns arrive beside the body, since PostgreSQL's
// JSON operators refuse the escapes canonical JSON writes for hostile printer text. The heads come
// from a function of their own, so this migration does not redefine depot.hello.
const MIGRATION_5 = `
  CREATE TABLE depot.label_jobs (
    station text NOT NULL REFERENCES depot.stations (name),
    id bigint NOT NULL CHECK (id > 0),
    record_seq bigint NOT NULL,
    body json NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station, id),
    FOREIGN KEY (station, record_seq) REFERENCES depot.records (station, seq)
  );
  CREATE TABLE depot.label_outcomes (
    station text NOT NULL REFERENCES depot.stations (name),
    id bigint NOT NULL CHECK (id > 0),
    record_seq bigint NOT NULL,
    -- Null for an outcome journaled before the station kept label jobs (its schema 5).
    job_id bigint,
    status text NOT NULL CHECK (status IN ('accepted', 'failed')),
    body json NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station, id),
    UNIQUE (station, job_id),
    FOREIGN KEY (station, record_seq) REFERENCES depot.records (station, seq),
    FOREIGN KEY (station, job_id) REFERENCES depot.label_jobs (station, id)
  );
  CREATE INDEX label_outcomes_record ON depot.label_outcomes (station, record_seq);
  ${appendOnly('label_jobs')}
  ${appendOnly('label_outcomes')}

  -- The station's label jobs, in id order; a re-send changes nothing, a changed row is refused.
  CREATE FUNCTION depot.ingest_label_jobs(p_key_fingerprint text, p_id bigint[], p_record_seq bigint[], p_body text[]) RETURNS bigint
  LANGUAGE plpgsql ${DEFINER} AS $fn$
  DECLARE
    v_station text := depot.caller(p_key_fingerprint);
    v_held depot.label_jobs;
    n integer := coalesce(cardinality(p_id), 0);
  BEGIN
    IF n IS DISTINCT FROM coalesce(cardinality(p_record_seq), 0) OR n IS DISTINCT FROM coalesce(cardinality(p_body), 0) THEN
      RAISE EXCEPTION 'ingest_label_jobs: the arrays differ in length' USING ERRCODE = '${REFUSAL_CODES.malformed}';
    END IF;
    FOR i IN 1 .. n LOOP
      IF p_id[i] IS NULL OR p_id[i] < 1 OR p_record_seq[i] IS NULL OR p_body[i] IS NULL THEN
        RAISE EXCEPTION 'ingest_label_jobs: row % lacks its id, its record or its body', i USING ERRCODE = '${REFUSAL_CODES.malformed}';
      END IF;
      SELECT * INTO v_held FROM depot.label_jobs j WHERE j.station = v_station AND j.id = p_id[i];
      IF FOUND THEN
        IF v_held.record_seq IS DISTINCT FROM p_record_seq[i] OR v_held.body::text IS DISTINCT FROM p_body[i] THEN
          RAISE EXCEPTION 'label job % of station % differs from the one the depot already holds', p_id[i], v_station USING ERRCODE = '${REFUSAL_CODES.conflict}';
        END IF;
        CONTINUE;
      END IF;
      IF NOT EXISTS (SELECT FROM depot.records r WHERE r.station = v_station AND r.seq = p_record_seq[i]) THEN
        RAISE EXCEPTION 'label job % of station % labels record %, which the depot does not hold', p_id[i], v_station, p_record_seq[i]
          USING ERRCODE = '${REFUSAL_CODES.malformed}';
      END IF;
      INSERT INTO depot.label_jobs (station, id, record_seq, body) VALUES (v_station, p_id[i], p_record_seq[i], p_body[i]::json);
    END LOOP;
    RETURN (SELECT coalesce(max(j.id), 0) FROM depot.label_jobs j WHERE j.station = v_station);
  END $fn$;

  -- What the printers answered, in id order: an outcome names a record and a job of the same station.
  CREATE FUNCTION depot.ingest_label_outcomes(p_key_fingerprint text, p_id bigint[], p_record_seq bigint[], p_job_id bigint[], p_status text[], p_body text[])
    RETURNS bigint
  LANGUAGE plpgsql ${DEFINER} AS $fn$
  DECLARE
    v_station text := depot.caller(p_key_fingerprint);
    v_held depot.label_outcomes;
    v_job_record bigint;
    n integer := coalesce(cardinality(p_id), 0);
  BEGIN
    IF n IS DISTINCT FROM coalesce(cardinality(p_record_seq), 0) OR n IS DISTINCT FROM coalesce(cardinality(p_job_id), 0)
       OR n IS DISTINCT FROM coalesce(cardinality(p_status), 0) OR n IS DISTINCT FROM coalesce(cardinality(p_body), 0) THEN
      RAISE EXCEPTION 'ingest_label_outcomes: the arrays differ in length' USING ERRCODE = '${REFUSAL_CODES.malformed}';
    END IF;
    FOR i IN 1 .. n LOOP
      IF p_id[i] IS NULL OR p_id[i] < 1 OR p_record_seq[i] IS NULL OR p_body[i] IS NULL OR p_status[i] IS NULL OR p_status[i] NOT IN ('accepted', 'failed') THEN
        RAISE EXCEPTION 'ingest_label_outcomes: row % lacks its id, its record, its body or a status of accepted or failed', i
          USING ERRCODE = '${REFUSAL_CODES.malformed}';
      END IF;
      SELECT * INTO v_held FROM depot.label_outcomes o WHERE o.station = v_station AND o.id = p_id[i];
      IF FOUND THEN
        IF v_held.record_seq IS DISTINCT FROM p_record_seq[i] OR v_held.job_id IS DISTINCT FROM p_job_id[i] OR v_held.status IS DISTINCT FROM p_status[i]
           OR v_held.body::text IS DISTINCT FROM p_body[i] THEN
          RAISE EXCEPTION 'label outcome % of station % differs from the one the depot already holds', p_id[i], v_station USING ERRCODE = '${REFUSAL_CODES.conflict}';
        END IF;
        CONTINUE;
      END IF;
      IF NOT EXISTS (SELECT FROM depot.records r WHERE r.station = v_station AND r.seq = p_record_seq[i]) THEN
        RAISE EXCEPTION 'label outcome % of station % is for record %, which the depot does not hold', p_id[i], v_station, p_record_seq[i]
          USING ERRCODE = '${REFUSAL_CODES.malformed}';
      END IF;
      IF p_job_id[i] IS NOT NULL THEN
        SELECT j.record_seq INTO v_job_record FROM depot.label_jobs j WHERE j.station = v_station AND j.id = p_job_id[i];
        IF NOT FOUND OR v_job_record IS DISTINCT FROM p_record_seq[i] THEN
          RAISE EXCEPTION 'label outcome % of station % answers job %, which the depot does not hold for record %', p_id[i], v_station, p_job_id[i], p_record_seq[i]
            USING ERRCODE = '${REFUSAL_CODES.malformed}';
        END IF;
      END IF;
      BEGIN
        INSERT INTO depot.label_outcomes (station, id, record_seq, job_id, status, body) VALUES (v_station, p_id[i], p_record_seq[i], p_job_id[i], p_status[i], p_body[i]::json);
      EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION 'label job % of station % already has an outcome at the depot', p_job_id[i], v_station USING ERRCODE = '${REFUSAL_CODES.conflict}';
      END;
    END LOOP;
    RETURN (SELECT coalesce(max(o.id), 0) FROM depot.label_outcomes o WHERE o.station = v_station);
  END $fn$;

  -- Where the calling station's label streams resume (depot.hello answers the others).
  CREATE FUNCTION depot.label_heads(p_key_fingerprint text) RETURNS TABLE (head_label_jobs bigint, head_label_outcomes bigint)
  LANGUAGE plpgsql ${DEFINER} AS $fn$
  DECLARE
    v_station text := depot.caller(p_key_fingerprint);
  BEGIN
    RETURN QUERY SELECT (SELECT coalesce(max(j.id), 0) FROM depot.label_jobs j WHERE j.station = v_station),
      (SELECT coalesce(max(o.id), 0) FROM depot.label_outcomes o WHERE o.station = v_station);
  END $fn$;

  -- A station offers its own operators at join (docs/depot.md, "Operators a station already has"):
  -- each is added to the depot as a change made by the station's role, so the journal says which
  -- station offered it. It only ever adds: an id the depot has held is refused whole (LS010), so a
  -- station can never change, re-enable or overwrite a depot operator.
  CREATE FUNCTION depot.offer_operators(p_key_fingerprint text, p_operator_id text[], p_display_name text[], p_role text[], p_pin_hash text[]) RETURNS integer
  LANGUAGE plpgsql ${DEFINER} AS $fn$
  DECLARE
    v_station text := depot.caller(p_key_fingerprint);
    n integer := coalesce(cardinality(p_operator_id), 0);
  BEGIN
${OFFER_ARRAYS_CHECK}    PERFORM pg_advisory_xact_lock(${OPERATOR_LOCK});
${OFFER_OPERATORS_LOOP}    RETURN n;
  END $fn$;

  ${readPolicies('label_jobs', 'station')}
  ${readPolicies('label_outcomes', 'station')}
  REVOKE ALL ON FUNCTION depot.offer_operators(text, text[], text[], text[], text[]) FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION depot.offer_operators(text, text[], text[], text[], text[]) TO ${STATION_GROUP};
  REVOKE ALL ON FUNCTION depot.ingest_label_jobs(text, bigint[], bigint[], text[]), depot.ingest_label_outcomes(text, bigint[], bigint[], bigint[], text[], text[]),
    depot.label_heads(text) FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION depot.ingest_label_jobs(text, bigint[], bigint[], text[]) TO ${STATION_GROUP};
  GRANT EXECUTE ON FUNCTION depot.ingest_label_outcomes(text, bigint[], bigint[], bigint[], text[], text[]) TO ${STATION_GROUP};
  GRANT EXECUTE ON FUNCTION depot.label_heads(text) TO ${STATION_GROUP};
`;

/** Wrong admin PINs the depot accepts from stations before it refuses that admin's changes until the PIN is reset or unlocked there. */
export const DEPOT_MAX_ADMIN_PIN_FAILURES = 5;

// Operators changed from Settings on a station, by an admin, at the depot (docs/depot.md, "Operators
// changed from a station"). The station's role gets no write right on operators: it may only call
// depot.station_change_operator, which checks inside the depot that the acting operator is an enabled
// admin there and proves it by its PIN, against a verifier only the depot holds: for each PIN set from
// now on, whoever sets it (the CLI or a station) stores a salt and SHA-256 of scrypt(PIN, salt); the
// station derives scrypt(PIN, salt) from the PIN the admin typed and PostgreSQL compares its SHA-256.
// Stations read the salt, never the verifier; the PIN hash they copy for signing in has another salt,
// so neither the copy nor the salt lets a station act for an admin without the PIN. Wrong PINs are
// counted at the depot (the function returns its refusal rather than raising, so the count commits).
const MIGRATION_6 = `
  ALTER TABLE depot.operator_changes
    ADD COLUMN made_by_operator text CHECK (made_by_operator ~ '^[a-z0-9][a-z0-9._-]{1,31}$'),
    ADD COLUMN made_at_station text REFERENCES depot.stations (name),
    ADD CONSTRAINT operator_changes_made_at_station CHECK ((made_by_operator IS NULL) = (made_at_station IS NULL));

  -- The PIN a change set (added, pin-reset), in the form the depot can check: the salt and cost stations read, the verifier they cannot.
  CREATE TABLE depot.operator_pin_proofs (
    change_id bigint PRIMARY KEY REFERENCES depot.operator_changes (id),
    kdf text NOT NULL CHECK (kdf ~ '^scrypt\\$[0-9]{1,10}\\$[0-9]{1,3}\\$[0-9]{1,3}\\$[A-Za-z0-9+/]{22}==$'),
    verifier text NOT NULL CHECK (verifier ~ '^[0-9a-f]{64}$')
  );
  CREATE TABLE depot.operator_pin_failures (
    id bigserial PRIMARY KEY,
    operator_id text NOT NULL,
    station text NOT NULL REFERENCES depot.stations (name),
    failed_at timestamptz NOT NULL DEFAULT now()
  );
  ${['operator_pin_proofs', 'operator_pin_failures'].map(appendOnly).join('\n')}

  -- One change, journaled with who made it; run only by the two functions below (no one may EXECUTE it).
  CREATE FUNCTION depot.record_operator_change(p_change text, p_operator_id text, p_display_name text, p_role text, p_pin_hash text,
    p_proof_kdf text, p_proof_verifier text, p_by_operator text, p_at_station text) RETURNS bigint
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
  DECLARE
    v_held depot.operator_changes;
    v_id bigint;
  BEGIN
    PERFORM pg_advisory_xact_lock(${OPERATOR_LOCK});
    IF p_change IN ('added', 'pin-reset') AND (p_proof_kdf IS NULL OR p_proof_verifier IS NULL) THEN
      RAISE EXCEPTION 'a new PIN comes with its depot verifier' USING ERRCODE = '${REFUSAL_CODES.malformed}';
    END IF;
    SELECT * INTO v_held FROM depot.operator_changes c WHERE c.operator_id = p_operator_id ORDER BY c.id DESC LIMIT 1;
    IF p_change = 'added' THEN
      IF FOUND THEN
        RAISE EXCEPTION 'operator % already exists at the depot; an id is never reused (disabled operators keep theirs)', p_operator_id
          USING ERRCODE = '${REFUSAL_CODES.operatorExists}';
      END IF;
      INSERT INTO depot.operator_changes (operator_id, change, display_name, role, pin_hash, disabled, made_by_operator, made_at_station)
        VALUES (p_operator_id, 'added', p_display_name, p_role, p_pin_hash, false, p_by_operator, p_at_station) RETURNING id INTO v_id;
    ELSE
      IF NOT FOUND THEN
        RAISE EXCEPTION 'there is no operator % at the depot', p_operator_id USING ERRCODE = '${REFUSAL_CODES.noSuchOperator}';
      END IF;
      IF p_change = 'disabled' AND v_held.role = 'admin' AND NOT v_held.disabled AND NOT EXISTS (
        SELECT FROM (SELECT DISTINCT ON (c.operator_id) c.operator_id, c.role, c.disabled FROM depot.operator_changes c ORDER BY c.operator_id, c.id DESC) latest
        WHERE latest.operator_id <> p_operator_id AND latest.role = 'admin' AND NOT latest.disabled) THEN
        RAISE EXCEPTION 'operator % is the depot''s last enabled admin; add or enable another admin first', p_operator_id USING ERRCODE = '${REFUSAL_CODES.lastAdmin}';
      END IF;
      INSERT INTO depot.operator_changes (operator_id, change, display_name, role, pin_hash, disabled, made_by_operator, made_at_station)
        VALUES (p_operator_id, p_change, v_held.display_name, v_held.role,
          CASE WHEN p_change = 'pin-reset' THEN p_pin_hash ELSE v_held.pin_hash END,
          CASE p_change WHEN 'disabled' THEN true WHEN 'enabled' THEN false ELSE v_held.disabled END, p_by_operator, p_at_station)
        RETURNING id INTO v_id;
    END IF;
    IF p_change IN ('added', 'pin-reset') THEN
      INSERT INTO depot.operator_pin_proofs (change_id, kdf, verifier) VALUES (v_id, p_proof_kdf, p_proof_verifier);
    END IF;
    RETURN v_id;
  END $fn$;

  -- The administrator's change (lockstep depot operators): as before, with the new PIN's depot verifier.
  DROP FUNCTION depot.change_operator(text, text, text, text, text);
  CREATE FUNCTION depot.change_operator(p_change text, p_operator_id text, p_display_name text, p_role text, p_pin_hash text,
    p_proof_kdf text, p_proof_verifier text) RETURNS bigint
  LANGUAGE sql SET search_path = pg_catalog, pg_temp
  RETURN depot.record_operator_change(p_change, p_operator_id, p_display_name, p_role, p_pin_hash, p_proof_kdf, p_proof_verifier, NULL, NULL);

  -- A change an admin makes from Settings on the calling station. Returns the change's id, or, for a
  -- wrong PIN, the refusal (returned, not raised, so the failure it counts is kept).
  CREATE FUNCTION depot.station_change_operator(p_key_fingerprint text, p_admin_id text, p_admin_proof text,
    p_change text, p_operator_id text, p_display_name text, p_role text, p_pin_hash text, p_proof_kdf text, p_proof_verifier text)
    RETURNS TABLE (change_id bigint, refused_code text, refused_reason text)
  LANGUAGE plpgsql ${DEFINER} AS $fn$
  DECLARE
    v_station text := depot.caller(p_key_fingerprint);
    v_admin depot.operator_changes;
    v_since timestamptz;
    v_verifier text;
  BEGIN
    PERFORM pg_advisory_xact_lock(${OPERATOR_LOCK});
    IF p_change NOT IN ('added', 'disabled', 'enabled', 'pin-reset') THEN
      RAISE EXCEPTION 'a station changes operators by adding, disabling, enabling or re-PINning them, not %', p_change USING ERRCODE = '${REFUSAL_CODES.malformed}';
    END IF;
    SELECT * INTO v_admin FROM depot.operator_changes c WHERE c.operator_id = p_admin_id ORDER BY c.id DESC LIMIT 1;
    IF NOT FOUND OR v_admin.role <> 'admin' OR v_admin.disabled THEN
      RAISE EXCEPTION 'operator % is not an enabled admin at the depot; only an admin changes operators', p_admin_id USING ERRCODE = '${REFUSAL_CODES.notAnAdmin}';
    END IF;
    -- Wrong PINs count since the admin's PIN was last set or unlocked at the depot, or last proven.
    SELECT max(c.made_at) INTO v_since FROM depot.operator_changes c
      WHERE (c.operator_id = p_admin_id AND c.change IN ('added', 'pin-reset', 'unlocked')) OR c.made_by_operator = p_admin_id;
    IF (SELECT count(*) FROM depot.operator_pin_failures f WHERE f.operator_id = p_admin_id AND f.failed_at > v_since) >= ${DEPOT_MAX_ADMIN_PIN_FAILURES} THEN
      RAISE EXCEPTION 'the depot refused the PIN of admin % ${DEPOT_MAX_ADMIN_PIN_FAILURES} times; unlock or reset it at the depot (lockstep depot operators)', p_admin_id
        USING ERRCODE = '${REFUSAL_CODES.adminPinLocked}';
    END IF;
    SELECT p.verifier INTO v_verifier FROM depot.operator_pin_proofs p
      WHERE p.change_id = (SELECT max(c.id) FROM depot.operator_changes c WHERE c.operator_id = p_admin_id AND c.change IN ('added', 'pin-reset'));
    IF NOT FOUND THEN
      RAISE EXCEPTION 'the PIN of admin % was set before the depot could check PINs; reset it once at the depot (lockstep depot operators reset-pin)', p_admin_id
        USING ERRCODE = '${REFUSAL_CODES.noPinProof}';
    END IF;
    -- Checked in steps: decode() must only see text that is a 32-byte key in base64.
    IF p_admin_proof ~ '^[A-Za-z0-9+/]{43}=$' THEN
      IF encode(sha256(decode(p_admin_proof, 'base64')), 'hex') = v_verifier THEN
        RETURN QUERY SELECT depot.record_operator_change(p_change, p_operator_id, p_display_name, p_role, p_pin_hash, p_proof_kdf, p_proof_verifier, p_admin_id, v_station),
          NULL::text, NULL::text;
        RETURN;
      END IF;
    END IF;
    INSERT INTO depot.operator_pin_failures (operator_id, station) VALUES (p_admin_id, v_station);
    RETURN QUERY SELECT NULL::bigint, '${REFUSAL_CODES.wrongAdminPin}'::text, format('the depot refused the PIN of admin %s', p_admin_id);
  END $fn$;

  REVOKE ALL ON FUNCTION depot.record_operator_change(text, text, text, text, text, text, text, text, text),
    depot.change_operator(text, text, text, text, text, text, text),
    depot.station_change_operator(text, text, text, text, text, text, text, text, text, text) FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION depot.station_change_operator(text, text, text, text, text, text, text, text, text, text) TO ${STATION_GROUP};
  -- Stations read which salt and cost to derive an admin's proof with, auditors too; the verifiers stay in the depot.
  GRANT SELECT (change_id, kdf) ON depot.operator_pin_proofs TO ${STATION_GROUP}, ${AUDITOR_GROUP};
  GRANT SELECT ON depot.operator_pin_failures TO ${AUDITOR_GROUP};
`;

/** How long after a station's join its own operators may be offered to the depot (migration 7). */
export const DEPOT_OFFER_WINDOW_MINUTES = 60;

/** What can happen to an operator from migration 7 on: migration 3's kinds and a change of role. */
const MIGRATION_7_CHANGE_KINDS = [...MIGRATION_3_CHANGE_KINDS, 'role-changed'] as const;

// An operator's role changed, by the administrator (lockstep depot operators set-role) or by an admin
// from Settings on a station (depot.station_change_operator, proven by the admin's PIN as in migration
// 6), journaled like any change with the operator's whole state after it. Demoting the depot's last
// enabled admin is refused, as disabling it is. Both functions are replaced whole, with their
// signatures, privileges and checks otherwise as migration 6 made them.
// And an offer window: each join is journaled (depot.record_join, for the calling station), and
// depot.offer_operators (replaced whole, same signature) accepts a station's offer only within
// DEPOT_OFFER_WINDOW_MINUTES of its newest join, so an offer is made while the comparison the admin
// saw at join is fresh; later, the station joins again (which retries nothing else) and offers then.
const MIGRATION_7 = `
  CREATE TABLE depot.station_joins (
    id bigserial PRIMARY KEY,
    station text NOT NULL REFERENCES depot.stations (name),
    joined_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE INDEX station_joins_station ON depot.station_joins (station, joined_at);
  ${appendOnly('station_joins')}
  ${readPolicies('station_joins', 'station')}

  CREATE FUNCTION depot.record_join(p_key_fingerprint text) RETURNS timestamptz
  LANGUAGE plpgsql ${DEFINER} AS $fn$
  DECLARE
    v_station text := depot.caller(p_key_fingerprint);
    v_at timestamptz;
  BEGIN
    INSERT INTO depot.station_joins (station) VALUES (v_station) RETURNING joined_at INTO v_at;
    RETURN v_at;
  END $fn$;
  REVOKE ALL ON FUNCTION depot.record_join(text) FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION depot.record_join(text) TO ${STATION_GROUP};

  CREATE OR REPLACE FUNCTION depot.offer_operators(p_key_fingerprint text, p_operator_id text[], p_display_name text[], p_role text[], p_pin_hash text[])
    RETURNS integer
  LANGUAGE plpgsql ${DEFINER} AS $fn$
  DECLARE
    v_station text := depot.caller(p_key_fingerprint);
    n integer := coalesce(cardinality(p_operator_id), 0);
  BEGIN
${OFFER_ARRAYS_CHECK}    IF NOT EXISTS (SELECT FROM depot.station_joins j WHERE j.station = v_station AND j.joined_at > now() - interval '${DEPOT_OFFER_WINDOW_MINUTES} minutes') THEN
      RAISE EXCEPTION 'station % offers its operators within ${DEPOT_OFFER_WINDOW_MINUTES} minutes of joining, and its last join is older; join again (lockstep depot join, or Settings → Depot), then offer them', v_station
        USING ERRCODE = '${REFUSAL_CODES.offerWindowClosed}';
    END IF;
    PERFORM pg_advisory_xact_lock(${OPERATOR_LOCK});
${OFFER_OPERATORS_LOOP}    RETURN n;
  END $fn$;

  ALTER TABLE depot.operator_changes DROP CONSTRAINT operator_changes_change_check,
    ADD CONSTRAINT operator_changes_change_check CHECK (change IN (${MIGRATION_7_CHANGE_KINDS.map((kind) => `'${kind}'`).join(', ')}));

  CREATE OR REPLACE FUNCTION depot.record_operator_change(p_change text, p_operator_id text, p_display_name text, p_role text, p_pin_hash text,
    p_proof_kdf text, p_proof_verifier text, p_by_operator text, p_at_station text) RETURNS bigint
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
  DECLARE
    v_held depot.operator_changes;
    v_id bigint;
  BEGIN
    PERFORM pg_advisory_xact_lock(${OPERATOR_LOCK});
    IF p_change IN ('added', 'pin-reset') AND (p_proof_kdf IS NULL OR p_proof_verifier IS NULL) THEN
      RAISE EXCEPTION 'a new PIN comes with its depot verifier' USING ERRCODE = '${REFUSAL_CODES.malformed}';
    END IF;
    SELECT * INTO v_held FROM depot.operator_changes c WHERE c.operator_id = p_operator_id ORDER BY c.id DESC LIMIT 1;
    IF p_change = 'added' THEN
      IF FOUND THEN
        RAISE EXCEPTION 'operator % already exists at the depot; an id is never reused (disabled operators keep theirs)', p_operator_id
          USING ERRCODE = '${REFUSAL_CODES.operatorExists}';
      END IF;
      INSERT INTO depot.operator_changes (operator_id, change, display_name, role, pin_hash, disabled, made_by_operator, made_at_station)
        VALUES (p_operator_id, 'added', p_display_name, p_role, p_pin_hash, false, p_by_operator, p_at_station) RETURNING id INTO v_id;
    ELSE
      IF NOT FOUND THEN
        RAISE EXCEPTION 'there is no operator % at the depot', p_operator_id USING ERRCODE = '${REFUSAL_CODES.noSuchOperator}';
      END IF;
      IF p_change = 'role-changed' AND (p_role IS NULL OR p_role = v_held.role) THEN
        RAISE EXCEPTION 'a change of role names a role operator % does not have yet', p_operator_id USING ERRCODE = '${REFUSAL_CODES.malformed}';
      END IF;
      IF (p_change = 'disabled' OR (p_change = 'role-changed' AND p_role <> 'admin')) AND v_held.role = 'admin' AND NOT v_held.disabled AND NOT EXISTS (
        SELECT FROM (SELECT DISTINCT ON (c.operator_id) c.operator_id, c.role, c.disabled FROM depot.operator_changes c ORDER BY c.operator_id, c.id DESC) latest
        WHERE latest.operator_id <> p_operator_id AND latest.role = 'admin' AND NOT latest.disabled) THEN
        RAISE EXCEPTION 'operator % is the depot''s last enabled admin; add or enable another admin first', p_operator_id USING ERRCODE = '${REFUSAL_CODES.lastAdmin}';
      END IF;
      INSERT INTO depot.operator_changes (operator_id, change, display_name, role, pin_hash, disabled, made_by_operator, made_at_station)
        VALUES (p_operator_id, p_change, v_held.display_name, CASE WHEN p_change = 'role-changed' THEN p_role ELSE v_held.role END,
          CASE WHEN p_change = 'pin-reset' THEN p_pin_hash ELSE v_held.pin_hash END,
          CASE p_change WHEN 'disabled' THEN true WHEN 'enabled' THEN false ELSE v_held.disabled END, p_by_operator, p_at_station)
        RETURNING id INTO v_id;
    END IF;
    IF p_change IN ('added', 'pin-reset') THEN
      INSERT INTO depot.operator_pin_proofs (change_id, kdf, verifier) VALUES (v_id, p_proof_kdf, p_proof_verifier);
    END IF;
    RETURN v_id;
  END $fn$;

  CREATE OR REPLACE FUNCTION depot.station_change_operator(p_key_fingerprint text, p_admin_id text, p_admin_proof text,
    p_change text, p_operator_id text, p_display_name text, p_role text, p_pin_hash text, p_proof_kdf text, p_proof_verifier text)
    RETURNS TABLE (change_id bigint, refused_code text, refused_reason text)
  LANGUAGE plpgsql ${DEFINER} AS $fn$
  DECLARE
    v_station text := depot.caller(p_key_fingerprint);
    v_admin depot.operator_changes;
    v_since timestamptz;
    v_verifier text;
  BEGIN
    PERFORM pg_advisory_xact_lock(${OPERATOR_LOCK});
    IF p_change NOT IN ('added', 'disabled', 'enabled', 'pin-reset', 'role-changed') THEN
      RAISE EXCEPTION 'a station changes operators by adding, disabling, enabling, re-PINning them or changing their role, not %', p_change
        USING ERRCODE = '${REFUSAL_CODES.malformed}';
    END IF;
    SELECT * INTO v_admin FROM depot.operator_changes c WHERE c.operator_id = p_admin_id ORDER BY c.id DESC LIMIT 1;
    IF NOT FOUND OR v_admin.role <> 'admin' OR v_admin.disabled THEN
      RAISE EXCEPTION 'operator % is not an enabled admin at the depot; only an admin changes operators', p_admin_id USING ERRCODE = '${REFUSAL_CODES.notAnAdmin}';
    END IF;
    -- Wrong PINs count since the admin's PIN was last set or unlocked at the depot, or last proven.
    SELECT max(c.made_at) INTO v_since FROM depot.operator_changes c
      WHERE (c.operator_id = p_admin_id AND c.change IN ('added', 'pin-reset', 'unlocked')) OR c.made_by_operator = p_admin_id;
    IF (SELECT count(*) FROM depot.operator_pin_failures f WHERE f.operator_id = p_admin_id AND f.failed_at > v_since) >= ${DEPOT_MAX_ADMIN_PIN_FAILURES} THEN
      RAISE EXCEPTION 'the depot refused the PIN of admin % ${DEPOT_MAX_ADMIN_PIN_FAILURES} times; unlock or reset it at the depot (lockstep depot operators)', p_admin_id
        USING ERRCODE = '${REFUSAL_CODES.adminPinLocked}';
    END IF;
    SELECT p.verifier INTO v_verifier FROM depot.operator_pin_proofs p
      WHERE p.change_id = (SELECT max(c.id) FROM depot.operator_changes c WHERE c.operator_id = p_admin_id AND c.change IN ('added', 'pin-reset'));
    IF NOT FOUND THEN
      RAISE EXCEPTION 'the PIN of admin % was set before the depot could check PINs; reset it once at the depot (lockstep depot operators reset-pin)', p_admin_id
        USING ERRCODE = '${REFUSAL_CODES.noPinProof}';
    END IF;
    -- Checked in steps: decode() must only see text that is a 32-byte key in base64.
    IF p_admin_proof ~ '^[A-Za-z0-9+/]{43}=$' THEN
      IF encode(sha256(decode(p_admin_proof, 'base64')), 'hex') = v_verifier THEN
        RETURN QUERY SELECT depot.record_operator_change(p_change, p_operator_id, p_display_name, p_role, p_pin_hash, p_proof_kdf, p_proof_verifier, p_admin_id, v_station),
          NULL::text, NULL::text;
        RETURN;
      END IF;
    END IF;
    INSERT INTO depot.operator_pin_failures (operator_id, station) VALUES (p_admin_id, v_station);
    RETURN QUERY SELECT NULL::bigint, '${REFUSAL_CODES.wrongAdminPin}'::text, format('the depot refused the PIN of admin %s', p_admin_id);
  END $fn$;
`;

// Re-issuing a station's credentials (`lockstep depot reissue-station`): a new password for its login
// role and a journal row saying who did it and when. Run by the administrator only, like
// register_station (no role is granted it). The sessions logged in with the old password are ended
// by the command once this has committed (src/main/depot/admin.ts), so none can log in again before.
const MIGRATION_8 = `
  CREATE TABLE depot.credential_reissues (
    id bigserial PRIMARY KEY,
    station text NOT NULL REFERENCES depot.stations (name),
    reissued_at timestamptz NOT NULL DEFAULT now(),
    reissued_by text NOT NULL DEFAULT session_user
  );
  ${appendOnly('credential_reissues')}
  ${readPolicies('credential_reissues', 'station')}

  CREATE FUNCTION depot.reissue_station(p_name text, p_password_verifier text) RETURNS depot.credential_reissues
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
  DECLARE
    v_held depot.stations;
    v_row depot.credential_reissues;
  BEGIN
    PERFORM pg_advisory_xact_lock(${REGISTRATION_LOCK});
    SELECT * INTO v_held FROM depot.stations WHERE name = p_name;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'no station named % is registered in this depot', p_name USING ERRCODE = '${REFUSAL_CODES.unknownStation}';
    END IF;
    IF p_password_verifier !~ '^SCRAM-SHA-256\\$' THEN
      RAISE EXCEPTION 'reissue_station takes a SCRAM-SHA-256 verifier, not a password' USING ERRCODE = '${REFUSAL_CODES.malformed}';
    END IF;
    EXECUTE format('ALTER ROLE %I PASSWORD %L', v_held.role_name, p_password_verifier);
    INSERT INTO depot.credential_reissues (station) VALUES (p_name) RETURNING * INTO v_row;
    RETURN v_row;
  END $fn$;
  REVOKE ALL ON FUNCTION depot.reissue_station(text, text) FROM PUBLIC;
`;

// The offer window counted from the join whose comparison the admin saw, not from the station's newest
// join: depot.record_join (replaced; its return type changes, so dropped first) answers the join's id,
// which the station keeps with the offer it shows, and depot.offer_operators takes it (a new signature:
// the one without a join is dropped, so no offer escapes the check). An offer is refused whole when its
// join is not the station's latest (LS025: the station joined again since, so the comparison shown is
// not the one the depot would make now) or is older than DEPOT_OFFER_WINDOW_MINUTES (LS024).
const MIGRATION_9 = `
  DROP FUNCTION depot.record_join(text);
  CREATE FUNCTION depot.record_join(p_key_fingerprint text) RETURNS TABLE (join_id bigint, join_at timestamptz)
  LANGUAGE plpgsql ${DEFINER} AS $fn$
  DECLARE
    v_station text := depot.caller(p_key_fingerprint);
  BEGIN
    RETURN QUERY INSERT INTO depot.station_joins AS j (station) VALUES (v_station) RETURNING j.id, j.joined_at;
  END $fn$;
  REVOKE ALL ON FUNCTION depot.record_join(text) FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION depot.record_join(text) TO ${STATION_GROUP};

  DROP FUNCTION depot.offer_operators(text, text[], text[], text[], text[]);
  CREATE FUNCTION depot.offer_operators(p_key_fingerprint text, p_join_id bigint, p_operator_id text[], p_display_name text[], p_role text[],
    p_pin_hash text[]) RETURNS integer
  LANGUAGE plpgsql ${DEFINER} AS $fn$
  DECLARE
    v_station text := depot.caller(p_key_fingerprint);
    n integer := coalesce(cardinality(p_operator_id), 0);
    v_join depot.station_joins;
  BEGIN
${OFFER_ARRAYS_CHECK}    PERFORM pg_advisory_xact_lock(${OPERATOR_LOCK});
    SELECT * INTO v_join FROM depot.station_joins j WHERE j.station = v_station ORDER BY j.id DESC LIMIT 1;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'station % has never joined this depot; join (lockstep depot join, or Settings → Depot), then offer its operators', v_station
        USING ERRCODE = '${REFUSAL_CODES.offerWindowClosed}';
    END IF;
    IF p_join_id IS DISTINCT FROM v_join.id THEN
      RAISE EXCEPTION 'station % offers its operators as compared at join %, but its latest join is %; join again (lockstep depot join, or Settings → Depot), then offer them',
        v_station, coalesce(p_join_id::text, '(none)'), v_join.id USING ERRCODE = '${REFUSAL_CODES.offerJoinSuperseded}';
    END IF;
    IF v_join.joined_at <= now() - interval '${DEPOT_OFFER_WINDOW_MINUTES} minutes' THEN
      RAISE EXCEPTION 'station % offers its operators within ${DEPOT_OFFER_WINDOW_MINUTES} minutes of joining, and join % is older; join again (lockstep depot join, or Settings → Depot), then offer them',
        v_station, v_join.id USING ERRCODE = '${REFUSAL_CODES.offerWindowClosed}';
    END IF;
${OFFER_OPERATORS_LOOP}    RETURN n;
  END $fn$;
  REVOKE ALL ON FUNCTION depot.offer_operators(text, bigint, text[], text[], text[], text[]) FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION depot.offer_operators(text, bigint, text[], text[], text[], text[]) TO ${STATION_GROUP};
`;

/** Migration N is MIGRATIONS[N - 1]. */
const MIGRATIONS: readonly string[] = [MIGRATION_1, MIGRATION_2, MIGRATION_3, MIGRATION_4, MIGRATION_5, MIGRATION_6, MIGRATION_7, MIGRATION_8, MIGRATION_9];

export const DEPOT_SCHEMA_VERSION = MIGRATIONS.length;

/** Serialises concurrent `depot init` runs against one database (an arbitrary constant: "LSDEPOT"). */
const MIGRATION_LOCK = 0x4c534445504f54;

export interface MigrationResult {
  readonly from: number;
  readonly to: number;
}

/**
 * Brings the depot schema up to date (`target`: up to that version only, as an older Lockstep would
 * leave it; the upgrade tests build such depots); re-running it changes nothing. The group roles and the
 * schema are created if missing, then each pending migration runs in its own transaction with its version row.
 */
export async function migrateDepot(client: ClientBase, target = DEPOT_SCHEMA_VERSION): Promise<MigrationResult> {
  const encoding = await client.query<{ encoding: string }>('SELECT pg_encoding_to_char(encoding) AS encoding FROM pg_database WHERE datname = current_database()');
  if (encoding.rows[0]?.encoding !== 'UTF8') {
    throw new DepotError(`the database's encoding is ${encoding.rows[0]?.encoding ?? 'unknown'}; the depot needs UTF8 (CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0).`);
  }
  const inTransaction = async <T>(work: () => Promise<T>): Promise<T> => {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      const result = await work();
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  };
  const from = await inTransaction(async () => {
    await client.query(`
      DO $do$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${STATION_GROUP}') THEN CREATE ROLE ${STATION_GROUP} NOLOGIN; END IF;
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${AUDITOR_GROUP}') THEN CREATE ROLE ${AUDITOR_GROUP} NOLOGIN; END IF;
      END $do$;
      CREATE SCHEMA IF NOT EXISTS depot;
      REVOKE ALL ON SCHEMA depot FROM PUBLIC;
      GRANT USAGE ON SCHEMA depot TO ${STATION_GROUP}, ${AUDITOR_GROUP};
      CREATE TABLE IF NOT EXISTS depot.schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now(), applied_by text NOT NULL DEFAULT session_user);
    `);
    const version = await client.query<{ version: number }>('SELECT coalesce(max(version), 0) AS version FROM depot.schema_migrations');
    return version.rows[0]?.version ?? 0;
  });
  if (from > DEPOT_SCHEMA_VERSION) {
    throw new DepotError(`the depot's schema is at version ${from}, newer than this Lockstep knows (${DEPOT_SCHEMA_VERSION}); update Lockstep.`);
  }
  if (!Number.isInteger(target) || target < 1 || target > DEPOT_SCHEMA_VERSION) throw new DepotError(`there is no depot schema version ${target}.`);
  for (let version = from + 1; version <= target; version += 1) {
    await inTransaction(async () => {
      // Another init may have applied it while this one waited for the lock.
      const done = await client.query('SELECT 1 FROM depot.schema_migrations WHERE version = $1', [version]);
      if (done.rowCount) return;
      await client.query(MIGRATIONS[version - 1] as string);
      await client.query('INSERT INTO depot.schema_migrations (version) VALUES ($1)', [version]);
    });
  }
  return { from, to: Math.max(from, target) };
}
