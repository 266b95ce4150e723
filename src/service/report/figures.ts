// The report's figures: which series each one draws, and why one is left out when the run lacks them.
import { canonicalOf, isLayerGradNorm, isMetricName, lowerIsBetter } from '../../domain/aliases.ts';
import type { RunAnalysis } from '../../domain/analysis.ts';
import type { Finding } from '../../domain/findings.ts';
import { formatNumber } from '../../domain/format.ts';
import type { Run } from '../../domain/runs.ts';
import type { AnalystService } from '../service.ts';
import { chartGroup, chartSvg, type ChartMarker, type ChartSeries, type ChartSpec } from './chart.ts';
import { assignColors, PALETTE, severityColor } from './colors.ts';
import { namesWhere, readSeries, toXY, xAxisOf, type ReadSeries, type XAxis } from './data.ts';
import { svgDocument, text } from './svg.ts';

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

type Built = { spec: ChartSpec; caption: string } | { reason: string };

const LOSSES = ['train_loss', 'val_loss', 'test_loss'];
const ACCURACIES = ['val_acc', 'train_acc', 'test_acc'];
/** Layers drawn in the per-layer figure: more lines than this cannot be told apart. */
const MAX_LAYERS = 10;
/** Values spanning this factor or more are drawn on a log axis (when all are positive). */
const LOG_SPAN = 100;

const AXIS_LABEL: Record<XAxis, string> = { step: 'step', epoch: 'epoch', point: 'point (order logged)' };

function autoLog(series: ReadSeries[]): boolean {
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

function chartSeries(series: ReadSeries[], axis: XAxis): ChartSeries[] {
  const colors = assignColors(series.map((s) => s.canonical));
  return series.map((s, i) => ({ label: s.name, color: colors[i], points: toXY(s, axis) }));
}

/** Where a finding began, on the figure's x axis; undefined when it has no position on that axis. */
function findingX(f: Finding, axis: XAxis): number | undefined {
  const x = axis === 'step' ? f.step : axis === 'epoch' ? f.epoch : null;
  return x ?? undefined;
}

function findingMarkers(findings: Finding[], axis: XAxis): ChartMarker[] {
  const out: ChartMarker[] = [];
  for (const f of findings) {
    const x = findingX(f, axis);
    if (x !== undefined) out.push({ x, label: f.kind, color: severityColor(f.severity) });
  }
  return out.sort((a, b) => a.x - b.x);
}

/** A figure of some series of one run, or why it is left out. */
function lineFigure(series: ReadSeries[], title: string, yLabel: string, missing: string, caption: string, log = autoLog(series)): Built {
  if (!series.length) return { reason: missing };
  const axis = xAxisOf(series);
  return { spec: { title, xLabel: AXIS_LABEL[axis], yLabel, logY: log, series: chartSeries(series, axis) }, caption };
}

/**
 * The main metric's names: accuracies when logged, else the quality metrics the alias table does
 * not map, higher-better ones (F1, mAP, BLEU, a detector's class accuracy) before lower-better
 * ones (WER, perplexity), so a detector's loss terms do not pass for its metric.
 */
function mainMetricNames(service: AnalystService, runId: string): string[] {
  const acc = namesWhere(service, runId, (c) => c !== undefined && ACCURACIES.includes(c));
  if (acc.length) return acc;
  const quality = namesWhere(service, runId, (c, name) => c === undefined && isMetricName(name));
  const higher = quality.filter((name) => !lowerIsBetter(name));
  return (higher.length ? higher : quality).slice(0, 6);
}

/** Evenly spaced layers when there are too many, so the first and last layers are always there. */
function someLayers(names: string[]): string[] {
  if (names.length <= MAX_LAYERS) return names;
  return Array.from({ length: MAX_LAYERS }, (_, k) => names[Math.round((k * (names.length - 1)) / (MAX_LAYERS - 1))]);
}

/** An exponential moving average over about a twentieth of the points: the trend under the noise. */
function smoothed(points: Array<[number, number]>): Array<[number, number]> {
  const alpha = 2 / (Math.max(2, Math.round(points.length / 20)) + 1);
  let avg: number | undefined;
  return points.map(([x, y]) => {
    if (Number.isFinite(y)) avg = avg === undefined ? y : avg + alpha * (y - avg);
    return [x, avg ?? NaN];
  });
}

function bestMarker(a: RunAnalysis, axis: XAxis): ChartMarker[] {
  const x = axis === 'step' ? a.summary.best_step : axis === 'epoch' ? a.summary.best_epoch : null;
  return x === null ? [] : [{ x, label: `best ${a.summary.best_metric ?? ''}`.trim(), color: '#2a8a3a' }];
}

interface Builders {
  [id: string]: { title: string; build: () => Built };
}

/** The figures of one run, in the report's order. */
function runBuilders(service: AnalystService, r: ReportRun, metric: string | undefined): Builders {
  const id = r.run.id;
  const read = (names: string[]) => readSeries(service, id, names);
  const layerNames = namesWhere(service, id, (c) => c !== undefined && isLayerGradNorm(c));
  const builders: Builders = {
    loss: {
      title: 'Loss',
      build: () => lineFigure(read(LOSSES), 'Loss', 'loss', 'the run logs no training, validation or test loss', 'Training and validation loss as logged.'),
    },
    metric: {
      title: 'Main metric',
      build: () => {
        const names = mainMetricNames(service, id);
        return lineFigure(read(names), 'Main metric', names.length === 1 ? names[0] : 'value', 'the run logs no accuracy or other quality metric (F1, mAP, BLEU...)', 'The metric that says how good the model is.', false);
      },
    },
    lr: { title: 'Learning rate', build: () => lineFigure(read(['lr']), 'Learning rate', 'learning rate', 'the run logs no learning rate', 'The learning rate schedule as the optimiser used it.') },
    epoch_time: {
      title: 'Epoch time',
      build: () => lineFigure(read(['epoch_time']), 'Epoch time', 'seconds', 'the run logs no epoch time (epoch_time, epoch_duration...)', 'Seconds per epoch: a rise means a slower data loader or memory pressure.', false),
    },
    grad_norm: {
      title: 'Gradient norm',
      build: () => lineFigure(read(['grad_norm']), 'Gradient norm', 'global gradient norm', 'the run logs no global gradient norm', 'The global gradient norm: spikes precede divergence, a collapse to zero means vanishing gradients.'),
    },
    grad_norm_layers: {
      title: 'Gradient norm per layer',
      build: () => {
        const shown = someLayers(layerNames);
        const built = lineFigure(read(shown), 'Gradient norm per layer', 'gradient norm', 'the run logs no per-layer gradient norms (grad_norm/LAYER)', 'Each layer\'s gradient norm: a layer stuck at zero has dead units, early layers far below late ones vanishing gradients.');
        if ('spec' in built && shown.length < layerNames.length) built.spec.subtitle = `${shown.length} of ${layerNames.length} layers, evenly spaced from the first to the last`;
        return built;
      },
    },
    weight_norm: { title: 'Weight norm', build: () => lineFigure(read(['weight_norm']), 'Weight norm', 'weight norm', 'the run logs no weight norm', 'The norm of the weights: steady growth without bound is a warning of instability.') },
    memory: { title: 'Memory', build: () => lineFigure(read(['memory']), 'Memory', 'memory', 'the run logs no memory use', 'Memory in use as the trainer logged it.', false) },
    convergence: {
      title: 'Convergence and overfitting',
      build: () => {
        const series = read(['train_loss', 'val_loss']);
        const built = lineFigure(series, 'Convergence and overfitting', 'loss', 'the run logs no training or validation loss', 'Loss with each finding marked where it began, and the best point.');
        if (!('spec' in built)) return built;
        const axis = xAxisOf(series);
        const a = r.analysis;
        built.spec.subtitle = `${a.convergence} · overfitting score ${formatNumber(a.overfitting.score, 2)}${a.summary.best_metric ? ` · best ${a.summary.best_metric} ${formatNumber(a.summary.best_value)}` : ''}`;
        built.spec.markers = [...findingMarkers(r.findings, axis), ...bestMarker(a, axis)].sort((m, n) => m.x - n.x);
        return built;
      },
    },
  };
  if (metric !== undefined) {
    builders.evolution = {
      title: `Evolution of ${metric}`,
      build: () => {
        const series = read([metric]);
        if (!series.length) return { reason: `the run has no metric named ${metric} (as logged or canonical)` };
        const axis = xAxisOf(series);
        const lines = chartSeries(series, axis);
        const finite = series.flatMap((s) => s.points.map((p) => p.value)).filter(Number.isFinite);
        const last = series[0].points[series[0].points.length - 1]?.value;
        return {
          spec: {
            title: `Evolution of ${metric}`,
            subtitle: finite.length ? `first ${formatNumber(series[0].points[0].value)} · last ${formatNumber(last)} · min ${formatNumber(Math.min(...finite))} · max ${formatNumber(Math.max(...finite))}` : 'no finite value',
            xLabel: AXIS_LABEL[axis],
            yLabel: metric,
            logY: autoLog(series),
            series: [...lines, ...lines.map((l, i) => ({ label: `${l.label} (smoothed)`, color: PALETTE[(i + 3) % PALETTE.length], points: smoothed(l.points), dashed: true }))],
            markers: findingMarkers(r.findings, axis),
          },
          caption: `${metric} as logged, with its moving average and the findings marked where they began.`,
        };
      },
    };
  }
  return builders;
}

/** The series of a canonical name that feeds it (lowest alias rank): one line per run in a comparison. */
function primary(series: ReadSeries[], canonical: string): ReadSeries | undefined {
  const rank = (s: ReadSeries) => canonicalOf(s.name)?.rank ?? Infinity;
  return series.filter((s) => s.canonical === canonical).sort((a, b) => rank(a) - rank(b))[0];
}

function runLabel(r: ReportRun): string {
  return r.run.name;
}

/** Overlays of several runs: their losses (training solid, validation dashed) and their main metric. */
function comparisonBuilders(service: AnalystService, runs: ReportRun[]): Builders {
  return {
    compare_loss: {
      title: 'Loss of each run',
      build: () => {
        const lines: Array<{ s: ReadSeries; run: number; dashed: boolean; label: string }> = [];
        runs.forEach((r, i) => {
          const read = readSeries(service, r.run.id, ['train_loss', 'val_loss']);
          for (const c of ['train_loss', 'val_loss']) {
            const s = primary(read, c);
            if (s) lines.push({ s, run: i, dashed: c === 'val_loss', label: `${runLabel(r)} · ${c}` });
          }
        });
        if (!lines.length) return { reason: 'none of the runs logs a training or validation loss' };
        const axis = xAxisOf(lines.map((l) => l.s));
        return {
          spec: {
            title: 'Loss of each run',
            subtitle: 'training loss solid, validation loss dashed',
            xLabel: AXIS_LABEL[axis],
            yLabel: 'loss',
            logY: autoLog(lines.map((l) => l.s)),
            series: lines.map((l) => ({ label: l.label, color: PALETTE[l.run % PALETTE.length], dashed: l.dashed, points: toXY(l.s, axis) })),
          },
          caption: 'Each run in its own colour.',
        };
      },
    },
    compare_metric: {
      title: 'Main metric of each run',
      build: () => {
        const lines: Array<{ s: ReadSeries; run: number }> = [];
        runs.forEach((r, i) => {
          const read = readSeries(service, r.run.id, mainMetricNames(service, r.run.id));
          const s = ACCURACIES.map((c) => primary(read, c)).find(Boolean) ?? read[0];
          if (s) lines.push({ s, run: i });
        });
        if (!lines.length) return { reason: 'none of the runs logs an accuracy or other quality metric' };
        const axis = xAxisOf(lines.map((l) => l.s));
        return {
          spec: {
            title: 'Main metric of each run',
            xLabel: AXIS_LABEL[axis],
            yLabel: 'value',
            series: lines.map((l) => ({ label: `${runLabel(runs[l.run])} · ${l.s.name}`, color: PALETTE[l.run % PALETTE.length], points: toXY(l.s, axis) })),
          },
          caption: 'Each run in its own colour.',
        };
      },
    },
  };
}

const DASHBOARD_PANELS = ['loss', 'metric', 'lr', 'grad_norm', 'epoch_time', 'memory', 'weight_norm'];
const DASHBOARD_WIDTH = 1200;
const DASHBOARD_HEIGHT = 860;

/** One page: the run's name and state over up to four of its basic curves. */
function dashboard(r: ReportRun, specs: Map<string, ChartSpec>): Figure | LeftOut {
  const panels = DASHBOARD_PANELS.map((id) => specs.get(id)).filter((s): s is ChartSpec => s !== undefined).slice(0, 4);
  if (!panels.length) return { id: 'dashboard', title: 'Dashboard', reason: 'the run has none of the basic curves (loss, metric, learning rate, gradient norm, epoch time)' };
  const a = r.analysis;
  const s = a.summary;
  const head =
    text(24, 36, `${r.run.project} / ${r.run.name}`, { 'font-size': 20, 'font-weight': 'bold', fill: '#111111', class: 'title' }) +
    text(24, 60, [`${r.run.status}`, `${a.convergence}`, s.total_epochs !== null ? `${formatNumber(s.total_epochs)} epochs` : '', s.total_steps !== null ? `${formatNumber(s.total_steps)} steps` : '', s.best_metric ? `best ${s.best_metric} ${formatNumber(s.best_value)}` : '', `${r.findings.length} findings`].filter(Boolean).join(' · '), { 'font-size': 13, fill: '#444444', class: 'subtitle' });
  const top = 80;
  const w = (DASHBOARD_WIDTH - 48) / 2;
  const h = (DASHBOARD_HEIGHT - top - 16) / 2;
  const body = panels.map((spec, i) => chartGroup(spec, { x: 24 + (i % 2) * w + (i % 2 ? 16 : 0), y: top + Math.floor(i / 2) * h, width: w - 16, height: h - 12 })).join('');
  return { id: 'dashboard', title: 'Dashboard', caption: 'The run on one page.', svg: svgDocument(DASHBOARD_WIDTH, DASHBOARD_HEIGHT, head + body, `Dashboard of ${r.run.name}`) };
}

/**
 * Every figure the runs' data allow, and the ones left out with why. The first run is reported
 * in full; with more runs, the comparison figures overlay them all.
 */
export function buildFigures(service: AnalystService, runs: ReportRun[], metric?: string): { figures: Figure[]; leftOut: LeftOut[] } {
  const [main] = runs;
  const figures: Figure[] = [];
  const leftOut: LeftOut[] = [];
  const specs = new Map<string, ChartSpec>();
  const all: Builders = { ...runBuilders(service, main, metric), ...(runs.length > 1 ? comparisonBuilders(service, runs) : {}) };
  for (const [id, b] of Object.entries(all)) {
    const built = b.build();
    if ('reason' in built) {
      leftOut.push({ id, title: b.title, reason: built.reason });
      continue;
    }
    specs.set(id, built.spec);
    figures.push({ id, title: b.title, caption: built.caption, svg: chartSvg(built.spec) });
  }
  const page = dashboard(main, specs);
  if ('svg' in page) figures.unshift(page);
  else leftOut.unshift(page);
  return { figures, leftOut };
}
