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

/**
 * A series' planned rows: a new series (id null) is created first. Points and buckets come flat,
 * in Float64Arrays (six and eight numbers each), which pass to the writer thread as one copy:
 * NaN stands for NULL, which is what SQLite stores for NaN anyway.
 */
export function writeSeries(stmts, run, series) {
  for (const s of series) {
    const id = s.id ?? Number(stmts.createSeries.run(run, s.name).lastInsertRowid);
    const p = s.samples;
    for (let k = 0; k < p.length; k += 6) stmts.insertSample.run(id, p[k], p[k + 1], p[k + 2], p[k + 3], p[k + 4], p[k + 5]);
    const b = s.buckets;
    for (let k = 0; k < b.length; k += 8) stmts.insertBucket.run(id, b[k], b[k + 1], b[k + 2], b[k + 3], b[k + 4], b[k + 5], b[k + 6], b[k + 7]);
    stmts.setCount.run(s.count, id);
  }
}

/** A planned batch, written: the events' global ids (gid), in order. Its events come flat, five values each. */
export function writeAppend(stmts, plan) {
  const e = plan.events;
  const gids = new Array(e.length / 5);
  for (let k = 0; k < e.length; k += 5) gids[k / 5] = Number(stmts.insertEvent.run(plan.run, e[k], e[k + 1], e[k + 2], e[k + 3], e[k + 4]).lastInsertRowid);
  writeSeries(stmts, plan.run, plan.series);
  if (plan.lastSeq !== undefined) {
    if (plan.trainer) stmts.setLastSeqAndEvent.run(plan.lastSeq, plan.now, plan.now, plan.run);
    else stmts.setLastSeq.run(plan.lastSeq, plan.now, plan.run);
  }
  return gids;
}
