import { Hono } from 'hono';
import type { AnalystService } from '../../service/service.ts';
import type { ArtifactStore } from '../../store/artifact-store.ts';
import type { Run } from '../../domain/runs.ts';
import { pathAfter, sendArtifact } from './mlflow-artifacts.ts';
import { AnalystError } from '../../domain/errors.ts';

interface ModelSummary {
  name: string;
  model_id?: string;
  artifact_path: string;
  flavors: string[];
}

/** The flavour names of an MLmodel file: the keys one level under `flavors:`. */
function flavorsOf(mlmodel: string): string[] {
  const block = /^flavors:\r?\n((?:[ \t]+.*\r?\n?)+)/m.exec(mlmodel)?.[1] ?? '';
  const indent = /^([ \t]+)/.exec(block)?.[1] ?? '  ';
  return [...block.matchAll(new RegExp(`^${indent}([\\w.-]+):`, 'gm'))].map((m) => m[1]!);
}

/** Where a run logged by an MLflow client keeps its files, relative to the artifact folder. */
const runFolder = (run: Run) => {
  const experiment = (run.meta.mlflow as { experiment_id?: string } | undefined)?.experiment_id;
  return experiment === undefined ? undefined : `${experiment}/${run.id}/artifacts`;
};

/**
 * What a run logged through MLflow besides metrics: its files (a figure can be shown as an
 * image), the models it logged (MLflow 2's log-model history, MLflow 3's logged models) and the
 * datasets it read.
 */
export function runArtifactRoutes(service: AnalystService, store: ArtifactStore): Hono {
  const app = new Hono();
  const models = service.store.loggedModels;

  const readText = async (relative: string) => {
    const file = await store.read(relative);
    if (!file) return '';
    const chunks: Buffer[] = [];
    for await (const chunk of file.stream()) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };

  app.get('/runs/:id/artifacts', async (c) => {
    const run = await service.run(c.req.param('id'));
    const folder = runFolder(run);
    const files = folder ? (await store.walk(folder)).map((f) => ({ path: f.path, size: f.file_size ?? 0 })) : [];
    const logged: ModelSummary[] = [];
    const history = run.tags['mlflow.log-model.history'];
    if (history) {
      for (const m of JSON.parse(history) as Array<{ artifact_path?: string; flavors?: Record<string, unknown> }>) {
        logged.push({ name: m.artifact_path ?? '', artifact_path: m.artifact_path ?? '', flavors: Object.keys(m.flavors ?? {}) });
      }
    }
    for (const m of await models.ofRun(run.id)) {
      const where = `${m.experiment_id}/models/${m.model_id}/artifacts`;
      logged.push({ name: m.name, model_id: m.model_id, artifact_path: where, flavors: flavorsOf(await readText(`${where}/MLmodel`)) });
    }
    const inputs = ((run.meta.mlflow as { inputs?: Array<{ tags: Array<{ key: string; value: string }>; dataset: Record<string, string> }> } | undefined)?.inputs ?? []).map((d) => ({
      name: d.dataset.name,
      digest: d.dataset.digest,
      source_type: d.dataset.source_type,
      source: d.dataset.source,
      context: d.tags.find((t) => t.key === 'mlflow.data.context')?.value ?? null,
    }));
    return c.json({ files, models: logged, datasets: inputs });
  });

  app.get('/runs/:id/artifacts/*', async (c) => {
    const run = await service.run(c.req.param('id'));
    const folder = runFolder(run);
    if (!folder) throw new AnalystError('not_found', `run ${run.id} has no artifacts`);
    // Run ids hold no '/', so the first '/artifacts/' is the one after the id.
    return sendArtifact(store, `${folder}/${pathAfter(c.req.url, '/artifacts/')}`);
  });

  return app;
}
