// Turning finding changes and run facts into alerts: which change is worth an alert, and its words.
import type { FindingChange, Severity } from '../domain/findings.ts';
import { SEVERITY_RANK } from '../domain/findings.ts';
import type { AlertType } from '../domain/webhooks.ts';
import type { NewAlert } from '../store/outbox.ts';
import { timeOrderedId } from './ids.ts';

export interface RunRef {
  id: string;
  name: string;
  project: string;
}

export type RunEnd = 'completed' | 'failed' | 'stopped';

/** The run as JSON (`GET /runs/:id`): the alert's `run.url`, for programs. */
export function runUrl(baseUrl: string, runId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/runs/${encodeURIComponent(runId)}`;
}

/**
 * The run's dashboard page (`/#/run/<id>`), for people: chat buttons and links. Made from the
 * alert's `run.url`, so that alerts stored before this existed link to the page too.
 */
export function runPage(url: string): string {
  return url.replace(/\/runs\/([^/?#]+)$/, '/#/run/$1');
}

/** The alert a finding change makes, if any: a severity that goes down or stays is no news. */
export function findingAlertType(change: FindingChange): AlertType | undefined {
  if (change.type === 'finding_raised') return 'finding.raised';
  if (change.type === 'finding_resolved') return 'finding.resolved';
  if (change.previous && SEVERITY_RANK[change.finding.severity] > SEVERITY_RANK[change.previous]) return 'finding.escalated';
  return undefined;
}

function base(type: AlertType, severity: Severity, message: string, run: RunRef, url: string, now: number) {
  return {
    id: timeOrderedId(),
    type,
    created_at: now,
    severity,
    previous_severity: null,
    message,
    run: { id: run.id, name: run.name, project: run.project, url },
    finding: null,
    detail: null,
    analysis: null,
  } satisfies NewAlert;
}

export function findingAlert(type: AlertType, change: FindingChange, run: RunRef, url: string, now: number): NewAlert {
  const { finding } = change;
  return {
    ...base(type, finding.severity, finding.message, run, url, now),
    previous_severity: type === 'finding.escalated' ? (change.previous ?? null) : null,
    finding,
  };
}

function minutes(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m >= 1 ? `${m} min` : `${Math.round(ms / 1000)} s`;
}

export function stalledAlert(run: RunRef, lastEventAt: number, url: string, now: number): NewAlert {
  const idle = now - lastEventAt;
  const message = `No event from ${run.project}/${run.name} for ${minutes(idle)} while it is running (last at ${new Date(lastEventAt).toISOString()}): the trainer may be hung, dead or stuck on I/O.`;
  return {
    ...base('run.stalled', 'warning', message, run, url, now),
    detail: { last_event_at: lastEventAt, idle_seconds: Math.round(idle / 1000) },
  };
}

export function runEndAlert(run: RunRef, status: RunEnd, url: string, now: number): NewAlert {
  // A failed run is what someone must act on; a finished or stopped one is information.
  const alert =
    status === 'failed'
      ? base('run.failed', 'critical', `Run ${run.project}/${run.name} failed.`, run, url, now)
      : base('run.finished', 'info', `Run ${run.project}/${run.name} finished (${status}).`, run, url, now);
  return { ...alert, detail: { status } };
}

export function testAlert(webhookId: string, baseUrl: string, now: number): NewAlert {
  const run = { id: 'webhook-test', name: 'webhook test', project: 'training-analyst' };
  const message = `Test delivery for webhook ${webhookId}: real alerts arrive in this shape, signed the same way.`;
  return base('webhook.test', 'info', message, run, baseUrl, now);
}
