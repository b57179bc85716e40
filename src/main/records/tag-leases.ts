// Asset tags drawn from a depot's leases (docs/depot.md, "Asset tags"). A station in a depot holds
// blocks of numbers the depot reserved for it, journaled here before any tag is drawn from them, so
// it keeps tagging while the depot is unreachable and no two stations ever share a tag. A station
// whose journal holds no lease is not in a depot and numbers its tags itself (provisioning-log.ts).
// When the leases run dry, a provisioned handset is still recorded, with its tag pending: the next
// lease gives it one. A tag is never invented.
import type { DatabaseSync } from 'node:sqlite';
import { formatTag, parseTagPattern, type TagPattern } from '../../shared/asset-tag.ts';
import { tagSupplyWarning, type TagLease, type TagSupply } from '../../shared/depot.ts';
import { RecordsError } from './errors.ts';
import { inWriteTransaction } from './transactions.ts';
import { displaySafe } from '../../shared/untrusted.ts';

/** A number of a lease and its tag, not yet taken. */
export interface LeasedTag {
  readonly tag: string;
  readonly leaseId: number;
  readonly leaseSeq: number;
}

interface LeaseRow {
  id: number;
  pattern: string;
  first_seq: number;
  last_seq: number;
  leased_at: string;
}

function leasePattern(row: LeaseRow): TagPattern {
  const parsed = parseTagPattern(row.pattern);
  if ('problem' in parsed) {
    throw new RecordsError('RECORDS_REFUSED', `tag lease ${row.id} carries an invalid pattern: ${parsed.problem}`, {
      detail: 'LEASE_PATTERN_INVALID',
      params: { lease: String(row.id), pattern: displaySafe(row.pattern, 80) },
    });
  }
  return parsed;
}

export function createTagLeases(db: DatabaseSync, now: () => Date) {
  const anyLease = db.prepare('SELECT 1 FROM tag_leases LIMIT 1');
  const newestLease = db.prepare('SELECT id, pattern FROM tag_leases ORDER BY id DESC LIMIT 1');
  const leaseById = db.prepare('SELECT id, pattern, first_seq, last_seq, leased_at FROM tag_leases WHERE id = ?');
  const insertLease = db.prepare('INSERT INTO tag_leases (id, pattern, first_seq, last_seq, leased_at, journaled_at) VALUES (?, ?, ?, ?, ?, ?)');
  // Numbers are used in order, so everything at or below the highest one used is spent.
  const lastUsed = db.prepare('SELECT coalesce(max(lease_seq), 0) AS seq FROM asset_tags WHERE lease_seq IS NOT NULL');
  const leasesAfter = db.prepare('SELECT id, pattern, first_seq, last_seq, leased_at FROM tag_leases WHERE last_seq > ? ORDER BY id');
  const tagTaken = db.prepare('SELECT 1 FROM asset_tags WHERE tag = ?');
  const insertTag = db.prepare('INSERT INTO asset_tags (tag, record_seq, allocated_at, lease_id, lease_seq) VALUES (?, ?, ?, ?, ?)');
  const insertPending = db.prepare('INSERT INTO asset_tags_pending (record_seq, since) VALUES (?, ?)');
  const waiting = db.prepare(`SELECT p.record_seq, r.recorded_at FROM asset_tags_pending p JOIN provisioning_records r ON r.seq = p.record_seq
    WHERE NOT EXISTS (SELECT 1 FROM asset_tags t WHERE t.record_seq = p.record_seq) ORDER BY p.record_seq`);

  const spent = (): number => (lastUsed.get() as { seq: number }).seq;

  /** The next unused number of the leases and its tag as of `at`; null when the leases are spent. */
  function next(at: Date): LeasedTag | null {
    const after = spent();
    for (const lease of leasesAfter.all(after) as unknown as LeaseRow[]) {
      const pattern = leasePattern(lease);
      for (let seq = Math.max(lease.first_seq, after + 1); seq <= lease.last_seq; seq += 1) {
        const tag = formatTag(pattern, at, seq);
        // A tag this station numbered itself before it joined the depot may read the same: that number is skipped.
        if (!tagTaken.get(tag)) return { tag, leaseId: lease.id, leaseSeq: seq };
      }
    }
    return null;
  }

  function take(drawn: LeasedTag, recordSeq: number, at: string): void {
    insertTag.run(drawn.tag, recordSeq, at, drawn.leaseId, drawn.leaseSeq);
  }

  /**
   * Gives waiting handsets their tags, oldest first, as far as the leases go; inside the caller's
   * transaction. Run before any newer record draws, so tags follow record order (the depot's sync
   * pushes them by record seq).
   */
  function assignPending(): number {
    let assigned = 0;
    for (const row of waiting.all() as { record_seq: number; recorded_at: string }[]) {
      const drawn = next(new Date(row.recorded_at));
      if (!drawn) break;
      take(drawn, row.record_seq, now().toISOString());
      assigned += 1;
    }
    return assigned;
  }

  function waitingCount(): number {
    return waiting.all().length;
  }

  return {
    /** Whether this station draws its tags from a depot: it has journaled a lease. */
    inDepot: (): boolean => anyLease.get() !== undefined,

    /** The pattern of the newest lease: a depot's batches are tagged with the depot's pattern. */
    depotPattern: (): string | null => (newestLease.get() as { pattern: string } | undefined)?.pattern ?? null,

    /** The id of the newest lease journaled (0 before the first). */
    lastLeaseId: (): number => (newestLease.get() as { id: number } | undefined)?.id ?? 0,

    /**
     * The tag for a provisioned record being committed, inside its transaction: the next leased
     * number, after any waiting handset got its own; null when the leases are spent (the record is
     * then `markPending`). The caller `take`s it once the record's row is written.
     */
    draw(at: Date): LeasedTag | null {
      assignPending();
      return next(at);
    },
    take,
    markPending: (recordSeq: number, at: string): void => {
      insertPending.run(recordSeq, at);
    },

    /**
     * Journals a lease the depot granted (durably, before any tag is drawn from it) and gives waiting
     * handsets their tags. A lease already journaled must be the same lease. Returns whether it was new.
     */
    journal(lease: TagLease): boolean {
      return inWriteTransaction(db, () => {
        const held = leaseById.get(lease.id) as LeaseRow | undefined;
        if (held) {
          if (held.pattern !== lease.pattern || held.first_seq !== lease.firstSeq || held.last_seq !== lease.lastSeq) {
            throw new RecordsError('RECORDS_REFUSED', `the depot's lease ${lease.id} differs from the one this station journaled`, {
              detail: 'LEASE_DIFFERS',
              params: { lease: String(lease.id) },
            });
          }
          return false;
        }
        const row: LeaseRow = { id: lease.id, pattern: lease.pattern, first_seq: lease.firstSeq, last_seq: lease.lastSeq, leased_at: lease.leasedAt };
        leasePattern(row);
        insertLease.run(lease.id, lease.pattern, lease.firstSeq, lease.lastSeq, lease.leasedAt, now().toISOString());
        assignPending();
        return true;
      });
    },

    /** Where tags come from and how many are left: what the station shows before it runs out. */
    supply(warnBelow?: number): TagSupply {
      const pattern = (newestLease.get() as { pattern: string } | undefined)?.pattern;
      if (pattern === undefined) return { mode: 'local' };
      const after = spent();
      const left = (leasesAfter.all(after) as unknown as LeaseRow[]).reduce((sum, lease) => sum + lease.last_seq - Math.max(lease.first_seq, after + 1) + 1, 0);
      const pending = waitingCount();
      return { mode: 'depot', left, pending, pattern, warning: tagSupplyWarning(left, pending, warnBelow) };
    },

    /** Provisioned records still waiting for their tag, oldest first. */
    pendingRecords: (): number[] => (waiting.all() as { record_seq: number }[]).map((row) => row.record_seq),
  };
}

export type TagLeases = ReturnType<typeof createTagLeases>;
