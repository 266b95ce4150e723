// The run as a prompt's data block: summary, downsampled curves, findings, events, logs, within a token budget.
import { createHash } from 'node:crypto';
import { lttb } from '../context/downsample.ts';
import type { RunContext } from '../context/run-context.ts';
import type { SeriesSummary } from '../context/series.ts';
import { CANONICAL, canonicalOf, isLayerGradNorm } from '../domain/aliases.ts';
import type { Finding } from '../domain/findings.ts';
import { flatten } from '../domain/format.ts';
import type { AnalysisFacts } from '../llm/facts.ts';
import { fmt } from '../llm/format.ts';
import { trendWord } from '../llm/narrator/describe.ts';
import { estimateTokens } from '../llm/tokens.ts';
import { clean, dataValue, quoted } from './sanitize.ts';

export const OPEN_TAG = '<run-data>';
export const CLOSE_TAG = '</run-data>';

export interface BlockInput {
  facts: AnalysisFacts;
  /** Window points per canonical series, oldest first: [x (step or index), value]. */
  curves: Map<string, Array<[number, number]>>;
  /** Latest values of metrics with no canonical name (F1, mAP, ...), names as logged. */
  others: Array<[string, number]>;
  logs: string[];
}

export interface ContextBlock {
  text: string;
  tokens: number;
  /** Hash of the block: changes exactly when what the model would see changes. */
  digest: string;
  /** How much was cut to fit: curve points per metric, and whether anything was dropped. */
  points: number;
  trimmed: boolean;
}

/** How much of each section one rendering keeps; the budget search walks from rich to lean. */
interface Detail {
  points: number;
  layerCurves: boolean;
  logs: number;
  events: number;
  configKeys: number;
  resolved: number;
  evidence: number;
  others: number;
}

const LEVELS: Detail[] = [
  { points: 32, layerCurves: true, logs: 10, events: 12, configKeys: 40, resolved: 5, evidence: 8, others: 16 },
  { points: 24, layerCurves: true, logs: 8, events: 10, configKeys: 40, resolved: 5, evidence: 8, others: 12 },
  { points: 16, layerCurves: false, logs: 6, events: 8, configKeys: 30, resolved: 3, evidence: 6, others: 10 },
  { points: 12, layerCurves: false, logs: 4, events: 6, configKeys: 20, resolved: 2, evidence: 5, others: 8 },
  { points: 8, layerCurves: false, logs: 3, events: 4, configKeys: 15, resolved: 1, evidence: 4, others: 5 },
  { points: 5, layerCurves: false, logs: 2, events: 3, configKeys: 10, resolved: 0, evidence: 3, others: 3 },
  { points: 0, layerCurves: false, logs: 0, events: 2, configKeys: 8, resolved: 0, evidence: 2, others: 0 },
];

export function curvesOf(ctx: RunContext): Map<string, Array<[number, number]>> {
  const out = new Map<string, Array<[number, number]>>();
  for (const [name, s] of ctx.series) out.set(name, s.window.points());
  return out;
}

export function othersOf(ctx: RunContext): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const [name, v] of ctx.latest) if (!canonicalOf(name)) out.push([name, v.value]);
  return out;
}

const KNOWN = new Set<string>(CANONICAL);

/** Canonical names are ours; anything else (a layer's name) came from the trainer and is quoted. */
function metricName(name: string): string {
  return KNOWN.has(name) ? name : quoted(name, 80);
}

function header(f: AnalysisFacts): string[] {
  const r = f.run;
  const p = f.progress;
  const id = [`id ${quoted(r.id, 80)}`, `name ${quoted(r.name, 80)}`, `project ${quoted(r.project, 80)}`];
  if (r.stage) id.push(`stage ${quoted(r.stage, 60)}`);
  if (r.dataset) id.push(`dataset ${quoted(r.dataset, 80)}`);
  if (r.base_model) id.push(`base_model ${quoted(r.base_model, 80)}`);
  if (r.parent_run) id.push(`parent_run ${quoted(r.parent_run, 80)}`);
  const state = [`status ${p.status}`];
  if (p.epoch !== null) state.push(`epoch ${fmt(p.epoch)}${p.total_epochs ? ` of ${p.total_epochs}` : ''}`);
  if (p.step !== null) state.push(`step ${p.step}${p.total_steps ? ` of ${p.total_steps}` : ''}`);
  if (p.progress !== null) state.push(`${fmt(p.progress)}% done`);
  if (p.avg_epoch_time_s !== null) state.push(`avg epoch ${fmt(p.avg_epoch_time_s)} s`);
  const lines = [`run: ${id.join(', ')}`, `state: ${state.join(', ')}`];
  if (p.best && !Number.isFinite(p.best.value)) lines.push(`best: none (${p.best.metric} has no finite value)`);
  else if (p.best) {
    const at = [p.best.epoch !== null ? `epoch ${fmt(p.best.epoch)}` : '', p.best.step !== null ? `step ${p.best.step}` : ''].filter(Boolean).join(', ');
    lines.push(`best: ${p.best.metric} ${fmt(p.best.value)}${at ? ` at ${at}` : ''}`);
  }
  const a = f.analysis;
  const o = a.overfitting;
  lines.push(
    `analysis: convergence ${a.convergence}, overfitting score ${fmt(o.score)} (val_loss rise over its min ${fmt(o.val_rise)}, train/val gap ${fmt(o.generalisation_gap)})`,
  );
  return lines;
}

function configLine(f: AnalysisFacts, keys: number): string[] {
  const flat = Object.entries(flatten(f.run.config));
  if (flat.length === 0 || keys === 0) return [];
  const shown = flat.slice(0, keys).map(([k, v]) => `${quoted(k, 40)}: ${dataValue(v)}`);
  const more = flat.length > keys ? ` (+${flat.length - keys} more)` : '';
  return [`config: {${shown.join(', ')}}${more}`];
}

function summaryLine(s: SeriesSummary): string {
  if (s.count === s.non_finite) return `- ${metricName(s.name)} (logged as ${quoted(s.source, 60)}): n ${s.count}, every value non-finite`;
  const best = `best ${fmt(s.best)}${s.best_epoch !== null ? `@epoch ${fmt(s.best_epoch)}` : ''}${s.best_step !== null ? `@step ${s.best_step}` : ''}`;
  const nonFinite = s.non_finite ? `, non-finite ${s.non_finite}` : '';
  return `- ${metricName(s.name)} (logged as ${quoted(s.source, 60)}): n ${s.count}, first ${fmt(s.first)}, last ${fmt(s.last)}, min ${fmt(s.min)}, max ${fmt(s.max)}, ${best}, trend ${trendWord(s)}${nonFinite}`;
}

function curveLine(name: string, points: Array<[number, number]>, n: number): string | undefined {
  if (points.length === 0 || n === 0) return undefined;
  const kept = lttb(points, n, (p) => p[0], (p) => p[1]);
  return `- ${metricName(name)}: ${kept.map(([x, y]) => `${x}:${fmt(y)}`).join(' ')}`;
}

function findingLine(f: Finding, evidence: number): string {
  const where = f.epoch !== null ? ` since epoch ${fmt(f.epoch)}` : f.step !== null ? ` since step ${f.step}` : '';
  const ev = Object.entries(f.evidence)
    .slice(0, evidence)
    .map(([k, v]) => `${clean(k, 40)}=${typeof v === 'number' ? fmt(v) : dataValue(v, 40)}`)
    .join(', ');
  const actions = f.actions.slice(0, 3).map((a) => quoted(a, 120)).join('; ');
  return `- [${f.severity}] ${f.kind}${where}: ${quoted(f.message, 240)}${ev ? `; evidence: ${ev}` : ''}${actions ? `; actions: ${actions}` : ''}`;
}

/** Sections in order of importance: the last-resort cut drops lines from the end. */
function render(input: BlockInput, d: Detail): string {
  const f = input.facts;
  const lines = [OPEN_TAG, ...header(f)];
  const open = f.findings.filter((x) => x.status === 'open');
  lines.push(open.length ? 'open findings:' : 'open findings: none', ...open.map((x) => findingLine(x, d.evidence)));
  if (f.series.length) lines.push('metrics (canonical name, first → last over the whole run, trend over the recent window):', ...f.series.map(summaryLine));
  lines.push(...configLine(f, d.configKeys));
  const others = input.others.slice(0, d.others);
  if (others.length) {
    const more = input.others.length > d.others ? ` (+${input.others.length - d.others} more)` : '';
    lines.push(`other metrics (latest value, name as logged): ${others.map(([n, v]) => `${quoted(n, 60)}=${fmt(v)}`).join(', ')}${more}`);
  }
  const series = f.series.filter((s) => d.layerCurves || !isLayerGradNorm(s.name));
  const curves = series.map((s) => curveLine(s.name, input.curves.get(s.name) ?? [], d.points)).filter((l): l is string => l !== undefined);
  if (curves.length) lines.push(`curves (step:value, ${d.points} shape-keeping points of the recent window):`, ...curves);
  const resolved = f.findings.filter((x) => x.status === 'resolved').slice(0, d.resolved);
  if (resolved.length) lines.push('resolved findings:', ...resolved.map((x) => findingLine(x, Math.min(d.evidence, 3))));
  const events = f.recent.slice(-d.events);
  if (events.length) lines.push('recent events (oldest first):', ...events.map((e) => `- ${e.type}: ${quoted(e.text, 160)}`));
  const logs = input.logs.slice(-d.logs);
  if (logs.length) lines.push('recent log lines (oldest first):', ...logs.map((l) => `- ${quoted(l, 200)}`));
  lines.push(CLOSE_TAG);
  return lines.join('\n');
}

/** Drops lines from the end of the data until it fits: the last resort for absurd inputs. */
function cut(text: string, budget: number): string {
  const lines = text.split('\n');
  lines.pop();
  while (lines.length > 2 && estimateTokens(`${lines.join('\n')}\n- (cut to fit)\n${CLOSE_TAG}`) > budget) lines.pop();
  return `${lines.join('\n')}\n- (cut to fit)\n${CLOSE_TAG}`;
}

export function buildContextBlock(input: BlockInput, budgetTokens: number): ContextBlock {
  let text = '';
  let tokens = 0;
  let level = LEVELS[0];
  for (level of LEVELS) {
    text = render(input, level);
    tokens = estimateTokens(text);
    if (tokens <= budgetTokens) break;
  }
  let trimmed = level !== LEVELS[0];
  if (tokens > budgetTokens) {
    text = cut(text, budgetTokens);
    tokens = estimateTokens(text);
    trimmed = true;
  }
  return { text, tokens, digest: createHash('sha256').update(text).digest('hex').slice(0, 20), points: level.points, trimmed };
}
