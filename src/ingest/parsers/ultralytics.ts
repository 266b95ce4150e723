// Ultralytics YOLO console tables (YOLOv5 and YOLOv8): a header (`Epoch GPU_mem box_loss ...`) then a row (`1/1000 17.2G nan ...`).
import { normaliseName } from './names.ts';
import { readNumber } from './numbers.ts';
import { metricsHere, noteEpoch, putValue, type LineParser } from './state.ts';
import { table } from '../../domain/own.ts';

/** YOLOv8 and YOLOv5 7.x print `GPU_mem`, earlier YOLOv5 releases `gpu_mem`. */
const TRAIN_HEADER = /^\s*Epoch\s+GPU_mem\s+/i;
/** YOLOv5 releases before 7.0 count `Labels` (or `Targets`) where later ones count `Instances`. */
const VAL_HEADER = /^\s*Class\s+Images\s+(?:Instances|Labels|Targets)\s+/;
const TRAIN_ROW = /^\s*(\d+)\/(\d+)\s+([\d.]+)G\s+/;
const VAL_ROW = /^\s*all\s+\d+\s+\d+\s+/;

/** Validation columns as printed (`Box(P`, `R`, `mAP50`, `mAP50-95):`) under readable names. */
const VAL_NAMES: Record<string, string> = table({ 'box(p': 'precision', p: 'precision', r: 'recall' });

/** Batch bookkeeping columns, not measurements. */
const NOT_METRICS = new Set(['images', 'instances', 'size', 'labels', 'targets', 'img_size']);
/** YOLOv5 releases before 6.0 name their loss columns without `_loss` (`box obj cls total`). */
const BARE_LOSSES = new Set(['box', 'obj', 'cls', 'total', 'dfl']);

/** The cells before the tqdm bar (`640: 100%|...`), which ends the row's data. */
function cells(line: string): string[] {
  return line.split(/:\s*\d+%\|/)[0].trim().split(/\s+/);
}

export const parseUltralytics: LineParser = (line, state) => {
  if (TRAIN_HEADER.test(line)) {
    state.table = { kind: 'train', columns: line.trim().split(/\s+/) };
    state.trainColumns = state.table.columns;
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
  const trainColumns = state.trainColumns;
  if (trainColumns && TRAIN_ROW.test(line)) {
    const row = cells(line);
    const [done, total] = row[0].split('/').map(Number);
    epoch = noteEpoch(state, done, total);
    row.forEach((cell, i) => {
      const column = trainColumns[i]?.toLowerCase();
      if (i === 0 || !column || NOT_METRICS.has(column)) return;
      putValue(values, BARE_LOSSES.has(column) ? `${column}_loss` : normaliseName(column), readNumber(cell.replace(/G$/, '')));
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
