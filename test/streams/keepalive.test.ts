import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { streamRoutes } from '../../src/http/routes/streams.ts';
import { attachWebSocket } from '../../src/http/ws.ts';
import { ControlDesk } from '../../src/service/control.ts';
import { api, testServer, type TestServer } from '../helpers/server.ts';
import { SseClient, until } from './clients.ts';

// The service's own intervals are tens of seconds; these tests mount the same doors with short ones.
let server: TestServer | undefined;
const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await server?.stop();
  server = undefined;
});

const silent = { info: () => {}, warn: () => {}, error: () => {} };

describe('keep-alive', () => {
  it('an idle SSE stream gets heartbeat comments', async () => {
    server = await testServer();
    const run = (await api(server.url, '/runs', { method: 'POST', json: { name: 'idle' } })).body.id;
    const app = streamRoutes(server.service, { maxBuffered: 100, heartbeatMs: 30, retryMs: 500, closing: new AbortController().signal });
    const http = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    closers.push(() => new Promise((r) => (http.close(() => r(undefined)), (http as Server).closeAllConnections())));
    const sse = await SseClient.open(`http://127.0.0.1:${(http.address() as AddressInfo).port}/runs/${run}/stream`);
    await sse.waitFor((c) => c.comments.filter((x) => x.trim() === 'heartbeat').length >= 3);
    expect(sse.retry).toBe(500);
    await sse.close();
  });

  it('pings WebSocket clients and drops one that stops answering', async () => {
    server = await testServer();
    const http = createServer();
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const close = attachWebSocket(http, server.service, new ControlDesk(server.service), { maxBatchEvents: 10, maxPayload: 1 << 20, maxBuffered: 100, pingMs: 250 }, silent);
    closers.push(() => new Promise((r) => (close(), http.close(() => r(undefined)))));
    const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/ws`;
    const open = (autoPong: boolean) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(url, { autoPong });
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      });
    // A round long enough for a pong to come back while the machine is busy (the client runs in this
    // process, so a blocked event loop delays its answer as much as the server's check).
    const answering = await open(true);
    let answered = 0;
    answering.on('ping', () => answered++);
    const silentClient = await open(false);
    let pings = 0;
    silentClient.on('ping', () => pings++);
    const closed = new Promise<number>((r) => silentClient.once('close', (code) => r(code)));
    await closed;
    expect(pings).toBeGreaterThanOrEqual(1);
    // Several ping rounds later the one that answers is still there.
    const roundsSoFar = answered;
    await until(() => answered >= roundsSoFar + 3);
    expect(answering.readyState).toBe(WebSocket.OPEN);
    answering.close();
    await until(() => answering.readyState === WebSocket.CLOSED);
  });
});
