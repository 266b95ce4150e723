// Several runs side by side: their ranking, the config and summary figures that differ, and all of it in words.
import stableStringify from 'safe-stable-stringify';
import type { RunAnalysis, RunsComparison } from '../domain/analysis.ts';
import { flatten, formatNumber } from '../domain/format.ts';
import { compareRuns } from './analysis.ts';

export interface ComparedRun {
  id: string;
  name: string;
  project: string;
  status: string;
  config: Record<string, unknown>;
  analysis: RunAnalysis;
}

/** Config keys named in the text before "and N more": the table shows them all. */
const KEYS_IN_TEXT = 6;

/** The summary and analysis figures a comparison shows, each read the same way from every run. */
const FIGURES: Array<[string, (r: ComparedRun) => unknown]> = [
  ['status', (r) => r.status],
  ['convergence', (r) => r.analysis.convergence],
  ['best_metric', (r) => r.analysis.summary.best_metric],
  ['best_value', (r) => r.analysis.summary.best_value],
  ['best_epoch', (r) => r.analysis.summary.best_epoch],
  ['total_epochs', (r) => r.analysis.summary.total_epochs],
  ['total_steps', (r) => r.analysis.summary.total_steps],
  ['final_train_loss', (r) => r.analysis.summary.final_train_loss],
  ['final_val_loss', (r) => r.analysis.summary.final_val_loss],
  ['overfitting_score', (r) => r.analysis.overfitting.score],
  ['total_time_s', (r) => r.analysis.summary.total_time_s],
  ['avg_epoch_time_s', (r) => r.analysis.summary.avg_epoch_time_s],
  ['problems', (r) => r.analysis.problems],
];

/** key → one value per run, keeping only keys whose values are not all the same (missing is null). */
function differences(values: Array<Record<string, unknown>>): Record<string, unknown[]> {
  const keys = [...new Set(values.flatMap((v) => Object.keys(v)))].sort();
  const out: Record<string, unknown[]> = Object.create(null);
  for (const key of keys) {
    const row = values.map((v) => (Object.hasOwn(v, key) ? (v[key] ?? null) : null));
    if (new Set(row.map((x) => stableStringify(x))).size > 1) out[key] = row;
  }
  return out;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return formatNumber(v, 4);
  return typeof v === 'string' ? v : stableStringify(v) ?? String(v);
}

function signed(n: number): string {
  return `${n > 0 ? '+' : n < 0 ? '−' : '±'}${formatNumber(Math.abs(n), 4)}`;
}

function words(runs: ComparedRun[], c: Omit<RunsComparison, 'runs' | 'text'>): string {
  const name = new Map(runs.map((r) => [r.id, r.name]));
  // Names repeat (a script run twice): such runs are told apart by the start of their id.
  const seen = new Map<string, number>();
  for (const r of runs) seen.set(r.name, (seen.get(r.name) ?? 0) + 1);
  for (const r of runs) if (seen.get(r.name)! > 1) name.set(r.id, `${r.name} (${r.id.slice(0, 8)})`);
  const parts: string[] = [];
  const ranked = c.ranking.filter((r) => r.rank !== null);
  if (c.metric === null || ranked.length < 2) {
    parts.push(`These runs cannot be ranked: fewer than two of them report the same best metric${c.metric ? ` (${c.metric})` : ''}.`);
  } else {
    const leader = ranked[0];
    const tied = ranked.filter((r) => r.rank === leader.rank);
    const at = (e: number | null) => (e === null ? '' : ` at epoch ${formatNumber(e)}`);
    parts.push(
      tied.length > 1
        ? `On ${c.metric} (${c.lower_is_better ? 'lower' : 'higher'} is better), ${tied.map((r) => name.get(r.run)).join(' and ')} tie for best with ${cell(leader.best_value)}.`
        : `On ${c.metric} (${c.lower_is_better ? 'lower' : 'higher'} is better), ${name.get(leader.run)} performs best with ${cell(leader.best_value)}${at(leader.best_epoch)}.`,
    );
    const rest = ranked.filter((r) => r.rank !== leader.rank);
    if (rest.length) {
      const epochs = (d: number | null) => (d === null || d === 0 ? '' : `, ${formatNumber(Math.abs(d))} epoch${Math.abs(d) === 1 ? '' : 's'} ${d > 0 ? 'later' : 'earlier'}`);
      parts.push(`Then ${rest.map((r) => `${name.get(r.run)} ${cell(r.best_value)} (${signed(r.best_difference!)}${epochs(r.epochs_to_converge_difference)})`).join('; ')}.`);
    }
    const missing = c.ranking.filter((r) => r.rank === null);
    if (missing.length) parts.push(`${missing.map((r) => name.get(r.run)).join(', ')} ${missing.length === 1 ? 'does' : 'do'} not report ${c.metric}.`);
  }
  const keys = Object.keys(c.config_differences);
  if (!keys.length) parts.push('Their configs are the same.');
  else {
    const shown = keys.slice(0, KEYS_IN_TEXT).map((k) => `${k} (${c.config_differences[k].map(cell).join(', ')})`);
    parts.push(`Their configs differ in ${shown.join(', ')}${keys.length > KEYS_IN_TEXT ? ` and ${keys.length - KEYS_IN_TEXT} more keys` : ''}, in the order ${runs.map((r) => name.get(r.id)).join(', ')}.`);
  }
  for (const r of runs) {
    const problems = r.analysis.problems.map((p) => p.replaceAll('_', ' '));
    parts.push(`${name.get(r.id)} is ${r.analysis.convergence}${problems.length ? `, with ${problems.join(', ')}` : ''}.`);
  }
  return parts.join(' ');
}

/** The comparison of 2 or more runs, in the order given; config is compared key by key, nested keys dotted. */
export function compareSeveral(runs: ComparedRun[]): RunsComparison {
  const ranking = compareRuns(runs.map((r) => r.analysis));
  const figures = runs.map((r) => Object.fromEntries(FIGURES.map(([k, read]) => [k, read(r)])));
  const c = {
    ...ranking,
    config_differences: differences(runs.map((r) => flatten(r.config))),
    summary_differences: differences(figures),
  };
  return { runs, ...c, text: words(runs, c) };
}
