// Opening a big run's page in Chromium: from navigation until every chart on it has drawn (the page's `charts-drawn`).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from '../src/http/server.ts';
import { loadConfig } from '../src/service/config.ts';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { fillRun } from './series.ts';

const CHROMIUM = process.env.ANALYST_TEST_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ROUNDS = 5;
/** A million points per metric: a training loss, a validation loss, the learning rate and the gradient norm. */
const NAMES = ['loss', 'val_loss', 'lr', 'grad_norm'];
const POINTS = 1_000_000;

/** Milliseconds from navigation start to the page's `charts-drawn`, median of ROUNDS fresh page loads; null without Chromium. */
export async function benchDashboardOpen(): Promise<{ median_ms: number; max_ms: number; charts: number; points: number } | null> {
  if (!existsSync(CHROMIUM)) return null;
  const dir = mkdtempSync(join(tmpdir(), 'bench-dashboard-'));
  const path = join(dir, 'a.db');
  try {
    const store = new SqliteStore(path);
    const run = await fillRun(store, NAMES, POINTS);
    await store.close();
    const server = await startServer(loadConfig({ ANALYST_LOG_LEVEL: 'silent' }, { ANALYST_DB: path, ANALYST_PORT: 0, ANALYST_HOST: '127.0.0.1' }), { ...process.env, ANALYST_LLM: 'offline' });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      const times: number[] = [];
      let charts = 0;
      for (let k = 0; k < ROUNDS + 1; k++) {
        const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
        // Set before the page's own scripts run: the moment every chart has drawn, on the page's clock.
        await page.addInitScript(() => addEventListener('charts-drawn', () => ((window as unknown as { drawnAt: number }).drawnAt = performance.now())));
        await page.goto(`${server.url}/#/run/${run}`);
        await page.locator('.panel-grid[data-drawn="all"]').waitFor({ timeout: 120_000 });
        const ms = await page.evaluate(() => (window as unknown as { drawnAt: number }).drawnAt);
        charts = Number(await page.getAttribute('.panel-grid', 'data-panels'));
        // The first load warms the server's statements and the browser's module cache.
        if (k > 0) times.push(ms);
        await page.close();
      }
      times.sort((a, b) => a - b);
      return { median_ms: times[times.length >> 1], max_ms: times[times.length - 1], charts, points: POINTS };
    } finally {
      await browser.close();
      await server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// `node --import tsx bench/dashboard.ts` prints this figure alone.
if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchDashboardOpen());
