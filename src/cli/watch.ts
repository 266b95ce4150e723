// `analyst watch PATH`: tail a growing training log, CSV, JSONL or TensorBoard log directory into a server.
import { Command, Option } from 'commander';
import { durationMs } from '../domain/duration.ts';
import { isStreamFormat, STREAM_FORMATS, type FileFormat } from '../ingest/files/detect.ts';
import { CliError, serverUrl } from './client.ts';

interface WatchFlags {
  server?: string;
  run?: string;
  project: string;
  format?: string;
  state?: string;
  interval: string;
  idle: string;
  once?: boolean;
  json?: boolean;
}

export function watchCommand(): Command {
  return new Command('watch')
    .description('tail a growing log / CSV / JSONL file or a TensorBoard log directory into a server; resumes after a restart, follows rotation')
    .argument('<path>', 'file to tail, or TensorBoard log directory (each directory with event files is one run)')
    .option('--server <url>', 'server to send to (ANALYST_URL)')
    .option('--run <name>', 'run name (default: from the file or directory name)')
    .option('--project <name>', 'project of the run', 'default')
    .addOption(new Option('--format <format>', 'skip detection').choices([...STREAM_FORMATS]))
    .option('--state <file>', 'where the read position is kept (default: under $XDG_STATE_HOME/training-analyst/watch/, or ~/.local/state/...)')
    .option('--interval <ms>', 'how often to look for new data', '500')
    .option('--once', 'send what is there now, finish the run as the file ends (completed, or failed on a crash), and exit')
    .option('--idle <duration>', 'finish a run whose file has not grown for this long (90s, 10m, 1h; 0: only when the watch stops); new data runs it again', '10m')
    .option('--json', 'print one JSON line per batch the server acknowledged: {"file", "run", "events"}')
    .action(async (target: string, flags: WatchFlags) => {
      const intervalMs = Number(flags.interval);
      if (!Number.isFinite(intervalMs) || intervalMs < 10) throw new CliError('--interval must be a number of milliseconds >= 10', 2);
      const idleMs = flags.idle.trim() === '0' ? 0 : durationMs(flags.idle);
      if (idleMs === undefined) throw new CliError('--idle must be a duration such as 90s, 10m or 1h (seconds when unitless), or 0', 2);
      // Loaded on use, so that the other commands and `--help` start without the readers.
      const { Watcher } = await import('../ingest/watch/watcher.ts');
      const watcher = new Watcher({
        target,
        server: serverUrl(flags.server),
        run: flags.run,
        project: flags.project,
        token: process.env.ANALYST_TOKEN,
        format: flags.format && isStreamFormat(flags.format) ? (flags.format as FileFormat) : undefined,
        stateFile: flags.state,
        intervalMs,
        idleMs,
        log: (m) => process.stderr.write(`analyst watch: ${m}\n`),
        onBatch: flags.json ? (batch) => process.stdout.write(`${JSON.stringify(batch)}\n`) : undefined,
      });
      try {
        if (flags.once) {
          const sent = await watcher.pass();
          if (!flags.json) process.stdout.write(`sent ${sent} events\n`);
          await watcher.finish();
          return;
        }
        const stop = new AbortController();
        process.once('SIGINT', () => stop.abort());
        process.once('SIGTERM', () => stop.abort());
        process.stderr.write(`analyst watch: following ${target}\n`);
        await watcher.run(stop.signal);
      } catch (err) {
        throw new CliError((err as Error).message);
      } finally {
        await watcher.close();
      }
    });
}
