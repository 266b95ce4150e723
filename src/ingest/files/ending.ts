// How a training file ends: completed, or failed when its log shows a crash or its last loss is not a number; and when.
import { canonicalOf } from '../../domain/aliases.ts';
import type { EventInput } from '../../domain/events.ts';
import { formatNumber } from '../../domain/format.ts';

export type RunFinishedInput = Extract<EventInput, { type: 'run_finished' }>;

/** Losses whose last value, NaN or infinite, means training ended broken. */
const JUDGED = new Set(['train_loss', 'val_loss']);

/**
 * Follows a file's events in order and says how its run ended. A crash is an error line (a
 * Python exception such as `torch.cuda.OutOfMemoryError`, `Killed`, `Segmentation fault`) with no
 * metrics after it: an exception logged and survived is not the end. Times are the file's own:
 * events without one take the time of the timed event before them (or, at the start, the first
 * one after), so a file's configuration line does not start its run at the time it was read.
 */
export class FileEnding {
  /** Events seen so far. */
  events = 0;
  private lastTs: number | undefined;
  private crash: string | undefined;
  private declared: RunFinishedInput | undefined;
  private readonly lastLoss = new Map<string, { name: string; value: number }>();

  /** Gives untimed events the file's time around them, and follows them. */
  take(events: EventInput[]): void {
    let ts = this.lastTs ?? events.find((e) => e.ts !== undefined)?.ts;
    for (const e of events) {
      if (e.ts === undefined) {
        if (ts !== undefined) e.ts = ts;
      } else ts = e.ts;
      this.observe(e);
    }
  }

  private observe(e: EventInput): void {
    this.events++;
    if (e.ts !== undefined) this.lastTs = Math.max(this.lastTs ?? e.ts, e.ts);
    if (e.type === 'metrics') {
      this.crash = undefined;
      for (const name in e.values) {
        const canonical = canonicalOf(name)?.canonical;
        if (canonical && JUDGED.has(canonical)) this.lastLoss.set(canonical, { name, value: e.values[name] });
      }
    } else if (e.type === 'error') this.crash = e.message;
    else if (e.type === 'run_finished') this.declared = e;
  }

  /** The run_finished event the file comes to: its status, why it failed, and its last time. */
  ending(): RunFinishedInput {
    const broken = [...this.lastLoss.values()].find((l) => !Number.isFinite(l.value));
    const reason = this.crash ?? (broken ? `the last ${broken.name} is ${formatNumber(broken.value, 3)}` : undefined);
    const status = reason !== undefined ? 'failed' : (this.declared?.status ?? 'completed');
    const end: RunFinishedInput = { type: 'run_finished', status };
    if (reason !== undefined) end.reason = reason.slice(0, 1000);
    else if (this.declared?.reason !== undefined) end.reason = this.declared.reason;
    if (this.lastTs !== undefined) end.ts = this.lastTs;
    else end.timed = false;
    return end;
  }
}

/** How a whole file's events end. */
export function endingOf(events: EventInput[]): RunFinishedInput {
  const ending = new FileEnding();
  ending.take(events);
  return ending.ending();
}
