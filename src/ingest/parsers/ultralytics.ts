// Ultralytics YOLO console tables: a header (`Epoch GPU_mem box_loss ...`) then a row (`1/1000 17.2G nan ...`).
import { normaliseName } from './names.ts';
import { readNumber } from './numbers.ts';
import { metricsHere, noteEpoch, putValue, type LineParser } from './state.ts';
import { table } from '../../domain/own.ts';

const TRAIN_HEADER = /^\s*Epoch\s+GPU_mem\s+/;
const VAL_HEADER = /^\s*Class\s+Images\s+Instances\s+/;
const TRAIN_ROW = /^\s*(\d+)\/(\d+)\s+([\d.]+)G\s+/;
const VAL_ROW = /^\s*all\s+\d+\s+\d+\s+/;

/** Validation columns as printed (`Box(P`, `R`, `mAP50`, `mAP50-95):`) under readable names. */
const VAL_NAMES: Record<string, string> = table({ 'box(p': 'precision', p: 'precision', r: 'recall' });

/** Batch bookkeeping columns, not measurements. */
const NOT_METRICS = new Set(['images', 'instances', 'size']);

/** The cells before the tqdm bar (`640: 100%|...`), which ends the row's data. */
function cells(line: string): string[] {
  return line.split(/:\s*\d+%\|/)[0].trim().split(/\s+/);
}

export const parseUltralytics: LineParser = (line, state) => {
  if (TRAIN_HEADER.test(line)) {
    state.table = { kind: 'train', columns: line.trim().split(/\s+/) };
    return [];
  }
  if (VAL_HEADER.test(line)) {
    state.table = { kind: 'val', columns: cells(line).map((c) => c.replace(/\)$/, '')) };
    return [];
  }
  const table = state.table;
  if (!table) return undefined;
  const values: Record<string, number> = {};
  let epoch: number | undefined;
  if (table.kind === 'train' && TRAIN_ROW.test(line)) {
    const row = cells(line);
    const [done, total] = row[0].split('/').map(Number);
    epoch = noteEpoch(state, done, total);
    row.forEach((cell, i) => {
      const column = table.columns[i]?.toLowerCase();
      if (i === 0 || !column || NOT_METRICS.has(column)) return;
      putValue(values, normaliseName(column), readNumber(cell.replace(/G$/, '')));
    });
  } else if (table.kind === 'val' && VAL_ROW.test(line)) {
    const row = cells(line);
    row.forEach((cell, i) => {
      const column = table.columns[i]?.toLowerCase();
      if (i === 0 || !column || NOT_METRICS.has(column)) return;
      putValue(values, `val_${VAL_NAMES[column] ?? normaliseName(column)}`, readNumber(cell));
    });
  } else return undefined;
  return Object.keys(values).length > 0 ? [metricsHere(state, values, { epoch })] : [];
};
