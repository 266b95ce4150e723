// What every figure of a report is made of: the runs it reads, the chart it becomes or why it is left out.
import { isMetricName, lowerIsBetter } from '../../domain/aliases.ts';
import type { RunAnalysis } from '../../domain/analysis.ts';
import type { Finding } from '../../domain/findings.ts';
import type { Run } from '../../domain/runs.ts';
import type { AnalystService } from '../service.ts';
import type { ChartMarker, ChartSeries, ChartSpec } from './chart.ts';
import { assignColors, severityColor } from './colors.ts';
import { namesWhere, toXY, xAxisOf, type ReadSeries, type XAxis } from './data.ts';

export interface ReportRun {
  run: Run;
  /** The run's first time (a file's own), or null for a file without times: not when it was read. */
  started_at: number | null;
  analysis: RunAnalysis;
  findings: Finding[];
}

export interface Figure {
  id: string;
  title: string;
  /** One sentence on what the figure shows, under it in the report. */
  caption: string;
  svg: string;
}

export interface LeftOut {
  id: string;
  title: string;
  reason: string;
}

export type Built = { spec: ChartSpec; caption: string } | { reason: string };

export interface Builders {
  [id: string]: { title: string; build: () => Promise<Built> };
}

export const ACCURACIES = ['val_acc', 'train_acc', 'test_acc'];
/** Values spanning this factor or more are drawn on a log axis (when all are positive). */
const LOG_SPAN = 100;

export const AXIS_LABEL: Record<XAxis, string> = { step: 'step', epoch: 'epoch', point: 'point (order logged)' };

export function autoLog(series: ReadSeries[]): boolean {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (const p of s.points) {
      if (!Number.isFinite(p.value)) continue;
      if (p.value <= 0) return false;
      lo = Math.min(lo, p.value);
      hi = Math.max(hi, p.value);
    }
  }
  return hi / lo >= LOG_SPAN;
}

export function chartSeries(series: ReadSeries[], axis: XAxis): ChartSeries[] {
  const colors = assignColors(series.map((s) => s.canonical));
  return series.map((s, i) => ({ label: s.name, color: colors[i], points: toXY(s, axis) }));
}

/** Where a finding began, on the figure's x axis; undefined when it has no position on that axis. */
function findingX(f: Finding, axis: XAxis): number | undefined {
  const x = axis === 'step' ? f.step : axis === 'epoch' ? f.epoch : null;
  return x ?? undefined;
}

export function findingMarkers(findings: Finding[], axis: XAxis): ChartMarker[] {
  const out: ChartMarker[] = [];
  for (const f of findings) {
    const x = findingX(f, axis);
    if (x !== undefined) out.push({ x, label: f.kind, color: severityColor(f.severity) });
  }
  return out.sort((a, b) => a.x - b.x);
}

/** A figure of some series of one run, or why it is left out. */
export function lineFigure(series: ReadSeries[], title: string, yLabel: string, missing: string, caption: string, log = autoLog(series)): Built {
  if (!series.length) return { reason: missing };
  const axis = xAxisOf(series);
  return { spec: { title, xLabel: AXIS_LABEL[axis], yLabel, logY: log, series: chartSeries(series, axis) }, caption };
}

/**
 * The main metric's names: accuracies when logged, else the quality metrics the alias table does
 * not map, higher-better ones (F1, mAP, BLEU, a detector's class accuracy) before lower-better
 * ones (WER, perplexity), so a detector's loss terms do not pass for its metric.
 */
export async function mainMetricNames(service: AnalystService, runId: string): Promise<string[]> {
  const acc = await namesWhere(service, runId, (c) => c !== undefined && ACCURACIES.includes(c));
  if (acc.length) return acc;
  const quality = await namesWhere(service, runId, (c, name) => c === undefined && isMetricName(name));
  const higher = quality.filter((name) => !lowerIsBetter(name));
  return (higher.length ? higher : quality).slice(0, 6);
}
