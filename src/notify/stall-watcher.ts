// Notices running runs that have gone silent, and reports each silence once.
import type { RunRef } from './alerts.ts';

export type RunningRun = RunRef & { last_event_at: number };

export interface StallWatcherOptions {
  stallMs: number;
  checkEveryMs: number;
  clock: () => number;
  listRunningRuns: () => RunningRun[];
  /** The last_event_at of the stall already reported for the run, if any. */
  reportedAt: (runId: string) => number | undefined;
  report: (run: RunningRun, now: number) => void;
  onError: (err: unknown) => void;
}

export class StallWatcher {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: StallWatcherOptions) {}

  start(): void {
    this.timer = setInterval(() => this.check(), this.options.checkEveryMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * One pass over the running runs. A stall is identified by the run's last event time, so it is
   * reported once, and a run that speaks again and then falls silent again is reported again.
   */
  check(): void {
    try {
      const now = this.options.clock();
      for (const run of this.options.listRunningRuns()) {
        if (now - run.last_event_at < this.options.stallMs) continue;
        const reported = this.options.reportedAt(run.id);
        if (reported !== undefined && reported >= run.last_event_at) continue;
        this.options.report(run, now);
      }
    } catch (err) {
      this.options.onError(err);
    }
  }
}
