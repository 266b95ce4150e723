// Column names of exported charts, which carry more than a metric's name: W&B's chart export
// (`<run> - train/loss`, with `__MIN` / `__MAX` columns for the band it draws) and TensorBoard's
// scalar download (`Wall time,Step,Value`, the tag only in the file's name).
import path from 'node:path';

/** `glorious-sun-3 - train/loss`: a run's name, then the metric's. */
const RUN_AND_METRIC = /^(.*\S) - (\S.*)$/;
/** The band W&B draws around a smoothed line: the same metric's lowest and highest values. */
const BAND = /__(?:MIN|MAX)$/;
/** TensorBoard names a download `run-<run>-tag-<tag>.csv`, with `/` in the tag written `_`. */
const TAG_IN_NAME = /-tag-(.+)\.csv$/i;

/**
 * The names to read the columns under; null for a column that is not a series of its own. A
 * W&B export of one run loses the run's prefix; one of several runs keeps the prefixes, whose
 * names are then reported as not understood rather than merged into one run.
 */
export function csvColumns(header: string[], file?: string): Array<string | null> {
  return exportColumns(header, file).map((h, i) => (i === 0 && h !== null && PANDAS_INDEX.test(h) ? null : h));
}

/**
 * pandas writes a DataFrame's index as a first column with no name (`,loss,val_loss`), read back
 * and written again as `Unnamed: 0`: row numbers, not a series.
 */
const PANDAS_INDEX = /^(?:|Unnamed: 0)$/;

function exportColumns(header: string[], file?: string): Array<string | null> {
  if (header.length === 3 && header[0].toLowerCase() === 'wall time' && header[1].toLowerCase() === 'step' && header[2].toLowerCase() === 'value') {
    const base = file ? path.basename(file) : '';
    const tag = TAG_IN_NAME.exec(base)?.[1] ?? (base ? base.replace(/\.[^.]+$/, '') : header[2]);
    return ['wall_time', 'step', tag];
  }
  // W&B's shape: the x axis (`Step`), then nothing but `<run> - <metric>` columns.
  const prefixes = new Set<string>();
  for (let i = 1; i < header.length; i++) {
    const m = RUN_AND_METRIC.exec(header[i]);
    if (!m) return header;
    prefixes.add(m[1]);
  }
  if (prefixes.size !== 1) return header;
  return header.map((h, i) => {
    if (i === 0) return h;
    const metric = RUN_AND_METRIC.exec(h)![2];
    return BAND.test(metric) ? null : metric;
  });
}
