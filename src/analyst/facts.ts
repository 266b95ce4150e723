// Gathers what the analyst knows about one run from its source into AnalysisFacts.
import { analyzeRun } from '../diagnose/analysis.ts';
import { AnalystError } from '../domain/errors.ts';
import { SEVERITY_RANK, type Finding } from '../domain/findings.ts';
import type { Run } from '../domain/runs.ts';
import type { AnalysisFacts } from '../llm/facts.ts';
import type { AnalystSource } from './source.ts';

/** Resolved findings kept for context: what was wrong earlier still explains the curves. */
const RESOLVED_KEPT = 5;

export function orderFindings(findings: Finding[]): Finding[] {
  const open = findings.filter((f) => f.status === 'open').sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.created_at - b.created_at);
  const resolved = findings
    .filter((f) => f.status === 'resolved')
    .sort((a, b) => (b.resolved_at ?? 0) - (a.resolved_at ?? 0))
    .slice(0, RESOLVED_KEPT);
  return [...open, ...resolved];
}

/** The run a request names, or a 404. */
export async function findRun(source: AnalystSource, ref: string): Promise<Run> {
  const run = await source.run(ref);
  if (!run) throw new AnalystError('not_found', `run ${ref} not found`);
  return run;
}

export async function gatherFacts(source: AnalystSource, run: Run, now = Date.now()): Promise<AnalysisFacts> {
  const ctx = await source.context(run.id);
  const findings = await source.findings(run.id);
  return {
    run: {
      id: run.id,
      name: run.name,
      project: run.project,
      stage: run.stage,
      dataset: run.dataset,
      base_model: run.base_model,
      parent_run: run.parent_run,
      config: run.config,
    },
    progress: ctx.view(now),
    series: ctx.summaries(),
    findings: orderFindings(findings),
    recent: ctx.recent.slice(),
    analysis: analyzeRun(ctx, findings),
  };
}
