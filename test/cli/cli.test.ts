import { spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChildServer, type ChildServer } from '../helpers/child-server.ts';
import { GENERATED, realLog } from '../helpers/datasets.ts';

const BIN = resolve(import.meta.dirname, '../../bin/analyst.js');

function analyst(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ANALYST_LLM: 'offline', ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('analyst diagnose', () => {
  it('prints exactly [{file, run, read, findings, summary}] with --json', () => {
    const file = join(GENERATED, 'digits-s1-lr-too-high.jsonl');
    const r = analyst(['diagnose', file, realLog('hf_whisper_small_hi_overfit', 'trainer_state.json'), '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toHaveLength(2);
    expect(Object.keys(out[0]).sort()).toEqual(['file', 'findings', 'read', 'run', 'summary']);
    expect(out[0].read).toMatchObject({ file, format: 'jsonl', skipped: 0, examples: [], unmapped: {} });
    expect(out[0].read.points).toBeGreaterThan(out[0].read.lines);
    expect(out[1].read.mapped).toMatchObject({ train_loss: ['loss'], val_loss: ['eval_loss'] });
    expect(out[0].file).toBe(file);
    expect(out[0].run).toBe('digits-s1-lr-too-high');
    expect(out[1].run).toBe('hf_whisper_small_hi_overfit');
    for (const f of out[0].findings) expect(Object.keys(f).sort()).toEqual(['actions', 'epoch', 'evidence', 'kind', 'message', 'severity', 'step']);
    expect(out[0].findings.map((f: any) => f.kind)).toEqual(expect.arrayContaining([expect.stringMatching(/divergence|exploding_gradients|oscillation|nan_loss/)]));
    expect(out[1].findings.map((f: any) => f.kind)).toContain('overfitting');
  });

  it('speaks to a person without --json, and fails on request', () => {
    const file = join(GENERATED, 'iris-s1-overfit.jsonl');
    const r = analyst(['diagnose', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\[(warning|critical)\] overfitting/);
    expect(r.stdout).toMatch(/^  read [\d,]+ points from [\d,]+ lines \(jsonl\): train_loss; .*grad_norm\/<layer> ← grad_norm\/layer\.0/m);
    expect(analyst(['diagnose', file, '--fail-on', 'warning']).code).toBe(1);
    expect(analyst(['diagnose', join(GENERATED, 'digits-s1-healthy-adam.jsonl'), '--fail-on', 'warning']).code).toBe(0);
  });

  it('says clearly when a file cannot be read', () => {
    const r = analyst(['diagnose', '/nonexistent/train.log']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\/nonexistent\/train\.log/);
  });

  it('exits 2 with what was read and skipped, never "no problems found", for a file with nothing to diagnose', () => {
    const dir = mkdtempSync(join(tmpdir(), 'analyst-nothing-'));
    try {
      const empty = join(dir, 'empty.log');
      const unknown = join(dir, 'unknown.log');
      writeFileSync(empty, '');
      writeFileSync(unknown, 'booting\nframes 12.5/s dropped 0.25\nf1: 0.91\n');
      const r = analyst(['diagnose', empty, unknown, '/bin/ls']);
      expect(r.code).toBe(2);
      expect(r.stdout).not.toMatch(/no problems found/);
      expect(r.stderr).toContain(`analyst: ${empty}: nothing to diagnose: no loss, accuracy, gradient norm or step time among 0 values read from 0 lines (text)`);
      expect(r.stderr).toContain(`analyst: ${unknown}: nothing to diagnose: no loss, accuracy, gradient norm or step time among 1 value read from 3 lines (text)`);
      expect(r.stderr).toContain('  names: not understood: f1 (1)');
      expect(r.stderr).toContain('  line 2: skipped, numbers in a line no format reads: frames 12.5/s dropped 0.25');
      expect(r.stderr).toContain('analyst: /bin/ls: binary content that is not a TensorBoard event file');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('analyst diagnose on an MLflow run folder', () => {
  it('reads metrics/ (nested keys, one file per metric), params/ and meta.yaml, and diagnoses the run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'analyst-mlruns-'));
    try {
      // A run of the shared generated set, written as MLflow's file store keeps it.
      const run = join(dir, 'mlruns', '0', '5f1c2a');
      mkdirSync(join(run, 'metrics', 'train'), { recursive: true });
      mkdirSync(join(run, 'params'));
      writeFileSync(join(run, 'meta.yaml'), 'artifact_uri: file:///tmp/x\nrun_id: 5f1c2a\nrun_name: iris-overfit\nstatus: 3\n');
      writeFileSync(join(run, 'params', 'lr'), '0.01');
      const rows = readFileSync(join(GENERATED, 'iris-s1-overfit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const lines: Record<string, string[]> = { 'train/loss': [], val_loss: [] };
      rows.forEach((r: any, i: number) => {
        lines['train/loss'].push(`${1_700_000_000_000 + i * 1000} ${r.train_loss} ${r.step}`);
        lines.val_loss.push(`${1_700_000_000_000 + i * 1000 + 500} ${r.val_loss} ${r.step}`);
      });
      writeFileSync(join(run, 'metrics', 'train', 'loss'), lines['train/loss'].join('\n') + '\nnot a metric line\n');
      writeFileSync(join(run, 'metrics', 'val_loss'), lines.val_loss.join('\n') + '\n');
      const r = analyst(['diagnose', run, '--json']);
      expect(r.code).toBe(0);
      const [out] = JSON.parse(r.stdout);
      expect(out.run).toBe('iris-overfit');
      expect(out.read).toMatchObject({ format: 'mlflow', lines: rows.length * 2 + 1, skipped: 1, mapped: { train_loss: ['train/loss'], val_loss: ['val_loss'] } });
      expect(out.read.examples[0]).toMatchObject({ code: 'bad_row', line: rows.length + 1, text: 'not a metric line' });
      expect(out.findings.map((f: any) => f.kind)).toContain('overfitting');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('analyst serve, runs, status', () => {
  let dir: string;
  let server: ChildServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'analyst-cli-'));
    server = await startChildServer(join(dir, 'a.db'));
  });
  afterAll(async () => {
    await server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists runs and shows a run to a person and as JSON', async () => {
    expect(analyst(['runs', '--server', server.url]).stdout).toMatch(/no runs yet/);
    const run = (await (await fetch(`${server.url}/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"cli-run","project":"cli"}' })).json()) as { id: string };
    await fetch(`${server.url}/runs/${run.id}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([1, 2, 3].map((e) => ({ type: 'metrics', epoch: e, step: e * 10, values: { loss: 1 / e, val_loss: 'NaN' } }))),
    });
    const list = analyst(['runs', '--server', server.url]);
    expect(list.stdout).toMatch(/cli\s+cli-run\s+running/);
    const status = analyst(['status', 'cli/cli-run', '--server', server.url]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/nan_loss/);
    const json = JSON.parse(analyst(['status', run.id, '--json', '--server', server.url]).stdout);
    expect(json.id).toBe(run.id);
    const missing = analyst(['status', 'nope', '--server', server.url]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/no run/);
  });

  it('tags, archives and deletes runs, and lists the candidates before deleting a name two runs share', async () => {
    // A fresh connection each: the server closes idle pooled ones while spawnSync blocks this process.
    const post = () =>
      new Promise<string>((resolve, reject) => {
        const req = httpRequest(`${server.url}/runs`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve(JSON.parse(text).id));
        });
        req.on('error', reject);
        req.end('{"name":"twin","project":"tidy"}');
      });
    const older = await post();
    const newer = await post();
    const tag = analyst(['runs', 'tag', 'tidy/twin', 'baseline', 'team=vision', '--server', server.url]);
    expect(tag.code).toBe(0);
    expect(tag.stdout).toContain(`tidy/twin  (${newer})  tags: baseline, team=vision`);
    // A shared name means the newest run, and the person is told which one that was.
    expect(tag.stderr).toContain(`2 runs are named tidy/twin; this changes the newest, ${newer}`);
    const archived = JSON.parse(analyst(['runs', 'archive', newer, '--json', '--server', server.url]).stdout);
    expect(archived.archived_at).toBeTypeOf('number');
    const listed = JSON.parse(analyst(['runs', '--project', 'tidy', '--json', '--server', server.url]).stdout);
    expect(listed.map((r: any) => r.id)).toEqual([older]);
    expect(analyst(['runs', '--archived', '--tag', 'baseline', '--server', server.url]).stdout).toMatch(new RegExp(`${newer}\\s+tidy\\s+twin\\s+running.*baseline,team=vision\\s+yes`));
    const ambiguous = analyst(['runs', 'delete', 'tidy/twin', '--yes', '--server', server.url]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(new RegExp(`${newer}\\s+tidy\\s+twin\\s+\\S+Z\\s+running\\s+yes\\n${older}\\s+tidy`));
    expect(ambiguous.stderr).toContain('2 runs are named tidy/twin; give the id of the one you mean');
    const deleted = analyst(['runs', 'delete', older, '--yes', '--json', '--server', server.url]);
    expect(deleted.code).toBe(0);
    expect(JSON.parse(deleted.stdout).deleted).toMatchObject({ id: older, name: 'twin' });
    const gone = analyst(['status', older, '--server', server.url]);
    expect(gone.stderr).toMatch(/was deleted .*\(HTTP 410\)/);
    // Eight commands, each a fresh process: generous for a machine whose cores are busy.
  }, 180_000);

  it('explains an unreachable server and a missing token for a public address', () => {
    const down = analyst(['runs', '--server', 'http://127.0.0.1:9']);
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/cannot reach the server/);
    const open = analyst(['serve', '--host', '0.0.0.0', '--port', '0', '--db', join(dir, 'b.db')], { ANALYST_TOKEN: '' });
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/ANALYST_TOKEN/);
  });
});
