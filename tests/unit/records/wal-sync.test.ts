import { mkdtempSync, rmSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WalSync } from '../../../src/main/records/wal-sync.ts';

const dir = mkdtempSync(join(tmpdir(), 'lockstep-wal-sync-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('WAL sync', () => {
  it('shares one next sync among the callers that arrive while a sync runs (group commit)', async () => {
    const path = join(dir, 'records.sqlite');
    const db = new DatabaseSync(path);
    try {
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('CREATE TABLE t (x)');
      const wal = new WalSync(path);
      const first = wal.sync();
      const second = wal.sync();
      const third = wal.sync();
      expect(second).toBe(third);
      expect(second).not.toBe(first);
      await Promise.all([first, second, third]);
      const later = wal.sync();
      expect(later).not.toBe(second);
      await later;
    } finally {
      db.close();
    }
  });

  it('has nothing to do when there is no WAL file (all of it checkpointed into the database)', async () => {
    await expect(new WalSync(join(dir, 'absent.sqlite')).sync()).resolves.toBeUndefined();
  });
});
