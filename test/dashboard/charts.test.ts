// The run page's chart panels in headless Chromium against the real server: every metric, the controls, markers, colours, PNG.
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contrast, hasChromium, launch, type Browser } from '../helpers/browser.ts';
import { api, testServer, type TestServer } from '../helpers/server.ts';

/** The split colours of series-colors.js, as RGB: what a reader learns once and sees on every run. */
const TRAIN = [0x25, 0x63, 0xeb];
const VAL = [0xea, 0x58, 0x0c];
const LAYERS = ['grad_norm/layer1.weight', 'grad_norm/layer2.weight', 'grad_norm/layer3.weight'];
const NAN_STEP = 1200;

/**
 * A run logged like a Lightning or HF trainer: step-level `train/loss` beside epoch-level
 * `train_loss`, validation figures per epoch (loss, WER, mAP), per-layer gradient norms, lr,
 * a GPU figure, a metric crossing zero, one perplexity value, and a NaN loss at NAN_STEP.
 */
function events(t0: number, seed: number) {
  const out: Record<string, unknown>[] = [];
  const STEPS_PER_EPOCH = 500;
  for (let step = 0; step < 2000; step += 4) {
    const epoch = Math.floor(step / STEPS_PER_EPOCH);
    const noise = Math.sin(step * 0.7 + seed) * 0.15;
    const values: Record<string, unknown> = {
      'train/loss': step === NAN_STEP ? 'NaN' : 2 * Math.exp(-step / 600) + 0.2 + noise,
      lr: 1e-4 * (1 - step / 2500) + 2.5e-6,
      // One spike: what clipping outliers is for.
      grad_norm: step === 1600 ? 40 : 1 + noise,
      'system/gpu_mem': 7 + noise,
      bias_shift: (step - 1000) / 1000,
    };
    LAYERS.forEach((n, i) => (values[n] = (i + 1) * 0.5 + noise));
    out.push({ type: 'metrics', step, epoch, ts: t0 + step * 1000, values });
    if (step % STEPS_PER_EPOCH === STEPS_PER_EPOCH - 4) {
      out.push({ type: 'metrics', epoch, ts: t0 + step * 1000 + 500, values: { train_loss: 2 * Math.exp(-step / 600) + 0.2, val_loss: 2.2 * Math.exp(-step / 700) + 0.3, 'val/wer': 0.5 - epoch * 0.07, 'val/mAP': 0.3 + epoch * 0.1 } });
    }
  }
  out.push({ type: 'metrics', step: 2000, ts: t0 + 2_001_000, values: { perplexity: 12.5 } });
  return out;
}

/**
 * Pixels of a chart's canvas within `tol` of `rgb`; with `tint: [lo, hi]`, pixels of rgb laid
 * over the card at an opacity between lo and hi (a faint curve, however anti-aliased).
 */
async function pixels(page: Page, chart: string, rgb: number[], { tol = 40, tint }: { tol?: number; tint?: [number, number] } = {}): Promise<number> {
  return page.evaluate(
    ({ chart, rgb, tol, tint }) => {
      const canvas = document.querySelector(`[data-chart="${chart}"] canvas`) as HTMLCanvasElement | null;
      if (!canvas) return -1;
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      const card = getComputedStyle(document.querySelector(`[data-chart="${chart}"]`)!).backgroundColor.match(/\d+/g)!.map(Number);
      const span = rgb.map((c, i) => c - card[i]);
      const norm = span.reduce((a, d) => a + d * d, 0);
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] < 128) continue;
        const px = [data[i], data[i + 1], data[i + 2]];
        if (!tint) {
          if (Math.abs(px[0] - rgb[0]) + Math.abs(px[1] - rgb[1]) + Math.abs(px[2] - rgb[2]) <= tol) n++;
          continue;
        }
        // Where the pixel lies on the line from the card to the colour, and how far off it.
        const t = px.reduce((a, c, k) => a + (c - card[k]) * span[k], 0) / norm;
        const off = px.reduce((a, c, k) => a + Math.abs(c - (card[k] + t * span[k])), 0);
        if (t >= tint[0] && t <= tint[1] && off <= tol) n++;
      }
      return n;
    },
    { chart, rgb, tol, tint },
  );
}

/** Opaque pixels of a chart's canvas whose colour is not the card's: anything drawn at all, in a region. */
async function inked(page: Page, chart: string, region: 'left-edge' | 'y-axis', minLuminance = 0): Promise<number> {
  return page.evaluate(
    ({ chart, region, minLuminance }) => {
      const canvas = document.querySelector(`[data-chart="${chart}"] canvas`) as HTMLCanvasElement;
      const over = document.querySelector(`[data-chart="${chart}"] .u-over`) as HTMLElement;
      const ratio = canvas.width / canvas.clientWidth;
      const width = region === 'left-edge' ? 2 : Math.floor(over.offsetLeft * ratio) - 2;
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, width, canvas.height);
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 128 && (0.2126 * data[i] + 0.7152 * data[i + 1] + 0.0722 * data[i + 2]) / 255 >= minLuminance) n++;
      return n;
    },
    { chart, region, minLuminance },
  );
}

const drawn = (page: Page) => page.locator('.panel-grid[data-drawn="all"]').waitFor({ timeout: 30_000 });
const canvasHash = (page: Page, chart: string) => page.evaluate((c) => (document.querySelector(`[data-chart="${c}"] canvas`) as HTMLCanvasElement).toDataURL(), chart);
/** Waits until a chart's canvas differs from `before`: the redraw after a control changed has happened. */
const redrawn = (page: Page, chart: string, before: string) =>
  page.waitForFunction(({ c, b }) => {
    const canvas = document.querySelector(`[data-chart="${c}"] canvas`) as HTMLCanvasElement | null;
    return canvas !== null && canvas.toDataURL() !== b;
  }, { c: chart, b: before });

/** Drags across a chart's plot from one share of its width to another (a zoom); returns the plot's box. */
async function dragZoom(page: Page, chart: string, from: number, to: number) {
  const over = page.locator(`[data-chart="${chart}"] .u-over`);
  await over.scrollIntoViewIfNeeded();
  const box = (await over.boundingBox())!;
  await page.mouse.move(box.x + box.width * from, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * to, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  return box;
}

describe.skipIf(!hasChromium)('chart panels in Chromium', () => {
  let s: TestServer;
  let browser: Browser;
  let runA: string;
  let runB: string;

  beforeAll(async () => {
    s = await testServer();
    const t0 = Date.now() - 3 * 3600_000;
    for (const [name, seed] of [['whisper-a', 1], ['whisper-b', 2]] as const) {
      const run = await api(s.url, '/runs', { method: 'POST', json: { name, project: 'speech' } });
      const posted = await api(s.url, `/runs/${run.body.id}/events`, { method: 'POST', json: events(t0, seed) });
      expect(posted.status).toBe(200);
      if (seed === 1) runA = run.body.id;
      else runB = run.body.id;
    }
    browser = await launch({ colorScheme: 'light' });
  });

  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  it('draws a panel for every metric, grouped by prefix, per-layer gradient norms in one panel', async () => {
    const { page } = browser;
    await page.goto(`${s.url}/#/run/${runA}`);
    await drawn(page);
    const groups = await page.locator('.panel-group').evaluateAll((els) => els.map((e) => [e.getAttribute('data-group'), e.querySelectorAll('.chart').length]));
    // train_loss (train/loss + train_loss), val_loss, val/wer, val/mAP, lr, grad_norm, the layers, gpu, bias_shift, perplexity.
    expect(groups).toEqual([['train', 1], ['val', 3], ['lr', 1], ['grad', 2], ['system', 1], ['other', 2]]);
    expect(await page.getAttribute('.panel-grid', 'data-panels')).toBe('10');
    const layerLegend = await page.locator('[data-chart="grad_norm/layers"] .u-legend .u-series').allTextContents();
    for (const layer of LAYERS) expect(layerLegend.join(' ')).toContain(layer);
    // Every panel drew its series: canvas pixels of the split colour for train and validation.
    expect(await pixels(page, 'train_loss', TRAIN)).toBeGreaterThan(50);
    for (const chart of ['val_loss', 'val/wer', 'val/mAP']) expect(await pixels(page, chart, VAL)).toBeGreaterThan(50);
    // A metric logged once is a visible dot.
    const one = await page.locator('[data-chart="perplexity"] .u-legend .u-series').nth(1).locator('.u-marker').evaluate((el) => getComputedStyle(el).borderColor.match(/\d+/g)!.map(Number));
    expect(await pixels(page, 'perplexity', one, { tol: 30 })).toBeGreaterThan(10);
    await page.screenshot({ path: '/tmp/training-analyst-charts-light.png', fullPage: true });
  });

  it('draws both the step-level and the epoch-level series of a quantity', async () => {
    const { page } = browser;
    const legend = page.locator('[data-chart="train_loss"] .u-legend .u-series');
    expect(await legend.allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('train/loss'), expect.stringContaining('train_loss')]));
    // Each one alone still draws train-blue pixels: neither hides the other.
    for (const [off, on] of [['train/loss', 'train_loss'], ['train_loss', 'train/loss']]) {
      const toggle = legend.filter({ hasText: off }).first();
      const before = await canvasHash(page, 'train_loss');
      await toggle.click();
      await redrawn(page, 'train_loss', before);
      expect(await pixels(page, 'train_loss', TRAIN), `${on} alone`).toBeGreaterThan(20);
      const after = await canvasHash(page, 'train_loss');
      await toggle.click();
      await redrawn(page, 'train_loss', after);
    }
  });

  it('filters panels with the search box', async () => {
    const { page } = browser;
    await page.fill('input[name="panel-search"]', 'wer');
    await page.waitForFunction(() => document.querySelector('.panel-grid')?.getAttribute('data-panels') === '1');
    expect(await page.locator('.panel-sections .chart').getAttribute('data-chart')).toBe('val/wer');
    await page.fill('input[name="panel-search"]', 'layer2');
    await page.waitForFunction(() => document.querySelector('.panel-grid')?.getAttribute('data-panels') === '1');
    expect(await page.locator('.panel-sections .chart').getAttribute('data-chart')).toBe('grad_norm/layers');
    await page.fill('input[name="panel-search"]', '');
    await page.waitForFunction(() => document.querySelector('.panel-grid')?.getAttribute('data-panels') === '10');
  });

  it('pins and hides panels, remembered for every run of the project after a reload', async () => {
    const { page } = browser;
    await page.click('[data-chart="val/wer"] button.pin');
    await page.click('[data-chart="system/gpu_mem"] button.hide');
    const layout = async () => ({
      pinned: await page.locator('.panel-group[data-group="pinned"] .chart').evaluateAll((els) => els.map((e) => e.getAttribute('data-chart'))),
      panels: await page.getAttribute('.panel-grid', 'data-panels'),
      gpu: await page.locator('[data-chart="system/gpu_mem"]').count(),
    });
    expect(await layout()).toEqual({ pinned: ['val/wer'], panels: '9', gpu: 0 });
    await page.reload();
    await drawn(page);
    expect(await layout()).toEqual({ pinned: ['val/wer'], panels: '9', gpu: 0 });
    // The other run of the project opens with the same layout.
    await page.goto(`${s.url}/#/run/${runB}`);
    await drawn(page);
    expect(await layout()).toEqual({ pinned: ['val/wer'], panels: '9', gpu: 0 });
    // Hidden panels come back through the toolbar; unpin and show restore the layout.
    await page.check('input[name="show-hidden"]');
    await page.click('[data-chart="system/gpu_mem"] button.hide');
    await page.click('[data-chart="val/wer"] button.pin');
    await page.uncheck('input[name="show-hidden"]');
    expect(await layout()).toEqual({ pinned: [], panels: '10', gpu: 1 });
  });

  it('gives train and validation the same colours on every run', async () => {
    const { page } = browser;
    const colours = async () =>
      page.evaluate(() =>
        Object.fromEntries(
          [...document.querySelectorAll('[data-chart="train_loss"] .u-series, [data-chart="val_loss"] .u-series')]
            .filter((el) => el.querySelector('.u-marker'))
            .map((el) => [el.querySelector('.u-label')!.textContent, getComputedStyle(el.querySelector('.u-marker')!).borderColor]),
        ),
      );
    const b = await colours();
    await page.goto(`${s.url}/#/run/${runA}`);
    await drawn(page);
    const a = await colours();
    expect(a).toEqual(b);
    expect(a['train/loss']).toBe('rgb(37, 99, 235)');
    expect(a.val_loss).toBe('rgb(234, 88, 12)');
  });

  it('smooths with the raw curve faint behind, and back', async () => {
    const { page } = browser;
    // Anti-aliased edges of a solid line are tinted too: a faint curve behind at least doubles those pixels.
    const faint = () => pixels(page, 'train_loss', TRAIN, { tint: [0.15, 0.4], tol: 30 });
    const strong = () => pixels(page, 'train_loss', TRAIN);
    const [faintBefore, strongBefore] = [await faint(), await strong()];
    const before = await canvasHash(page, 'train_loss');
    await page.locator('input[name="smoothing"]').fill('0.9');
    await redrawn(page, 'train_loss', before);
    expect(await page.locator('[data-chart="train_loss"] .u-legend .u-series', { hasText: '(raw)' }).count()).toBe(2);
    expect(await faint()).toBeGreaterThan(2 * faintBefore);
    // The noisy zigzag in full colour is now a smooth curve: far fewer strong pixels, but some.
    const strongSmoothed = await strong();
    expect(strongSmoothed).toBeLessThan(0.75 * strongBefore);
    expect(strongSmoothed).toBeGreaterThan(200);
    const smoothed = await canvasHash(page, 'train_loss');
    await page.locator('input[name="smoothing"]').fill('0');
    await redrawn(page, 'train_loss', smoothed);
    expect(await page.locator('[data-chart="train_loss"] .u-legend .u-series', { hasText: '(raw)' }).count()).toBe(0);
    expect(Math.abs((await strong()) - strongBefore)).toBeLessThan(0.1 * strongBefore);
  });

  it('smooths as TensorBoard does: debiased from the first point, NaN kept out of the average', async () => {
    const { page } = browser;
    // A string, so that the test runner does not rewrite the page's own dynamic import.
    const out: { flat: (number | null)[]; step: number[]; none: number[] } = await page.evaluate(`import('/ui/smoothing.js').then(({ smooth }) => ({ flat: smooth([3, 3, NaN, 3, null, 3], 0.9), step: smooth([0, 10], 0.5), none: smooth([1, 5], 0) }))`);
    // A constant stays itself from its first point (no pull toward 0); NaN and gaps pass through.
    expect(out.flat.map((v) => (v === null ? null : Number.isNaN(v) ? 'NaN' : Number(v.toFixed(12))))).toEqual([3, 3, 'NaN', 3, null, 3]);
    // 0, then (0 * 0.5 + 10 * 0.5) / (1 - 0.5^2).
    expect(out.step[0]).toBe(0);
    expect(out.step[1]).toBeCloseTo(20 / 3, 12);
    expect(out.none).toEqual([1, 5]);
  });

  it('switches the x axis between step, epoch, relative time and wall time', async () => {
    const { page } = browser;
    for (const mode of ['epoch', 'relative', 'wall', 'step']) {
      await page.selectOption('select[name="x-axis"]', mode);
      await page.waitForFunction((m) => [...document.querySelectorAll('.panel-sections .chart')].every((c) => c.getAttribute('data-mode') === m), mode);
      expect(await pixels(page, 'train_loss', TRAIN), mode).toBeGreaterThan(50);
      expect(await pixels(page, 'val_loss', VAL), mode).toBeGreaterThan(20);
    }
  });

  it('draws log y with values at and under zero, and clips a spike on request', async () => {
    const { page } = browser;
    const colour = await page.locator('[data-chart="bias_shift"] .u-series').nth(1).locator('.u-marker').evaluate((el) => getComputedStyle(el).borderColor.match(/\d+/g)!.map(Number));
    const before = await canvasHash(page, 'bias_shift');
    await page.click('[data-chart="bias_shift"] .log-toggle');
    await redrawn(page, 'bias_shift', before);
    expect(await pixels(page, 'bias_shift', colour)).toBeGreaterThan(50);
    const logged = await canvasHash(page, 'bias_shift');
    await page.click('[data-chart="bias_shift"] .log-toggle');
    await redrawn(page, 'bias_shift', logged);
    // A spike far off the rest: clipped, the y axis keeps to the bulk of the values and the curve fills the height.
    const gradColour = await page.locator('[data-chart="grad_norm"] .u-series').nth(1).locator('.u-marker').evaluate((el) => getComputedStyle(el).borderColor.match(/\d+/g)!.map(Number));
    const height = () =>
      page.evaluate((rgb) => {
        const canvas = document.querySelector('[data-chart="grad_norm"] canvas') as HTMLCanvasElement;
        const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        const rows = new Set<number>();
        // Rows the curve takes up between 20% and 60% of the width, away from the spike (at 80% of the run).
        for (let i = 0; i < data.length; i += 4) {
          const x = (i / 4) % canvas.width;
          if (x > canvas.width * 0.6 || x < canvas.width * 0.2 || data[i + 3] < 128) continue;
          if (Math.abs(data[i] - rgb[0]) + Math.abs(data[i + 1] - rgb[1]) + Math.abs(data[i + 2] - rgb[2]) <= 60) rows.add(Math.floor(i / 4 / canvas.width));
        }
        return rows.size;
      }, gradColour);
    const unclipped = await height();
    const full = await canvasHash(page, 'grad_norm');
    await page.click('[data-chart="grad_norm"] .clip-toggle');
    await redrawn(page, 'grad_norm', full);
    expect(await height()).toBeGreaterThan(unclipped * 2);
    await page.click('[data-chart="grad_norm"] .clip-toggle');
    expect(browser.errors).toEqual([]);
  });

  it('zooms into a range, pans, reads the detail of each range, and resets', async () => {
    const { page } = browser;
    const box = await dragZoom(page, 'train_loss', 0.3, 0.4);
    await page.locator('[data-chart="train_loss"] .zoom-reset:visible').waitFor();
    await page.waitForFunction(() => Number(document.querySelector('[data-chart="train_loss"]')?.getAttribute('data-detail-points')) > 0);
    expect(await page.getAttribute('[data-chart="train_loss"]', 'class')).toContain('zoomed');
    // Shift + drag pans: the new range is read in detail in its turn.
    const ticket = Number(await page.getAttribute('[data-chart="train_loss"]', 'data-detail'));
    const view = await canvasHash(page, 'train_loss');
    await page.keyboard.down('Shift');
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.keyboard.up('Shift');
    await redrawn(page, 'train_loss', view);
    await page.waitForFunction((t) => Number(document.querySelector('[data-chart="train_loss"]')?.getAttribute('data-detail')) > t, ticket);
    await page.click('[data-chart="train_loss"] .zoom-reset');
    await page.locator('[data-chart="train_loss"] .zoom-reset').waitFor({ state: 'hidden' });
    // The button hides at once; the overview is drawn again on the next frame, without the detail
    // (a detail answer still on its way is dropped, the chart being no longer zoomed).
    await page.waitForFunction(() => document.querySelector('[data-chart="train_loss"]')?.getAttribute('data-detail-points') === '0');
  });

  it('reads the detail of a range zoomed on the epoch and time axes too', async () => {
    const { page } = browser;
    for (const mode of ['epoch', 'relative']) {
      await page.selectOption('select[name="x-axis"]', mode);
      await page.waitForFunction((m) => document.querySelector('[data-chart="train_loss"]')?.getAttribute('data-mode') === m, mode);
      await dragZoom(page, 'train_loss', 0.3, 0.4);
      await page.waitForFunction(() => Number(document.querySelector('[data-chart="train_loss"]')?.getAttribute('data-detail-points')) > 0);
      await page.click('[data-chart="train_loss"] .zoom-reset');
      await page.locator('[data-chart="train_loss"] .zoom-reset').waitFor({ state: 'hidden' });
    }
    await page.selectOption('select[name="x-axis"]', 'step');
    await page.waitForFunction(() => document.querySelector('[data-chart="train_loss"]')?.getAttribute('data-mode') === 'step');
  });

  it('marks the NaN, and the finding where it began; a click opens the finding', async () => {
    const { page } = browser;
    const findings = (await api(s.url, `/runs/${runA}/findings`)).body.findings;
    const nan = findings.find((f: { kind: string }) => f.kind === 'nan_loss');
    expect(nan.step).toBe(NAN_STEP);
    const nonfinite = page.locator('[data-chart="train_loss"] .nonfinite-marker');
    await nonfinite.first().waitFor();
    expect(await nonfinite.first().getAttribute('title')).toContain(`NaN at step ${NAN_STEP}`);
    const marker = page.locator(`[data-chart="train_loss"] .finding-marker[data-finding="${nan.id}"]`);
    await marker.waitFor();
    expect(await marker.getAttribute('class')).toContain('sev-critical');
    // The finding's marker stands at the NaN's step.
    const x = async (l: typeof marker) => {
      const b = (await l.boundingBox())!;
      return b.x + b.width / 2;
    };
    expect(Math.abs((await x(marker)) - (await x(nonfinite.first())))).toBeLessThan(2);
    await marker.click();
    const card = page.locator(`.finding[data-id="${nan.id}"]`);
    expect(await card.getAttribute('class')).toContain('focused');
    await expect.poll(() => card.evaluate((el) => el === document.activeElement)).toBe(true);
  });

  it('keeps y labels inside the chart and downloads a chart as PNG', async () => {
    const { page } = browser;
    // Labels such as 2.5e-5 are measured: nothing is drawn in the canvas's first columns, so nothing is cut there.
    expect(await inked(page, 'lr', 'left-edge')).toBe(0);
    expect(await inked(page, 'lr', 'y-axis')).toBeGreaterThan(20);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-chart="val_loss"] button.png')]);
    expect(download.suggestedFilename()).toBe('val_loss.png');
    const bytes = readFileSync((await download.path())!);
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(bytes.length).toBeGreaterThan(2000);
  });

  it('appends live points to their panel, and a new metric as a new panel', async () => {
    const { page } = browser;
    const before = Number(await page.getAttribute('[data-chart="lr"]', 'data-points'));
    const t = Date.now();
    const live = Array.from({ length: 20 }, (_, k) => ({ type: 'metrics', step: 2004 + k * 4, epoch: 4, ts: t + k, values: { lr: 1e-6, 'val/cer': 0.2 } }));
    await api(s.url, `/runs/${runA}/events`, { method: 'POST', json: live });
    await page.waitForFunction((n) => Number(document.querySelector('[data-chart="lr"]')?.getAttribute('data-points')) === n + 20, before, { timeout: 30_000 });
    await page.locator('[data-chart="val/cer"]').waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => Number(document.querySelector('[data-chart="val/cer"]')?.getAttribute('data-points')) === 20, undefined, { timeout: 30_000 });
    expect(browser.errors).toEqual([]);
  });

  it('reads tick labels in dark mode', async () => {
    const dark = await launch({ colorScheme: 'dark' });
    try {
      await dark.page.goto(`${s.url}/#/run/${runA}`);
      await drawn(dark.page);
      // Light ink beside the plot on a dark card: the tick labels.
      expect(await inked(dark.page, 'lr', 'y-axis', 0.5)).toBeGreaterThan(20);
      expect(await pixels(dark.page, 'train_loss', TRAIN)).toBeGreaterThan(50);
      // The chart's buttons are readable on its dark card (WCAG AA: 4.5).
      for (const button of ['pin', 'hide', 'png']) expect([button, await contrast(dark.page, `[data-chart="train_loss"] .chart-btn.${button}`)]).toEqual([button, expect.toSatisfy((r: number) => r >= 4.5)]);
      await dark.page.screenshot({ path: '/tmp/training-analyst-charts-dark.png', fullPage: true });
      expect(dark.errors).toEqual([]);
    } finally {
      await dark.close();
    }
  });
});
