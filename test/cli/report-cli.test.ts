import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyst as analystCli } from '../helpers/cli.ts';

const analyst = (args: string[]) => analystCli(args, { ANALYST_LLM: 'offline' });
import { GENERATED } from '../helpers/datasets.ts';
import { testServer, type TestServer } from '../helpers/server.ts';
import { decodePng, pixelsOfColor, plotAreas, seriesOf } from '../report/figures.ts';
import { sendRun, trainingEvents } from '../report/runs.ts';

let server: TestServer;
let dir: string;
beforeAll(async () => {
  server = await testServer();
  dir = mkdtempSync(join(tmpdir(), 'analyst-report-'));
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function figureSvg(html: string, id: string): string {
  return new RegExp(`<figure id="figure-${id}">(<svg[\\s\\S]*?</svg>)`).exec(html)![1];
}

describe('analyst report', () => {
  it('reports training files with no server: report.html and a PNG per figure, the first file compared with the second', async () => {
    const out = join(dir, 'files');
    const overfit = join(GENERATED, 'digits-s1-overfit.jsonl');
    const healthy = join(GENERATED, 'digits-s1-healthy-adam.jsonl');
    const r = await analyst(['report', overfit, healthy, '-o', out, '--metric', 'val_acc', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const written = JSON.parse(r.stdout);
    const ids = ['dashboard', 'loss', 'metric', 'lr', 'epoch_time', 'grad_norm', 'grad_norm_layers', 'weight_norm', 'convergence', 'evolution', 'compare_loss', 'compare_metric'];
    expect(written.files).toEqual([join(out, 'report.html'), ...ids.map((id) => join(out, `${id}.png`))]);
    expect(written.left_out).toEqual([{ id: 'memory', title: 'Memory', reason: 'the run logs no memory use' }]);

    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('digits-s1-overfit');
    expect(html).toContain('data-kind="overfitting"');
    expect(html).toContain('offline narrator');
    for (const id of ids) {
      const svg = figureSvg(html, id);
      const png = decodePng(readFileSync(join(out, `${id}.png`)));
      for (const s of seriesOf(svg)) {
        const pixels = plotAreas(svg).reduce((n, a) => n + pixelsOfColor(png, a, s.color, 2), 0);
        expect(pixels, `${id}: ${s.label}`).toBeGreaterThan(20);
      }
    }
    expect(seriesOf(figureSvg(html, 'compare_loss'))).toHaveLength(4);
  });

  it('reports runs on a server as the server draws them', async () => {
    const id = await sendRun(server.url, 'cli-report', trainingEvents({ overfit: true }));
    const out = join(dir, 'server');
    const r = await analyst(['report', id, '-o', out, '--server', server.url]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('left out Memory: the run logs no memory use');
    const served = await (await fetch(`${server.url}/runs/${id}/report/loss.png`)).arrayBuffer();
    expect(readFileSync(join(out, 'loss.png')).equals(Buffer.from(served))).toBe(true);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('reports / cli-report');
  });

  it('says what is wrong: an unknown run, runs mixed with files, a file with no metrics', async () => {
    const unknown = await analyst(['report', 'no-such-run', '-o', join(dir, 'x'), '--server', server.url]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('no run "no-such-run"');
    expect(existsSync(join(dir, 'x'))).toBe(false);

    const mixed = await analyst(['report', join(GENERATED, 'digits-s1-overfit.jsonl'), 'some-run', '-o', join(dir, 'y')]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('give runs or files, not both: some-run is not a file');

    const empty = await analyst(['report', join(GENERATED, 'README.md'), '-o', join(dir, 'z')]);
    expect(empty.code).not.toBe(0);
    expect(empty.stderr).toMatch(/README\.md/);
  });
});
