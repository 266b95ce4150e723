// The dashboard driven in headless Chromium against the real server: runs list, run view, live updates, findings, compare, token.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launch, type Browser } from '../helpers/browser.ts';
import { api, testServer, type TestServer } from '../helpers/server.ts';

export const SCREENSHOT = '/tmp/training-analyst-dashboard.png';

const EPOCHS = 3;
const STEPS_PER_EPOCH = 100;
const T0 = Date.now() - 15 * 60_000;

/** Three epochs of a healthy run: step metrics every 10 steps, validation at each epoch's end. */
function trainingEvents() {
  const events: Record<string, unknown>[] = [{ type: 'run_started', ts: T0, total_epochs: 10, config: { lr: 0.1, batch_size: 128 } }];
  let ts = T0;
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    events.push({ type: 'epoch_started', epoch, ts });
    for (let i = 10; i <= STEPS_PER_EPOCH; i += 10) {
      const step = (epoch - 1) * STEPS_PER_EPOCH + i;
      ts += 10_000;
      events.push({ type: 'metrics', step, epoch, ts, values: { loss: 2.3 * Math.exp(-step / 150) + 0.2, lr: 0.1, grad_norm: 1.5 - step / 1000 } });
    }
    ts += 5_000;
    events.push({ type: 'metrics', step: epoch * STEPS_PER_EPOCH, epoch, ts, values: { val_loss: [1.1, 0.8, 0.61][epoch - 1], val_accuracy: [61.5, 70.25, 76.5][epoch - 1] } });
    events.push({ type: 'epoch_ended', epoch, ts });
    events.push({ type: 'log', level: 'info', ts, message: `Epoch [${epoch}/10] done` });
  }
  return events;
}

async function text(page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).first().textContent())?.trim() ?? '';
}

describe.skipIf(!hasChromium)('dashboard in Chromium', () => {
  let s: TestServer;
  let browser: Browser;
  let runId: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    s = await testServer();
    const run = await api(s.url, '/runs', { method: 'POST', json: { name: 'resnet18-cifar10', project: 'vision', total_epochs: 10 } });
    runId = run.body.id;
    const r = await api(s.url, `/runs/${runId}/events`, { method: 'POST', json: { events: trainingEvents() } });
    expect(r.status).toBe(200);
    browser = await launch();
    browser.page.on('pageerror', (e) => pageErrors.push(String(e)));
    browser.page.on('console', (m) => m.type() === 'error' && !/404|Not Found/i.test(m.text()) && pageErrors.push(m.text()));
  });

  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  it('lists the run with its status, progress and open findings', async () => {
    const { page } = browser;
    await page.goto(`${s.url}/`);
    const row = page.locator(`tr[data-run="${runId}"]`);
    await row.waitFor();
    expect(await row.locator('a').textContent()).toBe('resnet18-cifar10');
    expect(await row.locator('.badge').first().textContent()).toBe('running');
    await page.waitForFunction((id) => document.querySelector(`tr[data-run="${id}"] .progress .label`)?.textContent === '30%', runId);
    const status = await api(s.url, `/runs/${runId}`);
    expect(await row.locator('[data-col="open"]').textContent()).toBe(String(status.body.open_findings));
  });

  it('shows the run status, latest metrics and curves', async () => {
    const { page } = browser;
    await page.click(`tr[data-run="${runId}"] a`);
    await page.locator('[data-stat="epoch"] .v').waitFor();
    expect(await text(page, '[data-stat="epoch"] .v')).toBe('3 / 10');
    expect(await text(page, '[data-stat="step"] .v')).toBe('300');
    expect(await text(page, '.run-status .progress .label')).toBe('30%');
    expect(await text(page, '[data-stat="best"] .v')).toBe('val_loss 0.61 @ epoch 3');
    // 15 minutes in and 30% done: the server's ETA is 35 minutes, elapsed the time of the last event.
    expect(await text(page, '[data-stat="eta"] .v')).toMatch(/^3\dm \d\ds$/);
    expect(await text(page, '[data-stat="avg_epoch"] .v')).toBe('1m 45s');
    expect(await text(page, 'tr[data-metric="val_accuracy"] td.num')).toBe('76.5');
    // A panel per metric: 30 train-loss points, 3 validation points, 30 lr points.
    await page.waitForFunction(() => document.querySelector('[data-chart="train_loss"]')?.getAttribute('data-points') === '30');
    expect(await page.getAttribute('[data-chart="val_loss"]', 'data-points')).toBe('3');
    expect(await page.getAttribute('[data-chart="lr"]', 'data-points')).toBe('30');
    expect(await page.getAttribute('[data-chart="val_acc"]', 'data-points')).toBe('3');
    expect(await page.locator('[data-chart="train_loss"] canvas').count()).toBeGreaterThan(0);
    await page.locator('ol.log li', { hasText: 'Epoch [3/10] done' }).waitFor();
    expect(await text(page, '#crumbs')).toBe('Runs / resnet18-cifar10');
    expect(await page.locator('.info-panel dl').first().textContent()).toBe('lr0.1batch_size128');
    // A log y axis redraws the same points.
    await page.click('[data-chart="train_loss"] .log-toggle');
    expect(await page.getAttribute('[data-chart="train_loss"] .log-toggle', 'class')).toContain('on');
    await page.waitForFunction(() => document.querySelector('[data-chart="train_loss"] canvas') !== null);
    expect(await page.getAttribute('[data-chart="train_loss"]', 'data-points')).toBe('30');
  });

  it('appends a metrics event posted after the page loaded', async () => {
    const { page } = browser;
    const posted = Date.now();
    await api(s.url, `/runs/${runId}/events`, { method: 'POST', json: [{ type: 'metrics', step: 310, epoch: 4, values: { loss: 0.4321, lr: 0.05 } }] });
    await page.waitForFunction(() => document.querySelector('[data-chart="train_loss"]')?.getAttribute('data-points') === '31', undefined, { timeout: 30_000, polling: 'raf' });
    console.info(`dashboard: metrics event posted → on the curve in ${Date.now() - posted} ms (${await text(page, '#conn')})`);
    expect(await text(page, 'tr[data-metric="loss"] td.num')).toBe('0.4321');
    expect(await page.getAttribute('[data-chart="lr"]', 'data-points')).toBe('31');
    // The step in the header follows from the server's status, re-read after events.
    await page.waitForFunction(() => document.querySelector('[data-stat="step"] .v')?.textContent === '310', undefined, { timeout: 30_000 });
  });

  it('shows a NaN loss finding live, and server strings only as text', async () => {
    const { page } = browser;
    const hostile = '<img src=x onerror="window.__pwned=1">';
    await api(s.url, `/runs/${runId}/events`, {
      method: 'POST',
      json: [
        { type: 'metrics', step: 320, epoch: 4, values: { loss: 'NaN', [hostile]: 1 } },
        { type: 'log', level: 'error', message: hostile },
      ],
    });
    const card = page.locator('.finding[data-kind="nan_loss"]');
    await card.waitFor({ timeout: 30_000 });
    expect(await card.getAttribute('class')).toContain('sev-critical');
    expect(await card.locator('.message').textContent()).toMatch(/NaN|non-finite|infinite/i);
    expect(await text(page, 'tr[data-metric="loss"] td.num')).toBe('NaN');
    await page.locator('ol.log li.lvl-error', { hasText: hostile }).waitFor();
    expect(await page.locator(`tr[data-metric="${hostile.replaceAll('"', '\\"')}"]`).count()).toBe(1);
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.waitForFunction(() => Number(document.querySelector('[data-stat="open_findings"] .v')?.textContent) >= 1, undefined, { timeout: 30_000 });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('sends control requests, or says the door is missing', async () => {
    const { page } = browser;
    await page.click('button[data-action="pause"]');
    await page.waitForFunction(() => /pause requested|not available/.test(document.querySelector('.result')?.textContent ?? ''));
    const controls = await api(s.url, `/runs/${runId}/control`);
    const said = await text(page, '.result');
    if (controls.status === 404) expect(said).toContain('not available');
    else expect(controls.body.controls.map((c: { action: string }) => c.action)).toContain('pause');
  });

  it('answers in the chat, or says the analyst is missing', async () => {
    const { page } = browser;
    const actions = await api(s.url, '/chat/actions');
    if (actions.status === 404) {
      await page.locator('.chat-panel .msg.system', { hasText: 'not available' }).waitFor();
      return;
    }
    await page.click('.chat-panel button[data-quick="diagnose"]');
    await page.waitForFunction(() => document.querySelector('.chat-panel .msg.assistant') && !document.querySelector('.chat-panel .msg.streaming'), undefined, { timeout: 20_000 });
    // The run has an open NaN finding: any honest diagnosis mentions it.
    expect(await text(page, '.chat-panel .msg.assistant')).toMatch(/NaN|nan_loss/);
    expect(await text(page, '.chat-panel h2 .note')).not.toBe('');
  });

  it('says in the top bar which model answers analyses and chat, from GET /llm, and checks again on a click', async () => {
    const { page } = browser;
    const llm = (await api(s.url, '/llm')).body;
    await page.locator('#llm', { hasText: 'LLM:' }).waitFor();
    const badge = await text(page, '#llm');
    if (llm.provider === 'offline') expect(badge).toBe('LLM: offline narrator');
    else expect(badge).toContain(llm.model);
    expect(await page.locator('#llm').getAttribute('title')).toContain(llm.because);
    await page.click('#llm');
    // "LLM: checking…" shows while the click's check is under way: wait for its answer.
    await page.waitForFunction(() => /^LLM:/.test(document.querySelector('#llm')?.textContent ?? '') && !document.querySelector('#llm')!.textContent!.includes('checking'));
    expect(await text(page, '#llm')).toBe(badge);
  });

  it('falls back to polling the events when the stream route is missing', async () => {
    const page = await browser.context.newPage();
    // The real server with one door removed: the page must still follow the run.
    await page.route((u) => u.pathname.endsWith('/stream'), (r) => r.fulfill({ status: 404, contentType: 'application/json', body: '{"error":{"code":"not_found","message":"no route"}}' }));
    await page.goto(`${s.url}/#/run/${runId}`);
    await page.waitForFunction(() => document.getElementById('conn')?.textContent === 'polling (no stream)');
    const before = Number(await page.getAttribute('[data-chart="lr"]', 'data-points'));
    await api(s.url, `/runs/${runId}/events`, { method: 'POST', json: [{ type: 'metrics', step: 330, epoch: 4, values: { lr: 0.04 } }] });
    await page.waitForFunction((n) => Number(document.querySelector('[data-chart="lr"]')?.getAttribute('data-points')) === n + 1, before, { timeout: 30_000 });
    expect(await text(page, 'tr[data-metric="lr"] td.num')).toBe('0.04');
    await page.close();
  });

  it('overlays two runs and compares them', async () => {
    const { page } = browser;
    const other = await api(s.url, '/runs', { method: 'POST', json: { name: 'resnet18-lr0.01', project: 'vision', total_epochs: 10, config: { lr: 0.01 } } });
    await api(s.url, `/runs/${other.body.id}/events`, { method: 'POST', json: { events: trainingEvents().slice(1) } });
    await page.goto(`${s.url}/#/`);
    await page.locator(`tr[data-run="${other.body.id}"]`).waitFor();
    await page.check(`tr[data-run="${runId}"] input[type=checkbox]`);
    await page.check(`tr[data-run="${other.body.id}"] input[type=checkbox]`);
    await page.click('button:has-text("Compare 2 selected")');
    await page.waitForFunction(() => document.querySelector('[data-chart="val_loss"]')?.getAttribute('data-points') === '6');
    expect(await page.locator('table.differences thead th').allTextContents()).toEqual(['', 'resnet18-cifar10', 'resnet18-lr0.01']);
    expect(await page.locator('table.differences tr[data-key="config.lr"] td').allTextContents()).toEqual(['0.1', '0.01']);
    expect(await page.locator('table.ranking').textContent()).toContain('0.61');
    expect(pageErrors).toEqual([]);
  });

  it('tags, filters, archives, renames, notes and deletes runs', async () => {
    const { page } = browser;
    const a = (await api(s.url, '/runs', { method: 'POST', json: { name: 'tidy-a', project: 'tidy' } })).body;
    const b = (await api(s.url, '/runs', { method: 'POST', json: { name: 'tidy-b', project: 'tidy' } })).body;
    await page.goto(`${s.url}/#/?project=tidy`);
    await page.locator(`tr[data-run="${b.id}"]`).waitFor();
    // Selected runs get tags from the bar above the list.
    await page.check(`tr[data-run="${a.id}"] input[type=checkbox]`);
    await page.fill('input[name="bulk-tag"]', 'baseline, team=vision');
    await page.click('button[data-bulk="tag"]');
    await page.locator(`tr[data-run="${a.id}"] .tag[data-tag="team"]`, { hasText: 'team=vision' }).waitFor();
    expect((await api(s.url, `/runs/${a.id}`)).body.tags).toEqual({ baseline: '', team: 'vision' });
    // The tag filter keeps only the tagged run.
    await page.fill('input[name="tag"]', 'baseline');
    await page.click('form.filters button[type="submit"]');
    await page.waitForFunction((id) => document.querySelectorAll('tr[data-run]').length === 1 && document.querySelector(`tr[data-run="${id}"]`) !== null, a.id);
    // Archived runs leave the list, and come back with "show archived".
    await page.goto(`${s.url}/#/?project=tidy`);
    await page.locator(`tr[data-run="${a.id}"]`).waitFor();
    await page.check(`tr[data-run="${a.id}"] input[type=checkbox]`);
    await page.click('button[data-bulk="archive"]');
    await page.locator(`tr[data-run="${a.id}"]`).waitFor({ state: 'detached' });
    await page.check('input[name="archived"]');
    await page.locator(`tr[data-run="${a.id}"] .badge.archived`).waitFor();
    // The run page renames and notes; its header follows.
    await page.goto(`${s.url}/#/run/${b.id}`);
    await page.locator('.manage-panel input[name="name"]').waitFor();
    await page.fill('.manage-panel input[name="name"]', 'tidy-b2');
    await page.click('.manage-panel button:has-text("Rename")');
    await page.waitForFunction(() => document.querySelector('.run-status h1')?.textContent === 'tidy-b2', undefined, { timeout: 10_000 });
    await page.fill('.manage-panel textarea[name="note"]', 'lr sweep baseline');
    await page.click('.manage-panel button:has-text("Save note")');
    await page.locator('.manage-result', { hasText: 'Note saved.' }).waitFor();
    expect((await api(s.url, `/runs/${b.id}`)).body).toMatchObject({ name: 'tidy-b2', note: 'lr sweep baseline' });
    // Delete asks first, then goes back to the list.
    page.once('dialog', (d) => void d.accept());
    await page.click('.manage-panel button[data-manage="delete"]');
    await page.waitForFunction(() => location.hash === '#/');
    expect((await api(s.url, `/runs/${b.id}`)).status).toBe(410);
    // A run deleted elsewhere while its page is open says so.
    await page.goto(`${s.url}/#/run/${a.id}`);
    await page.waitForFunction(() => document.getElementById('conn')?.textContent === 'live', undefined, { timeout: 10_000 });
    await api(s.url, `/runs/${a.id}`, { method: 'DELETE' });
    await page.locator(`[data-deleted="${a.id}"]`).waitFor({ timeout: 10_000 });
    expect(pageErrors).toEqual([]);
  });
});

describe.skipIf(!hasChromium)('dashboard behind a token', () => {
  let s: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    s = await testServer({ ANALYST_TOKEN: 'secret-token-for-the-dashboard' });
    await api(s.url, '/runs', { method: 'POST', headers: { authorization: 'Bearer secret-token-for-the-dashboard' }, json: { name: 'guarded', project: 'p' } });
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  it('asks for the token once, keeps it and sends it', async () => {
    const { page } = browser;
    await page.goto(`${s.url}/`);
    await page.locator('#token-dialog[open]').waitFor();
    await page.fill('#token-input', 'secret-token-for-the-dashboard');
    await page.click('#token-dialog button[value=ok]');
    await page.locator('tr[data-run] a', { hasText: 'guarded' }).waitFor();
    await page.reload();
    await page.locator('tr[data-run] a', { hasText: 'guarded' }).waitFor();
    expect(await page.locator('#token-dialog[open]').count()).toBe(0);
  });

  it("shows an MLflow run's figure as an image, fetched with the token, and its other files", async () => {
    const { page } = browser;
    const auth = { authorization: 'Bearer secret-token-for-the-dashboard' };
    const mlflow = (path: string, json: unknown) => api(`${s.url}/api/2.0/mlflow`, path, { method: 'POST', headers: auth, json });
    const eid = (await mlflow('/experiments/create', { name: 'figures' })).body.experiment_id;
    const run = (await mlflow('/runs/create', { experiment_id: eid, run_name: 'with-figure' })).body.run.info.run_id;
    // A 1x1 PNG, as log_figure uploads a figure.
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
    const base = `${s.url}/api/2.0/mlflow-artifacts/artifacts/${eid}/${run}/artifacts`;
    expect((await fetch(`${base}/plots/loss.png`, { method: 'PUT', headers: { ...auth, 'content-type': 'image/png' }, body: new Uint8Array(png) })).status).toBe(200);
    expect((await fetch(`${base}/notes.txt`, { method: 'PUT', headers: { ...auth, 'content-type': 'text/plain' }, body: 'epoch 1\n' })).status).toBe(200);
    await page.goto(`${s.url}/#/run/${run}`);
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('img[data-artifact="plots/loss.png"]');
      return !!img && img.complete && img.naturalWidth === 1;
    });
    expect(await text(page, '.artifacts-panel .artifact-files')).toBe('notes.txt (8 B)');
  });
});