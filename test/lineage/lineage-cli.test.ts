// `analyst lineage` against the real server: a directory of stage files in, trees and files out; `analyst status` shows the metadata.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyst as analystCli } from '../helpers/cli.ts';

// A hang guard, not a speed check.
const analyst = (args: string[]) => analystCli(args, {}, { timeout: 60_000 });
import { FIXTURES } from '../helpers/datasets.ts';
import { api, testServer, type TestServer } from '../helpers/server.ts';

describe('analyst lineage', () => {
  let s: TestServer;
  let dir: string;
  beforeAll(async () => {
    s = await testServer();
    dir = mkdtempSync(join(tmpdir(), 'analyst-lineage-cli-'));
    // artifact/<model>/<stage>/training_info.json, as the note lays them out: stage 1's file, and the fixture as stage 2's.
    const note = JSON.parse(readFileSync(join(FIXTURES, 'lineage/bert-base-stage2/training_info.json'), 'utf8'));
    const stage1 = { ...note, stage: 'pretrain-news', final_checkpoint: 'checkpoints/stage1/best.pt', base_model: 'bert-base-uncased', total_steps: 15000, last_dataset: 'news-corpus-B', last_updated: note.history[1].end_time, history: note.history.slice(0, 2) };
    for (const [stage, info] of [['stage1', stage1], ['stage2', note]] as const) {
      mkdirSync(join(dir, 'artifact', 'bert-base-news', stage), { recursive: true });
      writeFileSync(join(dir, 'artifact', 'bert-base-news', stage, 'training_info.json'), JSON.stringify(info, null, 2));
    }
    writeFileSync(join(dir, 'artifact', 'README.txt'), 'not a stage file');
  });
  afterAll(async () => {
    await s?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports a directory tree, lists the model as a chain of stages, shows a run and writes its file', async () => {
    const imported = await analyst(['lineage', 'import', join(dir, 'artifact'), '--server', s.url, '--json']);
    expect(imported.stderr).toBe('');
    const r = JSON.parse(imported.stdout);
    expect(r.runs.map((x: { stage: string }) => x.stage)).toEqual(['news-corpus-A', 'pretrain-news', 'finetune-business']);
    expect(r.runs.every((x: { created: boolean }) => x.created)).toBe(true);

    const list = await analyst(['lineage', '--server', s.url]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^bert-base-news {2}3 stages, 17000 steps, last dataset business-2024q1$/m);
    const stageLines = list.stdout.split('\n').filter((l) => /steps {2}/.test(l));
    expect(stageLines.map((l) => /(\S+) {2}\(lin-/.exec(l)?.[1])).toEqual(['news-corpus-A', 'pretrain-news', 'finetune-business']);
    expect(list.stdout).toMatch(/finetune-business .* business-2024q1 {2}2000 steps {2}1 epochs {2}best val_acc 0\.740* {2}completed/);

    const json = JSON.parse((await analyst(['lineage', 'bert-base-news', '--json', '--server', s.url])).stdout);
    expect(json[0]).toMatchObject({ model: 'bert-base-news', stages: 3, total_steps: 17000 });
    expect((await analyst(['lineage', 'other-model', '--server', s.url])).stdout).toBe('no lineage for model other-model\n');

    const last = r.runs[2].id;
    const show = await analyst(['lineage', 'show', last, '--server', s.url]);
    expect(show.stdout.split('\n')[0]).toBe('bert-base-news: 17000 steps up to this stage');
    expect(show.stdout).toMatch(/^> finetune-business/m);

    // Into a stage directory that does not exist yet, next to an exported model.
    const out = join(dir, 'export', 'bert-onnx');
    const written = await analyst(['lineage', 'file', last, '-o', `${out}/`, '--json', '--server', s.url]);
    expect(JSON.parse(written.stdout)).toEqual({ file: join(out, 'training_info.json'), bytes: Buffer.byteLength(readFileSync(join(out, 'training_info.json'))) });
    expect(readFileSync(join(out, 'training_info.json'), 'utf8')).toBe(readFileSync(join(FIXTURES, 'lineage/bert-base-stage2/training_info.json'), 'utf8'));

    expect((await analyst(['lineage', 'import', join(dir, 'nothing-here'), '--server', s.url])).code).toBe(1);
  });

  it('shows reproducibility facts and the stage in `analyst status`', async () => {
    const created = await api(s.url, '/runs', { method: 'POST', json: { name: 'repro', project: 'cli', stage: 'sft', dataset: 'chat', parent_run: 'cli/base', meta: { git_commit: '0123456789abcdef', git_dirty: true, python: '3.11.4', torch: '2.3.1', cuda: '12.1', host: 'gpu-07' } } });
    const status = await analyst(['status', created.body.id, '--server', s.url]);
    expect(status.stdout).toMatch(/^git 0123456789ab \(dirty\) {2}python 3\.11\.4 {2}torch 2\.3\.1 {2}cuda 12\.1 {2}host gpu-07$/m);
    expect(status.stdout).toMatch(/^stage sft on chat {2}after cli\/base/m);
  });
});
