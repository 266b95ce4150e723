// PyTorch Lightning progress bars: `Epoch 3: 100%|███| 50/50 [00:02<00:00, v_num=0, train_loss=0.123, val_loss=0.456]`.
import { readNumber } from './numbers.ts';
import { metricsHere, noteEpoch, putValue, type LineParser } from './state.ts';

const BAR = /^\s*Epoch\s+(\d+):\s*\d+%\|[^|]*\|\s*(\d+)\/(\d+)\s*\[([^\]]*)\]?/;
const PAIR = /^\s*([A-Za-z][\w/.\-]*)=(\S+?)\s*$/;

export const parseLightningBar: LineParser = (line, state) => {
  const bar = BAR.exec(line);
  if (!bar) return undefined;
  const epoch = noteEpoch(state, Number(bar[1]));
  // tqdm redraws the bar many times per epoch; the finished bar carries the epoch's values,
  // validation metrics included, so it alone is a data point.
  if (bar[2] !== bar[3]) return [];
  const values: Record<string, number> = {};
  for (const part of bar[4].split(',')) {
    const m = PAIR.exec(part);
    if (m && m[1] !== 'v_num') putValue(values, m[1], readNumber(m[2]));
  }
  return Object.keys(values).length > 0 ? [metricsHere(state, values, { epoch })] : [];
};
