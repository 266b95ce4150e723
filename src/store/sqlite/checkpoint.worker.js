// Copies the write-ahead log back into the database file (a WAL checkpoint) in a thread of its
// own, on a connection of its own: a checkpoint writes and flushes megabytes, which on the
// service's thread would stall every request for as long. Plain JavaScript because worker threads
// do not inherit the TypeScript loader.
import { statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, walBytes, everyMs } = workerData;
const db = new Database(path, { timeout: 5000 });
// The log is flushed before the copy, and the database file after it.
db.pragma('synchronous = NORMAL');

function walSize() {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
}

// PASSIVE never waits for the writer: it copies what is committed, and the writer starts the log
// over from its beginning at its next transaction once all of it was copied.
const timer = setInterval(() => {
  if (walSize() < walBytes) return;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // A busy or failing disk: the log only grows meanwhile, and the next tick tries again.
  }
}, everyMs);

parentPort.on('message', (message) => {
  if (message !== 'close') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
