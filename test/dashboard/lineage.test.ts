// The dashboard's lineage page, lineage strip, checkpoint list and run state, in headless Chromium against the real server.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../helpers/datasets.ts';
import { hasChromium, launch, type Browser } from '../helpers/browser.ts';
import { api, testServer, type TestServer } from '../helpers/server.ts';

const NOTE_FILE = readFileSync(path.join(FIXTURES, 'lineage/bert-base-stage2/training_info.json'), 'utf8');

describe.skipIf(!hasChromium)('lineage, checkpoints and run state in the dashboard', () => {
  let s: TestServer;
  let browser: Browser;
  let stages: Array<{ id: string; stage: string; dataset: string }>;
  let live: string;

  beforeAll(async () => {
    s = await testServer();
    stages = (await api(s.url, '/lineage/import', { method: 'POST', body: NOTE_FILE, headers: { 'content-type': 'application/json' } })).body.runs;
    // A live fine-tune from the note's last stage: a branch of the tree, with checkpoints and metadata.
    const run = await api(s.url, '/runs', {
      method: 'POST',
      json: { name: 'bert-legal', project: 'nlp', stage: 'finetune-legal', dataset: 'legal-2024', parent_run: stages[2].id, total_epochs: 4, meta: { git_commit: 'feedface1234567', git_dirty: true, python: '3.11.4', torch: '2.3.1', cuda: '12.1', host: 'gpu-07', gpu: 'NVIDIA A100' } },
    });
    live = run.body.id;
    await api(s.url, `/runs/${live}/events`, {
      method: 'POST',
      json: [
        { type: 'epoch_started', epoch: 1 },
        { type: 'metrics', step: 100, epoch: 1, values: { loss: 1.1, val_loss: 1.2, lr: 0.001 } },
        { type: 'checkpoint_saved', path: 'legal/e1.pt', step: 100, epoch: 1 },
        { type: 'epoch_started', epoch: 2 },
        { type: 'metrics', step: 200, epoch: 2, values: { loss: 0.9, val_loss: 0.95, lr: 0.0005 } },
        { type: 'checkpoint_saved', path: 'legal/e2.pt', step: 200, epoch: 2 },
      ],
    });
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  it('draws every model as a tree of stages with datasets, steps and best metric, each linked to its run', async () => {
    const { page } = browser;
    await page.goto(`${s.url}/#/lineage`);
    const model = page.locator('section[data-model="bert-base-news"]');
    await model.waitFor();
    expect(await model.locator('.lineage-totals').textContent()).toBe('4 stages · 17200 steps · last dataset legal-2024');
    const cards = model.locator('a.stage');
    expect(await cards.count()).toBe(4);
    const shown = await cards.evaluateAll((els) => els.map((e) => [e.getAttribute('href'), e.querySelector('.stage-name')!.textContent, e.querySelector('.stage-dataset')!.textContent, e.querySelector('.stage-steps')!.textContent]));
    expect(shown).toEqual([
      [`#/run/${stages[0].id}`, 'news-corpus-A', 'news-corpus-A', '10000 steps · 3 ep'],
      [`#/run/${stages[1].id}`, 'news-corpus-B', 'news-corpus-B', '5000 steps · 2 ep'],
      [`#/run/${stages[2].id}`, 'finetune-business', 'business-2024q1', '2000 steps · 1 ep'],
      [`#/run/${live}`, 'finetune-legal', 'legal-2024', '200 steps · 2 ep'],
    ]);
    // Its final stage's metric that matters: val_loss was NaN, so accuracy.
    expect(await model.locator(`a.stage[data-stage="${stages[2].id}"] .stage-best`).textContent()).toBe('val_acc 0.74');
    // A stage links to its run page.
    await model.locator(`a.stage[data-stage="${stages[1].id}"]`).click();
    await page.waitForFunction((id) => location.hash === `#/run/${id}`, stages[1].id);
  });

  it("shows the run's chain on its page, its checkpoints with the best marked, and its state and environment", async () => {
    const { page } = browser;
    await page.goto(`${s.url}/#/run/${live}`);
    const strip = page.locator('.lineage-panel .lineage-chain');
    await strip.waitFor();
    expect(await strip.locator('a.stage .stage-name').allTextContents()).toEqual(['news-corpus-A', 'news-corpus-B', 'finetune-business', 'finetune-legal']);
    expect(await strip.locator('a.stage.current').getAttribute('data-stage')).toBe(live);
    expect(await page.locator('.lineage-panel h2 .note').textContent()).toBe('17200 steps to here');
    expect(await page.locator('.lineage-panel a[href="#/lineage/bert-base-news"]').count()).toBe(1);

    const rows = page.locator('.checkpoints-panel table.checkpoints tr[data-checkpoint]');
    await rows.first().waitFor();
    expect(await rows.locator('.ckpt-path').allTextContents()).toEqual(['legal/e2.pt', 'legal/e1.pt']);
    expect(await page.locator('.checkpoints-panel tr.best .ckpt-path').textContent()).toBe('legal/e2.pt');
    expect(await page.locator('.checkpoints-panel .ckpt-best').textContent()).toBe('Best: legal/e2.pt (val_loss 0.95)');

    const state = async (k: string) => page.locator(`.run-meta-panel dd[data-state="${k}"]`).textContent();
    await page.locator('.run-meta-panel dd[data-state="epoch"]').waitFor();
    expect([await state('training'), await state('epoch'), await state('batch'), await state('loss'), await state('learning rate')]).toEqual(['yes', '2 / 4', '200', '0.9', '5.000e-4']);
    const fact = async (k: string) => page.locator(`.run-meta-panel dd[data-fact="${k}"]`).textContent();
    expect([await fact('git_commit'), await fact('python'), await fact('framework'), await fact('cuda'), await fact('host'), await fact('gpu')]).toEqual(['feedface1234 (uncommitted changes)', '3.11.4', 'torch 2.3.1', '12.1', 'gpu-07', 'NVIDIA A100']);

    // A checkpoint saved while the page is open joins the list, and becomes the best.
    await api(s.url, `/runs/${live}/events`, { method: 'POST', json: [{ type: 'metrics', step: 300, epoch: 3, values: { val_loss: 0.8 } }, { type: 'checkpoint_saved', path: 'legal/e3.pt', step: 300, epoch: 3 }] });
    await page.waitForFunction(() => document.querySelector('.checkpoints-panel tr.best .ckpt-path')?.textContent === 'legal/e3.pt');
    expect(await rows.count()).toBe(3);
    expect(browser.errors).toEqual([]);
  });
});
