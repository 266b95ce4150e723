// Suggestion tracking: ids, accept/reject, and whether a later run that applied one did better.
import { createHash } from 'node:crypto';
import type { ProposedSuggestion, Suggestion, SuggestionOutcome, TrackedSuggestion } from '../domain/analysis-request.ts';
import { AnalystError } from '../domain/errors.ts';
import { flatten } from '../domain/format.ts';
import type { Run } from '../domain/runs.ts';
import type { SuggestionStore } from '../store/suggestions.ts';
import type { AnalystSource } from './source.ts';

/** The validation metric outcomes are judged on, best first. */
const OUTCOME_METRICS = ['val_loss', 'val_acc', 'train_loss'];

const FINISHED = new Set(['completed', 'failed', 'stopped']);

/** Same run, parameter and proposed value → same id, so repeated analyses do not pile up copies. */
export function suggestionId(run: string, s: ProposedSuggestion): string {
  return createHash('sha256').update(`${run}\u0000${s.parameter}\u0000${JSON.stringify(s.proposed)}`).digest('hex').slice(0, 16);
}

/** Whether a config value is the proposed one: numbers within rounding, strings case-insensitively. */
export function sameValue(configured: unknown, proposed: unknown): boolean {
  if (configured === undefined) return false;
  const a = typeof configured === 'string' && configured.trim() !== '' && Number.isFinite(Number(configured)) ? Number(configured) : configured;
  const b = typeof proposed === 'string' && proposed.trim() !== '' && Number.isFinite(Number(proposed)) ? Number(proposed) : proposed;
  if (typeof a === 'number' && typeof b === 'number') return a === b || Math.abs(a - b) <= 1e-6 * Math.max(Math.abs(a), Math.abs(b));
  if (typeof a === 'string' && typeof b === 'string') return a.trim().toLowerCase() === b.trim().toLowerCase();
  return a === b;
}

export class SuggestionTracker {
  constructor(
    private readonly repo: SuggestionStore,
    private readonly source: AnalystSource,
  ) {}

  async record(run: Run, kind: string, proposed: ProposedSuggestion[]): Promise<Suggestion[]> {
    const out: Suggestion[] = [];
    for (const s of proposed) {
      const id = suggestionId(run.id, s);
      await this.repo.upsert({ ...s, id, run: run.id, project: run.project, kind });
      out.push({ id, ...s });
    }
    return out;
  }

  async setStatus(id: string, status: 'accepted' | 'rejected'): Promise<TrackedSuggestion> {
    if (!(await this.repo.setStatus(id, status))) throw new AnalystError('not_found', `suggestion ${id} not found`);
    return (await this.repo.get(id))!;
  }

  /** A run's suggestions, with outcomes brought up to date first. */
  async list(run: string): Promise<TrackedSuggestion[]> {
    await this.evaluate(run);
    return this.repo.byRun(run);
  }

  /**
   * Looks for later finished runs of the same project or lineage whose config carries a pending
   * suggestion's proposed value, and records whether their validation metric beat the source run's.
   */
  async evaluate(run: string, now = Date.now()): Promise<number> {
    const pending = await this.repo.pending(run);
    if (pending.length === 0) return 0;
    const src = await this.source.run(run);
    if (!src) return 0;
    const later = await this.candidates(src);
    let recorded = 0;
    for (const s of pending) {
      const applied = later.find((r) => sameValue(flatten(r.config)[s.parameter], s.proposed));
      if (!applied) continue;
      await this.repo.setOutcome(s.id, await this.compare(src, applied, now), now);
      recorded++;
    }
    return recorded;
  }

  /**
   * A run finished: its earlier siblings in the project and its parent may have suggestions it
   * applied. Returns how many outcomes were recorded.
   */
  async runFinished(id: string, now = Date.now()): Promise<number> {
    const run = await this.source.run(id);
    if (!run) return 0;
    const sources = (await this.source.runsInProject(run.project)).filter((r) => r.id !== id && r.created_at < run.created_at).map((r) => r.id);
    if (run.parent_run) sources.push(run.parent_run);
    let recorded = 0;
    for (const s of new Set(sources)) recorded += await this.evaluate(s, now);
    return recorded;
  }

  private async candidates(src: Run): Promise<Run[]> {
    const seen = new Map<string, Run>();
    for (const r of [...(await this.source.runsInProject(src.project)), ...((await this.source.children?.(src.id)) ?? [])]) {
      const related = r.project === src.project || r.parent_run === src.id;
      if (r.id !== src.id && related && r.created_at > src.created_at && FINISHED.has(r.status)) seen.set(r.id, r);
    }
    return [...seen.values()].sort((a, b) => a.created_at - b.created_at);
  }

  private async compare(src: Run, applied: Run, now: number): Promise<SuggestionOutcome> {
    const before = await this.source.context(src.id);
    const after = await this.source.context(applied.id);
    for (const metric of OUTCOME_METRICS) {
      const a = before.get(metric);
      const b = after.get(metric);
      if (!a || !b || !Number.isFinite(a.best) || !Number.isFinite(b.best)) continue;
      return {
        applied_run: applied.id,
        metric,
        source_value: a.best,
        applied_value: b.best,
        improved: a.lowerIsBetter ? b.best < a.best : b.best > a.best,
        recorded_at: now,
      };
    }
    return { applied_run: applied.id, metric: 'val_loss', source_value: null, applied_value: null, improved: null, recorded_at: now };
  }
}
