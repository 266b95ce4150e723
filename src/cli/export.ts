// `analyst export RUN` and `analyst import FILE`: a run's record kept in a file and brought back.
import { readFile, writeFile } from 'node:fs/promises';
import { buffer } from 'node:stream/consumers';
import { Command } from 'commander';
import { CliError, request, send, serverUrl } from './client.ts';

interface ExportFlags {
  server?: string;
  format: string;
  level?: string;
  output?: string;
  json?: boolean;
}

export function exportCommand(): Command {
  return new Command('export')
    .description("write a run's record: json (everything, for `analyst import`), csv (a row per epoch, or per step with --level step) or tfevents (a TensorBoard event file)")
    .argument('<run>', 'run id, or project/name or name (a shared name means its newest run)')
    .option('--format <format>', 'json, csv or tfevents', 'json')
    .option('--level <level>', 'csv rows: epoch (default) or step')
    .option('-o, --output <path>', 'file to write (default: standard output)')
    .option('--server <url>', 'server URL (ANALYST_URL)')
    .option('--json', 'with -o, print {file, format, bytes} as JSON instead of a line')
    .action(async (ref: string, opts: ExportFlags) => {
      const query = new URLSearchParams({ format: opts.format, ...(opts.level ? { level: opts.level } : {}) });
      const res = await send(serverUrl(opts.server), `/runs/${encodeURIComponent(ref)}/export?${query}`);
      const content = await buffer(res);
      if (!opts.output) return void process.stdout.write(content);
      await writeFile(opts.output, content);
      if (opts.json) process.stdout.write(`${JSON.stringify({ file: opts.output, format: opts.format, bytes: content.length })}\n`);
      else process.stderr.write(`wrote ${opts.output} (${content.length} bytes)\n`);
    });
}

interface Imported {
  run: { id: string; project: string; name: string; status: string };
  imported_from: string;
  events: number;
  points: number;
}

export function importCommand(): Command {
  return new Command('import')
    .description('make a new run from a record written by `analyst export --format json`')
    .argument('<file>', 'the record')
    .option('--server <url>', 'server URL (ANALYST_URL)')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { server?: string; json?: boolean }) => {
      let body: string;
      try {
        body = await readFile(file, 'utf8');
      } catch (err) {
        throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
      }
      const r = await request<Imported>(serverUrl(opts.server), '/runs/import-record', { method: 'POST', body });
      if (opts.json) return void process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      process.stdout.write(`imported ${file} as ${r.run.project}/${r.run.name} (${r.run.id}), ${r.run.status}: ${r.points} points, ${r.events} events (exported from run ${r.imported_from})\n`);
    });
}
