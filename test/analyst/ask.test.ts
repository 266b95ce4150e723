// `analyst ask`: on a file with no server, and against a running analyst HTTP app.
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemorySource } from '../../src/analyst/memory-source.ts';
import { askCommand } from '../../src/cli/ask.ts';
import { errorResponse } from '../../src/http/errors.ts';
import { analystRoutes } from '../../src/http/routes/analyst.ts';
import { GENERATED, loadGenerated, makeAnalyst } from './fixture.ts';

function capture() {
  const chunks: string[] = [];
  return { chunks, write: (s: string) => chunks.push(s), text: () => chunks.join('') };
}

async function ask(args: string[]) {
  const out = capture();
  const err = capture();
  await askCommand(out, err).exitOverride().parseAsync(args, { from: 'user' });
  return { out, err };
}

let server: ServerType;
let base: string;

beforeAll(async () => {
  vi.stubEnv('ANALYST_LLM', 'offline');
  const source = new MemorySource();
  await loadGenerated(source, 'iris-s1-vanishing');
  const { analyst } = await makeAnalyst({}, source);
  const app = new Hono();
  app.onError((e, c) => errorResponse(e, c, { info() {}, warn() {}, error() {} }));
  app.route('/', analystRoutes({ analyst }));
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((r) => server.once('listening', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('analyst ask', () => {
  it('answers on a file with no server, streaming tokens to the terminal', async () => {
    const { out } = await ask(['is it overfitting?', '--file', `${GENERATED}/digits-s2-overfit.jsonl`]);
    expect(out.chunks.length).toBeGreaterThan(10);
    expect(out.text()).toMatch(/^Yes\. overfitting \((warning|critical) since epoch \d+/);
    expect(out.text()).toMatch(/best = [\d.]+/);
  });

  it('prints one JSON answer with --json on a file', async () => {
    const { out } = await ask(['--action', 'tune', '--file', `${GENERATED}/digits-s1-lr-too-low.jsonl`, '--json']);
    const result = JSON.parse(out.text());
    expect(result).toMatchObject({ run: 'digits-s1-lr-too-low', provider: 'offline', degraded: false });
    expect(result.message).toMatch(/lr: 1e-5 → 1e-4/);
  });

  it('streams the answer of a server', async () => {
    const { out } = await ask(['what is wrong?', '--run', 'iris-s1-vanishing', '--server', base]);
    expect(out.chunks.length).toBeGreaterThan(10);
    expect(out.text()).toMatch(/vanishing gradients/);
  });

  it('prints the server answer as JSON with --json', async () => {
    const { out } = await ask(['what is wrong?', '--run', 'iris-s1-vanishing', '--server', base, '--json']);
    expect(JSON.parse(out.text()).message).toMatch(/vanishing gradients/);
  });

  it('says what is missing: a run for a server, a run the server knows', async () => {
    await expect(ask(['hi', '--server', base])).rejects.toThrow(/--run RUN is needed/);
    await expect(ask(['hi', '--run', 'nope', '--server', base])).rejects.toThrow(/run nope not found \(HTTP 404\)/);
  });
});
