// The dashboard: a run on one page, its state over four of its basic curves.
import { formatNumber } from '../../domain/format.ts';
import { chartGroup, type ChartSpec } from './chart.ts';
import type { Figure, LeftOut, ReportRun } from './figure.ts';
import { svgDocument, text } from './svg.ts';

const DASHBOARD_PANELS = ['loss', 'metric', 'lr', 'grad_norm', 'epoch_time', 'memory', 'weight_norm'];
const DASHBOARD_WIDTH = 1200;
const DASHBOARD_HEIGHT = 860;

const counted = (n: number, noun: string) => `${formatNumber(n)} ${noun}${n === 1 ? '' : 's'}`;

/** One page: the run's name and state over up to four of its basic curves. */
export function dashboard(r: ReportRun, specs: Map<string, ChartSpec>): Figure | LeftOut {
  const panels = DASHBOARD_PANELS.map((id) => specs.get(id)).filter((s): s is ChartSpec => s !== undefined).slice(0, 4);
  if (!panels.length) return { id: 'dashboard', title: 'Dashboard', reason: 'the run has none of the basic curves (loss, metric, learning rate, gradient norm, epoch time)' };
  const a = r.analysis;
  const s = a.summary;
  const head =
    text(24, 36, `${r.run.project} / ${r.run.name}`, { 'font-size': 20, 'font-weight': 'bold', fill: '#111111', class: 'title' }) +
    text(24, 60, [`${r.run.status}`, `${a.convergence}`, s.total_epochs !== null ? counted(s.total_epochs, 'epoch') : '', s.total_steps !== null ? counted(s.total_steps, 'step') : '', s.best_metric ? `best ${s.best_metric} ${formatNumber(s.best_value)}` : '', counted(r.findings.length, 'finding')].filter(Boolean).join(' · '), { 'font-size': 13, fill: '#444444', class: 'subtitle' });
  const top = 80;
  const w = (DASHBOARD_WIDTH - 48) / 2;
  const h = (DASHBOARD_HEIGHT - top - 16) / 2;
  const body = panels.map((spec, i) => chartGroup(spec, { x: 24 + (i % 2) * w + (i % 2 ? 16 : 0), y: top + Math.floor(i / 2) * h, width: w - 16, height: h - 12 })).join('');
  return { id: 'dashboard', title: 'Dashboard', caption: 'The run on one page.', svg: svgDocument(DASHBOARD_WIDTH, DASHBOARD_HEIGHT, head + body, `Dashboard of ${r.run.name}`) };
}
