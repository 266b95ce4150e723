import { Command } from 'commander';
import { AnalystError } from '../domain/errors.ts';
import type { IntegrityReport } from '../domain/integrity.ts';
import { CliError } from './client.ts';

interface ServeOptions {
  host?: string;
  port?: string;
  db?: string;
  json?: boolean;
}

/** Every problem of a configuration on one line: a person fixes them all in one go. */
function oneLine(err: AnalystError): string {
  const rest = (err.issues ?? []).slice(1).map((i) => `${i.path}: ${i.message}`);
  return [err.message, ...rest].join('; ');
}

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
    .description('run the service (HTTP API, streams, dashboard) on an embedded SQLite file; SIGINT / SIGTERM stop it after the requests in flight')
    .option('--host <host>', 'address to listen on (ANALYST_HOST)')
    .option('--port <port>', 'port to listen on, 0 for any free port (ANALYST_PORT)')
    .option('--db <path>', 'SQLite file (ANALYST_DB)')
    .option('--json', 'print one JSON line once listening: {"url": ...}')
    .action(async (opts: ServeOptions) => {
      // Loaded here, not at the top: the other commands and `--help` start without the server's modules.
      const [{ startServer }, { loadConfig }] = await Promise.all([import('../http/server.ts'), import('../service/config.ts')]);
      let server: Awaited<ReturnType<typeof startServer>>;
      try {
        server = await startServer(loadConfig(process.env, { ANALYST_HOST: opts.host, ANALYST_PORT: opts.port, ANALYST_DB: opts.db }));
      } catch (err) {
        // A bad variable, a port in use, a folder it cannot write: what to change, not a stack trace.
        if (err instanceof AnalystError) throw new CliError(oneLine(err), 2);
        throw err;
      }
      for (const line of integrityWarnings(server.integrity)) process.stderr.write(`analyst: WARNING: ${line}\n`);
      process.stdout.write(opts.json ? `${JSON.stringify({ url: server.url })}\n` : `Training Analyst listening on ${server.url}\n`);
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      // A second signal means "now": everything acknowledged is already committed.
      const now = () => process.exit(1);
      process.once('SIGINT', now);
      process.once('SIGTERM', now);
      // Said once the port no longer accepts connections.
      const closing = server.close();
      process.stderr.write(`analyst: ${signal}: stopping; finishing the requests in flight, then closing the database\n`);
      await closing;
      process.exit(0);
    });
}
