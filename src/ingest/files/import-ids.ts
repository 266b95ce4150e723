// Idempotency keys for events read from files, so a file sent again stores nothing twice.
import { createHash } from 'node:crypto';
import type { EventInput } from '../../domain/events.ts';
import { stringifyJson } from '../../domain/values.ts';

/**
 * Ids from each event's own content and how many identical events came before it in the file: a
 * file sent again once it has grown (a tfevents file or log still being written, a later
 * checkpoint's trainer_state.json) stores only what is new, and the same file twice stores nothing.
 *
 * A file's events may be given a part at a time, in order (an import hashes each slice just before
 * writing it, so the loop is never held for the whole file): the ids are those of the whole at once.
 */
export class ImportIds {
  private readonly seen = new Map<string, number>();

  constructor(private readonly prefix = 'import') {}

  assign(events: EventInput[]): void {
    for (const e of events) {
      if (e.event_id !== undefined) continue;
      const digest = createHash('sha256').update(stringifyJson(e)).digest('hex').slice(0, 16);
      const n = this.seen.get(digest) ?? 0;
      this.seen.set(digest, n + 1);
      e.event_id = `${this.prefix}:${digest}:${n}`;
    }
  }
}

/** Ids for a whole file's events at once. */
export function assignImportIds(events: EventInput[], prefix = 'import'): void {
  new ImportIds(prefix).assign(events);
}
