// `analyst report RUN|FILE... -o DIR`: report.html and one PNG per figure, from a server's runs or from files with no server.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buffer, text } from 'node:stream/consumers';
import { Command } from 'commander';
import { CliError, request, send, serverUrl } from './client.ts';

interface ReportFlags {
  output: string;
  metric?: string;
  server?: string;
  format?: string;
  json?: boolean;
}

interface Written {
  dir: string;
  files: string[];
  left_out: Array<{ id: string; title: string; reason: string }>;
}

interface FigureList {
  run: string;
  figures: Array<{ id: string; png: string }>;
  left_out: Written['left_out'];
}

/** Files with no server: each read into a run of an in-memory store, reported there. */
async function fromFiles(files: string[], opts: ReportFlags): Promise<Written> {
  // Loaded on use: the server commands start without SQLite, the importers and the renderer.
  const [{ createAnalyst }, { analystSource }, { importFileRun, offlineService }, { buildReport }, { svgToPng }] = await Promise.all([
    import('../analyst/create.ts'),
    import('../service/analyst-source.ts'),
    import('../service/offline.ts'),
    import('../service/report/report.ts'),
    import('../service/report/png.ts'),
  ]);
  const service = await offlineService();
  const refs: string[] = [];
  for (const file of files) refs.push((await importFileRun(service, file, { format: opts.format })).id);
  const { analyst } = await createAnalyst({ source: analystSource(service), store: service.store });
  const report = await buildReport(service, refs, {
    metric: opts.metric,
    narrate: async (run) => {
      const { text, provider, model } = await analyst.analyze({ run, kind: 'analysis' });
      return { text, provider, model };
    },
  });
  await mkdir(opts.output, { recursive: true });
  const written = [join(opts.output, 'report.html')];
  await writeFile(written[0], report.html);
  for (const f of report.figures) {
    const path = join(opts.output, `${f.id}.png`);
    await writeFile(path, svgToPng(f.svg));
    written.push(path);
  }
  return { dir: opts.output, files: written, left_out: report.leftOut };
}

/** Runs on a server: the page and each figure as the server draws them. */
async function fromServer(refs: string[], opts: ReportFlags): Promise<Written> {
  const base = serverUrl(opts.server);
  const query = new URLSearchParams({ ...(refs.length > 1 ? { with: refs.slice(1).join(',') } : {}), ...(opts.metric ? { metric: opts.metric } : {}) });
  const path = `/runs/${encodeURIComponent(refs[0])}/report`;
  const list = await request<FigureList>(base, `${path}?${new URLSearchParams({ ...Object.fromEntries(query), format: 'json' })}`);
  const html = await text(await send(base, `${path}?${query}`));
  await mkdir(opts.output, { recursive: true });
  const written = [join(opts.output, 'report.html')];
  await writeFile(written[0], html);
  for (const f of list.figures) {
    const png = await buffer(await send(base, f.png));
    const file = join(opts.output, `${f.id}.png`);
    await writeFile(file, png);
    written.push(file);
  }
  return { dir: opts.output, files: written, left_out: list.left_out };
}

export function reportCommand(): Command {
  return new Command('report')
    .description('write a report (report.html and a PNG per figure) of runs on a server or of training files read with no server; the first is reported in full, the others compared with it')
    .argument('<runs...>', 'run ids or names on the server, or training files (or TensorBoard directories); not both')
    .requiredOption('-o, --output <dir>', 'directory to write report.html and the PNG figures to')
    .option('--metric <name>', "add a figure of this metric's evolution (name as logged or canonical)")
    .option('--server <url>', 'server URL (ANALYST_URL), for runs')
    .option('--format <format>', 'files: skip detection and read every file as this format')
    .option('--json', 'print {dir, files, left_out} as JSON')
    .action(async (args: string[], opts: ReportFlags) => {
      const files = args.filter((a) => existsSync(a));
      if (files.length && files.length < args.length) {
        throw new CliError(`give runs or files, not both: ${args.filter((a) => !existsSync(a)).join(', ')} ${args.length - files.length === 1 ? 'is' : 'are'} not a file`, 2);
      }
      const out = files.length ? await fromFiles(files, opts) : await fromServer(args, opts);
      if (opts.json) return void process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      process.stdout.write(`wrote ${out.files.join('\n      ')}\n`);
      for (const l of out.left_out) process.stdout.write(`left out ${l.title}: ${l.reason}\n`);
    });
}
