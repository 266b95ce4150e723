import { LoopBudget } from '../domain/loop-budget.ts';
import { fileVersionEvent, scalarEvent, tfRecord } from '../ingest/tfevents/record-writer.ts';
import { seriesPages } from './run-record.ts';
import { MinHeap } from './min-heap.ts';
import type { AnalystService } from './service.ts';

interface Scalars {
  tag: string;
  seq: number[];
  step: number[];
  epoch: Array<number | null>;
  value: number[];
  ts: number[];
}

/** What a TensorBoard export holds, and the points it could not (a TensorBoard scalar needs a step). */
export interface TfeventsExport {
  /** The event file, a chunk of records at a time. */
  chunks: AsyncIterable<Buffer>;
  /** Points logged without a step. */
  left_out: number;
}

/** Records per chunk written to the response. */
const CHUNK = 1000;

/**
 * A run's metrics as one TensorBoard event file: a scalar per point, tagged with the series' name,
 * at its step and time, in the order logged. Points logged together are followed by an `epoch`
 * scalar when they carry one, as Hugging Face's writer does, so the epoch reads back too.
 */
export async function exportTfevents(service: AnalystService, ref: string): Promise<TfeventsExport> {
  const run = await service.run(ref);
  const series: Scalars[] = [];
  let leftOut = 0;
  for await (const { name, points } of seriesPages(service, run.id)) {
    if (series[series.length - 1]?.tag !== name) series.push({ tag: name, seq: [], step: [], epoch: [], value: [], ts: [] });
    const s = series[series.length - 1];
    for (const p of points) {
      if (p.step === null) {
        leftOut++;
        continue;
      }
      s.seq.push(p.seq);
      s.step.push(p.step);
      s.epoch.push(p.epoch);
      s.value.push(p.value);
      s.ts.push(p.ts);
    }
  }
  return { chunks: records(run.created_at, series), left_out: leftOut };
}

/**
 * The records in the order logged: by event, and within an event by series (name) order. Each
 * series is in its events' order already, so the series are merged through a heap of their next
 * points (seq, then series), a slice at a time.
 */
async function* records(createdAt: number, series: Scalars[]): AsyncGenerator<Buffer> {
  const heads = new Array<number>(series.length).fill(0);
  const before = (a: number, b: number) => series[a].seq[heads[a]] < series[b].seq[heads[b]] || (series[a].seq[heads[a]] === series[b].seq[heads[b]] && a < b);
  const heap = new MinHeap(before);
  series.forEach((s, i) => s.seq.length && heap.push(i));
  const budget = new LoopBudget();
  let chunk: Buffer[] = [tfRecord(fileVersionEvent(createdAt / 1000))];
  while (heap.size) {
    const s = heap.peek();
    const { tag, seq, step, epoch, value, ts } = series[s];
    const j = heads[s]++;
    chunk.push(tfRecord(scalarEvent(tag, value[j], step[j], ts[j] / 1000)));
    if (heads[s] < seq.length) heap.replaceTop();
    else heap.pop();
    const endOfEvent = !heap.size || series[heap.peek()].seq[heads[heap.peek()]] !== seq[j];
    if (endOfEvent && epoch[j] !== null) chunk.push(tfRecord(scalarEvent('epoch', epoch[j]!, step[j], ts[j] / 1000)));
    if (chunk.length >= CHUNK) {
      yield Buffer.concat(chunk);
      chunk = [];
    }
    if ((j & 255) === 0) await budget.tick();
  }
  if (chunk.length) yield Buffer.concat(chunk);
}
