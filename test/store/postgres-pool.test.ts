// The PostgreSQL pool's transactions: savepoints that take turns, and work that outlives its transaction.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPgDatabase, quoteIdent, type PgDatabase } from '../../src/store/postgres/pool.ts';
import { postgresUnavailable, TEST_PG_URL } from '../helpers/test-db.ts';

const pgDown = await postgresUnavailable();

describe.skipIf(pgDown !== undefined)(`PostgreSQL transactions${pgDown ? ` (skipped: ${pgDown})` : ''}`, () => {
  let admin: PgDatabase;
  let db: PgDatabase;
  let schema: string;

  beforeEach(async () => {
    schema = `test_${randomUUID().replaceAll('-', '')}`;
    admin = createPgDatabase(TEST_PG_URL, { max: 1 });
    await admin.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    // One connection: whatever does not wait for it shares it with the transaction holding it.
    db = createPgDatabase(TEST_PG_URL, { schema, max: 1 });
    await db.query('CREATE TABLE marks (n INTEGER)');
  });

  afterEach(async () => {
    await db.close();
    await admin.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
    await admin.close();
  });

  const marks = async () => (await db.query<{ n: number }>('SELECT n FROM marks ORDER BY n')).rows.map((r) => r.n);

  it('runs nested transactions started at once one after another, and undoes only the one that fails', async () => {
    await db.transaction(async () => {
      await db.query('INSERT INTO marks VALUES (1)');
      const results = await Promise.allSettled([
        db.transaction(async () => {
          await db.query('INSERT INTO marks VALUES (2)');
          await db.transaction(() => db.query('INSERT INTO marks VALUES (3)'));
        }),
        db.transaction(async () => {
          await db.query('INSERT INTO marks VALUES (4)');
          throw new Error('this one fails');
        }),
        db.transaction(() => db.query('INSERT INTO marks VALUES (5)')),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    });
    expect(await marks()).toEqual([1, 2, 3, 5]);
  });

  it('sends work a transaction left running to the pool once it ended, never into the next transaction on its connection', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let late!: Promise<number[]>;
    await db.transaction(async () => {
      late = gate.then(marks);
    });
    await expect(
      db.transaction(async () => {
        await db.query('INSERT INTO marks VALUES (7)');
        open();
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    // Run inside the second transaction it would have seen the mark that transaction rolled back.
    expect(await late).toEqual([]);
  });
});
