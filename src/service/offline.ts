// A service with no server: training files read into runs of an in-memory store, for the commands that work offline.
import type { EventInput } from '../domain/events.ts';
import { noRuleInputError, readsRuleInput } from '../domain/read-report.ts';
import { CreateRunBody, type Run } from '../domain/runs.ts';
import { FileEnding } from '../ingest/files/ending.ts';
import { streamFile } from '../ingest/files/import-file.ts';
import { openStore } from '../store/open.ts';
import { loadConfig } from './config.ts';
import { AnalystService } from './service.ts';
import { createTelemetry } from './telemetry.ts';

/** Events per transaction: a file of millions of points is stored in slices, never held whole. */
const SLICE = 5000;

/** The service as `analyst serve` makes it (same limits), on a database that lives as long as the process. */
export async function offlineService(env: NodeJS.ProcessEnv = process.env): Promise<AnalystService> {
  const config = loadConfig(env);
  return new AnalystService({
    store: await openStore(':memory:'),
    telemetry: createTelemetry(),
    limits: { window: config.ANALYST_CONTEXT_WINDOW, maxMetrics: config.ANALYST_CONTEXT_MAX_METRICS, recentEvents: 32 },
    maxActiveRuns: config.ANALYST_MAX_ACTIVE_RUNS,
  });
}

/**
 * A training file (or TensorBoard directory) read into a new run, as `POST /runs/:id/import`
 * reads it: the run ends as the file does, and a file with no metric the rules read is refused
 * (no_metrics) rather than reported empty.
 */
export async function importFileRun(service: AnalystService, file: string, opts: { format?: string } = {}): Promise<Run> {
  const imported = await streamFile(file, { format: opts.format });
  const { run } = await service.createRun(CreateRunBody.parse({ name: imported.name }));
  const ending = new FileEnding();
  let slice: EventInput[] = [];
  const flush = async () => {
    ending.take(slice);
    await service.ingest(run.id, slice, 'import');
    slice = [];
  };
  for (const e of imported.events) {
    slice.push(e);
    if (slice.length >= SLICE) await flush();
  }
  await flush();
  const read = imported.read();
  if (!readsRuleInput(read)) throw noRuleInputError(read, file);
  await service.ingest(run.id, [ending.ending()], 'import');
  await service.noteRead(run.id, 'import', read);
  return service.run(run.id);
}
