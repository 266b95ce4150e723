// Generated bad input on every door: never a 5xx, never a crash, and nothing written by a request
// that was refused. Seeds are fixed, so a failure is reproducible; each door gets its own.
import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, testServer, type TestServer } from '../helpers/server.ts';
import { openReader, type DatabaseReader } from '../helpers/test-db.ts';
import { WsClient } from '../streams/clients.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);

let s: TestServer;
let reader: DatabaseReader;
let runId = '';
beforeAll(async () => {
  s = await testServer({ ANALYST_MAX_BATCH_EVENTS: '200', ANALYST_MAX_BODY_BYTES: String(256 * 1024) });
  reader = await openReader(s.db);
  runId = (await api(s.url, '/runs', { method: 'POST', json: { name: 'fuzz', project: 'fuzz' } })).body.id;
});
afterAll(async () => {
  await reader.close();
  await s.stop();
});

/**
 * Tables doors write, counted, and the runs' content summed: a refused request must leave all of
 * it as it was. Not the analyst's suggestions: the automatic analysis a raised finding starts
 * writes them in the background, whenever it is done, which on PostgreSQL is often during a later request.
 */
const WRITTEN = ['runs', 'events', 'series', 'samples', 'series_buckets', 'findings', 'read_reports', 'run_requests', 'deleted_runs', 'experiments', 'sources', 'webhooks', 'control_requests'];
async function fingerprint(): Promise<string> {
  const [row] = await reader.query(
    `SELECT ${WRITTEN.map((t) => `(SELECT COUNT(*) FROM ${t}) AS ${t}`).join(', ')},
       (SELECT COALESCE(SUM(length(name) + length(project) + length(tags) + length(config) + length(meta) + COALESCE(length(note), 0)
          + COALESCE(archived_at, 0) + last_seq + length(status)), 0) FROM runs) AS runs_content,
       (SELECT COALESCE(SUM(length(report)), 0) FROM read_reports) AS reports_content`,
  );
  return JSON.stringify(Object.values(row).map(Number));
}

// ---- what hostile input looks like ----

const hostileKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '', 'a'.repeat(300), 'loss', 'val_loss', 'lr', 'grad_norm', 'step', 'epoch', 'ts', 'type', 'id', 'name'),
  fc.string({ maxLength: 12 }),
);
const hostileScalar = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(null, true, false, '', 'NaN', 'Infinity', '-Infinity', '1900-01-01', '9999-12-31T00:00:00Z', -1, 0, 1e308, -1e308, 2 ** 53 + 2, 'constructor', '__proto__'),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
);
const { value: hostileValue } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, hostileScalar, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(hostileKey, tie('value'), { maxKeys: 4 })),
}));
const eventType = fc.constantFrom('metrics', 'run_started', 'epoch_started', 'epoch_ended', 'checkpoint_saved', 'log', 'error', 'run_finished', 'control', 'finding_raised', 'bogus', '');
const hostileEvent = fc.record(
  {
    type: fc.oneof(eventType, hostileScalar),
    step: hostileScalar,
    epoch: hostileScalar,
    ts: hostileScalar,
    values: fc.oneof(fc.dictionary(hostileKey, hostileScalar, { maxKeys: 5 }), hostileValue),
    config: hostileValue,
    meta: hostileValue,
    name: hostileScalar,
    message: hostileScalar,
    level: hostileScalar,
    status: fc.oneof(fc.constantFrom('completed', 'failed', 'stopped'), hostileScalar),
    event_id: hostileScalar,
    client_seq: hostileScalar,
    total_epochs: hostileScalar,
    path: hostileScalar,
  },
  { requiredKeys: ['type'] },
);
/** Text that is not JSON, JSON of the wrong shape, and JSON nested far too deep. */
const hostileText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.json({ maxDepth: 4 }),
  fc.integer({ min: 60, max: 4000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.integer({ min: 60, max: 4000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
  fc.integer({ min: 1, max: 200_000 }).map((n) => '['.repeat(n)),
);
const json = (arb: fc.Arbitrary<unknown>) => arb.map((v) => JSON.stringify(v) ?? 'null');
const body = (shaped: fc.Arbitrary<unknown>) => fc.oneof({ weight: 3, arbitrary: json(shaped) }, { weight: 1, arbitrary: hostileText });
const contentType = fc.oneof({ weight: 5, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', '', 'application/json; charset=utf-16', 'application/vnd.x+json') });

/**
 * One request on its own connection: an early answer (413 before the body was all sent) closes
 * its connection, and a client that had queued the next request on it would see a reset.
 */
function send(method: string, path: string, headers: Record<string, string>, body?: string | Uint8Array): Promise<{ status: number; text: string }> {
  const url = new URL(s.url);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request({ host: url.hostname, port: url.port, method, path, headers, agent: false }, (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
      res.on('error', reject);
    });
    // The server may answer and close before it read a large body: the answer is what counts.
    req.on('error', (err) => (answered ? undefined : reject(err)));
    req.end(body === undefined ? undefined : Buffer.from(body));
  });
}

/** One door: every generated request gets an answer under 500, and a refused one writes nothing. */
async function fuzzDoor(name: string, seed: number, input: fc.Arbitrary<{ method: string; path: string; body?: string | Uint8Array; type?: string; headers?: Record<string, string> }>) {
  await fc.assert(
    fc.asyncProperty(input, async (req) => {
      const before = await fingerprint();
      const headers: Record<string, string> = { ...req.headers };
      if (req.type) headers['content-type'] = req.type;
      const res = await send(req.method, req.path, headers, req.body);
      expect(res.status, `${name}: ${res.text.slice(0, 300)}`).toBeLessThan(500);
      if (res.status >= 400) expect(await fingerprint(), `${name}: a refused request (${res.status}) wrote something`).toBe(before);
    }),
    { numRuns: RUNS, seed, endOnFailure: true },
  );
}

const post = (path: string, shaped: fc.Arbitrary<unknown>) =>
  fc.record({ method: fc.constant('POST'), path: fc.constant(path), body: body(shaped), type: contentType });

describe('fuzz: no 5xx, no crash, nothing written by a refused request', { timeout: 600_000 }, () => {
  it('POST /runs', () => fuzzDoor('runs', 1, post('/runs', fc.record({ name: hostileScalar, project: hostileScalar, config: hostileValue, tags: hostileValue, resume: hostileScalar, id: hostileScalar, total_epochs: hostileScalar, parent_run: hostileScalar }, { requiredKeys: [] }))));

  it('POST /runs/:id/events', () =>
    fuzzDoor('events', 2, post(`/runs/RUN/events`, fc.oneof(fc.array(hostileEvent, { maxLength: 6 }), fc.record({ events: fc.array(hostileEvent, { maxLength: 6 }) }), hostileValue)).map((r) => ({ ...r, path: r.path.replace('RUN', runId) }))));

  it('POST /runs/:id/metrics', () => fuzzDoor('metrics', 3, post('/runs/RUN/metrics', fc.dictionary(hostileKey, hostileScalar, { maxKeys: 6 })).map((r) => ({ ...r, path: r.path.replace('RUN', runId) }))));

  it('POST /runs/:id/logs', () =>
    fuzzDoor(
      'logs',
      4,
      fc.oneof(
        fc.record({ method: fc.constant('POST'), path: fc.constant('/runs/RUN/logs'), body: fc.oneof(fc.string({ maxLength: 300 }), fc.array(fc.string({ maxLength: 60 }), { maxLength: 8 }).map((l) => l.join('\n'))), type: fc.constant('text/plain') }),
        post('/runs/RUN/logs', fc.record({ lines: fc.array(fc.oneof(hostileScalar, fc.record({ message: hostileScalar, level: hostileScalar, ts: hostileScalar })), { maxLength: 5 }) })),
      ).map((r) => ({ ...r, path: r.path.replace('RUN', runId) })),
    ));

  it('POST /runs/:id/import', () =>
    fuzzDoor(
      'import',
      5,
      fc.record({
        method: fc.constant('POST'),
        path: fc.constantFrom('m.jsonl', 'm.csv', 'trainer_state.json', 'training_info.json', 'metrics.json', 'train.log', 'events.out.tfevents.1.x', '').map((f) => `/runs/${runId}/import?filename=${f}`),
        body: fc.oneof(
          hostileText,
          fc.array(json(fc.dictionary(hostileKey, hostileScalar, { maxKeys: 4 })), { maxLength: 6 }).map((l) => l.join('\n')),
          json(fc.record({ log_history: fc.array(fc.dictionary(hostileKey, hostileValue, { maxKeys: 4 }), { maxLength: 4 }) })),
          fc.uint8Array({ maxLength: 300 }),
        ),
        type: fc.constant('application/octet-stream'),
      }),
    ));

  it('PATCH /runs/:id', () =>
    fuzzDoor('patch', 6, fc.record({ method: fc.constant('PATCH'), path: fc.constant('/runs/RUN'), body: body(fc.record({ name: hostileScalar, note: hostileScalar, archived: hostileScalar, add_tags: hostileValue, remove_tags: hostileValue }, { requiredKeys: [] })), type: contentType }).map((r) => ({ ...r, path: r.path.replace('RUN', runId) }))));

  it('POST /sources', () => {
    const url = fc.oneof(fc.constantFrom('http://127.0.0.1:1/', 'http://localhost/', 'http://[::1]/', 'http://[::127.0.0.1]/', 'http://169.254.169.254/', 'http://10.0.0.1/x', 'file:///etc/passwd', 'ftp://x/', 'http://user:pw@127.0.0.1/', s.url), fc.string({ maxLength: 40 }));
    return fuzzDoor('sources', 7, post('/sources', fc.record({ url, run: hostileScalar, project: hostileScalar, headers: fc.dictionary(hostileKey, hostileScalar, { maxKeys: 3 }), mapping: hostileValue }, { requiredKeys: ['url'] })));
  });

  it('POST /webhooks', () => {
    const url = fc.oneof(fc.constantFrom('http://127.0.0.1:1/', 'http://[::ffff:0:127.0.0.1]/', 'http://169.254.169.254/', 'javascript:alert(1)', 'file:///etc/passwd'), fc.string({ maxLength: 40 }));
    return fuzzDoor('webhooks', 8, post('/webhooks', fc.record({ url, secret: hostileScalar, min_severity: hostileScalar, format: hostileScalar, include_analysis: hostileScalar, runs: hostileValue }, { requiredKeys: ['url'] })));
  });

  it('MLflow log-batch and runs/create', () => {
    const metric = fc.record({ key: hostileKey, value: hostileScalar, timestamp: hostileScalar, step: hostileScalar }, { requiredKeys: [] });
    const kv = fc.record({ key: hostileKey, value: hostileScalar }, { requiredKeys: [] });
    return fuzzDoor(
      'mlflow',
      9,
      fc.oneof(
        post('/api/2.0/mlflow/runs/log-batch', fc.record({ run_id: fc.oneof(fc.constant('RUN'), hostileScalar), metrics: fc.array(metric, { maxLength: 5 }), params: fc.array(kv, { maxLength: 3 }), tags: fc.array(kv, { maxLength: 3 }) }, { requiredKeys: [] })),
        post('/api/2.0/mlflow/runs/create', fc.record({ experiment_id: hostileScalar, run_name: hostileScalar, start_time: hostileScalar, tags: fc.array(kv, { maxLength: 3 }) }, { requiredKeys: [] })),
        post('/api/2.0/mlflow/experiments/search', fc.record({ max_results: hostileScalar, page_token: hostileScalar }, { requiredKeys: [] })),
      ).map((r) => ({ ...r, body: typeof r.body === 'string' ? r.body.replace('"RUN"', JSON.stringify(runId)) : r.body })),
    );
  });

  it('POST /analyze and /chat', () =>
    fuzzDoor(
      'analyst',
      10,
      fc.oneof(
        post('/analyze', fc.record({ run: fc.oneof(fc.constant(runId), hostileScalar), kind: fc.oneof(fc.constantFrom('analysis', 'tuning', 'troubleshoot'), hostileScalar), question: hostileScalar }, { requiredKeys: [] })),
        post('/chat', fc.record({ run: fc.oneof(fc.constant(runId), hostileScalar), message: hostileScalar, action: hostileScalar, conversation: hostileScalar }, { requiredKeys: [] })).map((r) => ({ ...r, headers: { accept: 'application/json' } })),
      ),
    ).then(() => undefined));

  it('WebSocket messages', async () => {
    const ws = await WsClient.open(s.url);
    let n = 0;
    const message = fc.oneof(
      hostileText,
      json(fc.record({ type: fc.constantFrom('events', 'attach'), run: fc.oneof(fc.constant(runId), hostileScalar), events: fc.oneof(fc.array(hostileEvent, { maxLength: 4 }), hostileValue) }, { requiredKeys: ['type'] })),
    );
    await fc.assert(
      fc.asyncProperty(message, async (text) => {
        const before = await fingerprint();
        // Each message carries its own id where it can, so its answer is known.
        const id = `f${n++}`;
        let sent = text;
        try {
          const parsed = JSON.parse(text);
          if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) sent = JSON.stringify({ ...parsed, id });
        } catch {
          // not JSON: the answer is an error without an id
        }
        const from = ws.received.length;
        await new Promise<void>((resolve, reject) => ws.ws.send(sent, (err) => (err ? reject(err) : resolve())));
        const reply = await ws.next((m) => m.type !== 'event' && (m.id === id || m.id === undefined), from);
        expect(reply.code, JSON.stringify(reply)).not.toBe('internal');
        if (reply.type === 'error') expect(await fingerprint()).toBe(before);
      }),
      { numRuns: RUNS, seed: 11, endOnFailure: true },
    );
    await ws.close();
  });

  it('is still up and answering after all of it', async () => {
    expect((await api(s.url, '/healthz')).status).toBe(200);
  });
});
