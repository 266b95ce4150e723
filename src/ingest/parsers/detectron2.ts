// detectron2's evaluation summary, printed for copying into a spreadsheet
// (detectron2/evaluation/testing.py, `print_csv_format`):
//   copypaste: Task: bbox
//   copypaste: AP,AP50,AP75,APs,APm,APl
//   copypaste: 38.1234,58.1234,41.1234,22.1234,41.1234,49.1234
import { normaliseName } from './names.ts';
import { readNumber } from './numbers.ts';
import { metricsHere, putValue, type LineParser } from './state.ts';

const COPYPASTE = /\bcopypaste:\s*(.*?)\s*$/;
const TASK = /^Task:\s*(\w+)/;

export const parseDetectron2Summary: LineParser = (line, state) => {
  const m = COPYPASTE.exec(line);
  if (!m) return undefined;
  const task = TASK.exec(m[1]);
  if (task) {
    state.table = { kind: 'copypaste', columns: [normaliseName(task[1])] };
    return [];
  }
  const cells = m[1].split(',');
  const values = cells.map((c) => readNumber(c.trim()));
  if (values.every((v) => v === undefined)) {
    // The names of the task's metrics, after its name.
    if (state.table?.kind === 'copypaste') state.table = { kind: 'copypaste', columns: [state.table.columns[0], ...cells.map((c) => normaliseName(c.trim()))] };
    return [];
  }
  const table = state.table;
  if (table?.kind !== 'copypaste' || table.columns.length !== cells.length + 1) return undefined;
  // The evaluation ran on the validation set, at the last training step read.
  const out: Record<string, number> = {};
  for (let i = 0; i < cells.length; i++) putValue(out, `val_${table.columns[0]}_${table.columns[i + 1]}`, values[i]);
  return [metricsHere(state, out, state.step === undefined ? {} : { step: state.step })];
};
