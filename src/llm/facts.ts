// What the analyst knows about a run, in one plain object: the narrator's input and the prompt's source.
import type { NotableEvent, RunProgress } from '../context/run-context.ts';
import type { SeriesSummary } from '../context/series.ts';
import type { RunAnalysis } from '../domain/analysis.ts';
import type { Finding } from '../domain/findings.ts';

export interface RunFacts {
  id: string;
  name: string;
  project: string;
  stage: string | null;
  dataset: string | null;
  base_model: string | null;
  parent_run: string | null;
  config: Record<string, unknown>;
}

export interface AnalysisFacts {
  run: RunFacts;
  progress: RunProgress;
  series: SeriesSummary[];
  /** Open findings first, most severe first; then recently resolved ones. */
  findings: Finding[];
  recent: NotableEvent[];
  /** The recorder seed's analysis: convergence status, overfitting score, stability. */
  analysis: RunAnalysis;
}

export type TaskKind = 'analysis' | 'tuning' | 'troubleshoot' | 'chat';

export interface NarratorTask {
  kind: TaskKind;
  question?: string;
  facts: AnalysisFacts;
}
