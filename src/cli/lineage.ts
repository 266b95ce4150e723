// `analyst lineage`: models trained in stages (seed 2), read from the server or brought in from training_info.json files.
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { text as readText } from 'node:stream/consumers';
import { Command } from 'commander';
import type { ModelLineage, RunLineage, StageNode, StageSummary } from '../domain/lineage.ts';
import { CliError, format, request, send, serverUrl } from './client.ts';

const FILE = 'training_info.json';

function stageLine(s: StageSummary): string {
  const best = s.best ? `  best ${s.best.metric} ${format(s.best.value)}` : '';
  return `${s.stage ?? s.name}  (${s.id})  ${s.dataset ?? 'no dataset'}  ${s.steps} steps${s.epochs === null ? '' : `  ${format(s.epochs)} epochs`}${best}  ${s.status}`;
}

function treeLines(node: StageNode, prefix: string, last: boolean, top: boolean, out: string[]): void {
  out.push(`${prefix}${top ? '' : last ? '└─ ' : '├─ '}${stageLine(node)}`);
  const below = top ? prefix : `${prefix}${last ? '   ' : '│  '}`;
  node.children.forEach((c, i) => treeLines(c, below, i === node.children.length - 1, false, out));
}

/** Every training_info.json under a directory (or the one file given), with the path relative to it. */
async function stageFiles(path: string): Promise<Array<{ path: string; content: string }>> {
  let paths: string[];
  try {
    paths = (await stat(path)).isDirectory() ? (await readdir(path, { recursive: true })).filter((p) => basename(p) === FILE).map((p) => join(path, p)).sort() : [path];
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`);
  }
  if (!paths.length) throw new CliError(`no ${FILE} under ${path}`);
  return Promise.all(paths.map(async (p) => ({ path: relative(process.cwd(), p) || p, content: await readFile(p, 'utf8') })));
}

export function lineageCommand(): Command {
  const lineage = new Command('lineage').description("models trained in stages: each model's stages, datasets, steps and best metric");
  lineage
    .command('list', { isDefault: true })
    .description("every model's lineage as a tree of stages (or one model's)")
    .argument('[model]', "the model's name")
    .option('--server <url>', 'server URL (ANALYST_URL)')
    .option('--json', 'print JSON')
    .action(async (model: string | undefined, opts: { server?: string; json?: boolean }) => {
      const q = model ? `?${new URLSearchParams({ model })}` : '';
      const { models } = await request<{ models: ModelLineage[] }>(serverUrl(opts.server), `/lineage${q}`);
      if (opts.json) return void process.stdout.write(`${JSON.stringify(models, null, 2)}\n`);
      if (!models.length) return void process.stdout.write(model ? `no lineage for model ${model}\n` : 'no lineages yet: runs with a stage or a parent_run make one\n');
      const lines: string[] = [];
      for (const m of models) {
        const broken = m.missing_parent ? `  (parent ${m.missing_parent} not found)` : m.cycle ? '  (parents form a cycle)' : '';
        lines.push(`${m.model}  ${m.stages} stage${m.stages === 1 ? '' : 's'}, ${m.total_steps} steps, last dataset ${m.latest.dataset ?? '?'}${broken}`);
        treeLines(m.root, '  ', true, true, lines);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  lineage
    .command('show')
    .description('the stages that led to a run and those trained from it, with the total steps')
    .argument('<run>', 'run id, or project/name or name')
    .option('--server <url>', 'server URL (ANALYST_URL)')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { server?: string; json?: boolean }) => {
      const l = await request<RunLineage>(serverUrl(opts.server), `/runs/${encodeURIComponent(ref)}/lineage`);
      if (opts.json) return void process.stdout.write(`${JSON.stringify(l, null, 2)}\n`);
      const lines = [`${l.model}: ${l.total_steps} steps up to this stage`];
      if (l.missing_parent) lines.push(`  (parent ${l.missing_parent} not found)`);
      if (l.cycle) lines.push(`  (parents form a cycle at ${l.cycle})`);
      for (const a of l.ancestors) lines.push(`  ${stageLine(a)}`);
      lines.push(`> ${stageLine(l.stage)}`);
      for (const d of l.descendants) treeLines(d, '    ', true, false, lines);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  lineage
    .command('import')
    .description(`make a run per stage from a ${FILE}, or every one under a directory (artifact/), linked stage to stage`)
    .argument('<path>', `a ${FILE} or a directory holding them`)
    .option('--project <project>', "the runs' project (default: the model's name)")
    .option('--server <url>', 'server URL (ANALYST_URL)')
    .option('--json', 'print JSON')
    .action(async (path: string, opts: { server?: string; project?: string; json?: boolean }) => {
      const files = await stageFiles(path);
      const body = JSON.stringify({ files, ...(opts.project ? { project: opts.project } : {}) });
      const r = await request<{ runs: Array<{ id: string; model: string; stage: string; dataset: string | null; created: boolean }>; models: string[] }>(serverUrl(opts.server), '/lineage/import', { method: 'POST', body });
      if (opts.json) return void process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      const made = r.runs.filter((x) => x.created).length;
      const lines = [`read ${files.length} file${files.length === 1 ? '' : 's'}: ${r.models.join(', ')}; ${made} new stage run${made === 1 ? '' : 's'}, ${r.runs.length - made} already stored`];
      for (const x of r.runs) lines.push(`  ${x.model} ${x.stage}  ${x.dataset ?? ''}  ${x.id}${x.created ? '' : '  (updated)'}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  lineage
    .command('file')
    .description(`write a stage's ${FILE}: the model's history up to this stage, as the trainer's manager writes it`)
    .argument('<run>', 'run id, or project/name or name')
    .option('-o, --output <path>', 'file or stage directory to write to (default: standard output)')
    .option('--server <url>', 'server URL (ANALYST_URL)')
    .option('--json', 'with -o, print {file, bytes} as JSON instead of a line')
    .action(async (ref: string, opts: { server?: string; output?: string; json?: boolean }) => {
      const text = await readText(await send(serverUrl(opts.server), `/runs/${encodeURIComponent(ref)}/${FILE}`));
      if (!opts.output) return void process.stdout.write(text);
      // A stage directory (one that exists, or a path ending in /) gets the file under its own name.
      const dir = opts.output.endsWith('/') || (await stat(opts.output).catch(() => null))?.isDirectory();
      const target = dir ? join(opts.output, FILE) : opts.output;
      try {
        if (dir) await mkdir(opts.output, { recursive: true });
        await writeFile(target, text);
      } catch (err) {
        throw new CliError(`cannot write ${target}: ${(err as Error).message}`);
      }
      if (opts.json) process.stdout.write(`${JSON.stringify({ file: target, bytes: Buffer.byteLength(text) })}\n`);
      else process.stderr.write(`wrote ${target}\n`);
    });
  return lineage;
}
