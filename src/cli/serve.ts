import { Command } from 'commander';
import { startServer } from '../http/server.ts';
import { loadConfig } from '../service/config.ts';
import type { IntegrityReport } from '../domain/integrity.ts';

/** The start-up integrity check in words, one line per problem; nothing when all is well. */
export function integrityWarnings(report: IntegrityReport): string[] {
  const lines = report.problems.map((p) => `database check: ${p}`);
  for (const l of report.lost) {
    const what = l.name === null ? `run ${l.run} (lost whole)` : `run ${l.run} (${l.name})`;
    lines.push(`${what}: events up to seq ${l.acknowledged_seq} were acknowledged, but only ${l.stored_seq} are stored: ${l.acknowledged_seq - l.stored_seq} acknowledged events were lost (a damaged write-ahead log?); new events continue after seq ${l.acknowledged_seq}`);
  }
  return lines;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the service (HTTP API, streams, dashboard) on an embedded SQLite file')
    .option('--host <host>', 'address to listen on (ANALYST_HOST)')
    .option('--port <port>', 'port to listen on, 0 for any free port (ANALYST_PORT)')
    .option('--db <path>', 'SQLite file (ANALYST_DB)')
    .action(async (opts: { host?: string; port?: string; db?: string }) => {
      const config = loadConfig(process.env, { ANALYST_HOST: opts.host, ANALYST_PORT: opts.port, ANALYST_DB: opts.db });
      const server = await startServer(config);
      for (const line of integrityWarnings(server.integrity)) process.stderr.write(`analyst: WARNING: ${line}\n`);
      process.stdout.write(`Training Analyst listening on ${server.url}\n`);
      const stop = () => {
        void server.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
