// The figures of one run: basic curves, gradient and weight norms, memory, convergence, one metric's evolution.
import { isLayerGradNorm } from '../../domain/aliases.ts';
import type { RunAnalysis } from '../../domain/analysis.ts';
import { formatNumber } from '../../domain/format.ts';
import type { AnalystService } from '../service.ts';
import type { ChartMarker } from './chart.ts';
import { PALETTE } from './colors.ts';
import { namesWhere, readSeries, xAxisOf, type XAxis } from './data.ts';
import { AXIS_LABEL, autoLog, chartSeries, findingMarkers, lineFigure, mainMetricNames, type Builders, type ReportRun } from './figure.ts';

const LOSSES = ['train_loss', 'val_loss', 'test_loss'];
/** Layers drawn in the per-layer figure: more lines than this cannot be told apart. */
const MAX_LAYERS = 10;

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

/** The figures of one run, in the report's order. */
export async function runBuilders(service: AnalystService, r: ReportRun, metric: string | undefined): Promise<Builders> {
  const id = r.run.id;
  const read = (names: string[]) => readSeries(service, id, names);
  const layerNames = await namesWhere(service, id, (c) => c !== undefined && isLayerGradNorm(c));
  const builders: Builders = {
    loss: {
      title: 'Loss',
      build: async () => lineFigure(await read(LOSSES), 'Loss', 'loss', 'the run logs no training, validation or test loss', 'Training and validation loss as logged.'),
    },
    metric: {
      title: 'Main metric',
      build: async () => {
        const names = await mainMetricNames(service, id);
        return lineFigure(await read(names), 'Main metric', names.length === 1 ? names[0] : 'value', 'the run logs no accuracy or other quality metric (F1, mAP, BLEU...)', 'The metric that says how good the model is.', false);
      },
    },
    lr: { title: 'Learning rate', build: async () => lineFigure(await read(['lr']), 'Learning rate', 'learning rate', 'the run logs no learning rate', 'The learning rate schedule as the optimiser used it.') },
    epoch_time: {
      title: 'Epoch time',
      build: async () => lineFigure(await read(['epoch_time']), 'Epoch time', 'seconds', 'the run logs no epoch time (epoch_time, epoch_duration...)', 'Seconds per epoch: a rise means a slower data loader or memory pressure.', false),
    },
    grad_norm: {
      title: 'Gradient norm',
      build: async () => lineFigure(await read(['grad_norm']), 'Gradient norm', 'global gradient norm', 'the run logs no global gradient norm', 'The global gradient norm: spikes precede divergence, a collapse to zero means vanishing gradients.'),
    },
    grad_norm_layers: {
      title: 'Gradient norm per layer',
      build: async () => {
        const shown = someLayers(layerNames);
        const built = lineFigure(await read(shown), 'Gradient norm per layer', 'gradient norm', 'the run logs no per-layer gradient norms (grad_norm/LAYER)', 'Each layer\'s gradient norm: a layer stuck at zero has dead units, early layers far below late ones vanishing gradients.');
        if ('spec' in built && shown.length < layerNames.length) built.spec.subtitle = `${shown.length} of ${layerNames.length} layers, evenly spaced from the first to the last`;
        return built;
      },
    },
    weight_norm: { title: 'Weight norm', build: async () => lineFigure(await read(['weight_norm']), 'Weight norm', 'weight norm', 'the run logs no weight norm', 'The norm of the weights: steady growth without bound is a warning of instability.') },
    memory: { title: 'Memory', build: async () => lineFigure(await read(['memory']), 'Memory', 'memory', 'the run logs no memory use', 'Memory in use as the trainer logged it.', false) },
    convergence: {
      title: 'Convergence and overfitting',
      build: async () => {
        const series = await read(['train_loss', 'val_loss']);
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
      build: async () => {
        const series = await read([metric]);
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
