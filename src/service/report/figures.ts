// The report's figures, in order: the dashboard, the first run's own, then the comparison of all runs.
import type { AnalystService } from '../service.ts';
import { chartSvg, type ChartSpec } from './chart.ts';
import { comparisonBuilders } from './comparison.ts';
import { dashboard } from './dashboard.ts';
import type { Builders, Figure, LeftOut, ReportRun } from './figure.ts';
import { runBuilders } from './run-figures.ts';

/**
 * Every figure the runs' data allow, and the ones left out with why. The first run is reported
 * in full; with more runs, the comparison figures overlay them all.
 */
export async function buildFigures(service: AnalystService, runs: ReportRun[], metric?: string): Promise<{ figures: Figure[]; leftOut: LeftOut[] }> {
  const [main] = runs;
  const figures: Figure[] = [];
  const leftOut: LeftOut[] = [];
  const specs = new Map<string, ChartSpec>();
  const all: Builders = { ...(await runBuilders(service, main, metric)), ...(runs.length > 1 ? comparisonBuilders(service, runs) : {}) };
  for (const [id, b] of Object.entries(all)) {
    const built = await b.build();
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
