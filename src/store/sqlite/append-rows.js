// Writes a batch's rows once they are planned (see SqliteStore.appendEvents): its events, its
// series' points and summaries, and the run's last seq. Shared by the service's thread and the
// writer thread (writer.worker.js), so both write the same rows the same way. Plain JavaScript
// because worker threads do not inherit the TypeScript loader.

/** The statements, prepared once per connection. */
export function appendStatements(db) {
  return {
    insertEvent: db.prepare('INSERT INTO events (run, seq, ts, type, event_id, body) VALUES (?, ?, ?, ?, ?, ?)'),
    createSeries: db.prepare('INSERT INTO series (run, name) VALUES (?, ?)'),
    setCount: db.prepare('UPDATE series SET count = ? WHERE id = ?'),
    insertSample: db.prepare('INSERT INTO samples (series, i, step, epoch, value, ts, seq) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    insertBucket: db.prepare(
      `INSERT INTO series_buckets (series, level, bucket, lo, lo_i, hi, hi_i, nonfinite, nonfinite_i)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    // One statement where a batch moves both, as nearly every trainer's batch does.
    setLastSeqAndEvent: db.prepare('UPDATE runs SET last_seq = ?, updated_at = ?, last_event_at = ? WHERE id = ?'),
    setLastSeq: db.prepare('UPDATE runs SET last_seq = ?, updated_at = ? WHERE id = ?'),
  };
}

/** A series' planned rows: a new series (id null) is created first. */
export function writeSeries(stmts, run, series) {
  for (const s of series) {
    const id = s.id ?? Number(stmts.createSeries.run(run, s.name).lastInsertRowid);
    for (const p of s.samples) stmts.insertSample.run(id, p[0], p[1], p[2], p[3], p[4], p[5]);
    for (const b of s.buckets) stmts.insertBucket.run(id, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
    stmts.setCount.run(s.count, id);
  }
}

/** A planned batch, written: the events' global ids (gid), in order. */
export function writeAppend(stmts, plan) {
  const gids = new Array(plan.events.length);
  for (let i = 0; i < plan.events.length; i++) {
    const e = plan.events[i];
    gids[i] = Number(stmts.insertEvent.run(plan.run, e[0], e[1], e[2], e[3], e[4]).lastInsertRowid);
  }
  writeSeries(stmts, plan.run, plan.series);
  if (plan.lastSeq !== undefined) {
    if (plan.trainer) stmts.setLastSeqAndEvent.run(plan.lastSeq, plan.now, plan.now, plan.run);
    else stmts.setLastSeq.run(plan.lastSeq, plan.now, plan.run);
  }
  return gids;
}
