// The many-runs figures of `npm run bench`, also run alone by `npm run bench -- --only load`.
import { loadavg } from 'node:os';
import { benchImportLoopDelay, benchLiveRuns, type LoadFigures } from './load.ts';
import { fmt, row } from './report.ts';
import { benchSseLatency } from './streams.ts';
import { benchMlflowSearch } from './search.ts';
import { benchExports } from './export.ts';

const load = (label: string, f: LoadFigures, target: string) => {
  row(label, `ack p50 / p99 ${f.ack_p50_ms.toFixed(1)} / ${f.ack_p99_ms.toFixed(1)} ms`, target);
  row('  ack p99 after the first second', `${f.steady_ack_p99_ms.toFixed(1)} ms`);
  row('  acknowledged / failed, events/s', `${fmt(f.acked)} / ${f.failed}${f.failed ? ` ${JSON.stringify(f.errors)}` : ''}, ${fmt(f.events_per_s)}`);
  row('  refused with Retry-After (overloaded), then sent again', f.refused.toLocaleString('en-US'));
  row('  event-loop delay p99 / max', `${f.loop_p99_ms.toFixed(1)} / ${f.loop_max_ms.toFixed(1)} ms`, 'target p99 <= 50 ms');
  row('  event loop busy, per batch', `${(f.loop_busy * 100).toFixed(0)} %, ${f.loop_ms_per_batch.toFixed(2)} ms`);
  row('  CPU of the server\'s thread per batch', `${f.cpu_ms_per_batch.toFixed(2)} ms`);
};

/** Many live runs, many subscribers and a big import, each with the load average before it: the machine is shared. */
export async function printManyRuns(): Promise<void> {
  const now = () => loadavg()[0].toFixed(2);
  console.log(`\nmany runs (load average now ${now()})`);
  load('1,000 runs x 10 events/s (a batch of 10 a second)', await benchLiveRuns(1000, 1, 10), 'target p99 <= 100 ms, no error');
  console.log(`  (load average now ${now()})`);
  load('5,000 runs x 1 batch/s', await benchLiveRuns(5000, 1, 1), 'target: no connection error');
  console.log(`  (load average now ${now()})`);
  const sse = await benchSseLatency(1000, 200);
  row('200 SSE subscribers, 1k points/s: commit -> parsed p50 / p99', `${sse.fanout_p50_ms.toFixed(1)} / ${sse.fanout_p99_ms.toFixed(1)} ms`, 'target p99 <= 250 ms');
  for (const e of await benchExports()) row(`export of a 200k-event run, ${e.query}: time / loop delay p99 / max`, `${fmt(e.ms)} ms / ${e.loop_p99_ms.toFixed(1)} / ${e.loop_max_ms.toFixed(1)} ms`);
  const search = await benchMlflowSearch();
  row(`MLflow runs/search over ${fmt(search.runs)} runs: p50 / loop delay p99`, `${search.p50_ms.toFixed(0)} ms / ${search.loop_p99_ms.toFixed(1)} ms`, 'target p99 <= 50 ms');
  const imp = await benchImportLoopDelay();
  row('100k-line import: time / event-loop delay p99', `${imp.import_s.toFixed(2)} s / ${imp.loop_p99_ms.toFixed(1)} ms`, 'target p99 <= 50 ms');
}
