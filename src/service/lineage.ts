// Seed 2's lineage over the runs: a run per stage, linked by parent_run; chains, trees and the model's file.
import type { ChainBreak, ModelLineage, RunLineage, StageNode, StageSummary, TrainingEntry } from '../domain/lineage.ts';
import type { Run } from '../domain/runs.ts';
import { planLineage } from '../ingest/files/lineage-tree.ts';
import { listCheckpoints } from './checkpoints.ts';
import type { AnalystService } from './service.ts';

function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

function textOf(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/** The history entry a stage was imported with, kept as it was written. */
function entryOf(run: Run): TrainingEntry | null {
  const e = run.meta.training_entry;
  return typeof e === 'object' && e !== null && !Array.isArray(e) ? (e as TrainingEntry) : null;
}

/** JSON has no NaN: the file writes non-finite metrics as the strings Python's json reads back. */
function fileValue(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

export interface LineageImport {
  runs: Array<{ id: string; model: string; stage: string; dataset: string | null; parent_run: string | null; file: string | null; created: boolean }>;
  models: string[];
}

/**
 * A run's model is the `meta.model_name` of the nearest stage that names one (itself first), or
 * else the name of its first stage: a lineage started by `init(name="bert-base")` is bert-base's.
 */
export class Lineage {
  constructor(private readonly service: AnalystService) {}

  /** The stages before this one, first stage first, and why the chain stopped if not at a first stage. */
  async chain(run: Run): Promise<{ ancestors: Run[] } & ChainBreak> {
    const ancestors: Run[] = [];
    const seen = new Set([run.id]);
    for (let at = run; at.parent_run; ) {
      const parent = await this.service.store.resolveRun(at.parent_run);
      if (!parent) return { ancestors: ancestors.reverse(), missing_parent: at.parent_run };
      if (seen.has(parent.id)) return { ancestors: ancestors.reverse(), cycle: parent.id };
      seen.add(parent.id);
      ancestors.push(parent);
      at = parent;
    }
    return { ancestors: ancestors.reverse() };
  }

  private modelOf(run: Run, ancestors: Run[]): string {
    for (const r of [run, ...[...ancestors].reverse()]) {
      const named = textOf(r.meta.model_name);
      if (named) return named;
    }
    return (ancestors[0] ?? run).name;
  }

  async summary(run: Run, model: string): Promise<StageSummary> {
    const entry = entryOf(run);
    const { ctx } = await this.service.state(run.id);
    const metrics: Record<string, number> = {};
    for (const [name, v] of ctx.latest) metrics[name] = v.value;
    const steps = typeof entry?.steps === 'number' ? entry.steps : (ctx.step ?? run.total_steps ?? 0);
    const epochs = typeof entry?.epochs === 'number' ? entry.epochs : ctx.epochsCompleted || ctx.epoch;
    return {
      id: run.id,
      name: run.name,
      project: run.project,
      status: run.status,
      model,
      stage: run.stage,
      dataset: run.dataset,
      base_model: run.base_model,
      parent_run: run.parent_run,
      final_checkpoint: textOf(run.meta.final_checkpoint),
      steps,
      epochs,
      best: ctx.best(),
      metrics,
      hyperparams: run.config,
      started_at: ctx.untimed ? null : (ctx.startedAt ?? run.created_at),
      finished_at: run.finished_at,
    };
  }

  /** The stages trained from `run`, as a tree; a stage met twice (a cycle) is not followed again. */
  private async tree(run: Run, model: string, seen: Set<string>): Promise<StageNode[]> {
    const nodes: StageNode[] = [];
    for (const child of await this.service.store.childRuns(run)) {
      if (seen.has(child.id)) continue;
      seen.add(child.id);
      nodes.push({ ...(await this.summary(child, model)), children: await this.tree(child, model, seen) });
    }
    return nodes;
  }

  /** `GET /runs/:id/lineage`: the chain that led to the run, the stages trained from it, and step totals. */
  async of(ref: string): Promise<RunLineage> {
    const run = await this.service.run(ref);
    const { ancestors, ...broken } = await this.chain(run);
    const model = this.modelOf(run, ancestors);
    const before: StageSummary[] = [];
    for (const r of ancestors) before.push(await this.summary(r, model));
    const stage = await this.summary(run, model);
    const descendants = await this.tree(run, model, new Set([run.id, ...ancestors.map((a) => a.id)]));
    const totalSteps = [...before, stage].reduce((n, s) => n + s.steps, 0);
    const below = (nodes: StageNode[]): number => nodes.reduce((n, s) => n + s.steps + below(s.children), 0);
    return { model, run: run.id, ...broken, ancestors: before, stage, descendants, total_steps: totalSteps, tree_steps: totalSteps + below(descendants) };
  }

  /** `GET /lineage`: every model's lineage tree (one per first stage), newest activity first. */
  async models(model?: string): Promise<ModelLineage[]> {
    const roots = new Map<string, { root: Run; model: string } & ChainBreak>();
    for (const run of await this.service.store.lineageRuns()) {
      const { ancestors, ...broken } = await this.chain(run);
      let root = ancestors[0] ?? run;
      if (broken.cycle) {
        // A loop has no first stage: its smallest id stands for it, whichever of its runs (or of
        // the runs below it) the walk started from. Ancestors run first stage first, so the loop
        // is those up to the run where the walk came back.
        const walk = [...ancestors, run];
        const loop = walk.slice(0, walk.findIndex((r) => r.id === broken.cycle) + 1);
        root = loop.reduce((a, b) => (b.id < a.id ? b : a));
        broken.cycle = root.id;
      }
      if (!roots.has(root.id)) roots.set(root.id, { root, model: this.modelOf(run, ancestors), ...broken });
    }
    const out: ModelLineage[] = [];
    for (const { root, model: name, ...broken } of roots.values()) {
      if (model !== undefined && name !== model) continue;
      const node: StageNode = { ...(await this.summary(root, name)), children: await this.tree(root, name, new Set([root.id])) };
      const all: StageNode[] = [];
      const walk = (n: StageNode) => {
        all.push(n);
        n.children.forEach(walk);
      };
      walk(node);
      const latest = all.reduce((a, b) => ((b.finished_at ?? b.started_at ?? 0) >= (a.finished_at ?? a.started_at ?? 0) ? b : a));
      const lastUpdated = Math.max(...all.map((s) => s.finished_at ?? s.started_at ?? 0));
      out.push({
        model: name,
        ...broken,
        root: node,
        stages: all.length,
        total_steps: all.reduce((n, s) => n + s.steps, 0),
        latest: { id: latest.id, dataset: latest.dataset, stage: latest.stage },
        last_updated: lastUpdated,
      });
    }
    return out.sort((a, b) => b.last_updated - a.last_updated);
  }

  /** The history entry of one stage: as imported, or made from what the run recorded. */
  private async entry(run: Run): Promise<TrainingEntry> {
    const kept = entryOf(run);
    if (kept) return kept;
    const s = await this.summary(run, '');
    const entry: TrainingEntry = { dataset: run.dataset, steps: s.steps };
    if (s.epochs !== null) entry.epochs = s.epochs;
    entry.metrics = Object.fromEntries(Object.entries(s.metrics).map(([k, v]) => [k, fileValue(v)]));
    entry.hyperparams = run.config;
    entry.start_time = iso(s.started_at);
    entry.end_time = iso(run.finished_at ?? (await this.service.state(run.id)).ctx.lastEventAt);
    return entry;
  }

  /**
   * `GET /runs/:id/training_info.json`: the stage's file as the trainer's manager writes it, its
   * history the entries of every stage up to this one, each as it was first written.
   */
  async trainingInfo(ref: string): Promise<Record<string, unknown>> {
    const run = await this.service.run(ref);
    const { ancestors } = await this.chain(run);
    const stages = [...ancestors, run];
    const history: TrainingEntry[] = [];
    for (const r of stages) history.push(await this.entry(r));
    const last = history[history.length - 1];
    const parent = ancestors[ancestors.length - 1];
    const finalCheckpoint = textOf(run.meta.final_checkpoint) ?? ((await listCheckpoints(this.service, run.id)).best?.path ?? null);
    return {
      model_name: this.modelOf(run, ancestors),
      stage: run.stage,
      final_checkpoint: finalCheckpoint,
      base_model: run.base_model ?? (parent ? textOf(parent.meta.final_checkpoint) : null),
      created: textOf(run.meta.created) ?? history[0].start_time ?? iso(stages[0].created_at),
      last_updated: textOf(run.meta.last_updated) ?? last.end_time ?? null,
      total_steps: history.reduce((n, e) => n + (e.steps ?? 0), 0),
      last_dataset: last.dataset ?? null,
      history,
    };
  }

  /** Stores each stage the files describe as a run linked to its parent; a stage stored before is left as it is. */
  async import(files: Array<{ path: string; content: unknown }>, project?: string): Promise<LineageImport> {
    const plans = planLineage(files, project);
    const runs: LineageImport['runs'] = [];
    await this.service.transaction(async () => {
      for (const plan of plans) {
        const existed = (await this.service.store.getRun(plan.id)) !== undefined;
        // A stage known only from a later file's history never overwrites what its own file said.
        if (existed && plan.file === null) continue;
        if (!existed) await this.service.createRun({ id: plan.id, name: plan.name, project: plan.project, config: {}, meta: {}, tags: {} });
        await this.service.ingest(plan.id, plan.events, 'import');
        runs.push({ id: plan.id, model: plan.model, stage: plan.stage, dataset: plan.dataset, parent_run: plan.parent, file: plan.file, created: !existed });
      }
    });
    return { runs, models: [...new Set(plans.map((p) => p.model))] };
  }
}
