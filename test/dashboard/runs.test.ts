// Many runs in Chromium: the runs table (columns, sort, filter, colours, findings badge), the compare page for three
// runs, and the rest of a run page (log filter and search, exports, controls), with no failed request or console error.
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contrast, hasChromium, launch, type Browser } from '../helpers/browser.ts';
import { api, testServer, type TestServer } from '../helpers/server.ts';

// The page's own module, as the browser runs it (plain JavaScript, so typed here by hand).
const { runColor } = (await import('../../src/http/dashboard/run-colors.js' as string)) as { runColor: (id: string) => string };

const PROJECT = 'sweep';
const SHOTS = '/tmp/training-analyst-runs';

const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
const distance = (a: number[], b: number[]) => Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1]) + Math.abs(a[2] - b[2]);

/**
 * Client-chosen ids whose colours are far apart, so a canvas pixel says which run drew it. The
 * colours come from run-colors.js itself; only which ids the runs get is chosen here.
 */
function distinctIds(prefix: string, n: number): string[] {
  const ids: string[] = [];
  for (let k = 0; ids.length < n; k++) {
    const id = `${prefix}-${k}`;
    if (ids.every((other) => distance(rgb(runColor(id)), rgb(runColor(other))) > 220)) ids.push(id);
  }
  return ids;
}

/** Ten epochs whose losses fall to `floor` by epoch `bestAt`, then stay flat. */
function epochs(floor: number, bestAt: number) {
  const events: Record<string, unknown>[] = [];
  for (let epoch = 1; epoch <= 10; epoch++) {
    const val = floor + (0.8 * Math.max(0, bestAt - epoch)) / bestAt;
    events.push({ type: 'metrics', epoch, step: epoch * 100, values: { train_loss: val - 0.05, val_loss: val } });
  }
  return events;
}

describe.skipIf(!hasChromium)('runs, compare and the run page in Chromium', () => {
  let s: TestServer;
  let browser: Browser;
  const [ida, idb, idc] = distinctIds('sweep', 3);
  let nanId = '';
  const problems: string[] = [];

  const create = async (id: string | undefined, name: string, config: Record<string, unknown>, events: Record<string, unknown>[]) => {
    const run = await api(s.url, '/runs', { method: 'POST', json: { id, name, project: PROJECT, config, total_epochs: 10 } });
    expect(run.status).toBe(201);
    expect((await api(s.url, `/runs/${run.body.id}/events`, { method: 'POST', json: events })).status).toBe(200);
    return run.body.id as string;
  };

  const watch = (page: Page) => {
    page.on('pageerror', (e) => problems.push(`page error: ${e}`));
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
  };

  /** Headers, links, cells, the filled buttons and the findings badge of the runs table are readable (WCAG AA: 4.5). */
  const readable = async (page: Page) => {
    for (const selector of ['th[data-sort="name"] .sort', `tr[data-run="${ida}"] a`, `tr[data-run="${ida}"] td[data-col="config.lr"]`, 'form.filters button[type="submit"]', `tr[data-run="${nanId}"] td[data-col="open"] .badge`]) {
      expect([selector, await contrast(page, selector)]).toEqual([selector, expect.toSatisfy((r: number) => r >= 4.5)]);
    }
  };

  const rowOrder = (page: Page) => page.locator('#runs-table tbody tr[data-run]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run')));

  beforeAll(async () => {
    s = await testServer();
    const finished = [{ type: 'run_finished', status: 'completed' }];
    await create(ida, 'sgd-fast', { lr: 0.1, batch_size: 64, seed: 7, optimizer: { name: 'sgd' } }, [
      ...epochs(0.45, 8),
      { type: 'log', level: 'info', message: 'Epoch [10/10] done' },
      { type: 'log', level: 'warning', message: 'GPU memory at 93%' },
      { type: 'log', level: 'error', message: 'CUDA out of memory, retrying with a smaller batch' },
      ...finished,
    ]);
    await create(idb, 'adam-mid', { lr: 0.01, batch_size: 64, seed: 7, optimizer: { name: 'adam' } }, [...epochs(0.3, 6), ...finished]);
    // Still running: it is offered Pause and Stop.
    await create(idc, 'adam-slow', { lr: 0.001, batch_size: 128, seed: 7, optimizer: { name: 'adam' } }, epochs(0.35, 4));
    // A NaN loss is a critical finding.
    nanId = await create(undefined, 'nan-run', { lr: 0.5, batch_size: 64, seed: 7, optimizer: { name: 'sgd' } }, [
      { type: 'metrics', epoch: 1, step: 100, values: { train_loss: 2.1, val_loss: 2.2 } },
      { type: 'metrics', epoch: 2, step: 200, values: { train_loss: 'NaN', val_loss: 'NaN' } },
    ]);
    browser = await launch();
    watch(browser.page);
  });

  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  it('picks config and summary columns, keeps them over a reload, and sorts by a config column', async () => {
    const { page } = browser;
    await page.goto(`${s.url}/#/?project=${PROJECT}`);
    await page.locator(`tr[data-run="${ida}"]`).waitFor();
    await page.click('.columns-chooser summary');
    await page.check('input[name="column"][value="config.lr"]');
    await page.check('input[name="column"][value="summary.val_loss"]');
    await page.locator('th[data-sort="config.lr"]').waitFor();
    expect(await page.locator(`tr[data-run="${idb}"] td[data-col="config.lr"]`).textContent()).toBe('0.01');
    expect(await page.locator(`tr[data-run="${idb}"] td[data-col="summary.val_loss"]`).textContent()).toBe('0.3');
    expect(await page.locator(`tr[data-run="${nanId}"] td[data-col="summary.val_loss"]`).textContent()).toBe('NaN');
    await page.reload();
    await page.locator(`tr[data-run="${ida}"] td[data-col="config.lr"]`).waitFor();
    expect(await page.locator('#runs-table th.extra').allTextContents()).toEqual(['lr', 'val_loss']);
    // Another project keeps its own choice (none yet).
    await page.goto(`${s.url}/#/?project=elsewhere`);
    await page.locator('#runs-table tbody tr').first().waitFor();
    expect(await page.locator('#runs-table th.extra').count()).toBe(0);

    await page.goto(`${s.url}/#/?project=${PROJECT}`);
    await page.click('th[data-sort="config.lr"] button');
    await page.waitForFunction(() => location.hash.includes('sort=config.lr'));
    await page.waitForFunction((first) => document.querySelector('#runs-table tbody tr[data-run]')?.getAttribute('data-run') === first, idc);
    expect(await rowOrder(page)).toEqual([idc, idb, ida, nanId]);
    expect(await page.getAttribute('th[data-sort="config.lr"]', 'aria-sort')).toBe('ascending');
    await page.click('th[data-sort="config.lr"] button');
    await page.waitForFunction((first) => document.querySelector('#runs-table tbody tr[data-run]')?.getAttribute('data-run') === first, nanId);
    expect(await rowOrder(page)).toEqual([nanId, ida, idb, idc]);
    // By the latest validation loss, lowest first; the NaN one last.
    await page.click('th[data-sort="summary.val_loss"] button');
    await page.waitForFunction((first) => document.querySelector('#runs-table tbody tr[data-run]')?.getAttribute('data-run') === first, idb);
    expect(await rowOrder(page)).toEqual([idb, idc, ida, nanId]);
  });

  it('filters by text over names, tags and config, and by status', async () => {
    const { page } = browser;
    await api(s.url, `/runs/${ida}`, { method: 'PATCH', json: { add_tags: { baseline: '' } } });
    await page.goto(`${s.url}/#/?project=${PROJECT}`);
    await page.locator(`tr[data-run="${ida}"]`).waitFor();
    await page.fill('input[name="q"]', 'adam');
    await page.click('form.filters button[type="submit"]');
    await page.waitForFunction(() => document.querySelectorAll('#runs-table tbody tr[data-run]').length === 2);
    expect((await rowOrder(page)).sort()).toEqual([idb, idc].sort());
    await page.fill('input[name="q"]', 'baseline');
    await page.click('form.filters button[type="submit"]');
    await page.waitForFunction(() => document.querySelectorAll('#runs-table tbody tr[data-run]').length === 1);
    expect(await rowOrder(page)).toEqual([ida]);
    await page.fill('input[name="q"]', '');
    await page.selectOption('select[name="status"]', 'running');
    await page.waitForFunction(() => location.hash.includes('status=running'));
    await page.waitForFunction((id) => document.querySelectorAll('#runs-table tbody tr[data-run]').length === 2 && document.querySelector(`tr[data-run="${id}"]`) !== null, idc);
    expect((await rowOrder(page)).sort()).toEqual([idc, nanId].sort());
  });

  it('colours the findings count by its worst open severity', async () => {
    const { page } = browser;
    await page.goto(`${s.url}/#/?project=${PROJECT}`);
    const badge = page.locator(`tr[data-run="${nanId}"] td[data-col="open"] .badge`);
    await badge.waitFor();
    const open = (await api(s.url, `/runs/${nanId}/findings?status=open`)).body.findings as Array<{ severity: string }>;
    expect(open.length).toBeGreaterThan(0);
    expect(open.every((f) => f.severity === 'critical')).toBe(true);
    expect(await badge.getAttribute('data-severity')).toBe('critical');
    expect(await badge.textContent()).toBe(String(open.length));
    // The critical badge's red, not the warning's amber.
    expect(await badge.evaluate((el) => getComputedStyle(el).color)).toBe('rgb(153, 27, 27)');
    // The run page's badge says the same.
    await page.goto(`${s.url}/#/run/${nanId}`);
    await page.locator('[data-stat="open_findings"] .badge[data-severity="critical"]').waitFor();
  });

  it('compares three runs: names, only differing config keys, one chart per shared metric with a line per run in its colour', async () => {
    const { page } = browser;
    await page.goto(`${s.url}/#/?project=${PROJECT}`);
    for (const id of [ida, idb, idc]) {
      await page.locator(`tr[data-run="${id}"]`).waitFor();
      expect(await page.getAttribute(`tr[data-run="${id}"] .run-swatch`, 'data-color')).toBe(runColor(id));
      await page.check(`tr[data-run="${id}"] input[type=checkbox]`);
    }
    await page.click('button:has-text("Compare 3 selected")');
    await page.locator('table.differences').waitFor();
    expect(await page.locator('table.differences thead th').allTextContents()).toEqual(['', 'sgd-fast', 'adam-mid', 'adam-slow']);
    const keys = await page.locator('table.differences tr.config-diff').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')));
    expect(keys).toEqual(['config.batch_size', 'config.lr', 'config.optimizer.name']);
    expect(await page.locator('tr[data-key="config.lr"] td').allTextContents()).toEqual(['0.1', '0.01', '0.001']);
    const words = await page.locator('.compare-words').textContent();
    expect(words).toContain('adam-mid performs best');
    for (const id of [ida, idb, idc]) expect(words).not.toContain(id);
    expect(await page.locator('table.ranking tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run')))).toEqual([idb, idc, ida]);
    // The same run has the same colour here as in the runs table.
    for (const id of [ida, idb, idc]) expect(await page.getAttribute(`table.differences thead th[data-run="${id}"] .run-swatch`, 'data-color')).toBe(runColor(id));

    for (const metric of ['train_loss', 'val_loss']) await page.waitForFunction((m) => document.querySelector(`[data-chart="${m}"]`)?.getAttribute('data-points') === '30', metric);
    expect(await page.locator('[data-chart]').evaluateAll((boxes) => boxes.map((b) => b.getAttribute('data-chart')))).toEqual(['train_loss', 'val_loss']);
    const colors = [ida, idb, idc].map((id) => rgb(runColor(id)));
    for (const metric of ['train_loss', 'val_loss']) {
      const counts = await page.locator(`[data-chart="${metric}"] canvas`).first().evaluate((canvas: HTMLCanvasElement, wanted: number[][]) => {
        const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        const n = wanted.map(() => 0);
        for (let i = 0; i < data.length; i += 4) {
          wanted.forEach((c, k) => {
            if (data[i + 3] > 200 && Math.abs(data[i] - c[0]) + Math.abs(data[i + 1] - c[1]) + Math.abs(data[i + 2] - c[2]) < 40) n[k]++;
          });
        }
        return n;
      }, colors);
      for (const n of counts) expect(n).toBeGreaterThan(20);
    }
    await page.screenshot({ path: `${SHOTS}-compare-light.png`, fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.reload();
    await page.waitForFunction(() => document.querySelector('[data-chart="val_loss"]')?.getAttribute('data-points') === '30');
    await page.screenshot({ path: `${SHOTS}-compare-dark.png`, fullPage: true });
    await page.goto(`${s.url}/#/?project=${PROJECT}`);
    await page.locator(`tr[data-run="${ida}"] td[data-col="config.lr"]`).waitFor();
    await page.screenshot({ path: `${SHOTS}-table-dark.png`, fullPage: true });
    await readable(page);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.reload();
    await page.locator(`tr[data-run="${ida}"] td[data-col="config.lr"]`).waitFor();
    await page.screenshot({ path: `${SHOTS}-table-light.png`, fullPage: true });
    await readable(page);
  });

  it('names the run it cannot compare', async () => {
    // A page of its own: its 404 is the point here, not a fault of the pages watched for errors.
    const page = await browser.context.newPage();
    await page.goto(`${s.url}/#/compare/${ida}/no-such-run`);
    const error = page.locator('.compare-text .error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/^Could not compare these runs: .*no-such-run/);
    await page.close();
  });

  it('filters the log by level and searches it', async () => {
    const { page } = browser;
    await page.goto(`${s.url}/#/run/${ida}`);
    // What the reader sees: lines laid out on the page, whatever hides the others.
    const visible = () => page.locator('ol.log li').evaluateAll((lis) => lis.filter((li) => li.checkVisibility()).map((li) => li.querySelector('.text')?.textContent));
    await page.locator('ol.log li', { hasText: 'CUDA out of memory' }).waitFor();
    await page.selectOption('select[name="log-level"]', 'warning');
    expect(await visible()).toEqual(['GPU memory at 93%', 'CUDA out of memory, retrying with a smaller batch']);
    await page.selectOption('select[name="log-level"]', 'error');
    expect(await visible()).toEqual(['CUDA out of memory, retrying with a smaller batch']);
    await page.selectOption('select[name="log-level"]', '');
    await page.fill('input[name="log-search"]', 'epoch [10');
    expect(await visible()).toEqual(['Epoch [10/10] done']);
    expect(await page.locator('.log-panel h2 .note').textContent()).toMatch(/^1 of \d+ lines$/);
    await page.screenshot({ path: `${SHOTS}-run.png`, fullPage: true });
  });

  it('downloads the run as CSV and JSON', async () => {
    const { page } = browser;
    await page.goto(`${s.url}/#/run/${ida}`);
    await page.locator('button[data-export="csv"]').waitFor();
    for (const format of ['csv', 'json']) {
      const [response, download] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith(`/runs/${ida}/export?format=${format}`)),
        page.waitForEvent('download'),
        page.click(`button[data-export="${format}"]`),
      ]);
      expect(response.status()).toBe(200);
      expect(download.suggestedFilename()).toBe(`${ida}.${format}`);
      const body = readFileSync((await download.path())!, 'utf8');
      if (format === 'csv') expect(body.split('\n')[0]).toContain('val_loss');
      else expect(JSON.parse(body).run.id).toBe(ida);
    }
  });

  it('offers controls only where they apply', async () => {
    const { page } = browser;
    await page.goto(`${s.url}/#/run/${ida}`);
    await page.locator('[data-controls="none"]').waitFor();
    expect(await page.locator('.control-panel button[data-action]').count()).toBe(0);
    expect(await page.locator('[data-controls="none"]').textContent()).toContain('completed');
    await page.goto(`${s.url}/#/run/${idc}`);
    await page.locator('.control-panel button[data-action="pause"]').waitFor();
    expect(await page.locator('.control-panel button[data-action]').evaluateAll((bs) => bs.map((b) => b.getAttribute('data-action')))).toEqual(['pause', 'checkpoint', 'stop']);
  });

  it('keeps the keyboard focus, visibly, across the list\'s refresh', async () => {
    const { page } = browser;
    await page.goto(`${s.url}/#/?project=${PROJECT}`);
    await page.locator(`tr[data-run="${ida}"]`).waitFor();
    await page.focus(`tr[data-run="${idb}"] a`);
    await page.keyboard.press('Tab');
    const focused = () => page.evaluate(() => ({ run: document.activeElement?.closest('tr')?.getAttribute('data-run'), tag: document.activeElement?.tagName, outline: getComputedStyle(document.activeElement!).outlineStyle }));
    const before = await focused();
    expect(before.outline).toBe('solid');
    await page.evaluate(() => ((window as unknown as { rows: Element | null }).rows = document.querySelector('#runs-table tbody')));
    // The list refreshes itself every few seconds: wait for new rows, then the focus is where it was.
    await page.waitForFunction(() => document.querySelector('#runs-table tbody') !== (window as unknown as { rows: Element | null }).rows, undefined, { timeout: 20_000 });
    expect(await focused()).toEqual(before);
  });

  it('scrolls the runs table inside its box on a narrow screen', async () => {
    const { page } = browser;
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(`${s.url}/#/?project=${PROJECT}`);
    await page.locator(`tr[data-run="${ida}"]`).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await page.locator('.table-scroll').evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
    await page.screenshot({ path: `${SHOTS}-table-narrow.png`, fullPage: true });
    await page.goto(`${s.url}/#/compare/${ida}/${idb}/${idc}`);
    await page.waitForFunction(() => document.querySelector('[data-chart="val_loss"]')?.getAttribute('data-points') === '30');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: `${SHOTS}-compare-narrow.png`, fullPage: true });
    await page.setViewportSize({ width: 1440, height: 1000 });
  });

  it('serves the icon, and no page failed a request or logged an error', async () => {
    const icon = await fetch(`${s.url}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(await icon.text()).toContain('<svg');
    expect(await browser.page.getAttribute('link[rel="icon"]', 'href')).toBe('/ui/favicon.svg');
    expect(problems).toEqual([]);
  });
});
