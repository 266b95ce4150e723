import { fileVersionEvent, scalarEvent, tfRecord } from '../ingest/tfevents/record-writer.ts';
import { recordSeries } from './run-record.ts';
import type { AnalystService } from './service.ts';

interface Scalar {
  seq: number;
  tag: string;
  step: number;
  epoch: number | null;
  value: number;
  ts: number;
}

/** What a TensorBoard export holds, and the points it could not (a TensorBoard scalar needs a step). */
export interface TfeventsExport {
  file: Buffer;
  /** Points logged without a step. */
  left_out: number;
}

/**
 * A run's metrics as one TensorBoard event file: a scalar per point, tagged with the series' name,
 * at its step and time, in the order logged. Points logged together are followed by an `epoch`
 * scalar when they carry one, as Hugging Face's writer does, so the epoch reads back too.
 */
export async function exportTfevents(service: AnalystService, ref: string): Promise<TfeventsExport> {
  const run = await service.run(ref);
  const scalars: Scalar[] = [];
  let leftOut = 0;
  for (const s of await recordSeries(service, run.id)) {
    for (const p of s.points) {
      if (p.step === null) leftOut++;
      else scalars.push({ seq: p.seq, tag: s.name, step: p.step, epoch: p.epoch, value: p.value, ts: p.ts });
    }
  }
  // Stable: within an event, series keep their (name) order.
  scalars.sort((a, b) => a.seq - b.seq);
  const records = [tfRecord(fileVersionEvent(run.created_at / 1000))];
  scalars.forEach((s, i) => {
    records.push(tfRecord(scalarEvent(s.tag, s.value, s.step, s.ts / 1000)));
    const endOfEvent = scalars[i + 1]?.seq !== s.seq;
    if (endOfEvent && s.epoch !== null) records.push(tfRecord(scalarEvent('epoch', s.epoch, s.step, s.ts / 1000)));
  });
  return { file: Buffer.concat(records), left_out: leftOut };
}
