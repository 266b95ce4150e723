import { Command } from 'commander';

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the service (HTTP API, streams, dashboard) on an embedded SQLite file')
    .option('--host <host>', 'address to listen on (ANALYST_HOST)')
    .option('--port <port>', 'port to listen on, 0 for any free port (ANALYST_PORT)')
    .option('--db <path>', 'SQLite file (ANALYST_DB)')
    .action(async (opts: { host?: string; port?: string; db?: string }) => {
      // Loaded here, not at the top: the other commands and `--help` start without the server's modules.
      const [{ startServer }, { loadConfig }] = await Promise.all([import('../http/server.ts'), import('../service/config.ts')]);
      const config = loadConfig(process.env, { ANALYST_HOST: opts.host, ANALYST_PORT: opts.port, ANALYST_DB: opts.db });
      const server = await startServer(config);
      process.stdout.write(`Training Analyst listening on ${server.url}\n`);
      const stop = () => {
        void server.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
