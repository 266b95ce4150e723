// `analyst alerts`: the alert stream of a running server, for people and scripts.
import { Command } from 'commander';
import type { Alert } from '../domain/webhooks.ts';
import { request, serverUrl, table } from './client.ts';

interface AlertsOptions {
  server?: string;
  since?: string;
  run?: string;
  minSeverity?: string;
  limit?: string;
  json?: boolean;
}

export function alertsCommand(): Command {
  return new Command('alerts')
    .description('list alerts (findings raised, escalated, resolved; stalled, finished and failed runs)')
    .option('--server <url>', 'server URL (ANALYST_URL)')
    .option('--since <when>', 'a duration back from now (30m, 2h, 1d) or a time (ISO 8601, epoch); default 1d')
    .option('--run <run>', 'only this run: id, or project/name or name (its newest run)')
    .option('--min-severity <severity>', 'info, warning or critical')
    .option('--limit <n>', 'at most this many alerts', '100')
    .option('--json', 'print JSON')
    .action(async (opts: AlertsOptions) => {
      const q = new URLSearchParams();
      if (opts.since) q.set('since', opts.since);
      if (opts.run) q.set('run', opts.run);
      if (opts.minSeverity) q.set('min_severity', opts.minSeverity);
      if (opts.limit) q.set('limit', opts.limit);
      const body = await request<{ alerts: Alert[]; cursor: number }>(serverUrl(opts.server), `/alerts?${q}`);
      if (opts.json) return void process.stdout.write(`${JSON.stringify(body.alerts, null, 2)}\n`);
      if (!body.alerts.length) return void process.stdout.write('no alerts\n');
      const rows = body.alerts.map((a) => ({
        time: new Date(a.created_at).toISOString().replace('T', ' ').slice(0, 19),
        severity: a.severity,
        type: a.type,
        kind: a.finding?.kind,
        run: `${a.run.project}/${a.run.name}`,
        message: a.message,
      }));
      process.stdout.write(`${table(rows, ['time', 'severity', 'type', 'kind', 'run', 'message'])}\n`);
    });
}
