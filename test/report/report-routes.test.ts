import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, testServer, type TestServer } from '../helpers/server.ts';
import { decodePng, pixelsOfColor, plotAreas, seriesOf, svgSize, textsOf } from './figures.ts';
import { sendRun, trainingEvents } from './runs.ts';

let server: TestServer;
let overfit: string;
let healthy: string;

beforeAll(async () => {
  server = await testServer();
  overfit = await sendRun(server.url, 'overfits', trainingEvents({ overfit: true, nanAt: 330 }));
  healthy = await sendRun(server.url, 'healthy', trainingEvents({ overfit: false, seed: 0.9 }));
});
afterAll(() => server?.stop());

async function get(path: string): Promise<Response> {
  return fetch(`${server.url}${path}`);
}

/** Text as a reader sees it: tags dropped, character references read, spaces collapsed. */
function visibleText(html: string): string {
  return html
    .replace(/<(svg|style)[\s\S]*?<\/\1>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)))
    .replace(/\s+/g, ' ');
}

const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();

function figuresOf(html: string): Map<string, string> {
  return new Map([...html.matchAll(/<figure id="figure-([a-z_]+)">(<svg[\s\S]*?<\/svg>)/g)].map((m) => [m[1], m[2]]));
}

describe('GET /runs/:id/report', () => {
  it('is one self-contained page with the summary, the analysis, the findings with evidence and actions, and the figures', async () => {
    const res = await get(`/runs/${overfit}/report`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    // Nothing fetched: no script, no stylesheet link, no image from elsewhere.
    expect(html).not.toMatch(/<script|<link|src=|url\(/);
    const text = visibleText(html);
    expect(text).toContain('reports / overfits');

    const { body: findings } = await api(server.url, `/runs/${overfit}/findings`);
    const kinds = findings.findings.map((f: { kind: string }) => f.kind);
    expect(kinds).toEqual(expect.arrayContaining(['overfitting', 'nan_loss']));
    for (const f of findings.findings) {
      expect(text).toContain(collapse(f.message));
      for (const key of Object.keys(f.evidence)) expect(text).toContain(key);
      for (const action of f.actions) expect(text).toContain(collapse(action));
    }

    const { body: analysis } = await api(server.url, '/analyze', { method: 'POST', json: { run: overfit, kind: 'analysis' } });
    expect(analysis.provider).toBe('offline');
    for (const paragraph of analysis.text.split(/\n\s*\n/)) expect(text).toContain(collapse(paragraph));
    expect(text).toContain('offline narrator');

    const figures = figuresOf(html);
    expect([...figures.keys()]).toEqual(['dashboard', 'loss', 'metric', 'lr', 'epoch_time', 'grad_norm', 'grad_norm_layers', 'convergence']);
    expect(seriesOf(figures.get('loss')!).map((s) => s.label)).toEqual(['train_loss', 'val_loss']);
    expect(seriesOf(figures.get('grad_norm_layers')!).map((s) => s.label)).toEqual(['grad_norm/layer1', 'grad_norm/layer2', 'grad_norm/layer3']);
    // A span of about thirty times stays linear; the chart test covers the log axis.
    expect(textsOf(figures.get('grad_norm')!, 'axis-label y')).toEqual(['global gradient norm']);
    // The NaN gradient norm is marked where it happened.
    expect(figures.get('grad_norm')!.match(/class="nonfinite"/g)).toHaveLength(2);
    const convergence = figures.get('convergence')!;
    expect(textsOf(convergence, 'marker-label')).toEqual(expect.arrayContaining(['overfitting', 'nan_loss', 'best val_loss']));
    expect(plotAreas(figures.get('dashboard')!)).toHaveLength(4);

    // Left out, and said why.
    expect(text).toContain('Memory: the run logs no memory use');
    expect(text).toContain('Weight norm: the run logs no weight norm');
  });

  it('serves each figure as a PNG with every series drawn in its colour', async () => {
    const html = await (await get(`/runs/${overfit}/report`)).text();
    const figures = figuresOf(html);
    // Every PNG fetched before any is decoded: the decoding holds this process (the server's too)
    // long enough on a loaded machine for a kept-alive connection to be closed as it is reused.
    const served = new Map<string, { status: number; type: string | null; body: Buffer }>();
    for (const id of figures.keys()) {
      const res = await get(`/runs/${overfit}/report/${id}.png`);
      served.set(id, { status: res.status, type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) });
    }
    for (const [id, svg] of figures) {
      const res = served.get(id)!;
      expect(res.status, id).toBe(200);
      expect(res.type).toBe('image/png');
      const png = decodePng(res.body);
      expect({ width: png.width, height: png.height }, id).toEqual({ width: svgSize(svg).width * 2, height: svgSize(svg).height * 2 });
      const areas = plotAreas(svg);
      for (const s of seriesOf(svg)) {
        const pixels = areas.reduce((n, a) => n + pixelsOfColor(png, a, s.color, 2), 0);
        expect(pixels, `${id}: ${s.label}`).toBeGreaterThan(20);
      }
    }
  });

  it('lists its figures as JSON, with a figure of one metric when asked', async () => {
    const { status, body } = await api(server.url, `/runs/${overfit}/report?format=json&metric=val_acc`);
    expect(status).toBe(200);
    expect(body.figures.map((f: { id: string }) => f.id)).toContain('evolution');
    expect(body.left_out.map((l: { id: string }) => l.id)).toEqual(['weight_norm', 'memory']);
    const evolution = body.figures.find((f: { id: string }) => f.id === 'evolution');
    const png = await get(evolution.png);
    expect(png.status).toBe(200);

    const missing = await api(server.url, `/runs/${overfit}/report?format=json&metric=bleu`);
    expect(missing.body.left_out).toContainEqual({ id: 'evolution', title: 'Evolution of bleu', reason: 'the run has no metric named bleu (as logged or canonical)' });
  });

  it('compares runs: their losses and main metric overlaid, their summaries side by side', async () => {
    const html = await (await get(`/runs/${overfit}/report?with=${healthy}`)).text();
    const figures = figuresOf(html);
    expect(seriesOf(figures.get('compare_loss')!).map((s) => s.label)).toEqual(['overfits · train_loss', 'overfits · val_loss', 'healthy · train_loss', 'healthy · val_loss']);
    expect(seriesOf(figures.get('compare_metric')!).map((s) => s.label)).toEqual(['overfits · val_acc', 'healthy · val_acc']);
    const table = /<table class="comparison">([\s\S]*?)<\/table>/.exec(html)![1];
    expect(table.match(/<tr>/g)).toHaveLength(3);
    expect(table).toContain('reports/healthy');
    expect(visibleText(html)).toMatch(/overfits against healthy: /);
  });

  it('answers 404 for an unknown run or figure, 400 for a bad query', async () => {
    const unknown = await api(server.url, '/runs/no-such-run/report');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toEqual({ code: 'not_found', message: 'no run "no-such-run"' });
    const compared = await api(server.url, `/runs/${overfit}/report?with=no-such-run`);
    expect(compared.status).toBe(404);

    const png = await api(server.url, '/runs/no-such-run/report/loss.png');
    expect(png.status).toBe(404);
    const leftOut = await api(server.url, `/runs/${overfit}/report/memory.png`);
    expect(leftOut.status).toBe(404);
    expect(leftOut.body.error.message).toBe('figure memory is left out of this report: the run logs no memory use');
    const noSuch = await api(server.url, `/runs/${overfit}/report/pie.png`);
    expect(noSuch.body.error.message).toMatch(/^no figure pie: this report has dashboard, loss, /);

    const tooMany = await api(server.url, `/runs/${overfit}/report?with=${Array(10).fill(healthy).join(',')}`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.issues[0].path).toBe('with');
    const format = await api(server.url, `/runs/${overfit}/report?format=pdf`);
    expect(format.status).toBe(400);
    expect(format.body.error.issues[0].path).toBe('format');
  });
});

describe('the report of a long run', () => {
  const N = 40_000;

  async function rowsRead(): Promise<number> {
    const text = await (await get('/metrics')).text();
    return Number(/^analyst_series_rows_read_total (\S+)$/m.exec(text)![1]);
  }

  it('reads its series as the charts do: a width of rows, not every point, with the spike and the NaN kept', async () => {
    const { body } = await api(server.url, '/runs', { method: 'POST', json: { name: 'long', project: 'reports' } });
    for (let from = 0; from < N; from += 4000) {
      const events = Array.from({ length: 4000 }, (_, k) => {
        const i = from + k;
        return { type: 'metrics', step: i, values: { loss: i === 30_001 ? 'NaN' : i === 20_000 ? 75 : 3 / (1 + i / 100) } };
      });
      expect((await api(server.url, `/runs/${body.id}/events`, { method: 'POST', json: events })).status).toBe(200);
    }
    const before = await rowsRead();
    const html = await (await get(`/runs/${body.id}/report`)).text();
    const cost = (await rowsRead()) - before;
    expect(cost).toBeGreaterThan(0);
    expect(cost).toBeLessThan(N / 4);
    const loss = figuresOf(html).get('loss')!;
    expect(seriesOf(loss).map((s) => s.label)).toEqual(['loss']);
    // The spike of 75 sets the axis (log: it spans far more than a hundred times), the NaN is marked.
    expect(textsOf(loss, 'tick y').at(-1)).toBe('100');
    expect(loss.match(/class="nonfinite"/g)).toHaveLength(2);
  });
});
