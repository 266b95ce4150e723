import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultStatePath } from '../../src/ingest/watch/state-file.ts';
import { api, testServer, type TestServer } from '../helpers/server.ts';

const BIN = resolve(import.meta.dirname, '../../bin/analyst.js');

let server: TestServer;
let dir: string;
beforeEach(async () => {
  server = await testServer();
  dir = mkdtempSync(join(tmpdir(), 'analyst-watch-cli-'));
});
afterEach(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** `analyst watch` as a user runs it; `lines` resolves as stdout reaches `n` lines. */
function watch(args: string[], env: Record<string, string>) {
  const proc = spawn(process.execPath, [BIN, 'watch', ...args, '--server', server.url, '--project', 'w'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiting: Array<() => void> = [];
  proc.stdout!.on('data', (d) => ((out += d), waiting.splice(0).forEach((w) => w())));
  proc.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((done) => proc.once('close', done));
  const lines = (n: number) =>
    new Promise<string[]>((ok, fail) => {
      const check = () => {
        const got = out.split('\n').filter(Boolean);
        if (got.length >= n) return ok(got);
        if (proc.exitCode !== null) return fail(new Error(`exited: ${err}`));
        waiting.push(check);
      };
      check();
    });
  return { proc, exited, lines, stdout: () => out, stderr: () => err };
}

async function metricsOf(name: string): Promise<number> {
  const run = await api(server.url, `/runs/${encodeURIComponent(`w/${name}`)}`);
  if (run.status !== 200) return 0;
  const events = (await api(server.url, `/runs/${run.body.id}/events?limit=10000`)).body.events as Array<{ type: string }>;
  return events.filter((e) => e.type === 'metrics').length;
}

describe('analyst watch: state and output', () => {
  it('keeps its position under $XDG_STATE_HOME, writes nothing beside the data, and prints a JSON line per batch', async () => {
    const data = join(dir, 'data');
    const state = join(dir, 'state');
    const file = join(data, 'train.log');
    mkdirSync(data);
    writeFileSync(file, 'step=1 loss=1.0\nstep=2 loss=0.9\n');
    const w = watch([file, '--once', '--json', '--run', 'once'], { XDG_STATE_HOME: state });
    expect(await w.exited).toBe(0);
    const batches = w.stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(batches.length).toBeGreaterThan(0);
    for (const b of batches) expect(Object.keys(b).sort()).toEqual(['events', 'file', 'run']);
    expect(batches.every((b) => b.file === file)).toBe(true);
    expect(batches.reduce((n, b) => n + b.events, 0)).toBe(4);
    expect(await metricsOf('once')).toBe(2);
    expect(readdirSync(data)).toEqual(['train.log']);
    const saved = defaultStatePath(file, { XDG_STATE_HOME: state });
    expect(saved.startsWith(join(state, 'training-analyst', 'watch'))).toBe(true);
    expect(JSON.parse(readFileSync(saved, 'utf8')).files[file].offset).toBe(readFileSync(file).length);
  });

  it('following: one JSON line per batch as the file grows', async () => {
    const file = join(dir, 'grow.log');
    writeFileSync(file, 'step=1 loss=1.0\n');
    const w = watch([file, '--json', '--run', 'grow', '--interval', '20'], { XDG_STATE_HOME: join(dir, 'state') });
    try {
      const [first] = await w.lines(1);
      expect(JSON.parse(first)).toMatchObject({ file, events: 2 });
      appendFileSync(file, 'step=2 loss=0.9\n');
      const [, second] = await w.lines(2);
      expect(JSON.parse(second)).toMatchObject({ file, events: 2, run: JSON.parse(first).run });
    } finally {
      w.proc.kill('SIGTERM');
      await w.exited;
    }
  });

  it('says where it cannot keep its position, before sending anything', async () => {
    const file = join(dir, 'ro.log');
    writeFileSync(file, 'step=1 loss=1.0\n');
    // A folder under a regular file cannot be created, whoever runs the test (root ignores permissions).
    writeFileSync(join(dir, 'plain-file'), '');
    const w = watch([file, '--once', '--run', 'ro'], { XDG_STATE_HOME: join(dir, 'plain-file', 'state') });
    expect(await w.exited).toBe(1);
    expect(w.stderr().trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^analyst: cannot save the watch position in .*plain-file\/state\/training-analyst\/watch\/ro\.log-[0-9a-f]{16}\.json \(ENOTDIR\): pass --state FILE or set XDG_STATE_HOME/),
    ]);
    expect(await metricsOf('ro')).toBe(0);
    expect(existsSync(join(dir, '.ro.log.analyst-watch.json'))).toBe(false);
  });
});
