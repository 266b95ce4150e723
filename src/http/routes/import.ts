import { Hono } from 'hono';
import { z } from 'zod';
import { AnalystError, parseOrThrow } from '../../domain/errors.ts';
import { RunStartedEvent } from '../../domain/events.ts';
import { LoopBudget } from '../../domain/loop-budget.ts';
import { noRuleInputError, readsRuleInput } from '../../domain/read-report.ts';
import { isFileFormat } from '../../ingest/files/detect.ts';
import { endingInSlices } from '../../ingest/files/ending.ts';
import { ImportIds } from '../../ingest/files/import-ids.ts';
import { formatOf, importContentInSlices } from '../../ingest/files/import-file.ts';
import type { AnalystService } from '../../service/service.ts';
import { ingestInSlices } from '../../service/sliced-ingest.ts';
import { readQuery, readUpload } from '../body.ts';
import { sendJson } from '../json.ts';

const ImportQuery = z.object({
  /** Skip detection: jsonl, keras_csv, lightning_csv, yolo_csv, csv, hf_trainer_state, detectron2, lineage, text, tfevents. */
  format: z.string().refine(isFileFormat, 'unknown format').optional(),
  /** The file's name as it was on disk, which helps detection (trainer_state.json, events.out.tfevents.*). */
  filename: z.string().max(1000).optional(),
});

/**
 * `POST /runs/:id/import`: a whole log file as the body, or as the one file part of a
 * multipart/form-data upload (`curl -F file=@trainer_state.json`), read by the same importers as
 * `analyst diagnose`. Event ids derive from each event's content, so importing a file twice, or
 * again after it grew, stores each event once. The file is written a chunk at a time, each
 * chunk its own commit, so other requests are served while a big file goes in; an import cut
 * short (the server stopped) is completed by sending the file again. Its end and read report are
 * written last, together; the answer carries the report. The run ends as the file does (see
 * FileEnding): completed, or failed on a crash or a last loss that is not a number, at the file's
 * last time. A file with no metric the rules read is refused (422 no_metrics) and nothing is written.
 */
/**
 * Events per commit of an import: a slice keeps the event loop for milliseconds, not the whole
 * file's seconds. Writing an event costs 30 to 50 µs of the loop on a 2-vCPU machine, mostly in
 * the store: 1,000 a slice held it 40 ms at a time, 250 about 12 ms (npm run bench, load 3 to 4).
 */
const SLICE = 250;

export function importRoutes(service: AnalystService, chunk: number): Hono {
  const slice = Math.min(chunk, SLICE);
  const app = new Hono();
  app.post('/runs/:id/import', async (c) => {
    service.admit('import');
    const run = await service.run(c.req.param('id'));
    const q = readQuery(c, ImportQuery);
    const upload = await readUpload(c);
    const content = upload.content;
    if (!content.length) throw new AnalystError('invalid_body', 'the body is empty: send the file content');
    const filename = q.filename ?? upload.filename ?? '';
    const format = q.format ?? formatOf(filename, content)!;
    const budget = new LoopBudget();
    const imported = await importContentInSlices(content, format, run.name, budget, filename || undefined);
    // Importers copy a file's configuration as it is: hold it to the limits every other door applies.
    if (imported.run_started) parseOrThrow(RunStartedEvent.pick({ config: true, meta: true }), imported.run_started, 'configuration');
    const read = filename ? { file: filename, ...imported.read } : imported.read;
    if (!readsRuleInput(read)) throw noRuleInputError(read, filename || 'the file');
    const events = imported.run_started ? [imported.run_started, ...imported.events] : imported.events;
    // Before the ids: the times it gives untimed events are part of their content.
    const ending = await endingInSlices(events, budget);
    // Each slice is hashed just before it is written, in file order: the ids of the whole file at once.
    const ids = new ImportIds();
    const { accepted, duplicates, last_seq } = await ingestInSlices(service, run.id, events, { slice, door: 'import', prepare: (part) => ids.assign(part) });
    let lastSeq = last_seq ?? run.last_seq;
    await service.transaction(async () => {
      // The run ends as the file does (an event of its own, not one of the file's `accepted`); a
      // file sent again unchanged changes nothing.
      const now = await service.run(run.id);
      if (now.status !== ending.status || now.finished_at !== (ending.timed === false ? null : (ending.ts ?? null))) {
        lastSeq = (await service.ingest(run.id, [ending], 'import')).last_seq;
      }
      await service.noteRead(run.id, 'import', read);
    });
    const { status, finished_at } = await service.run(run.id);
    return sendJson(c, { accepted, duplicates, last_seq: lastSeq, status, finished_at, ...(ending.reason ? { reason: ending.reason } : {}), read });
  });
  return app;
}
