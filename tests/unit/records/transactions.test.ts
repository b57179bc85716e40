import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { inWriteTransaction } from '../../../src/main/records/transactions.ts';

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
});
