import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/analyst.js');

/** The environment without the ANALYST_* variables of whoever runs the tests. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ANALYST_')));
  return { ...env, ANALYST_LLM: 'offline', ...extra };
}

interface Started {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  /** Resolves with the first stdout line matching `re`, rejects if the process exits first. */
  line(re: RegExp): Promise<RegExpExecArray>;
  /** Resolves once stderr contains `text`. */
  said(text: string): Promise<void>;
}

const started: Started[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) {
    if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
    await s.exited;
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'analyst-serve-'));
  dirs.push(d);
  return d;
}

function start(command: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Started {
  const proc = spawn(command, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  const changed = () => waiters.splice(0).forEach((w) => w());
  proc.stdout!.on('data', (d) => ((out += d), changed()));
  proc.stderr!.on('data', (d) => ((err += d), changed()));
  const exited = new Promise<number | null>((done) => proc.once('close', (code) => (changed(), done(code))));
  const until = <T>(test: () => T | undefined, what: string) =>
    new Promise<T>((ok, fail) => {
      const check = () => {
        const v = test();
        if (v !== undefined) return ok(v);
        if (proc.exitCode !== null || proc.signalCode !== null) return fail(new Error(`exited before ${what}: ${err}`));
        waiters.push(check);
      };
      check();
    });
  const s: Started = {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    line: (re) => until(() => re.exec(out) ?? undefined, String(re)),
    said: (text) => until(() => (err.includes(text) ? true : undefined), text).then(() => {}),
  };
  started.push(s);
  return s;
}

function analyst(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Started {
  return start(process.execPath, [BIN, ...args], opts);
}

/** A failed start: exit code 2 and exactly one line on stderr, without a stack trace. */
async function expectOneLineFailure(s: Started, pattern: RegExp): Promise<void> {
  expect(await s.exited).toBe(2);
  const lines = s.stderr().trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^analyst: /);
  expect(lines[0]).toMatch(pattern);
  expect(s.stdout()).toBe('');
}

describe('.env', () => {
  it('starts the service from .env.example copied as it is: empty values mean the default', async () => {
    const dir = tempDir();
    copyFileSync(join(ROOT, '.env.example'), join(dir, '.env'));
    // Only the port differs from the copy (a fixed port may be taken on the machine running the tests).
    const s = analyst(['serve', '--json', '--port', '0'], { cwd: dir });
    const [line] = await s.line(/^.*\n/);
    const { url } = JSON.parse(line) as { url: string };
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    // ANALYST_DB=./data/analyst.db from the file, relative to the working directory.
    expect(existsSync(join(dir, 'data/analyst.db'))).toBe(true);
    s.proc.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  });

  it('reads .env in the working directory, and a variable set in the environment wins over the file', async () => {
    const dir = tempDir();
    const server = analyst(['serve', '--json', '--port', '0', '--db', join(dir, 'a.db')], { env: cleanEnv({ ANALYST_LOG_LEVEL: 'silent' }) });
    const { url } = JSON.parse((await server.line(/^.*\n/))[0]) as { url: string };
    writeFileSync(join(dir, '.env'), 'ANALYST_URL=http://127.0.0.1:9\n# a comment\nANALYST_TOKEN=\n');
    const fromFile = analyst(['runs'], { cwd: dir });
    expect(await fromFile.exited).toBe(2);
    expect(fromFile.stderr()).toContain('cannot reach the server at http://127.0.0.1:9');
    const fromEnv = analyst(['runs'], { cwd: dir, env: cleanEnv({ ANALYST_URL: url }) });
    expect(await fromEnv.exited).toBe(0);
    expect(fromEnv.stdout()).toMatch(/no runs yet/);
  });
});

describe('startup failures: one line, exit code 2', () => {
  it('a port in use', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    try {
      const port = (blocker.address() as AddressInfo).port;
      const s = analyst(['serve', '--port', String(port), '--db', join(tempDir(), 'a.db')]);
      await expectOneLineFailure(s, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use.*ANALYST_PORT`));
    } finally {
      blocker.close();
    }
  });

  it('a data folder it cannot write', async () => {
    const dir = tempDir();
    // A folder under a regular file cannot be created, whoever runs the test (root ignores permissions).
    writeFileSync(join(dir, 'file'), '');
    const db = join(dir, 'file', 'data', 'a.db');
    const s = analyst(['serve', '--port', '0', '--db', db]);
    await expectOneLineFailure(s, new RegExp(`cannot open the database ${db.replace(/[.]/g, '\\.')}: .*ENOTDIR.*ANALYST_DB`));
  });

  it('bad variables, all named on the one line', async () => {
    const s = analyst(['serve', '--db', join(tempDir(), 'a.db')], { env: cleanEnv({ ANALYST_PORT: 'eighty', ANALYST_PUBLIC_URL: 'not a url' }) });
    await expectOneLineFailure(s, /invalid configuration: .*ANALYST_PORT: .*; ANALYST_PUBLIC_URL: /);
  });
});

describe('stopping', () => {
  it('SIGTERM: stops accepting, finishes the batch in flight, ends streams, closes the database, exits 0', async () => {
    const dir = tempDir();
    const db = join(dir, 'a.db');
    const s = analyst(['serve', '--port', '0', '--db', db], { env: cleanEnv({ ANALYST_LOG_LEVEL: 'silent' }) });
    const url = (await s.line(/listening on (http:\/\/\S+)/))[1];
    const run = (await (await fetch(`${url}/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"stop"}' })).json()) as { id: string };
    const stream = await fetch(`${url}/runs/${run.id}/stream`);
    const reader = stream.body!.getReader();

    const events = Array.from({ length: 500 }, (_, i) => ({ type: 'metrics', step: i, values: { loss: 1 / (i + 1) } }));
    const body = Buffer.from(JSON.stringify({ events }));
    const answer = new Promise<{ status: number; text: string }>((ok, fail) => {
      const req = request(`${url}/runs/${run.id}/events`, {
        method: 'POST',
        // The server's 100 Continue says it has the request: from then on the request is in flight.
        headers: { 'content-type': 'application/json', 'content-length': body.length, expect: '100-continue' },
      });
      req.on('continue', async () => {
        req.write(body.subarray(0, body.length / 2));
        s.proc.kill('SIGTERM');
        await s.said('stopping');
        // No new connection is accepted any more...
        await expect(fetch(`${url}/healthz`)).rejects.toThrow();
        // ...but the batch in flight is stored and answered.
        req.end(body.subarray(body.length / 2));
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => ok({ status: res.statusCode!, text }));
      });
      req.on('error', fail);
    });
    const { status, text } = await answer;
    expect(status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ accepted: 500 });
    // The stream ends cleanly (not cut), so an EventSource reconnects elsewhere with Last-Event-ID.
    for (;;) if ((await reader.read()).done) break;
    expect(await s.exited).toBe(0);
    const stored = new Database(db, { readonly: true });
    expect(stored.prepare('SELECT count(*) AS n FROM events WHERE run = ? AND type = ?').get(run.id, 'metrics')).toEqual({ n: 500 });
    stored.close();
  });

  it('SIGTERM to `npm start` reaches the server, which stops', async () => {
    const dir = tempDir();
    const npm = start('npm', ['start', '--silent'], { env: cleanEnv({ ANALYST_PORT: '0', ANALYST_DB: join(dir, 'a.db'), ANALYST_LOG_LEVEL: 'silent' }) });
    const url = (await npm.line(/listening on (http:\/\/\S+)/))[1];
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    npm.proc.kill('SIGTERM');
    await npm.exited;
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
