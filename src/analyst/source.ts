// How the analyst reads runs: an interface the service implements, so the analyst never touches the store.
import type { RunContext } from '../context/run-context.ts';
import type { Finding } from '../domain/findings.ts';
import type { Run } from '../domain/runs.ts';

export interface AnalystSource {
  run(id: string): Promise<Run | undefined>;
  /** The run's rolling context (summaries, windows, recent notable events). */
  context(id: string): Promise<RunContext>;
  /** The run's findings, open and resolved. */
  findings(id: string): Promise<Finding[]>;
  /** Every run of a project, for suggestion tracking across runs. */
  runsInProject(project: string): Promise<Run[]>;
  /** Runs whose parent_run is `id` (lineage, possibly in other projects); optional. */
  children?(id: string): Promise<Run[]>;
  /** The run's latest log lines, oldest first, at most `limit`; optional. */
  logs?(id: string, limit: number): Promise<string[]>;
}
