// One server per database file, and what a start says when acknowledged events were lost.
import { openSync, readSync, writeSync, closeSync, fstatSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AnalystError } from '../../src/domain/errors.ts';
import { startServer } from '../../src/http/server.ts';
import { loadConfig } from '../../src/service/config.ts';
import { startChildServer, type ChildServer } from '../helpers/child-server.ts';
import { testServer, type TestServer } from '../helpers/server.ts';
import { until } from '../streams/clients.ts';

const dirs: string[] = [];
const children: ChildServer[] = [];
let inProcess: TestServer | undefined;
afterEach(async () => {
  for (const c of children.splice(0)) await c.kill('SIGKILL');
  await inProcess?.stop();
  inProcess = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'analyst-one-'));
  dirs.push(dir);
  return join(dir, 'analyst.db');
}

async function post(url: string, path: string, body: unknown): Promise<any> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

describe('one server per database file', () => {
  it('refuses a second server with one clear line and exit code 2, and starts again once the first was killed', { timeout: 60_000 }, async () => {
    const db = tempDbPath();
    const first = await startChildServer(db);
    children.push(first);
    const run = (await post(first.url, '/runs', { name: 'only', project: 'lock' })).body;
    const second = await startChildServer(db).catch((e: Error) => e);
    expect(second).toBeInstanceOf(Error);
    expect((second as Error).message).toMatch(/^server exited with 2: analyst: another Training Analyst server is already using .*analyst\.db.*\n$/);
    // The refused server changed nothing: the first one still writes.
    expect((await post(first.url, `/runs/${run.id}/events`, [{ type: 'metrics', step: 1, values: { loss: 1 } }])).body.last_seq).toBe(1);
    // A crash leaves no stale lock behind: the system released it with the process.
    await first.kill('SIGKILL');
    const third = await startChildServer(db);
    children.push(third);
    expect((await post(third.url, `/runs/${run.id}/events`, [{ type: 'metrics', step: 2, values: { loss: 0.5 } }])).body.last_seq).toBe(2);
  });

  it('refuses a second server in the same process too, and lets one start after the first closed', async () => {
    inProcess = await testServer({}, 'sqlite');
    const config = loadConfig({ ANALYST_LOG_LEVEL: 'silent' }, { ANALYST_DB: inProcess.db, ANALYST_PORT: 0, ANALYST_HOST: '127.0.0.1' });
    const err = await startServer(config, { ANALYST_LLM: 'offline' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnalystError);
    expect((err as AnalystError).code).toBe('conflict');
    await inProcess.close();
    const again = await startServer(config, { ANALYST_LLM: 'offline' });
    await again.close();
  });
});

describe('start-up integrity check', () => {
  it('says loudly which acknowledged events a damaged write-ahead log lost, and numbers new events after them', { timeout: 60_000 }, async () => {
    const db = tempDbPath();
    const server = await startChildServer(db);
    children.push(server);
    const run = (await post(server.url, '/runs', { name: 'wal', project: 'integrity' })).body;
    let acknowledged = 0;
    for (let b = 0; b < 20; b++) {
      const batch = Array.from({ length: 50 }, (_, i) => ({ type: 'metrics', step: b * 50 + i, event_id: `e${b * 50 + i}`, values: { loss: 1 / (b * 50 + i + 1) } }));
      acknowledged = (await post(server.url, `/runs/${run.id}/events`, batch)).body.last_seq;
    }
    expect(acknowledged).toBe(1000);
    // A crash leaves the commits in the write-ahead log; damage its second half.
    await server.kill('SIGKILL');
    const fd = openSync(`${db}-wal`, 'r+');
    const size = fstatSync(fd).size;
    expect(size).toBeGreaterThan(64 * 1024);
    const at = Math.floor(size / 2);
    const bytes = Buffer.alloc(64);
    readSync(fd, bytes, 0, 64, at);
    for (let i = 0; i < 64; i++) bytes[i] ^= 0xff;
    writeSync(fd, bytes, 0, 64, at);
    closeSync(fd);

    const after = await startChildServer(db);
    children.push(after);
    // stderr and stdout are separate pipes: the warning, written first, may be read second.
    const warning = await until(() => /WARNING/.test(after.stderr()) && after.stderr());
    expect(warning).toMatch(new RegExp(`analyst: WARNING: run ${run.id} \\(wal\\): events up to seq 1000 were acknowledged, but only \\d+ are stored: \\d+ acknowledged events were lost`));
    const health = (await (await fetch(`${after.url}/healthz`)).json()) as any;
    expect(health.integrity).toMatchObject({ ok: false, lost_runs: 1 });
    expect(health.integrity.lost_events).toBeGreaterThan(0);
    // The next event is numbered after every seq a client was ever told of.
    const next = await post(after.url, `/runs/${run.id}/events`, [{ type: 'metrics', step: 5000, values: { loss: 0.1 } }]);
    expect(next.body.last_seq).toBe(1001);
    // Reported once: the next start finds nothing more missing.
    await after.kill('SIGKILL');
    const clean = await startChildServer(db);
    children.push(clean);
    expect(((await (await fetch(`${clean.url}/healthz`)).json()) as any).integrity.ok).toBe(true);
  });
});
