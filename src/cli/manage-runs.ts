// `analyst runs delete | rename | tag | note | archive | unarchive`: tidying runs on a server.
import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import type { Run, RunCandidate } from '../domain/runs.ts';
import { CliError, request, serverUrl, table } from './client.ts';

interface Flags {
  server?: string;
  json?: boolean;
}

const print = (text: string) => void process.stdout.write(`${text}\n`);

/** A run's tags as a person reads them: labels by name, others as key=value; MLflow's own `mlflow.*` tags left to --json. */
export function shownTags(run: Run): string[] {
  return Object.entries(run.tags)
    .filter(([k]) => !k.startsWith('mlflow.'))
    .map(([k, v]) => (v ? `${k}=${v}` : k));
}

function candidatesTable(candidates: RunCandidate[]): string {
  const rows = candidates.map((c) => ({ ...c, started: new Date(c.created_at).toISOString(), archived: c.archived ? 'yes' : '' }));
  return table(rows, ['id', 'project', 'name', 'started', 'status', 'archived']);
}

/**
 * The run a command acts on. An id is exact; a name several runs share means the newest, which
 * is good enough for a change that can be undone, but never for a delete: that lists the runs
 * and asks for the id.
 */
async function pick(base: string, ref: string, exact: boolean, json?: boolean): Promise<RunCandidate> {
  const { candidates } = await request<{ candidates: RunCandidate[] }>(base, `/runs/${encodeURIComponent(ref)}/candidates`);
  if (candidates.length === 1 || candidates[0].id === ref) return candidates[0];
  if (exact) {
    const message = `${candidates.length} runs are named ${ref}; give the id of the one you mean`;
    if (json) print(JSON.stringify({ error: { code: 'ambiguous_run', message, candidates } }, null, 2));
    else process.stderr.write(`${candidatesTable(candidates)}\n`);
    throw new CliError(message, 2);
  }
  process.stderr.write(`analyst: ${candidates.length} runs are named ${ref}; this changes the newest, ${candidates[0].id} (the others: ${candidates.slice(1).map((c) => c.id).join(', ')})\n`);
  return candidates[0];
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/** A PATCH /runs/:id with the run the reference names, printed as a line or as JSON. */
function change(name: string, description: string, args: string[], body: (values: unknown[], opts: Flags & Record<string, unknown>) => Record<string, unknown>): Command {
  const cmd = new Command(name).description(description).argument('<run>', 'run id, project/name or name (a shared name means its newest run)');
  for (const a of args) cmd.argument(a);
  return cmd
    .option('--server <url>', 'server URL (ANALYST_URL)')
    .option('--json', 'print the changed run as JSON')
    .action(async (ref: string, ...rest: unknown[]) => {
      const opts = rest[args.length] as Flags & Record<string, unknown>;
      const base = serverUrl(opts.server);
      const target = await pick(base, ref, false, opts.json);
      const run = await request<Run>(base, `/runs/${encodeURIComponent(target.id)}`, { method: 'PATCH', body: JSON.stringify(body(rest.slice(0, args.length), opts)) });
      if (opts.json) return print(JSON.stringify(run, null, 2));
      const tags = shownTags(run);
      print(`${run.project}/${run.name}  (${run.id})${run.archived_at ? '  archived' : ''}${tags.length ? `  tags: ${tags.join(', ')}` : ''}${run.note ? `\nnote: ${run.note}` : ''}`);
    });
}

/** `key=value` sets a tag's value, a bare word is a label. */
function tagsOf(words: string[]): Record<string, string> {
  return Object.fromEntries(words.map((w) => (w.includes('=') ? [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)] : [w, ''])));
}

export function manageRunCommands(): Command[] {
  const remove = new Command('delete')
    .description('delete a run with its events, points, findings and pending alerts; asks first unless --yes')
    .argument('<run>', 'run id, or a project/name or name that only one run has')
    .option('--server <url>', 'server URL (ANALYST_URL)')
    .option('--yes', 'do not ask (needed when not at a terminal)')
    .option('--json', 'print what was deleted as JSON')
    .action(async (ref: string, opts: Flags & { yes?: boolean }) => {
      const base = serverUrl(opts.server);
      const run = await pick(base, ref, true, opts.json);
      const what = `${run.project}/${run.name} (${run.id}, started ${new Date(run.created_at).toISOString()}, ${run.status})`;
      if (!opts.yes) {
        if (!process.stdin.isTTY) throw new CliError(`not deleting ${what} without --yes`, 2);
        if (!(await confirm(`Delete ${what} and everything kept for it?`))) throw new CliError('nothing deleted', 1);
      }
      const out = await request<{ deleted: RunCandidate; removed: Record<string, number> }>(base, `/runs/${encodeURIComponent(run.id)}`, { method: 'DELETE' });
      if (opts.json) return print(JSON.stringify(out, null, 2));
      const removed = Object.entries(out.removed).map(([t, n]) => `${n} ${t}`);
      print(`deleted ${what}${removed.length ? `: ${removed.join(', ')}` : ''}`);
    });

  return [
    remove,
    change('rename', 'rename a run', ['<name>'], ([name]) => ({ name })),
    change('tag', 'add tags to a run (a word, or key=value); --remove takes them off', ['<tags...>'], ([words], opts) => {
      const list = words as string[];
      return opts.remove ? { remove_tags: list.map((w) => w.split('=')[0]) } : { add_tags: tagsOf(list) };
    }).option('--remove', 'remove these tags instead'),
    change('note', 'set a run\'s note ("" clears it)', ['<text>'], ([note]) => ({ note })),
    change('archive', 'archive a run: hidden from the runs list unless asked for', [], () => ({ archived: true })),
    change('unarchive', 'bring an archived run back to the runs list', [], () => ({ archived: false })),
  ];
}
