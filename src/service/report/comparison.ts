// Figures of several runs at once: their losses and main metric overlaid, a colour per run.
import { canonicalOf } from '../../domain/aliases.ts';
import type { AnalystService } from '../service.ts';
import { PALETTE } from './colors.ts';
import { readSeries, toXY, xAxisOf, type ReadSeries } from './data.ts';
import { ACCURACIES, AXIS_LABEL, autoLog, mainMetricNames, type Builders, type ReportRun } from './figure.ts';

/** The series of a canonical name that feeds it (lowest alias rank): one line per run in a comparison. */
function primary(series: ReadSeries[], canonical: string): ReadSeries | undefined {
  const rank = (s: ReadSeries) => canonicalOf(s.name)?.rank ?? Infinity;
  return series.filter((s) => s.canonical === canonical).sort((a, b) => rank(a) - rank(b))[0];
}

function runLabel(r: ReportRun): string {
  return r.run.name;
}

/** Overlays of several runs: their losses (training solid, validation dashed) and their main metric. */
export function comparisonBuilders(service: AnalystService, runs: ReportRun[]): Builders {
  return {
    compare_loss: {
      title: 'Loss of each run',
      build: async () => {
        const lines: Array<{ s: ReadSeries; run: number; dashed: boolean; label: string }> = [];
        for (const [i, r] of runs.entries()) {
          const read = await readSeries(service, r.run.id, ['train_loss', 'val_loss']);
          for (const c of ['train_loss', 'val_loss']) {
            const s = primary(read, c);
            if (s) lines.push({ s, run: i, dashed: c === 'val_loss', label: `${runLabel(r)} · ${c}` });
          }
        }
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
      build: async () => {
        const lines: Array<{ s: ReadSeries; run: number }> = [];
        for (const [i, r] of runs.entries()) {
          const read = await readSeries(service, r.run.id, await mainMetricNames(service, r.run.id));
          const s = ACCURACIES.map((c) => primary(read, c)).find(Boolean) ?? read[0];
          if (s) lines.push({ s, run: i });
        }
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
