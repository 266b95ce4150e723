// A run's report: figures drawn from its series, its findings and analysis, as HTML and PNG files.
import { AnalystError } from '../../domain/errors.ts';
import { pairComparison } from '../../diagnose/analysis.ts';
import type { AnalystService } from '../service.ts';
import type { Figure, LeftOut, ReportRun } from './figure.ts';
import { buildFigures } from './figures.ts';
import { reportHtml, type Narration } from './html.ts';
import { svgToPng } from './png.ts';

export type { Figure, LeftOut, Narration };

export interface ReportOptions {
  /** A metric (as logged or canonical) to draw on its own with its trend. */
  metric?: string;
  /** The analysis text of the first run; left out when not given. */
  narrate?: (runId: string) => Promise<Narration>;
  now?: number;
}

export interface Report {
  runs: ReportRun[];
  figures: Figure[];
  leftOut: LeftOut[];
  html: string;
}

async function reportRuns(service: AnalystService, refs: string[]): Promise<ReportRun[]> {
  const runs: ReportRun[] = [];
  for (const ref of refs) {
    const run = await service.run(ref);
    runs.push({ run, started_at: (await service.status(run.id)).started_at, analysis: await service.analysis(run.id), findings: await service.findings(run.id) });
  }
  return runs;
}

/** The figures alone, for one PNG: no analysis text is asked for. */
export async function reportFigures(service: AnalystService, refs: string[], opts: ReportOptions = {}): Promise<{ figures: Figure[]; leftOut: LeftOut[] }> {
  return buildFigures(service, await reportRuns(service, refs), opts.metric);
}

/** The first run reported in full; every further run compared with it. */
export async function buildReport(service: AnalystService, refs: string[], opts: ReportOptions = {}): Promise<Report> {
  const runs = await reportRuns(service, refs);
  const { figures, leftOut } = await buildFigures(service, runs, opts.metric);
  const narration = opts.narrate ? await opts.narrate(runs[0].run.id) : null;
  const comparisons = runs.slice(1).map((r) => {
    const comparison = pairComparison(runs[0].analysis, r.analysis);
    // The comparison names runs by id; a reader knows them by name.
    const reason = comparison.reason.replaceAll(runs[0].run.id, runs[0].run.name).replaceAll(r.run.id, r.run.name);
    return { other: r.run.name, comparison: { ...comparison, reason } };
  });
  const html = reportHtml({ runs, figures, leftOut, narration, comparisons, generatedAt: opts.now ?? Date.now() });
  return { runs, figures, leftOut, html };
}

/** One figure as PNG; 404 naming the figures there are, and why one asked for was left out. */
export function figurePng(set: { figures: Figure[]; leftOut: LeftOut[] }, id: string): Buffer {
  const figure = set.figures.find((f) => f.id === id);
  if (figure) return svgToPng(figure.svg);
  const left = set.leftOut.find((l) => l.id === id);
  if (left) throw new AnalystError('not_found', `figure ${id} is left out of this report: ${left.reason}`);
  throw new AnalystError('not_found', `no figure ${id}: this report has ${set.figures.map((f) => f.id).join(', ') || 'no figures'}`);
}

