// A long list of events (an imported file) written a slice at a time, so the event loop is never held for the whole.
import type { EventInput } from '../domain/events.ts';
import type { AnalystService, IngestResult } from './service.ts';

export interface SlicedIngest {
  accepted: number;
  duplicates: number;
  /** The run's last seq after the last slice, or `undefined` when there were no events. */
  last_seq?: number;
}

/**
 * Writes `events` in slices of `slice`, each a piece of a group commit of its own, in order: a
 * slice is written only once the one before it was written. While a slice's commit waits for
 * the disk, the next one is written, so small slices (a few milliseconds of the loop each) cost
 * the import no more flushes waited for one after another than big ones did. `prepare` sees each
 * slice just before it is written (an import hashes its ids there, in file order).
 *
 * Not all-or-nothing, as every import before it: each slice is its own commit. On a failure no
 * slice after the failed one is written, the slices in flight are settled, and the first error is
 * thrown; what was committed stays, and sending the same events again completes them.
 */
export async function ingestInSlices(
  service: Pick<AnalystService, 'ingestGrouped'>,
  run: string,
  events: EventInput[],
  opts: { slice: number; door: string; prepare?: (part: EventInput[]) => void },
): Promise<SlicedIngest> {
  const total: SlicedIngest = { accepted: 0, duplicates: 0 };
  const add = (r: IngestResult) => {
    total.accepted += r.accepted;
    total.duplicates += r.duplicates;
    total.last_seq = r.last_seq;
  };
  const inFlight: Array<Promise<IngestResult>> = [];
  let previous: Promise<IngestResult> | undefined;
  try {
    for (let i = 0; i < events.length; i += opts.slice) {
      const part = events.slice(i, i + opts.slice);
      opts.prepare?.(part);
      let written!: () => void;
      const wrote = new Promise<void>((resolve) => (written = resolve));
      const commit = service.ingestGrouped(run, part, opts.door, written);
      inFlight.push(commit);
      // A slice refused before it was written rejects here; one whose commit fails, at its await below.
      await Promise.race([wrote, commit]);
      if (previous) add(await previous);
      previous = commit;
    }
    if (previous) add(await previous);
  } catch (err) {
    await Promise.allSettled(inFlight);
    throw err;
  }
  return total;
}
