/**
 * A numeric array as a PostgreSQL literal, for `unnest($n::float8[])` and the like. Writing it by
 * hand skips pg's per-element quoting and escaping, a real cost on batches of thousands of points.
 * NaN becomes NULL, as the SQLite engine stores it (a point's NULL value reads back as NaN);
 * infinities are spelled as PostgreSQL reads them.
 */
export function numericArray(values: ReadonlyArray<number | null>): string {
  let out = '{';
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (k) out += ',';
    out += v === null || Number.isNaN(v) ? 'NULL' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : String(v);
  }
  return `${out}}`;
}
