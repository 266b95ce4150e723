// Seed 2's lineage through the real server: training_info.json in (a file, a tree), linked stage runs, the file out again.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../helpers/datasets.ts';
import { api, testServer, type TestServer } from '../helpers/server.ts';

const NOTE_FILE = readFileSync(path.join(FIXTURES, 'lineage/bert-base-stage2/training_info.json'), 'utf8');
const NOTE = JSON.parse(NOTE_FILE);

async function text(base: string, p: string): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(`${base}${p}`);
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

/** The Python manager's files for three stages: each inherits the history of the one before. */
function stageFiles(model: string) {
  const entry = (dataset: string, steps: number, day: number, loss: number) => ({
    dataset,
    steps,
    epochs: 1,
    metrics: { train_loss: loss, val_loss: loss + 0.1 },
    hyperparams: { lr: 1e-4 / day },
    start_time: `2024-05-0${day}T08:00:00Z`,
    end_time: `2024-05-0${day}T18:00:00Z`,
  });
  const a = entry('wiki', 10000, 1, 2.0);
  const b = entry('news', 5000, 2, 1.5);
  const c = entry('business', 2000, 3, 1.2);
  const d = entry('legal', 1000, 4, 1.3);
  const file = (stage: string, base: string, history: object[], ckpt: string) => ({
    model_name: model,
    stage,
    final_checkpoint: ckpt,
    base_model: base,
    created: '2024-05-01T08:00:00Z',
    last_updated: (history[history.length - 1] as { end_time: string }).end_time,
    total_steps: history.reduce((n, e) => n + (e as { steps: number }).steps, 0),
    last_dataset: (history[history.length - 1] as { dataset: string }).dataset,
    history,
  });
  return [
    { path: `artifact/${model}/stage3/training_info.json`, content: JSON.stringify(file('stage3', 'stage2/best.pt', [a, b, c], 'stage3/best.pt')) },
    { path: `artifact/${model}/stage1/training_info.json`, content: JSON.stringify(file('stage1', 'bert-base-uncased', [a], 'stage1/best.pt')) },
    { path: `artifact/${model}/stage2/training_info.json`, content: JSON.stringify(file('stage2', 'stage1/best.pt', [a, b], 'stage2/best.pt')) },
    // A branch: another fine-tune from stage 2.
    { path: `artifact/${model}/stage3b/training_info.json`, content: JSON.stringify(file('stage3b', 'stage2/best.pt', [a, b, d], 'stage3b/best.pt')) },
  ];
}

describe('lineage over HTTP', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await testServer();
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("imports the note's training_info.json as linked stage runs and writes the same file back, field by field", async () => {
    const r = await api(s.url, '/lineage/import', { method: 'POST', body: NOTE_FILE, headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(201);
    expect(r.body.models).toEqual(['bert-base-news']);
    const runs = r.body.runs as Array<{ id: string; stage: string; dataset: string; parent_run: string | null; file: string | null }>;
    expect(runs.map((x) => x.dataset)).toEqual(['news-corpus-A', 'news-corpus-B', 'business-2024q1']);
    expect(runs.map((x) => x.parent_run)).toEqual([null, runs[0].id, runs[1].id]);
    expect(runs[2]).toMatchObject({ stage: 'finetune-business', file: 'training_info.json' });

    const last = runs[2].id;
    const out = await text(s.url, `/runs/${last}/training_info.json`);
    expect(out.status).toBe(200);
    expect(out.type).toMatch(/application\/json/);
    const info = JSON.parse(out.text);
    for (const key of Object.keys(NOTE)) expect(info[key], key).toEqual(NOTE[key]);
    expect(Object.keys(info)).toEqual(Object.keys(NOTE));
    info.history.forEach((e: object, i: number) => expect(Object.keys(e)).toEqual(Object.keys(NOTE.history[i])));
    // The same layout as the trainer's manager writes, numbers included (5e-5, "NaN").
    expect(out.text).toBe(NOTE_FILE);

    // An earlier stage's file holds the history up to it.
    const first = JSON.parse((await text(s.url, `/runs/${runs[0].id}/training_info.json`)).text);
    expect(first).toMatchObject({ model_name: 'bert-base-news', total_steps: 10000, last_dataset: 'news-corpus-A', history: [NOTE.history[0]] });

    // Sent again, nothing new is made.
    const again = await api(s.url, '/lineage/import', { method: 'POST', body: NOTE_FILE, headers: { 'content-type': 'application/json' } });
    expect(again.body.runs.filter((x: { created: boolean }) => x.created)).toEqual([]);
    expect((await api(s.url, `/runs/${last}/events`)).body.events.filter((e: { type: string }) => e.type === 'run_started')).toHaveLength(1);
  });

  it('reads a tree of stage files into one run per stage, with a branch, and answers chains and totals', async () => {
    const r = await api(s.url, '/lineage/import', { method: 'POST', json: { files: stageFiles('roberta-legal'), project: 'nlp' } });
    expect(r.status).toBe(201);
    const byStage = Object.fromEntries((r.body.runs as Array<{ stage: string; id: string }>).map((x) => [x.stage, x.id]));
    expect(Object.keys(byStage).sort()).toEqual(['stage1', 'stage2', 'stage3', 'stage3b']);

    const l = (await api(s.url, `/runs/${byStage.stage3}/lineage`)).body;
    expect(l.model).toBe('roberta-legal');
    expect(l.ancestors.map((a: { stage: string }) => a.stage)).toEqual(['stage1', 'stage2']);
    expect(l.ancestors.map((a: { dataset: string }) => a.dataset)).toEqual(['wiki', 'news']);
    expect(l.ancestors.map((a: { steps: number }) => a.steps)).toEqual([10000, 5000]);
    expect(l.stage).toMatchObject({ stage: 'stage3', dataset: 'business', steps: 2000, epochs: 1, base_model: 'stage2/best.pt', final_checkpoint: 'stage3/best.pt', project: 'nlp' });
    expect(l.stage.best).toMatchObject({ metric: 'val_loss' });
    expect(l.stage.best.value).toBeCloseTo(1.3);
    expect(l.total_steps).toBe(17000);
    expect(l.descendants).toEqual([]);

    const mid = (await api(s.url, `/runs/${byStage.stage2}/lineage`)).body;
    expect(mid.descendants.map((d: { stage: string }) => d.stage).sort()).toEqual(['stage3', 'stage3b']);
    expect(mid.total_steps).toBe(15000);
    expect(mid.tree_steps).toBe(18000);

    const all = (await api(s.url, '/lineage?model=roberta-legal')).body.models;
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ model: 'roberta-legal', stages: 4, total_steps: 18000, latest: { stage: 'stage3b', dataset: 'legal' } });
    expect(all[0].root).toMatchObject({ stage: 'stage1', dataset: 'wiki' });
    expect(all[0].root.children[0].children).toHaveLength(2);
    const models = (await api(s.url, '/lineage')).body.models.map((m: { model: string }) => m.model);
    expect(models.sort()).toEqual(['bert-base-news', 'roberta-legal']);
  });

  it('links live runs by parent_run, names the model, and survives missing parents and cycles', async () => {
    const make = async (json: object) => (await api(s.url, '/runs', { method: 'POST', json })).body.id as string;
    const pre = await make({ name: 'gpt-small', project: 'llm', stage: 'pretrain', dataset: 'web', meta: { model_name: 'gpt-small' } });
    await api(s.url, `/runs/${pre}/events`, { method: 'POST', json: [{ type: 'metrics', step: 300, values: { loss: 3.1 } }, { type: 'run_finished' }] });
    const sft = await make({ name: 'gpt-small-sft', project: 'llm', stage: 'sft', dataset: 'chat', parent_run: pre });
    await api(s.url, `/runs/${sft}/events`, { method: 'POST', json: [{ type: 'metrics', step: 50, epoch: 1, values: { loss: 1.9 } }, { type: 'checkpoint_saved', path: 'sft/last.pt', step: 50, metric: 'val_loss', value: 2.0 }] });
    const l = (await api(s.url, `/runs/${sft}/lineage`)).body;
    expect(l).toMatchObject({ model: 'gpt-small', total_steps: 350, ancestors: [{ id: pre, steps: 300 }], stage: { steps: 50, dataset: 'chat' } });
    const info = JSON.parse((await text(s.url, `/runs/${sft}/training_info.json`)).text);
    expect(info).toMatchObject({ model_name: 'gpt-small', stage: 'sft', final_checkpoint: 'sft/last.pt', total_steps: 350, last_dataset: 'chat' });
    expect(info.history.map((e: { dataset: string; steps: number }) => [e.dataset, e.steps])).toEqual([['web', 300], ['chat', 50]]);
    expect(info.history[1].metrics).toEqual({ loss: 1.9 });

    const orphan = await make({ name: 'orphan', project: 'llm', stage: 'dpo', parent_run: 'no-such-run' });
    expect((await api(s.url, `/runs/${orphan}/lineage`)).body).toMatchObject({ missing_parent: 'no-such-run', ancestors: [] });

    const a = await make({ name: 'loop-a', project: 'llm', stage: 'a', parent_run: 'llm/loop-b' });
    const b = await make({ name: 'loop-b', project: 'llm', stage: 'b', parent_run: a });
    const cyc = (await api(s.url, `/runs/${a}/lineage`)).body;
    expect(cyc.cycle).toBe(a);
    expect(cyc.ancestors.map((x: { id: string }) => x.id)).toEqual([b]);
    // A loop of three with a stage below it is listed once, whichever run the walk starts from.
    const x = await make({ name: 'ring-x', project: 'llm', stage: 'x', parent_run: 'llm/ring-z' });
    const y = await make({ name: 'ring-y', project: 'llm', stage: 'y', parent_run: x });
    const z = await make({ name: 'ring-z', project: 'llm', stage: 'z', parent_run: y });
    const below = await make({ name: 'ring-below', project: 'llm', stage: 'below', parent_run: y });
    const listed = (await api(s.url, '/lineage')).body.models as Array<{ root: { id: string }; cycle?: string; stages: number }>;
    expect(listed.filter((m) => m.root.id === a || m.root.id === b)).toHaveLength(1);
    const rings = listed.filter((m) => [x, y, z, below].includes(m.root.id));
    expect(rings).toHaveLength(1);
    expect(rings[0]).toMatchObject({ cycle: rings[0].root.id, stages: 4 });
  });

  it('refuses a bad file with the path of what is wrong', async () => {
    const bad = await api(s.url, '/lineage/import', { method: 'POST', json: { files: [{ path: 'x/training_info.json', content: { model_name: 'm', history: [{ steps: -1 }] } }] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe('files.0.content.history.0.steps');
    const noName = await api(s.url, '/lineage/import', { method: 'POST', json: { history: [] } });
    expect(noName.status).toBe(400);
    expect(noName.body.error.issues[0].path).toBe('files.0.content.model_name');
    expect((await api(s.url, '/runs/nope/lineage')).status).toBe(404);
  });
});
