import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchCommand } from '../../src/cli/watch.ts';
import { readEventFile } from '../../src/ingest/tfevents/event-file.ts';
import { defaultStatePath } from '../../src/ingest/watch/state-file.ts';
import { Watcher, type WatchOptions } from '../../src/ingest/watch/watcher.ts';
import { api, testServer, type TestServer } from '../helpers/server.ts';
import { REAL_LOGS } from '../helpers/datasets.ts';
import { until } from './clients.ts';

let server: TestServer;
let dir: string;
const watchers: Watcher[] = [];

beforeEach(async () => {
  server = await testServer();
  dir = mkdtempSync(join(tmpdir(), 'analyst-watch-'));
  // Positions go under the user's state directory: this test's, not the home of whoever runs it.
  process.env.XDG_STATE_HOME = join(dir, 'state');
});
afterEach(async () => {
  for (const w of watchers.splice(0)) await w.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

function watcher(target: string, opts: Partial<WatchOptions> = {}): Watcher {
  const w = new Watcher({ target, server: server.url, project: 'watch', intervalMs: 20, log: () => {}, ...opts });
  watchers.push(w);
  return w;
}

async function runEvents(name: string): Promise<any[]> {
  const run = await api(server.url, `/runs/${encodeURIComponent(`watch/${name}`)}`);
  if (run.status !== 200) return [];
  const out: any[] = [];
  for (let after = 0; ; ) {
    const page = (await api(server.url, `/runs/${run.body.id}/events?after_seq=${after}&limit=10000`)).body.events as any[];
    if (!page.length) return out;
    out.push(...page);
    after = page.at(-1).seq;
  }
}

const of = (events: any[], type: string) => events.filter((e) => e.type === type);

describe('analyst watch: text logs', () => {
  it('tails a growing log, waits for unfinished lines, resumes after a restart without resending', async () => {
    const file = join(dir, 'train.log');
    writeFileSync(file, 'Epoch [1/3] started\nTrain Loss: 0.90, Train Accuracy: 60.0%\n');
    expect(await watcher(file, { run: 'tail' }).pass()).toBe(4);
    appendFileSync(file, 'Validation Loss: 0.95');
    const w = watchers[0];
    expect(await w.pass()).toBe(0);
    appendFileSync(file, ', Validation Accuracy: 58.0%\nsomething else\n');
    expect(await w.pass()).toBe(3);
    let events = await runEvents('tail');
    expect(of(events, 'log').map((e) => e.message)).toEqual([
      'Epoch [1/3] started',
      'Train Loss: 0.90, Train Accuracy: 60.0%',
      'Validation Loss: 0.95, Validation Accuracy: 58.0%',
      'something else',
    ]);
    expect(of(events, 'metrics').map((e) => e.values)).toEqual([{ train_loss: 0.9, train_acc: 60 }, { val_loss: 0.95, val_acc: 58 }]);

    // A new watcher (a restart) picks up where the last one stopped.
    await w.close();
    const state = defaultStatePath(file);
    expect(JSON.parse(readFileSync(state, 'utf8')).files[resolve(file)].offset).toBe(readFileSync(file).length);
    const again = watcher(file, { run: 'tail' });
    expect(await again.pass()).toBe(0);
    appendFileSync(file, 'Epoch [2/3] started\n');
    expect(await again.pass()).toBe(2);
    events = await runEvents('tail');
    expect(of(events, 'log')).toHaveLength(5);
    expect(of(events, 'epoch_started').map((e) => e.epoch)).toEqual([1, 2]);
  });

  it('keeps following until stopped, and waits out a server that is away', async () => {
    const file = join(dir, 'loop.log');
    writeFileSync(file, 'step=1 loss=1.0\n');
    const logs: string[] = [];
    // First against a port nobody listens on: the watcher retries instead of giving up.
    const away = watcher(file, { run: 'loop', server: 'http://127.0.0.1:9', log: (m) => logs.push(m) });
    const stopAway = new AbortController();
    const awayRun = away.run(stopAway.signal);
    await until(() => logs.some((l) => /cannot reach .*retrying/.test(l)));
    stopAway.abort();
    await awayRun;
    const w = watcher(file, { run: 'loop' });
    const stop = new AbortController();
    const running = w.run(stop.signal);
    await until(async () => of(await runEvents('loop'), 'metrics').length === 1 || undefined);
    appendFileSync(file, 'step=2 loss=0.9\n');
    await until(async () => of(await runEvents('loop'), 'metrics').length === 2 || undefined);
    stop.abort();
    await running;
  });

  it('a crash after the server stored a batch but before the position was saved does not duplicate it', async () => {
    const file = join(dir, 'crash.log');
    const state = join(dir, 'state.json');
    writeFileSync(file, 'step=1 loss=1.0\n');
    await watcher(file, { run: 'crash', stateFile: state }).pass();
    const before = readFileSync(state, 'utf8');
    appendFileSync(file, 'step=2 loss=0.9\nstep=3 loss=0.8\n');
    await watchers[0].pass();
    // Put back the older position, as if the process died before writing the new one.
    writeFileSync(state, before);
    expect(await watcher(file, { run: 'crash', stateFile: state }).pass()).toBe(4);
    const events = await runEvents('crash');
    expect(of(events, 'metrics').map((e) => e.step)).toEqual([1, 2, 3]);
    expect(of(events, 'log')).toHaveLength(3);
  });

  it('creates the run again when the server no longer has it (a new database)', async () => {
    const file = join(dir, 'moved.log');
    writeFileSync(file, 'step=1 loss=1.0\n');
    await watcher(file, { run: 'moved' }).pass();
    const other = await testServer();
    try {
      appendFileSync(file, 'step=2 loss=0.9\n');
      expect(await watcher(file, { run: 'moved', server: other.url }).pass()).toBe(2);
      const run = await api(other.url, '/runs/watch%2Fmoved');
      expect(run.body.last_seq).toBe(2);
    } finally {
      await other.stop();
    }
  });

  it('makes a new file a new run even with a name used before, and reads a file again into its own run', async () => {
    const first = join(dir, 'a', 'train.log');
    const second = join(dir, 'b', 'train.log');
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    writeFileSync(first, 'step=1 loss=1.0\n');
    writeFileSync(second, 'step=1 loss=2.0\n');
    const stateOf = (file: string) => `${file}.state.json`;
    await watcher(first, { run: 'train', stateFile: stateOf(first) }).pass();
    await watcher(second, { run: 'train', stateFile: stateOf(second) }).pass();
    const runs = (await api(server.url, '/runs?project=watch&name=train')).body.runs;
    expect(runs).toHaveLength(2);
    const runOf = async (file: string) => JSON.parse(readFileSync(stateOf(file), 'utf8')).runs.train;
    const [idA, idB] = [await runOf(first), await runOf(second)];
    expect(new Set([idA, idB])).toEqual(new Set(runs.map((r: any) => r.id)));
    // The first file read again, its state lost: the same file finds its own run, not the newest `train`.
    rmSync(stateOf(first));
    appendFileSync(first, 'step=2 loss=0.5\n');
    expect(await watcher(first, { run: 'train', stateFile: stateOf(first) }).pass()).toBe(4);
    expect(await runOf(first)).toBe(idA);
    const points = (await api(server.url, `/runs/${idA}/metrics?names=loss`)).body.series[0].points.map((p: any) => p.value);
    expect(points).toEqual([1, 0.5]);
    expect((await api(server.url, '/runs?project=watch&name=train')).body.total).toBe(2);
  });

  it('stops with the reason when its run was deleted on the server, rather than bringing it back', async () => {
    const file = join(dir, 'deleted.log');
    writeFileSync(file, 'step=1 loss=1.0\n');
    const w = watcher(file, { run: 'deleted' });
    await w.pass();
    const run = (await api(server.url, '/runs/watch%2Fdeleted')).body;
    await api(server.url, `/runs/${run.id}`, { method: 'DELETE' });
    appendFileSync(file, 'step=2 loss=0.9\n');
    await expect(w.pass()).rejects.toThrow(/HTTP 410.*deleted/);
    expect((await api(server.url, '/runs?project=watch&name=deleted')).body.total).toBe(0);
  });

  it('follows rotation (rename + new file) and truncation, reading the old file to its end first', async () => {
    const file = join(dir, 'rot.log');
    writeFileSync(file, 'step=1 loss=1.0\n');
    const w = watcher(file, { run: 'rot' });
    await w.pass();
    // The logger wrote one more line, then the file was rotated and a new one started.
    appendFileSync(file, 'step=2 loss=0.9\n');
    renameSync(file, `${file}.1`);
    writeFileSync(file, 'step=3 loss=0.8\n');
    await w.pass();
    await w.pass();
    // copytruncate: same inode, shorter content. Same text as before: it must not be taken for a duplicate.
    truncateSync(file, 0);
    writeFileSync(file, 'step=1 loss=1.0\n');
    await w.pass();
    await w.pass();
    const steps = of(await runEvents('rot'), 'metrics').map((e) => e.step);
    expect(steps).toEqual([1, 2, 3, 1]);
  });
});

describe('analyst watch: tables', () => {
  it('waits for a row before telling a lone CSV header from a log line', async () => {
    const file = join(dir, 'history.csv');
    writeFileSync(file, 'epoch,loss,val_loss\n');
    const w = watcher(file, { run: 'lone' });
    expect(await w.pass()).toBe(0);
    appendFileSync(file, '0,1.0,1.2\n');
    expect(await w.pass()).toBe(1);
    expect(of(await runEvents('lone'), 'metrics').map((e) => e.values)).toEqual([{ loss: 1, val_loss: 1.2 }]);
  });

  it('resumes a CSV mid-file with its header', async () => {
    const file = join(dir, 'training.log');
    writeFileSync(file, 'epoch,loss,val_loss\n0,1.0,1.1\n1,0.8,0.9\n');
    await watcher(file, { run: 'keras' }).pass();
    await watchers[0].close();
    appendFileSync(file, '2,0.6,0.7\n');
    await watcher(file, { run: 'keras' }).pass();
    const metrics = of(await runEvents('keras'), 'metrics');
    expect(metrics.map((e) => [e.epoch, e.values.loss, e.values.val_loss])).toEqual([
      [0, 1, 1.1],
      [1, 0.8, 0.9],
      [2, 0.6, 0.7],
    ]);
  });

  it('tails JSONL through the CLI command with --once', async () => {
    const file = join(dir, 'metrics.jsonl');
    writeFileSync(file, '{"step": 1, "loss": 0.5}\n{"step": 2, "loss": NaN}\n');
    const out: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((s: string) => (out.push(s), true)) as typeof process.stdout.write;
    try {
      await watchCommand().parseAsync([file, '--server', server.url, '--run', 'cli', '--project', 'watch', '--once'], { from: 'user' });
    } finally {
      process.stdout.write = write;
    }
    expect(out.join('')).toBe('sent 2 events\n');
    expect(of(await runEvents('cli'), 'metrics').map((e) => e.values.loss)).toEqual([0.5, 'NaN']);
    // Sent whole, the file is finished: failed, since its last loss is NaN; it has no times of its own.
    const run = (await api(server.url, '/runs/watch%2Fcli')).body;
    expect(run).toMatchObject({ status: 'failed', finished_at: null, elapsed_s: null, timed: false });
    expect(of(await runEvents('cli'), 'run_finished')).toMatchObject([{ status: 'failed', reason: 'the last loss is NaN', timed: false }]);
  });

  it('--once finishes a run as its log ends, at the log\'s last time; once, however often it runs', async () => {
    const file = join(dir, 'train.log');
    writeFileSync(file, '2024-05-01 10:00:00 INFO step=1 loss=1.0\n2024-05-01 10:30:00 INFO step=2 loss=0.9\n');
    const once = async () => {
      const w = watcher(file, { run: 'once' });
      await w.pass();
      return w.finish();
    };
    expect(await once()).toBe(1);
    const run = (await api(server.url, '/runs/watch%2Fonce')).body;
    expect(run).toMatchObject({ status: 'completed', started_at: Date.parse('2024-05-01T10:00:00'), finished_at: Date.parse('2024-05-01T10:30:00'), elapsed_s: 1800 });
    expect(await once()).toBe(0);
    appendFileSync(file, 'Traceback (most recent call last):\nRuntimeError: CUDA error: an illegal memory access was encountered\n');
    expect(await once()).toBe(1);
    expect((await api(server.url, '/runs/watch%2Fonce')).body).toMatchObject({ status: 'failed' });
    expect(of(await runEvents('once'), 'run_finished').map((e) => [e.status, e.reason])).toEqual([
      ['completed', undefined],
      ['failed', 'RuntimeError: CUDA error: an illegal memory access was encountered'],
    ]);
  });

  it('while following, finishes a run whose file stopped growing, runs it again when it grows, and finishes it on stop', async () => {
    const file = join(dir, 'live.log');
    writeFileSync(file, 'step=1 loss=1.0\n');
    const status = async () => (await api(server.url, '/runs/watch%2Flive')).body.status;
    const w = watcher(file, { run: 'live', idleMs: 50 });
    const stop = new AbortController();
    const running = w.run(stop.signal);
    await until(async () => (await status()) === 'completed' || undefined);
    // Followed live: a file without times ends when the watch saw it end, not timeless.
    expect((await api(server.url, '/runs/watch%2Flive')).body).toMatchObject({ timed: true, finished_at: expect.any(Number) });
    appendFileSync(file, 'step=2 loss=0.9\n');
    await until(async () => of(await runEvents('live'), 'run_finished').length === 2 || undefined);
    expect(of(await runEvents('live'), 'metrics')).toHaveLength(2);
    stop.abort();
    await running;

    const kept = join(dir, 'kept.log');
    writeFileSync(kept, 'step=1 loss=1.0\n');
    const k = watcher(kept, { run: 'kept', idleMs: 0 });
    const stopKept = new AbortController();
    const keptRun = k.run(stopKept.signal);
    await until(async () => of(await runEvents('kept'), 'metrics').length === 1 || undefined);
    expect((await api(server.url, '/runs/watch%2Fkept')).body.status).toBe('running');
    stopKept.abort();
    await keptRun;
    expect((await api(server.url, '/runs/watch%2Fkept')).body.status).toBe('completed');
  });
});

describe('analyst watch: TensorBoard', () => {
  const eventFile = (dataset: string) => {
    const folder = join(REAL_LOGS, dataset);
    return join(folder, readdirSync(folder).find((n) => n.startsWith('events.out.tfevents'))!);
  };

  it('reads a live event file cut mid-record, across a restart, into exactly the events of the whole file', async () => {
    const real = eventFile('hf_t5_summarization_tfevents');
    const name = basename(real);
    const whole = readFileSync(real);
    const expected = (await readEventFile(real)).events;
    const logdir = join(dir, 'tb');
    const runDir = join(logdir, 'run1');
    mkdirSync(runDir, { recursive: true });
    const file = join(runDir, name);
    // Cut points inside records (not on boundaries): a writer caught mid-write.
    const cuts = [1001, 40_003, whole.length];
    writeFileSync(file, whole.subarray(0, cuts[0]));
    const first = await watcher(logdir, { run: 't5' }).pass();
    await watchers[0].close();
    appendFileSync(file, whole.subarray(cuts[0], cuts[1]));
    const state = defaultStatePath(logdir);
    const beforeSecond = readFileSync(state, 'utf8');
    const second = await watcher(logdir, { run: 't5' }).pass();
    // A crash before the position after the second read was saved: that read is sent again.
    await watchers[1].close();
    writeFileSync(state, beforeSecond);
    expect(await watcher(logdir, { run: 't5' }).pass()).toBe(second);
    appendFileSync(file, whole.subarray(cuts[1]));
    const third = await watchers[2].pass();
    // One event per scalar (see FileFollower.perScalar): the same scalars, in the same order, once.
    const scalars = expected.flatMap((e: any) => Object.entries(e.values).map(([tag, v]) => [e.step, tag, v]));
    expect(first + second + third).toBe(scalars.length);
    const metrics = of(await runEvents('t5/run1'), 'metrics');
    expect(metrics.map((e) => [e.step, ...Object.entries(e.values)[0]])).toEqual(scalars);
  });

  it('every directory with event files is a run, its split-named parts (train/, eval/) are parts of it, and new files are picked up', async () => {
    const logdir = join(dir, 'logs');
    for (const sub of ['a/train', 'a/eval', 'b']) mkdirSync(join(logdir, sub), { recursive: true });
    const real = eventFile('lightning_mnist_cnn_tfevents');
    const name = basename(real);
    copyFileSync(real, join(logdir, 'a/train', name));
    copyFileSync(real, join(logdir, 'b', name));
    const w = watcher(logdir, { run: 'exp' });
    await w.pass();
    copyFileSync(real, join(logdir, 'a/eval', name));
    await w.pass();
    const tags = (await readEventFile(real)).events.flatMap((e: any) => Object.keys(e.values));
    const a = of(await runEvents('exp/a'), 'metrics');
    expect(a).toHaveLength(2 * tags.length);
    // The parts' tags are named by the part, as TensorBoard shows them.
    expect(new Set(a.flatMap((e: any) => Object.keys(e.values)))).toEqual(new Set([...tags.map((t) => `train/${t}`), ...tags.map((t) => `eval/${t}`)]));
    expect(of(await runEvents('exp/b'), 'metrics')).toHaveLength(tags.length);
    expect((await api(server.url, `/runs/${encodeURIComponent('watch/exp/a/train')}`)).status).toBe(404);
  });
});
