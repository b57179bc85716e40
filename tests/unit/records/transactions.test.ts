import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { inUnsyncedWriteTransaction, inWriteTransaction } from '../../../src/main/records/transactions.ts';

describe('write transactions', () => {
  it('reports the error that ended the transaction when SQLite has already rolled it back (disk full)', () => {
    const db = new DatabaseSync(':memory:');
    try {
      db.exec('CREATE TABLE t (x TEXT)');
      db.exec('INSERT INTO t VALUES (1)');
      const { page_count: pages } = db.prepare('PRAGMA page_count').get() as { page_count: number };
      db.exec(`PRAGMA max_page_count = ${pages + 2}`);
      const insert = db.prepare('INSERT INTO t VALUES (?)');
      expect(() => inWriteTransaction(db, () => {
        for (let n = 0; n < 100; n += 1) insert.run('x'.repeat(5000));
      })).toThrow(/full/);
      expect(db.isTransaction).toBe(false);
      expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 1 });
      expect(inWriteTransaction(db, () => insert.run('y').changes)).toBe(1);
    } finally {
      db.close();
    }
  });

  it('commits an unsynced transaction like any other and leaves the connection at synchronous=FULL, also after a failure', () => {
    const db = new DatabaseSync(':memory:');
    const level = (): unknown => (db.prepare('PRAGMA synchronous').get() as { synchronous: number }).synchronous;
    try {
      db.exec('PRAGMA synchronous = FULL');
      db.exec('CREATE TABLE t (x TEXT NOT NULL)');
      expect(inUnsyncedWriteTransaction(db, () => db.prepare('INSERT INTO t VALUES (?)').run('a').changes)).toBe(1);
      expect(level()).toBe(2);
      expect(() => inUnsyncedWriteTransaction(db, () => db.prepare('INSERT INTO t VALUES (NULL)').run())).toThrow(/NOT NULL/);
      expect(level()).toBe(2);
      expect(db.isTransaction).toBe(false);
      expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 1 });
    } finally {
      db.close();
    }
  });
});
