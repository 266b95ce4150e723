// Hostile input: Host and Origin, sources that point inward, prototype keys, deep JSON, bodies
// that never end, implausible times, binding and token checks.
import { request, createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { AnalystError } from '../../src/domain/errors.ts';
import { startServer } from '../../src/http/server.ts';
import { isLoopback, loadConfig } from '../../src/service/config.ts';
import { api, testServer, type TestServer } from '../helpers/server.ts';
import { until } from '../streams/clients.ts';

/** A raw request, so that Host, Origin and Sec-Fetch-Site are exactly what a browser would send. */
function raw(base: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: any }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: { host: url.host, ...headers } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

let s: TestServer;
let run: any;
beforeAll(async () => {
  s = await testServer({ ANALYST_ALLOWED_HOSTS: 'proxy.example,.corp.example', ANALYST_REQUEST_TIMEOUT_MS: '300' });
  run = (await api(s.url, '/runs', { method: 'POST', json: { name: 'hostile', project: 'faults' } })).body;
});
afterAll(async () => s.stop());

const events = async (id = run.id) => (await api(s.url, `/runs/${id}/events?after_seq=0&limit=10000`)).body.events as any[];

describe('Host and Origin', () => {
  it('answers only the names of the service: a rebound DNS name gets 403', async () => {
    const port = new URL(s.url).port;
    for (const host of [`evil.example:${port}`, `127.0.0.1.evil.example:${port}`, 'evil.example']) {
      const r = await raw(s.url, 'GET', '/runs', { host });
      expect(r.status, host).toBe(403);
      expect(r.body.error.message).toMatch(/ANALYST_ALLOWED_HOSTS/);
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'proxy.example', `build.corp.example:${port}`]) {
      expect((await raw(s.url, 'GET', '/runs', { host })).status, host).toBe(200);
    }
    // The dashboard too: a rebound page would read it.
    expect((await raw(s.url, 'GET', '/', { host: 'evil.example' })).status).toBe(403);
  });

  it('refuses writes from other sites (a "simple" text/plain POST), keeps the page\'s own and clients without Origin', async () => {
    const before = (await events()).length;
    const line = 'epoch 1 loss=0.5';
    const crossSite = await raw(s.url, 'POST', `/runs/${run.id}/logs`, { origin: 'http://evil.example', 'content-type': 'text/plain' }, line);
    expect(crossSite.status).toBe(403);
    expect(crossSite.body.error.code).toBe('forbidden');
    const fetchSite = await raw(s.url, 'POST', `/runs/${run.id}/logs`, { 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain' }, line);
    expect(fetchSite.status).toBe(403);
    expect((await raw(s.url, 'POST', `/runs/${run.id}/logs`, { origin: 'null', 'content-type': 'text/plain' }, line)).status).toBe(403);
    expect((await raw(s.url, 'DELETE', `/runs/${run.id}`, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await events()).length).toBe(before);
    // The dashboard's own page, a reverse proxy's public page, and clients that are not browsers.
    expect((await raw(s.url, 'POST', `/runs/${run.id}/logs`, { origin: s.url, 'sec-fetch-site': 'same-origin', 'content-type': 'text/plain' }, line)).status).toBe(200);
    expect((await raw(s.url, 'POST', `/runs/${run.id}/logs`, { host: 'proxy.example', origin: 'https://proxy.example', 'content-type': 'text/plain' }, line)).status).toBe(200);
    expect((await raw(s.url, 'POST', `/runs/${run.id}/logs`, { 'content-type': 'text/plain' }, line)).status).toBe(200);
    // Reading is not a write: a cross-site GET is answered (the browser keeps the answer from the page).
    expect((await raw(s.url, 'GET', `/runs/${run.id}`, { origin: 'http://evil.example' })).status).toBe(200);
  });

  it('refuses a WebSocket from another site, and takes one from a client without Origin', async () => {
    const open = (headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${s.url.replace('http', 'ws')}/ws`, { headers });
        ws.once('open', () => {
          ws.close();
          resolve(101);
        });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode!));
      });
    expect(await open({ origin: 'http://evil.example' })).toBe(403);
    expect(await open({ host: 'evil.example' })).toBe(403);
    expect(await open({})).toBe(101);
    expect(await open({ origin: s.url })).toBe(101);
  });
});

describe('POST /sources', () => {
  let upstream: Server;
  let guarded: TestServer;
  beforeAll(async () => {
    upstream = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`id: 1\ndata: {"step": 1, "loss": 1}\n\n`);
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    guarded = await testServer();
  });
  afterAll(async () => {
    await guarded.stop();
    await new Promise<void>((r) => upstream.close(() => r()));
  });

  it('refuses loopback, private and link-local upstreams unless allowed, and writes nothing for them', async () => {
    const port = (upstream.address() as AddressInfo).port;
    for (const url of [`http://127.0.0.1:${port}/`, `http://localhost:${port}/`, 'http://169.254.169.254/latest/meta-data', 'http://10.0.0.1/', 'http://[::ffff:127.0.0.1]/', 'http://[::127.0.0.1]/']) {
      const r = await api(guarded.url, '/sources', { method: 'POST', json: { url, run: 'inward', headers: { authorization: 'Bearer x' } } });
      expect(r.status, url).toBe(400);
      expect(r.body.error.message).toMatch(/private or loopback address \(set ANALYST_WEBHOOK_ALLOW_PRIVATE=1 to allow\)/);
    }
    expect((await api(guarded.url, '/sources')).body.sources).toEqual([]);
    expect((await api(guarded.url, '/runs?name=inward')).body.runs).toEqual([]);
  });

  it('refuses headers that belong to the connection', async () => {
    const r = await api(guarded.url, '/sources', { method: 'POST', json: { url: 'https://example.com/stream', headers: { Host: 'internal' } } });
    expect(r.status).toBe(400);
    expect(r.body.error.issues[0].path).toBe('headers.Host');
  });

  it('refuses a source that points at this service itself, by its address or through another name', async () => {
    // Private addresses allowed, as for a trainer on the same machine: only the loop is refused.
    const open = await testServer({ ANALYST_WEBHOOK_ALLOW_PRIVATE: '1' });
    try {
      const port = new URL(open.url).port;
      for (const url of [`${open.url}/stream`, `http://localhost:${port}/runs/x/stream`]) {
        const r = await api(open.url, '/sources', { method: 'POST', json: { url } });
        expect(r.status, url).toBe(400);
        expect(r.body.error.message).toMatch(/cannot read this service itself/);
      }
      // Through a forwarding proxy the URL says nothing; the service knows its own request.
      const proxy = createServer((req, res) => {
        const fwd = request({ host: '127.0.0.1', port, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${port}` } }, (r) => {
          res.writeHead(r.statusCode!, r.headers);
          r.pipe(res);
        });
        fwd.on('error', () => res.destroy());
        fwd.end();
      });
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
      try {
        const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/stream`;
        const created = await api(open.url, '/sources', { method: 'POST', json: { url, run: 'loop' } });
        expect(created.status).toBe(201);
        const source = await until(async () => {
          const got = (await api(open.url, `/sources/${created.body.id}`)).body;
          return got.last_error ? got : undefined;
        });
        expect(source.last_error).toMatch(/HTTP 403/);
        const stored = (await api(open.url, `/runs/${created.body.run}/events`)).body.events;
        expect(stored.filter((e: any) => e.type === 'metrics')).toEqual([]);
        await api(open.url, `/sources/${created.body.id}`, { method: 'DELETE' });
      } finally {
        await new Promise<void>((r) => proxy.close(() => r()));
      }
    } finally {
      await open.stop();
    }
  });
});

describe('keys named after Object.prototype', () => {
  it('stores metrics, params and tags named constructor and __proto__ on every door, none lost', async () => {
    const r = (await api(s.url, '/runs', { method: 'POST', json: { name: 'proto', project: 'faults' } })).body;
    const post = (path: string, body: string, type = 'application/json') => api(s.url, path, { method: 'POST', body, headers: { 'content-type': type } });
    expect((await post(`/runs/${r.id}/events`, '[{"type":"metrics","step":1,"values":{"__proto__":1,"constructor":2,"toString":3,"loss":1}}]')).body.accepted).toBe(1);
    expect((await post(`/runs/${r.id}/metrics`, '{"step":2,"__proto__":1,"constructor":2,"loss":0.9}')).body.accepted).toBe(1);
    const imported = await post(`/runs/${r.id}/import?filename=m.jsonl`, '{"step":3,"__proto__":1,"constructor":2,"loss":0.8}\n{"step":4,"__proto__":1,"loss":0.7}\n', 'application/octet-stream');
    expect(imported.body).toMatchObject({ accepted: 2, read: { skipped: 0 } });
    const mlflow = await api(s.url, '/api/2.0/mlflow/runs/log-batch', {
      method: 'POST',
      json: { run_id: r.id, metrics: [{ key: '__proto__', value: 1, timestamp: Date.now(), step: 5 }], params: [{ key: 'constructor', value: '1' }, { key: '__proto__', value: '2' }], tags: [{ key: 'constructor', value: 'x' }] },
    });
    expect(mlflow.status).toBe(200);
    const series = (await api(s.url, `/runs/${r.id}/metrics`)).body.series as any[];
    const steps = (name: string) => series.find((x) => x.name === name)?.points.map((p: any) => p.step);
    expect(steps('__proto__')).toEqual([1, 2, 3, 4, 5]);
    expect(steps('constructor')).toEqual([1, 2, 3]);
    expect(steps('toString')).toEqual([1]);
    const status = (await api(s.url, `/runs/${r.id}`)).body;
    expect(Object.keys(status.latest).sort()).toEqual(['__proto__', 'constructor', 'loss', 'toString']);
    expect(status.config).toEqual(JSON.parse('{"constructor":1,"__proto__":2}'));
    expect(status.tags.constructor).toBe('x');
  });
});

describe('deep JSON and endless bodies', () => {
  it('skips a JSONL line nested 5,000 deep with the reason, and refuses a body of four million "["', async () => {
    const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
    const r = (await api(s.url, '/runs', { method: 'POST', json: { name: 'deep', project: 'faults' } })).body;
    const imported = await api(s.url, `/runs/${r.id}/import?filename=m.jsonl`, { method: 'POST', body: `{"step":1,"loss":1}\n{"step":2,"x":${deep}}\n{"step":3,"loss":0.5}\n` });
    expect(imported.status).toBe(200);
    expect(imported.body.read).toMatchObject({ skipped: 1, examples: [{ code: 'bad_json', line: 2 }] });
    expect(imported.body.read.examples[0].message).toMatch(/nested deeper than 64 levels at x\.a\.a/);
    const brackets = await api(s.url, `/runs/${r.id}/events`, { method: 'POST', body: '['.repeat(4_000_000), headers: { 'content-type': 'application/json' } });
    expect(brackets.status).toBe(400);
    expect(brackets.body.error.issues[0].path).toMatch(/^0\.0\.0/);
    expect((await api(s.url, `/runs/${r.id}/events`)).body.events.filter((e: any) => e.type === 'metrics').map((e: any) => e.step)).toEqual([1, 3]);
  });

  it('answers 408 and closes a request whose body never finishes', async () => {
    const url = new URL(s.url);
    const socket = connect(Number(url.port), url.hostname);
    let answer = '';
    socket.on('data', (d) => (answer += d));
    socket.write(`POST /runs/${run.id}/events HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n[{"type":`);
    await new Promise((resolve) => socket.once('close', resolve));
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });
});

describe('times', () => {
  it('refuses implausible times with the reason, and takes real ones', async () => {
    for (const ts of ['1900-01-01T00:00:00Z', 0, 12.5, Date.now() + 10 * 86_400_000]) {
      const r = await api(s.url, `/runs/${run.id}/events`, { method: 'POST', json: [{ type: 'metrics', step: 1, ts, values: { loss: 1 } }] });
      expect(r.status, String(ts)).toBe(400);
      expect(r.body.error.issues[0]).toMatchObject({ path: '0.ts', message: expect.stringMatching(/implausible time .*between 2000-01-01 and a day from now/) });
    }
    for (const ts of [Date.now(), Date.now() / 1000, new Date().toISOString(), '2019-06-01T12:00:00Z']) {
      expect((await api(s.url, `/runs/${run.id}/events`, { method: 'POST', json: [{ type: 'metrics', step: 1, ts, values: { loss: 1 } }] })).status, String(ts)).toBe(200);
    }
  });
});

describe('binding', () => {
  it('takes only loopback addresses for loopback, and wants a token of 16 characters or more elsewhere', async () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopback(host), host).toBe(true);
    for (const host of ['127.evil.example', '127.0.0.1.nip.io', '0.0.0.0', '::']) expect(isLoopback(host), host).toBe(false);
    const start = (env: Record<string, string>) => startServer(loadConfig({ ANALYST_LOG_LEVEL: 'silent', ANALYST_DB: ':memory:', ANALYST_PORT: '0', ...env }), { ANALYST_LLM: 'offline' });
    const named = await start({ ANALYST_HOST: '127.evil.example' }).catch((e: unknown) => e);
    expect(named).toBeInstanceOf(AnalystError);
    expect((named as Error).message).toMatch(/without a token/);
    const short = await start({ ANALYST_HOST: '0.0.0.0', ANALYST_TOKEN: 'x' }).catch((e: unknown) => e);
    expect((short as Error).message).toMatch(/1-character token: off loopback it must be at least 16 characters/);
    const ok = await start({ ANALYST_HOST: '0.0.0.0', ANALYST_TOKEN: 'a'.repeat(16) });
    await ok.close();
  });
});
