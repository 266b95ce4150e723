// Writes planned batches (see writer.ts) on a connection of its own, in a thread of its own: the
// inserts and the commit of a transaction of batches are most of what a small batch costs, and
// on the service's thread they would hold every other request. Plain JavaScript because worker
// threads do not inherit the TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { appendStatements, writeAppend } from './append-rows.js';

const db = new Database(workerData.path, { timeout: 5000 });
// The service's thread flushes the log after each commit (see wal-sync.ts), and the checkpointer copies it back.
db.pragma('synchronous = NORMAL');
db.pragma('wal_autocheckpoint = 0');
db.pragma('foreign_keys = ON');
const stmts = appendStatements(db);
const begin = db.prepare('BEGIN');
const commit = db.prepare('COMMIT');

/** One transaction for all the plans: their gids, or the error that rolled all of them back. */
function write(plans) {
  begin.run();
  try {
    const gids = plans.map((plan) => writeAppend(stmts, plan));
    commit.run();
    return { gids };
  } catch (err) {
    // SQLite rolls back by itself on some errors (a full disk); a failed COMMIT leaves it open.
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

parentPort.on('message', (m) => {
  if (m.type === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const answer = m.type === 'write' ? write(m.plans) : { value: db.pragma(m.pragma, { simple: true }) };
    parentPort.postMessage({ id: m.id, ...answer });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: { message: String(err?.message ?? err), code: err?.code } });
  }
});
