import type { AnalystSource } from '../analyst/source.ts';
import type { Analyst } from '../analyst/analyst.ts';
import type { Logger } from '../http/errors.ts';
import { RunListQuery } from '../domain/runs.ts';
import type { AnalystService } from './service.ts';

/** The analyst's view of runs, served from the store and the in-memory run states. */
export function analystSource(service: AnalystService): AnalystSource {
  const { store } = service;
  return {
    // A deleted run answers 410 here as on every route; an unknown one is left to the analyst's 404.
    run: async (ref) => (await store.resolveRun(ref)) ?? ((await store.deletedRun(ref)) ? service.run(ref) : undefined),
    context: async (id) => (await service.state(id)).ctx,
    findings: (id) => service.findings(id),
    runsInProject: async (project) => (await store.listRuns(RunListQuery.parse({ project, limit: 1000, archived: 'true' }))).runs,
    children: async (id) => {
      const run = await store.getRun(id);
      return run ? store.childRuns(run) : [];
    },
    logs: (id, limit) => store.recentLogs(id, limit),
  };
}

/**
 * After commit, never inside ingest: a finished run settles the suggestions it applied, and a
 * newly raised warning or critical finding refreshes the run's automatic analysis (rate-limited
 * per run by the analyst, so a noisy run does not spend the LLM budget).
 */
export function connectAnalyst(service: AnalystService, analyst: Analyst, log: Logger): () => void {
  return service.bus.subscribe('*', (event) => {
    if (event.type === 'run_finished') {
      setImmediate(() => {
        analyst.runFinished(event.run).catch((err) => log.warn({ err, run: event.run }, 'could not settle suggestions of a finished run'));
      });
    } else if (event.type === 'finding_raised' && event.finding.severity !== 'info') {
      analyst.analyze({ run: event.run, kind: 'analysis' }, { auto: true }).catch((err) => log.warn({ err, run: event.run }, 'automatic analysis failed'));
    }
  });
}
