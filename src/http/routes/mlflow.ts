import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { AnalystError, parseOrThrow } from '../../domain/errors.ts';
import type { EventInput } from '../../domain/events.ts';
import {
  BulkIntervalQuery,
  CreateExperiment,
  CreateLoggedModel,
  CreateRun,
  ExperimentRef,
  FinalizeLoggedModel,
  LogInputs,
  LogModel,
  LogOutputs,
  SearchLoggedModels,
  type DatasetInput,
  LogBatch,
  LogMetric,
  LogParam,
  MLFLOW_LIMITS,
  MLFLOW_STATUS_TO_RUN,
  RUN_STATUS_TO_MLFLOW,
  SearchExperiments,
  SearchRuns,
  RunRef,
  SetExperimentTag,
  SetTag,
  UpdateExperiment,
  UpdateRun,
  type ViewType,
} from '../../domain/mlflow.ts';
import { RunListQuery, type Run } from '../../domain/runs.ts';
import { encodeNumber } from '../../domain/values.ts';
import { parseJsonBody } from '../../ingest/json-body.ts';
import type { Experiment } from '../../store/experiments.ts';
import type { LoggedModel } from '../../store/logged-models.ts';
import { EXPERIMENT_SEARCH, LOGGED_MODEL_SEARCH, RUN_SEARCH, matches, page, parseFilter, parseOrderBy, sortBy, type Searchable } from '../../domain/mlflow-search.ts';
import type { AnalystService } from '../../service/service.ts';
import { clientAborted, type Logger } from '../errors.ts';
import { storageUnavailable } from '../../store/faults.ts';
import { setOwn } from '../../domain/own.ts';
import { LoopBudget } from '../../domain/loop-budget.ts';

/** Runs per page a search reads. */
const SEARCH_PAGE = 200;

/** MLflow's error codes for our error codes; MLflow clients branch on these. */
const MLFLOW_CODES: Record<string, string> = {
  not_found: 'RESOURCE_DOES_NOT_EXIST',
  conflict: 'RESOURCE_ALREADY_EXISTS',
  invalid_body: 'INVALID_PARAMETER_VALUE',
  invalid_query: 'INVALID_PARAMETER_VALUE',
  too_large: 'INVALID_PARAMETER_VALUE',
  unsupported_media_type: 'INVALID_PARAMETER_VALUE',
  unauthorized: 'UNAUTHENTICATED',
  forbidden: 'PERMISSION_DENIED',
  unavailable: 'TEMPORARILY_UNAVAILABLE',
};

/** Our statuses MLflow clients also know; every other error is MLflow's 400. */
const PASSED_THROUGH = new Set(['not_found', 'unauthorized', 'forbidden', 'unavailable']);

/** MLflow's `{error_code, message}` for errors of the receiver, raised there or by the app's checks before it. */
export function mlflowError(err: Error, c: Context, log: Logger): Response {
  if (c.req.raw.signal.aborted) return clientAborted(c, log);
  err = storageUnavailable(err) ?? err;
  if (err instanceof AnalystError) {
    // MLflow answers every validation problem, limits included, with 400 INVALID_PARAMETER_VALUE.
    const status = (PASSED_THROUGH.has(err.code) ? err.status : 400) as ContentfulStatusCode;
    const detail = err.issues?.length ? ` (${err.issues.map((i) => `${i.path}: ${i.message}`).join('; ')})` : '';
    return c.json({ error_code: MLFLOW_CODES[err.code] ?? 'INTERNAL_ERROR', message: err.message + detail }, status);
  }
  log.error({ err, path: c.req.path }, 'unhandled error in the MLflow receiver');
  return c.json({ error_code: 'INTERNAL_ERROR', message: 'internal error' }, 500);
}

/** MLflow's answer for a route it does not have; its clients name the error by this code. */
export function mlflowNotFound(c: Context): Response {
  return c.json({ error_code: 'ENDPOINT_NOT_FOUND', message: `no MLflow endpoint ${c.req.method} ${c.req.path}` }, 404);
}

/** One line per MLflow request, so a user sees what their client called and what it got. */
export async function mlflowAccessLog(c: Context, next: () => Promise<void>, log: Logger): Promise<void> {
  const started = performance.now();
  await next();
  log.info({ method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round((performance.now() - started) * 10) / 10 }, 'mlflow request');
}

async function body<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const text = await c.req.text();
  if (Buffer.byteLength(text) > MLFLOW_LIMITS.bytes) {
    throw new AnalystError('too_large', `request body exceeds MLflow's limit of ${MLFLOW_LIMITS.bytes} bytes`);
  }
  return parseOrThrow(schema, text.trim() ? parseJsonBody(text) : {});
}

/** MLflow params are strings; numbers among them are read as numbers so rules and prompts can use them. */
function paramValue(v: string): string | number | boolean {
  if (v === 'True' || v === 'true') return true;
  if (v === 'False' || v === 'false') return false;
  const n = Number(v);
  return v.trim() !== '' && Number.isFinite(n) ? n : v;
}

/** At most `max` of the (ascending) steps, evenly spread, the first and last always among them. */
function sampledSteps(steps: number[], max: number): Set<number> {
  if (steps.length <= max) return new Set(steps);
  if (max === 1) return new Set([steps.at(-1)!]);
  return new Set(Array.from({ length: max }, (_, i) => steps[Math.round((i * (steps.length - 1)) / (max - 1))]!));
}

const inView = (stage: string, view: ViewType) => view === 'ALL' || (view === 'DELETED_ONLY') === (stage === 'deleted');

/** What the receiver keeps of a run besides the run itself. */
const mlflowMeta = (run: Run) => (run.meta.mlflow ?? {}) as Record<string, unknown>;

/**
 * A run's params exactly as the client sent them. Runs logged before params were kept verbatim
 * have only their typed reading, in `config`.
 */
function paramsOf(run: Run): Record<string, string> {
  const raw = mlflowMeta(run).params as Record<string, string> | undefined;
  return raw ?? Object.fromEntries(Object.entries(run.config).map(([k, v]) => [k, String(v)]));
}

function runIdOf(b: { run_id?: string; run_uuid?: string }): string {
  const id = b.run_id ?? b.run_uuid;
  if (!id) throw new AnalystError('invalid_body', 'run_id is required');
  return id;
}

/**
 * The MLflow-compatible receiver: an unchanged MLflow client pointed here logs runs that are
 * ordinary runs of this service (experiment = project, params = config).
 */
export function mlflowRoutes(service: AnalystService, log: Logger): Hono {
  const app = new Hono();
  const { experiments, mlflowMetrics: metrics, loggedModels: models } = service.store;
  const now = () => Date.now();
  app.onError((err, c) => mlflowError(err, c, log));

  const experiment = async (id: string) => {
    const e = await experiments.get(id) ?? (id === '0' ? await experiments.create('Default', undefined, now(), 0) : undefined);
    if (!e) throw new AnalystError('not_found', `experiment ${id} does not exist`);
    return e;
  };

  const runOf = async (id: string): Promise<Run> => {
    const run = await service.store.getRun(id);
    if (!run) throw new AnalystError('not_found', `run ${id} does not exist`);
    return run;
  };

  const runInfo = async (run: Run) => {
    const meta = mlflowMeta(run);
    return {
      run_id: run.id,
      run_uuid: run.id,
      run_name: run.name,
      experiment_id: String(meta.experiment_id ?? '0'),
      user_id: String(meta.user_id ?? ''),
      status: RUN_STATUS_TO_MLFLOW[run.status],
      start_time: Number(meta.start_time ?? run.created_at),
      ...(run.finished_at ? { end_time: run.finished_at } : {}),
      // Derived, not stored: MLflow puts a run's artifacts under its experiment's location.
      artifact_uri: meta.experiment_id === undefined ? '' : `${(await experiments.get(String(meta.experiment_id)))?.artifact_location ?? ''}/${run.id}/artifacts`,
      lifecycle_stage: run.archived_at === null ? 'active' : 'deleted',
    };
  };

  const runView = async (run: Run) => {
    const meta = mlflowMeta(run);
    return {
      info: await runInfo(run),
      data: {
        metrics: (await metrics.latest(run.id)).map((m) => ({ ...m, value: encodeNumber(m.value) })),
        params: Object.entries(paramsOf(run)).map(([key, value]) => ({ key, value })),
        tags: Object.entries(run.tags).map(([key, value]) => ({ key, value })),
      },
      inputs: { dataset_inputs: (meta.inputs as DatasetInput[] | undefined) ?? [] },
      outputs: { model_outputs: (meta.outputs as Array<{ model_id: string; step: number }> | undefined) ?? [] },
    };
  };

  /** Changes what the receiver keeps of a run under `meta.mlflow`. */
  const updateMeta = async (run: Run, change: (meta: Record<string, unknown>) => Record<string, unknown>) =>
    await service.store.updateRun(run.id, { meta: { ...run.meta, mlflow: change({ ...mlflowMeta(run) }) } }, now());

  const searchableRun = async (run: Run): Promise<Searchable> => ({
    attributes: await runInfo(run),
    metrics: Object.fromEntries((await metrics.latest(run.id)).map((m) => [m.key, m.value])),
    params: paramsOf(run),
    tags: run.tags,
  });

  app.post('/experiments/create', async (c) => {
    const b = await body(c, CreateExperiment);
    if (await experiments.byName(b.name)) throw new AnalystError('conflict', `experiment '${b.name}' already exists`);
    const e = await experiments.create(b.name, b.artifact_location, now());
    for (const t of b.tags ?? []) await experiments.setTag(e.experiment_id, t.key, t.value, now());
    return c.json({ experiment_id: e.experiment_id });
  });

  const toView = (e: Experiment) => ({
    ...e,
    tags: Object.entries(e.tags).map(([key, value]) => ({ key, value })),
  });

  app.get('/experiments/get', async (c) => c.json({ experiment: toView(await experiment(c.req.query('experiment_id') ?? '')) }));

  app.get('/experiments/get-by-name', async (c) => {
    const name = c.req.query('experiment_name') ?? '';
    const e = await experiments.byName(name) ?? (name === 'Default' ? await experiment('0') : undefined);
    if (!e) throw new AnalystError('not_found', `could not find experiment with name '${name}'`);
    return c.json({ experiment: toView(e) });
  });

  const listExperiments = async (c: Context) => {
    const q =
      c.req.method === 'GET'
        ? parseOrThrow(SearchExperiments, { ...c.req.query(), order_by: c.req.queries('order_by') }, 'query')
        : await body(c, SearchExperiments);
    const conditions = parseFilter(q.filter, EXPERIMENT_SEARCH);
    const order = parseOrderBy(q.order_by, EXPERIMENT_SEARCH);
    const searchable = ({ tags, ...attributes }: Experiment): Searchable => ({ attributes, metrics: {}, params: {}, tags });
    const found = (await experiments.list()).filter((e) => inView(e.lifecycle_stage, q.view_type) && matches(searchable(e), conditions));
    // MLflow's default order: newest first, then by id.
    const sorted = sortBy(found, order, searchable, (a, b) => b.creation_time - a.creation_time || Number(a.experiment_id) - Number(b.experiment_id));
    const { items, next } = page(sorted, q.max_results, q.page_token);
    return c.json({ experiments: items.map(toView), ...(next ? { next_page_token: next } : {}) });
  };
  app.get('/experiments/list', listExperiments);
  app.get('/experiments/search', listExperiments);
  app.post('/experiments/search', listExperiments);

  app.post('/runs/create', async (c) => {
    const b = await body(c, CreateRun);
    const e = await experiment(b.experiment_id ?? '0');
    const tags = Object.fromEntries((b.tags ?? []).map((t) => [t.key, t.value]));
    // As in MLflow, runs/create always creates: a name used before makes a second run with that name.
    const name = b.run_name ?? tags['mlflow.runName'] ?? `run-${Date.now().toString(36)}`;
    const startTime = b.start_time ?? now();
    // A nested run (`start_run(nested=True)`) names its parent in this tag: here it is a stage of the parent's lineage.
    // MLflow takes any tag value, so a parent this service does not hold stays a tag only.
    const parentTag = tags['mlflow.parentRunId'];
    const parent = parentTag ? (await service.store.getRun(parentTag))?.id : undefined;
    const { run } = await service.createRun({
      name,
      project: e.name,
      config: {},
      meta: { mlflow: { experiment_id: e.experiment_id, user_id: b.user_id ?? '', start_time: startTime } },
      tags: { ...tags, 'mlflow.runName': name },
      ...(parent ? { parent_run: parent } : {}),
    });
    await service.ingest(run.id, [{ type: 'run_started', ts: startTime, name, project: e.name, ...(parent ? { parent_run: parent } : {}) }], 'mlflow');
    return c.json({ run: await runView(await runOf(run.id)) });
  });

  app.post('/runs/update', async (c) => {
    const b = await body(c, UpdateRun);
    const run = await runOf(runIdOf(b));
    // MLflow keeps the name in the mlflow.runName tag too, and clients read it from either.
    if (b.run_name && b.run_name !== run.name) await service.store.updateRun(run.id, { name: b.run_name, tags: { ...run.tags, 'mlflow.runName': b.run_name } }, now());
    // update_run(name=...) sends the run's current status again: a run already ended so is not ended twice (nor alerted twice).
    if (b.status && b.status !== 'RUNNING' && b.status !== 'SCHEDULED' && MLFLOW_STATUS_TO_RUN[b.status] !== run.status) {
      const status = MLFLOW_STATUS_TO_RUN[b.status] as 'completed' | 'failed' | 'stopped';
      await service.ingest(run.id, [{ type: 'run_finished', status, ts: b.end_time }], 'mlflow');
    }
    const updated = await runOf(run.id);
    return c.json({ run_info: (await runView(updated)).info });
  });

  app.get('/runs/get', async (c) => c.json({ run: await runView(await runOf(c.req.query('run_id') ?? c.req.query('run_uuid') ?? '')) }));

  /**
   * Every run of a project in a view, read a page at a time as the store serves it: pages small
   * enough that reading one holds the event loop for milliseconds.
   */
  async function* runsOf(project: string, view: ViewType): AsyncGenerator<Run> {
    const archived = view === 'ACTIVE_ONLY' ? 'false' : view === 'DELETED_ONLY' ? 'only' : 'true';
    for (let offset = 0; ; offset += SEARCH_PAGE) {
      const { runs } = await service.listRuns(RunListQuery.parse({ project, archived, limit: SEARCH_PAGE, offset }));
      yield* runs;
      if (runs.length < SEARCH_PAGE) return;
    }
  }

  app.post('/runs/search', async (c) => {
    const b = await body(c, SearchRuns);
    const conditions = parseFilter(b.filter, RUN_SEARCH);
    const order = parseOrderBy(b.order_by, RUN_SEARCH);
    const projects = new Set<string>();
    for (const id of b.experiment_ids) projects.add((await experiment(id)).name);
    const found: Array<{ run: Run; view: Searchable }> = [];
    const budget = new LoopBudget();
    for (const project of projects) {
      for await (const run of runsOf(project, b.run_view_type)) {
        found.push({ run, view: await searchableRun(run) });
        await budget.tick();
      }
    }
    // MLflow's default order: newest start first, then by id.
    const sorted = sortBy(
      found.filter((r) => matches(r.view, conditions)),
      order,
      (r) => r.view,
      (a, b) => Number(b.view.attributes.start_time) - Number(a.view.attributes.start_time) || (a.run.id < b.run.id ? -1 : 1),
    );
    const { items, next } = page(sorted, b.max_results, b.page_token);
    // As MLflow: an empty page is `{}`.
    const runs = [];
    for (const r of items) {
      runs.push(await runView(r.run));
      await budget.tick();
    }
    return c.json({ ...(items.length ? { runs } : {}), ...(next ? { next_page_token: next } : {}) });
  });

  // Deleting an MLflow run archives it: MLflow's deleted runs can be restored, and keep their data until then.
  app.post('/runs/delete', async (c) => {
    await service.changeRun((await runOf(runIdOf(await body(c, RunRef)))).id, { archived: true });
    return c.json({});
  });

  app.post('/runs/restore', async (c) => {
    await service.changeRun((await runOf(runIdOf(await body(c, RunRef)))).id, { archived: false });
    return c.json({});
  });

  app.post('/experiments/set-experiment-tag', async (c) => {
    const b = await body(c, SetExperimentTag);
    await experiments.setTag((await experiment(b.experiment_id)).experiment_id, b.key, b.value, now());
    return c.json({});
  });

  app.post('/experiments/update', async (c) => {
    const b = await body(c, UpdateExperiment);
    const e = await experiment(b.experiment_id);
    const other = await experiments.byName(b.new_name);
    if (other && other.experiment_id !== e.experiment_id) throw new AnalystError('conflict', `experiment '${b.new_name}' already exists`);
    await experiments.rename(e.experiment_id, b.new_name, now());
    return c.json({});
  });

  for (const [route, stage] of [['/experiments/delete', 'deleted'], ['/experiments/restore', 'active']] as const) {
    app.post(route, async (c) => {
      const e = await experiment((await body(c, ExperimentRef)).experiment_id);
      if (e.experiment_id === '0' && stage === 'deleted') throw new AnalystError('invalid_body', 'the Default experiment cannot be deleted');
      await experiments.setStage(e.experiment_id, stage, now());
      return c.json({});
    });
  }

  app.get('/metrics/get-history-bulk-interval', async (c) => {
    const q = parseOrThrow(BulkIntervalQuery, { ...c.req.query(), run_ids: c.req.queries('run_ids') ?? [] }, 'query');
    const out = [];
    for (const id of q.run_ids) {
      const run = await runOf(id);
      const inRange = (await metrics.history(run.id, q.metric_key)).filter((m) => (q.start_step === undefined || m.step >= q.start_step) && (q.end_step === undefined || m.step <= q.end_step));
      const kept = sampledSteps([...new Set(inRange.map((m) => m.step))], q.max_results);
      for (const m of inRange) if (kept.has(m.step)) out.push({ ...m, value: encodeNumber(m.value), run_id: run.id });
    }
    return c.json({ metrics: out });
  });

  // Datasets a run read (`mlflow.log_input`): kept as sent, one per name, digest and context, as MLflow keeps them.
  app.post('/runs/log-inputs', async (c) => {
    const b = await body(c, LogInputs);
    const run = await runOf(runIdOf(b));
    const id = (d: DatasetInput) => JSON.stringify([d.dataset.name, d.dataset.digest, d.tags.find((t) => t.key === 'mlflow.data.context')?.value]);
    await updateMeta(run, (meta) => {
      const kept = ((meta.inputs as DatasetInput[] | undefined) ?? []).filter((d) => !b.datasets.some((n) => id(n) === id(d)));
      return { ...meta, inputs: [...kept, ...b.datasets] };
    });
    return c.json({});
  });

  app.post('/runs/outputs', async (c) => {
    const b = await body(c, LogOutputs);
    const run = await runOf(runIdOf(b));
    for (const m of b.models) if (!await models.get(m.model_id)) throw new AnalystError('not_found', `logged model ${m.model_id} does not exist`);
    await updateMeta(run, (meta) => {
      const kept = ((meta.outputs as Array<{ model_id: string }> | undefined) ?? []).filter((o) => !b.models.some((m) => m.model_id === o.model_id));
      // Newest first, as MLflow lists them.
      return { ...meta, outputs: [...[...b.models].reverse(), ...kept] };
    });
    return c.json({});
  });

  // MLflow 2's log_model: the model's description is appended to a tag, which is where its clients read it.
  app.post('/runs/log-model', async (c) => {
    const b = await body(c, LogModel);
    const run = await runOf(runIdOf(b));
    let model: unknown;
    try {
      model = JSON.parse(b.model_json);
    } catch {
      throw new AnalystError('invalid_body', 'model_json is not JSON');
    }
    if (!model || typeof model !== 'object' || Array.isArray(model)) throw new AnalystError('invalid_body', 'model_json is not a JSON object');
    const history = run.tags['mlflow.log-model.history'];
    // Joined as Python's json.dumps joins a list, so the tag reads as MLflow's server writes it.
    const value = history ? `${history.slice(0, -1)}, ${b.model_json}]` : `[${b.model_json}]`;
    await service.store.updateRun(run.id, { tags: { ...run.tags, 'mlflow.log-model.history': value } }, now());
    return c.json({});
  });

  const modelView = async ({ params, ...info }: LoggedModel) => ({
    info: { ...info, artifact_uri: `${(await experiment(info.experiment_id)).artifact_location}/models/${info.model_id}/artifacts` },
    data: params.length ? { params } : {},
  });

  const modelOf = async (id: string) => {
    const m = await models.get(id);
    if (!m) throw new AnalystError('not_found', `logged model ${id} does not exist`);
    return m;
  };

  app.post('/logged-models', async (c) => {
    const b = await body(c, CreateLoggedModel);
    const e = await experiment(b.experiment_id);
    if (b.source_run_id) await runOf(b.source_run_id);
    const tags = [...b.tags].sort((x, y) => (x.key < y.key ? -1 : 1));
    const m = await models.create({ experiment_id: e.experiment_id, name: b.name ?? `model-${Date.now().toString(36)}`, source_run_id: b.source_run_id, model_type: b.model_type, tags, params: b.params }, now());
    return c.json({ model: await modelView(m) });
  });

  app.post('/logged-models/search', async (c) => {
    const b = await body(c, SearchLoggedModels);
    const conditions = parseFilter(b.filter, LOGGED_MODEL_SEARCH);
    const order = parseOrderBy(b.order_by?.map((o) => `${o.field_name} ${o.ascending ? 'ASC' : 'DESC'}`), LOGGED_MODEL_SEARCH);
    const searchable = ({ tags, params, ...attributes }: LoggedModel): Searchable => ({ attributes, metrics: {}, params: {}, tags: Object.fromEntries(tags.map((t) => [t.key, t.value])) });
    const found = (await models.inExperiments(b.experiment_ids)).filter((m) => matches(searchable(m), conditions));
    const sorted = sortBy(found, order, searchable, (x, y) => y.creation_timestamp_ms - x.creation_timestamp_ms || (x.model_id < y.model_id ? -1 : 1));
    const { items, next } = page(sorted, b.max_results, b.page_token);
    const views = [];
    for (const m of items) views.push(await modelView(m));
    return c.json({ ...(items.length ? { models: views } : {}), ...(next ? { next_page_token: next } : {}) });
  });

  app.get('/logged-models/:id', async (c) => c.json({ model: await modelView(await modelOf(c.req.param('id'))) }));

  app.patch('/logged-models/:id', async (c) => {
    const b = await body(c, FinalizeLoggedModel);
    const m = await modelOf(c.req.param('id'));
    await models.setStatus(m.model_id, b.status, now());
    return c.json({ model: await modelView(await modelOf(m.model_id)) });
  });

  /** One metrics event per (step, timestamp), so values logged together stay together. */
  const metricEvents = (metrics: z.output<typeof LogBatch>['metrics']): EventInput[] => {
    const groups = new Map<string, EventInput & { type: 'metrics' }>();
    for (const m of metrics) {
      const key = `${m.step ?? 0}:${m.timestamp ?? 0}`;
      let e = groups.get(key);
      if (!e) groups.set(key, (e = { type: 'metrics', step: m.step ?? 0, ts: m.timestamp, values: {} }));
      setOwn(e.values, m.key, m.value);
    }
    return [...groups.values()];
  };

  const logBatch = async (runId: string, b: z.output<typeof LogBatch>) => {
    const run = await runOf(runId);
    await service.transaction(async () => {
      if (b.params.length || b.tags.length) {
        const config = { ...run.config };
        const params = { ...paramsOf(run) };
        for (const p of b.params) {
          // As MLflow does: a param is a fact of the run, so a second, different value is refused rather than overwriting the first.
          if (Object.hasOwn(params, p.key) && params[p.key] !== p.value) {
            throw new AnalystError('invalid_body', `changing param values is not allowed: param '${p.key}' was already logged with value '${params[p.key]}' for run ${run.id}; attempted '${p.value}'`);
          }
          setOwn(params, p.key, p.value);
          // The params as sent are what MLflow clients read back; the typed reading is what rules and prompts use.
          setOwn(config, p.key, paramValue(p.value));
        }
        const tags = { ...run.tags };
        for (const t of b.tags) setOwn(tags, t.key, t.value);
        const meta = b.params.length ? { ...run.meta, mlflow: { ...mlflowMeta(run), params } } : run.meta;
        await service.store.updateRun(run.id, { config, tags, meta }, now());
      }
      if (b.metrics.length) await service.ingest(run.id, metricEvents(b.metrics), 'mlflow');
    });
    return {};
  };

  app.post('/runs/log-batch', async (c) => {
    const b = await body(c, LogBatch);
    return c.json(await logBatch(runIdOf(b), b));
  });

  app.post('/runs/log-metric', async (c) => {
    const b = await body(c, LogMetric);
    const { key, value, timestamp, step } = b;
    return c.json(await logBatch(runIdOf(b), { metrics: [{ key, value, timestamp, step }], params: [], tags: [] }));
  });

  app.post('/runs/log-parameter', async (c) => {
    const b = await body(c, LogParam);
    return c.json(await logBatch(runIdOf(b), { metrics: [], params: [{ key: b.key, value: b.value }], tags: [] }));
  });

  app.post('/runs/set-tag', async (c) => {
    const b = await body(c, SetTag);
    return c.json(await logBatch(runIdOf(b), { metrics: [], params: [], tags: [{ key: b.key, value: b.value }] }));
  });

  app.get('/metrics/get-history', async (c) => {
    const run = await runOf(c.req.query('run_id') ?? c.req.query('run_uuid') ?? '');
    const key = c.req.query('metric_key');
    if (!key) throw new AnalystError('invalid_body', 'metric_key is required');
    return c.json({ metrics: (await metrics.history(run.id, key)).map((m) => ({ ...m, value: encodeNumber(m.value) })) });
  });

  return app;
}
