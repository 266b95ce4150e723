// Darknet (YOLOv2-v4) training output: ` 1000: 1.234, 1.345 avg loss, 0.001000 rate, 2.3 seconds, 64000 images, 10.5 hours left`.
import { NUM, readNumber } from './numbers.ts';
import { metricsHere, putValue, type LineParser } from './state.ts';

/** Iteration, the batch's loss, its running average, the learning rate, the batch's seconds. */
const ITERATION = new RegExp(String.raw`^\s*(\d+):\s*(${NUM}),\s*(${NUM})\s+avg(?: loss)?,\s*(${NUM})\s+rate,\s*(${NUM})\s+seconds,\s*\d+\s+images`, 'i');
/**
 * What each YOLO layer measured on one batch (`Region 82 Avg (IOU: 0.5, ...), total_loss = 1.7`):
 * the iteration line after them carries the network's loss, so they are known and not read.
 */
const REGION = /^\s*(?:v3 \(.*\)\s*)?Region \d+ Avg \(IOU:/;
/** `Last accuracy mAP@0.50 = 50.00 %, best = 52.00 %`: the periodic evaluation on the validation set. */
const MAP = new RegExp(String.raw`Last accuracy mAP@0?\.5\d?\s*=\s*(${NUM})\s*%`);

export const parseDarknet: LineParser = (line, state) => {
  const it = ITERATION.exec(line);
  if (it) {
    const values: Record<string, number> = {};
    putValue(values, 'loss', readNumber(it[2]));
    putValue(values, 'avg_loss', readNumber(it[3]));
    putValue(values, 'lr', readNumber(it[4]));
    putValue(values, 'step_time', readNumber(it[5]));
    state.step = Number(it[1]);
    return [metricsHere(state, values, { step: state.step })];
  }
  if (REGION.test(line)) return [];
  const map = MAP.exec(line);
  if (map) return [metricsHere(state, { 'val_map@0.5': readNumber(map[1])! / 100 }, { step: state.step })];
  return undefined;
};
