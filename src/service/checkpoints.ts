// Seed 4's checkpoint list: every checkpoint a run saved or loaded, the metric at that point, the best marked.
import { canonicalOf, lowerIsBetter } from '../domain/aliases.ts';
import type { StoredEvent } from '../domain/events.ts';
import type { AnalystService } from './service.ts';

export interface Checkpoint {
  seq: number;
  ts: number;
  action: 'saved' | 'loaded';
  path: string;
  step: number | null;
  epoch: number | null;
  /** The metric the trainer judged the checkpoint by, or the run's primary metric at its step. */
  metric: string | null;
  value: number | null;
  /** Whether the value was sent with the checkpoint or read from the run's series at its step. */
  value_from: 'checkpoint' | 'series' | null;
  best: boolean;
}

/** A checkpoint list has no natural end: beyond this many, the newest are shown. */
export const MAX_CHECKPOINTS = 10_000;

type CheckpointEvent = Extract<StoredEvent, { type: 'checkpoint_saved' | 'checkpoint_loaded' }>;

/** The value of a series (canonical name) at the last point at or before `step`. */
async function valueAt(service: AnalystService, run: string, canonical: string, step: number): Promise<{ name: string; value: number } | null> {
  const name = (await service.store.metricNames(run)).find((n) => n === canonical || canonicalOf(n)?.canonical === canonical);
  if (!name) return null;
  const range = await service.store.series.range(run, name, undefined, step);
  if (!range) return null;
  for await (const [p] of service.store.series.pages({ ...range, first: range.last }, 1)) return { name, value: p.value };
  return null;
}

/**
 * The run's checkpoints in order. The best is the saved checkpoint with the best finite value of
 * the metric most of them are judged by (lowest loss, highest accuracy); none when no value is known.
 */
export async function listCheckpoints(service: AnalystService, ref: string): Promise<{ checkpoints: Checkpoint[]; best: Checkpoint | null }> {
  const run = await service.run(ref);
  const events = (await service.store.recentEvents(run.id, ['checkpoint_saved', 'checkpoint_loaded'], MAX_CHECKPOINTS)) as CheckpointEvent[];
  const primary = events.length ? (await service.state(run.id)).ctx.best()?.metric : undefined;
  const checkpoints: Checkpoint[] = [];
  for (const e of events) {
    const step = e.step ?? null;
    let metric = e.metric ?? null;
    let value = e.value ?? null;
    let from: Checkpoint['value_from'] = value === null ? null : 'checkpoint';
    if (value === null && step !== null && primary) {
      const found = await valueAt(service, run.id, primary, step);
      if (found) [metric, value, from] = [found.name, found.value, 'series'];
    }
    checkpoints.push({ seq: e.seq, ts: e.ts, action: e.type === 'checkpoint_saved' ? 'saved' : 'loaded', path: e.path, step, epoch: e.epoch ?? null, metric, value, value_from: from, best: false });
  }
  const counts = new Map<string, number>();
  for (const c of checkpoints) if (c.metric && c.value !== null && Number.isFinite(c.value)) counts.set(c.metric, (counts.get(c.metric) ?? 0) + 1);
  const judged = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  let best: Checkpoint | null = null;
  if (judged) {
    const lower = lowerIsBetter(judged);
    for (const c of checkpoints) {
      if (c.action !== 'saved' || c.metric !== judged || c.value === null || !Number.isFinite(c.value)) continue;
      // Ties go to the later checkpoint: the same score after more training is the one to keep.
      if (!best || (lower ? c.value <= best.value! : c.value >= best.value!)) best = c;
    }
  }
  if (best) best.best = true;
  return { checkpoints, best };
}
