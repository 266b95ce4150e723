import { Command } from 'commander';
import type { Run } from '../domain/runs.ts';
import { format, request, serverUrl, table } from './client.ts';
import { manageRunCommands, shownTags } from './manage-runs.ts';

/** `analyst runs` lists; its subcommands tidy (delete, rename, tag, note, archive, unarchive). */
export function runsCommand(): Command {
  const runs = new Command('runs').description('list and manage runs on a server');
  runs
    .command('list', { isDefault: true })
    .description('list runs, newest first; archived runs only with --archived')
    .option('--server <url>', 'server URL (ANALYST_URL)')
    .option('--project <project>', 'only this project')
    .option('--name <name>', 'only runs with this name')
    .option('--status <status>', 'only this status: running, paused, stalled, lost, completed, failed, stopped')
    .option('--tag <tag...>', 'only runs with every one of these tags (a name, or key=value)')
    .option('--archived', 'include archived runs')
    .option('--json', 'print JSON')
    .action(async (opts: { server?: string; project?: string; name?: string; status?: string; tag?: string[]; archived?: boolean; json?: boolean }) => {
      const q = new URLSearchParams();
      if (opts.project) q.set('project', opts.project);
      if (opts.name) q.set('name', opts.name);
      if (opts.status) q.set('status', opts.status);
      if (opts.tag?.length) q.set('tag', opts.tag.join(','));
      if (opts.archived) q.set('archived', '1');
      const body = await request<{ runs: Run[]; total: number }>(serverUrl(opts.server), `/runs?${q}`);
      if (opts.json) return void process.stdout.write(`${JSON.stringify(body.runs, null, 2)}\n`);
      if (!body.runs.length) return void process.stdout.write(q.size ? 'no runs match\n' : 'no runs yet\n');
      const rows = body.runs.map((r) => ({
        ...r,
        started: new Date(r.created_at).toISOString(),
        updated: new Date(r.updated_at).toISOString(),
        tags: shownTags(r).join(',') || null,
        archived: r.archived_at ? 'yes' : null,
      }));
      const columns = ['id', 'project', 'name', 'status', 'started', 'updated', 'tags', ...(opts.archived ? ['archived'] : [])];
      process.stdout.write(`${table(rows, columns)}\n`);
    });
  for (const cmd of manageRunCommands()) runs.addCommand(cmd);
  return runs;
}

interface Status extends Run {
  progress: number | null;
  epoch: number | null;
  step: number | null;
  best: { metric: string; value: number; epoch: number | null; step: number | null } | null;
  eta_s: number | null;
  elapsed_s: number | null;
  finish_reason: string | null;
  latest: Record<string, number>;
  findings: Array<{ kind: string; severity: string; message: string; actions: string[] }>;
  reproducibility: Record<string, string | boolean | null>;
}

/** `git a1b2c3d (dirty)  python 3.11  torch 2.3.1  cuda 12.1  host gpu-07  gpu A100`: what is known of it. */
function reproducibilityLine(r: Status['reproducibility']): string | null {
  const parts: string[] = [];
  if (r.git_commit) parts.push(`git ${String(r.git_commit).slice(0, 12)}${r.git_dirty ? ' (dirty)' : ''}`);
  if (r.python) parts.push(`python ${r.python}`);
  if (r.framework) parts.push(`${r.framework}${r.framework_version ? ` ${r.framework_version}` : ''}`);
  for (const k of ['cuda', 'host', 'gpu'] as const) if (r[k]) parts.push(`${k} ${r[k]}`);
  return parts.length ? parts.join('  ') : null;
}

export function statusCommand(): Command {
  return new Command('status')
    .description('show a run: progress, latest metrics, best epoch, open findings')
    .argument('<run>', 'run id, or project/name or name (a shared name means its newest run)')
    .option('--server <url>', 'server URL (ANALYST_URL)')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { server?: string; json?: boolean }) => {
      const s = await request<Status>(serverUrl(opts.server), `/runs/${encodeURIComponent(ref)}`);
      if (opts.json) return void process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
      const lines = [
        `${s.project}/${s.name}  (${s.id})  ${s.status}${s.finish_reason ? ` (${s.finish_reason})` : ''}${s.progress === null ? '' : `  ${s.progress}%`}`,
        `epoch ${format(s.epoch)}${s.total_epochs ? `/${s.total_epochs}` : ''}  step ${format(s.step)}${s.total_steps ? `/${s.total_steps}` : ''}  elapsed ${s.elapsed_s === null ? 'unknown (no times in the file)' : `${Math.round(s.elapsed_s)}s`}${s.eta_s === null ? '' : `  eta ${Math.round(s.eta_s)}s`}`,
      ];
      const repro = s.reproducibility && reproducibilityLine(s.reproducibility);
      if (repro) lines.push(repro);
      if (s.stage || s.parent_run) lines.push(`stage ${s.stage ?? '?'}${s.dataset ? ` on ${s.dataset}` : ''}${s.parent_run ? `  after ${s.parent_run}` : ''}  (analyst lineage show ${s.id})`);
      if (s.best) lines.push(`best ${s.best.metric} ${format(s.best.value)} at epoch ${format(s.best.epoch)} (step ${format(s.best.step)})`);
      const latest = Object.entries(s.latest);
      if (latest.length) lines.push(`latest: ${latest.map(([k, v]) => `${k}=${format(v)}`).join('  ')}`);
      lines.push(s.findings.length ? 'open findings:' : 'no open findings');
      for (const f of s.findings) {
        lines.push(`  [${f.severity}] ${f.kind}: ${f.message}`);
        for (const a of f.actions) lines.push(`      - ${a}`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
