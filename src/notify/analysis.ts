// The optional LLM analysis in alert bodies: asked once per alert, kept with the alert, and never
// allowed to hold a delivery back longer than its time limit.
import type { Finding } from '../domain/findings.ts';
import type { Alert } from '../domain/webhooks.ts';
import type { OutboxStore } from '../store/outbox.ts';
import type { NotifyLog } from './log.ts';

/** Supplied by the LLM analyst: a short analysis of a finding in its run. */
export type Summarize = (runId: string, finding: Finding) => Promise<string>;

export class AlertAnalyses {
  /** Questions in flight, so several subscriptions to one alert share one LLM call. */
  private readonly pending = new Map<string, Promise<string | null>>();

  constructor(
    private readonly summarize: Summarize | undefined,
    private readonly outbox: OutboxStore,
    private readonly timeoutMs: number,
    private readonly log: NotifyLog,
  ) {}

  /**
   * The alert's analysis, or null when there is none within the time limit. A slow answer is
   * still stored when it arrives, so a retry or a later poll of /alerts carries it.
   */
  async forAlert(alert: Alert): Promise<string | null> {
    if (alert.analysis) return alert.analysis;
    if (!this.summarize || !alert.finding) return null;
    let answer = this.pending.get(alert.id);
    if (!answer) {
      answer = this.summarize(alert.run.id, alert.finding)
        .then(async (text) => {
          await this.outbox.setAnalysis(alert.id, text);
          return text;
        })
        .catch((err: unknown) => {
          this.log.warn({ err, alert: alert.id }, 'alert analysis failed; sending without it');
          return null;
        })
        .finally(() => this.pending.delete(alert.id));
      this.pending.set(alert.id, answer);
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), this.timeoutMs);
    });
    try {
      return await Promise.race([answer, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
