// A client that goes away mid-request is the client's doing: logged as such, never as a server error.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { AnalystService } from '../../src/service/service.ts';
import { createTelemetry } from '../../src/service/telemetry.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { until } from '../streams/clients.ts';

it('logs an aborted request as a client abort, without a stack, and keeps nothing of it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'analyst-abort-'));
  const store = new SqliteStore(join(dir, 'analyst.db'));
  const service = new AnalystService({ store, telemetry: createTelemetry(), limits: { window: 64, maxMetrics: 64, recentEvents: 8 }, maxActiveRuns: 10 });
  const lines: Array<{ level: string; obj: any; msg?: string }> = [];
  const log = {
    info: (obj: object, msg?: string) => lines.push({ level: 'info', obj, msg }),
    warn: (obj: object, msg?: string) => lines.push({ level: 'warn', obj, msg }),
    error: (obj: object, msg?: string) => lines.push({ level: 'error', obj, msg }),
  };
  const app = createApp({ service, log, maxBodyBytes: 1 << 20, maxBatchEvents: 100 });
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise((r) => server.once('listening', r));
  try {
    const run = (await service.createRun({ name: 'aborted', project: 'faults', config: {}, meta: {}, tags: {} })).run;
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const received = new Promise((r) => server.once('request', r));
    socket.write(`POST /runs/${run.id}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[{"type":"metrics",`);
    // The client leaves once the server has started on the request, before its body is complete.
    await received;
    socket.destroy();
    const line = await until(() => lines.find((l) => l.msg === 'client aborted the request'));
    expect(line).toMatchObject({ level: 'info', obj: { method: 'POST', path: `/runs/${run.id}/events` } });
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(JSON.stringify(lines)).not.toMatch(/stack|ECONNRESET/);
    expect(await store.eventsAfter(run.id, 0, 10)).toEqual([]);
  } finally {
    await new Promise((r) => server.close(r));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
