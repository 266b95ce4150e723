// An AnalystSource held in memory: runs folded from their events, diagnosed by the real rules.
import { RunContext } from '../context/run-context.ts';
import { RunDiagnoser } from '../diagnose/engine.ts';
import type { EventInput } from '../domain/events.ts';
import type { Finding } from '../domain/findings.ts';
import { runStartedChanges, type Run } from '../domain/runs.ts';
import type { AnalystSource } from './source.ts';

/** Log lines kept per run: the context block shows the latest ten at most. */
const LOG_KEPT = 50;

interface Entry {
  run: Run;
  ctx: RunContext;
  diagnoser: RunDiagnoser;
  logs: string[];
}

/**
 * Used by `analyst ask --file` (no server, no store) and wherever runs come from files or
 * replays. Events fold into a RunContext and through the diagnoser exactly as the service does.
 */
export class MemorySource implements AnalystSource {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Adds a run, or more events to one; the first run_started sets its name, project and config. */
  add(id: string, events: Iterable<EventInput>, created_at = this.now()): Run {
    let entry = this.entries.get(id);
    if (!entry) {
      const run: Run = {
        id,
        name: id,
        project: 'default',
        status: 'running',
        config: {},
        meta: {},
        tags: {},
        total_epochs: null,
        total_steps: null,
        stage: null,
        dataset: null,
        base_model: null,
        parent_run: null,
        created_at,
        updated_at: created_at,
        finished_at: null,
        last_seq: 0,
        note: null,
        archived_at: null,
        last_event_at: null,
      };
      entry = { run, ctx: new RunContext(id), diagnoser: new RunDiagnoser(id, [], { now: this.now }), logs: [] };
      this.entries.set(id, entry);
    }
    const { run, ctx, diagnoser, logs } = entry;
    let ts = Math.max(run.updated_at, created_at);
    for (const event of events) {
      ts = event.ts ?? ts + 1;
      run.last_seq++;
      const update = ctx.apply({ ...event, ts, seq: run.last_seq });
      if (update) diagnoser.evaluate(ctx, update);
      if (event.type === 'run_started') {
        Object.assign(run, { name: event.name ?? run.name, project: event.project ?? run.project }, runStartedChanges(run, event));
      } else if (event.type === 'log' || event.type === 'error') {
        logs.push(event.type === 'log' ? `[${event.level}] ${event.message}` : `[error] ${event.message}`);
        if (logs.length > LOG_KEPT) logs.shift();
      }
    }
    run.status = ctx.status;
    run.finished_at = ctx.finishedAt;
    run.updated_at = run.last_event_at = ts;
    return run;
  }

  /** Marks a run finished (files often end without a run_finished event). */
  finish(id: string, status: 'completed' | 'failed' | 'stopped' = 'completed'): void {
    const entry = this.entries.get(id);
    if (entry && entry.ctx.status === 'running') this.add(id, [{ type: 'run_finished', status }]);
  }

  async run(id: string): Promise<Run | undefined> {
    return this.entries.get(id)?.run;
  }

  async context(id: string): Promise<RunContext> {
    return this.entries.get(id)?.ctx ?? new RunContext(id);
  }

  async findings(id: string): Promise<Finding[]> {
    return this.entries.get(id)?.diagnoser.all() ?? [];
  }

  async runsInProject(project: string): Promise<Run[]> {
    return [...this.entries.values()].map((e) => e.run).filter((r) => r.project === project);
  }

  async children(id: string): Promise<Run[]> {
    return [...this.entries.values()].map((e) => e.run).filter((r) => r.parent_run === id);
  }

  async logs(id: string, limit: number): Promise<string[]> {
    return this.entries.get(id)?.logs.slice(-limit) ?? [];
  }
}
