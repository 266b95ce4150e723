// Sentences about a run built from its numbers: status, best value, trends, findings.
import type { SeriesSummary } from '../../context/series.ts';
import { SEVERITY_RANK, type Finding } from '../../domain/findings.ts';
import { fmt } from '../format.ts';
import type { AnalysisFacts } from '../facts.ts';
import { GUIDE } from './guide.ts';

export function statusLine(facts: AnalysisFacts): string {
  const p = facts.progress;
  const parts: string[] = [];
  if (p.epoch !== null) parts.push(`epoch ${fmt(p.epoch)}${p.total_epochs ? ` of ${p.total_epochs}` : ''}`);
  if (p.step !== null) parts.push(`step ${p.step}${p.total_steps ? ` of ${p.total_steps}` : ''}`);
  if (p.progress !== null) parts.push(`${fmt(p.progress)}% done`);
  const where = parts.length ? `, at ${parts.join(', ')}` : '';
  const run = `Run "${facts.run.name}" (project ${facts.run.project}) is ${p.status}${where}`;
  if (facts.series.length === 0) return `${run}; no metric has been logged yet.`;
  return `${run}; convergence status: ${facts.analysis.convergence}.`;
}

export function bestLine(facts: AnalysisFacts): string | undefined {
  const best = facts.progress.best;
  if (!best || !Number.isFinite(best.value)) return undefined;
  const s = facts.series.find((x) => x.name === best.metric);
  const at = best.epoch !== null ? `epoch ${fmt(best.epoch)}` : best.step !== null ? `step ${best.step}` : 'an unknown point';
  let line = `Best ${best.metric}: ${fmt(best.value)} at ${at}${best.epoch !== null && best.step !== null ? ` (step ${best.step})` : ''}`;
  if (s && Number.isFinite(s.last) && s.last !== best.value) {
    const ratio = best.value !== 0 ? s.last / best.value : NaN;
    line += `; the latest is ${fmt(s.last)}${Number.isFinite(ratio) && ratio > 0 ? ` (${fmt(ratio)}× the best)` : ''}`;
  }
  return `${line}.`;
}

/** Direction of a series over its window, relative to its level, so that scale does not matter. */
export function trendWord(s: SeriesSummary): 'falling' | 'rising' | 'flat' | 'unknown' {
  if (s.slope === null || !Number.isFinite(s.ema) || s.window < 3) return 'unknown';
  const span = s.last_step !== null && s.count > 1 ? Math.max(1, s.window) : s.window;
  const level = Math.max(Math.abs(s.ema), 1e-12);
  const change = (s.slope * span) / level;
  // Under 2 % of its level across the whole window is noise, not a trend.
  if (Math.abs(change) < 0.02) return 'flat';
  return change < 0 ? 'falling' : 'rising';
}

const MAIN = ['train_loss', 'val_loss', 'train_acc', 'val_acc', 'lr', 'grad_norm'];

export function trendLines(facts: AnalysisFacts): string[] {
  const out: string[] = [];
  for (const name of MAIN) {
    const s = facts.series.find((x) => x.name === name);
    if (!s || s.count === 0) continue;
    const nonFinite = s.non_finite ? `, ${s.non_finite} non-finite values` : '';
    if (s.count === s.non_finite) {
      out.push(`${name}: all ${s.count} values non-finite`);
      continue;
    }
    out.push(`${name}: ${fmt(s.first)} → ${fmt(s.last)} (min ${fmt(s.min)}, max ${fmt(s.max)}), ${trendWord(s)} lately${nonFinite}`);
  }
  return out;
}

const bySeverity = (a: Finding, b: Finding) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity];

export function openFindings(facts: AnalysisFacts): Finding[] {
  return facts.findings.filter((f) => f.status === 'open').sort(bySeverity);
}

/**
 * The problems worth a headline: open warnings and criticals, else resolved ones (a finished run's
 * oscillation that calmed down is still what happened to it). Info findings are notes, not problems.
 */
export function problems(facts: AnalysisFacts): { findings: Finding[]; resolved: boolean } {
  const serious = facts.findings.filter((f) => f.severity !== 'info');
  const open = serious.filter((f) => f.status === 'open').sort(bySeverity);
  if (open.length) return { findings: open, resolved: false };
  return { findings: serious.filter((f) => f.status === 'resolved').sort(bySeverity), resolved: true };
}

export function evidenceText(f: Finding): string {
  return Object.entries(f.evidence)
    .map(([k, v]) => `${k} = ${typeof v === 'number' ? fmt(v) : String(v)}`)
    .join(', ');
}

export function findingWhere(f: Finding): string {
  if (f.epoch !== null) return ` since epoch ${fmt(f.epoch)}${f.step !== null ? ` (step ${f.step})` : ''}`;
  return f.step !== null ? ` since step ${f.step}` : '';
}

/** One paragraph per finding: name, severity, where, the rule's own sentence, the numbers. */
export function findingParagraph(f: Finding, withFixes: boolean): string {
  const g = GUIDE[f.kind];
  const lines = [`${g.title} (${f.severity}${findingWhere(f)}): ${f.message}`];
  const ev = evidenceText(f);
  if (ev) lines.push(`  Numbers: ${ev}.`);
  lines.push(`  Why it matters: ${g.why}.`);
  if (withFixes) {
    const fixes = [...f.actions, ...g.fixes.filter((x) => !f.actions.some((a) => a.toLowerCase().includes(x.split(' ')[0])))];
    lines.push(`  What to do: ${fixes.slice(0, 4).join('; ')}.`);
  }
  return lines.join('\n');
}
