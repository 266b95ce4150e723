// Keras `history.history` dumped with json.dump: {"loss": [..], "val_loss": [..]}, one list entry per epoch.
import type { EventInput } from '../../domain/events.ts';
import { MAX_METRICS_PER_EVENT, MAX_NAME_LENGTH } from '../../domain/events.ts';
import { parseMetricValue } from '../../domain/values.ts';
import type { ParsedDocument } from './formats.ts';
import { ReadTally } from './read-tally.ts';
import { setOwn } from '../../domain/own.ts';

/** Whether a JSON object is a metrics history: every value a list of numbers (or nan strings). */
export function isMetricHistory(obj: Record<string, unknown>): boolean {
  const lists = Object.values(obj);
  return lists.length > 0 && lists.every((v) => Array.isArray(v) && v.length > 0 && v.every((x) => parseMetricValue(x) !== undefined));
}

/** Epochs are numbered from 0, as Keras's CSVLogger numbers them for the same run. */
export function parseKerasHistory(doc: unknown): ParsedDocument {
  const history = doc as Record<string, unknown[]>;
  const names = Object.keys(history).filter((n) => n !== '' && n.length <= MAX_NAME_LENGTH).slice(0, MAX_METRICS_PER_EVENT);
  const epochs = Math.max(...names.map((n) => history[n].length));
  const events: EventInput[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    const values: Record<string, number> = {};
    for (const name of names) {
      const value = parseMetricValue(history[name][epoch]);
      if (value !== undefined) setOwn(values, name, value);
    }
    if (Object.keys(values).length > 0) events.push({ type: 'metrics', epoch, values });
  }
  // An epoch is a record here, as a row is in the CSVLogger's file.
  const tally = new ReadTally();
  tally.lines = epochs;
  return { events, tally };
}
