// The MCP server through the SDK's own client: over streamable HTTP (/mcp) and over stdio (`analyst mcp`).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOOLS } from '../../src/mcp/tools.ts';
import { GENERATED } from '../helpers/datasets.ts';
import { api, testServer, type TestServer } from '../helpers/server.ts';

const BIN = resolve(import.meta.dirname, '../../bin/analyst.js');
const TOKEN = 'mcp-test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

let server: TestServer;
const ids: Record<string, string> = {};

async function createRun(name: string): Promise<string> {
  return (await api(server.url, '/runs', { method: 'POST', headers: auth, json: { name, project: 'mcp' } })).body.id as string;
}

beforeAll(async () => {
  server = await testServer({ ANALYST_TOKEN: TOKEN, ANALYST_MCP_ALLOW_CONTROL: '1' });
  for (const name of ['digits-s1-overfit', 'digits-s1-lr-too-high']) {
    ids[name] = await createRun(name);
    const form = new FormData();
    form.append('file', new Blob([readFileSync(`${GENERATED}/${name}.jsonl`)]), 'metrics.jsonl');
    const r = await fetch(`${server.url}/runs/${ids[name]}/import`, { method: 'POST', headers: auth, body: form });
    expect(r.status).toBe(200);
  }
  // A flat loss with one spike, 1,000 points: downsampling must keep the spike.
  ids.spiky = await createRun('spiky');
  const events = Array.from({ length: 1000 }, (_, i) => ({ type: 'metrics', step: i + 1, values: { loss: i === 537 ? 9.5 : 1 + (i % 7) * 0.001 } }));
  expect((await api(server.url, `/runs/${ids.spiky}/events`, { method: 'POST', headers: auth, json: events })).status).toBe(200);
});
afterAll(() => server.stop());

type ToolResult = { isError?: boolean; content: Array<{ type: string; text: string }> };
const parsed = (r: unknown) => JSON.parse((r as ToolResult).content[0].text);

async function httpClient(headers: Record<string, string> = auth): Promise<Client> {
  const client = new Client({ name: 'test-agent', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers } }));
  return client;
}

describe('MCP over streamable HTTP (/mcp)', () => {
  let client: Client;
  beforeAll(async () => {
    client = await httpClient();
  });
  afterAll(() => client.close());

  it('lists eight tools, each saying what it returns and its size', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['analyze_run', 'ask', 'compare_runs', 'control_run', 'findings', 'list_runs', 'metric_series', 'run_status']);
    expect([...TOOLS].sort()).toEqual(tools.map((t) => t.name).sort());
    for (const t of tools) expect(t.description).toMatch(/bytes|KB/);
  });

  it('list_runs and run_status: compact, with the open findings evidence first', async () => {
    const list = parsed(await client.callTool({ name: 'list_runs', arguments: { project: 'mcp' } }));
    expect(list.total).toBe(3);
    expect(list.runs.map((r: { name: string }) => r.name).sort()).toEqual(['digits-s1-lr-too-high', 'digits-s1-overfit', 'spiky']);
    const status = parsed(await client.callTool({ name: 'run_status', arguments: { run: ids['digits-s1-overfit'] } }));
    expect(status).toMatchObject({ id: ids['digits-s1-overfit'], name: 'digits-s1-overfit' });
    const f = status.findings.find((x: { kind: string }) => x.kind === 'overfitting');
    expect(Object.keys(f)[0]).toBe('evidence');
    expect(f.actions[0]).toMatch(/^stop at epoch 17/);
  });

  it('metric_series: downsampled to the budget, the spike kept', async () => {
    const r = parsed(await client.callTool({ name: 'metric_series', arguments: { run: ids.spiky, metrics: ['loss'], points: 30 } }));
    expect(r.series).toHaveLength(1);
    // At most the budget: each column gives its min, max and first non-finite value, fewer where they coincide.
    expect(r.series[0]).toMatchObject({ name: 'loss', count: 1000, x: 'step' });
    expect(r.series[0].shown).toBeGreaterThan(10);
    expect(r.series[0].shown).toBeLessThanOrEqual(30);
    expect(r.series[0].points).toContainEqual([538, 9.5]);
  });

  it('findings, compare_runs, analyze_run, ask', async () => {
    const findings = parsed(await client.callTool({ name: 'findings', arguments: { run: ids['digits-s1-lr-too-high'], status: 'open' } }));
    expect(findings.findings.map((f: { kind: string }) => f.kind)).toContain('divergence');
    const compare = parsed(await client.callTool({ name: 'compare_runs', arguments: { a: ids['digits-s1-overfit'], b: ids['digits-s1-lr-too-high'] } }));
    expect(compare).toHaveProperty('comparison');
    expect(compare.a.id).toBe(ids['digits-s1-overfit']);
    const three = parsed(await client.callTool({ name: 'compare_runs', arguments: { runs: [ids['digits-s1-overfit'], ids['digits-s1-lr-too-high'], ids.spiky] } }));
    expect(three.runs.map((r: { id: string }) => r.id)).toEqual([ids['digits-s1-overfit'], ids['digits-s1-lr-too-high'], ids.spiky]);
    expect(three.ranking).toHaveLength(3);
    expect(three.text).toContain('digits-s1-');
    const analysis = parsed(await client.callTool({ name: 'analyze_run', arguments: { run: ids['digits-s1-overfit'], kind: 'tuning' } }));
    expect(analysis).toMatchObject({ kind: 'tuning', provider: 'offline', degraded: false });
    expect(analysis.suggestions.length).toBeGreaterThan(0);
    const asked = parsed(await client.callTool({ name: 'ask', arguments: { run: ids['digits-s1-overfit'], question: 'which knob first?' } }));
    expect(asked.answer).toMatch(/^First: stop at epoch 17/);
    expect(asked.offline_reason).toMatch(/ANALYST_LLM=offline/);
    const follow = parsed(await client.callTool({ name: 'ask', arguments: { run: ids['digits-s1-overfit'], question: 'is it overfitting?', conversation: asked.conversation } }));
    expect(follow.conversation).toBe(asked.conversation);
  });

  it('control_run, allowed by ANALYST_MCP_ALLOW_CONTROL, asks the trainer to pause', async () => {
    const r = parsed(await client.callTool({ name: 'control_run', arguments: { run: ids.spiky, action: 'pause', reason: 'agent' } }));
    expect(r).toMatchObject({ action: 'pause' });
    const controls = await api(server.url, `/runs/${ids.spiky}/control`, { headers: auth });
    expect(controls.body.controls.map((c: { action: string }) => c.action)).toContain('pause');
  });

  it('an unknown run is a tool error in the service words, not a crash', async () => {
    const r = (await client.callTool({ name: 'run_status', arguments: { run: 'no-such-run' } })) as ToolResult;
    expect(r.isError).toBe(true);
    expect(r.content[0].text).toMatch(/no-such-run.*\(HTTP 404\)/);
    const bad = (await client.callTool({ name: 'metric_series', arguments: { run: ids.spiky, points: 100_000 } })) as ToolResult;
    expect(bad.isError).toBe(true);
  });

  it('needs the token: without it, or with another, the connection is refused', async () => {
    await expect(httpClient({})).rejects.toThrow(/unauthorized.*missing or wrong bearer token/);
    await expect(httpClient({ authorization: 'Bearer wrong-token-0123456789' })).rejects.toThrow(/unauthorized.*missing or wrong bearer token/);
  });
});

describe('MCP over stdio (analyst mcp)', () => {
  let said = '';
  async function stdioClient(env: Record<string, string>): Promise<Client> {
    const client = new Client({ name: 'test-agent', version: '1.0.0' });
    const clean = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && e[0] !== 'ANALYST_MCP_ALLOW_CONTROL'));
    const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', '--server', server.url, '--json'], env: { ...clean, ...env }, stderr: 'pipe' });
    said = '';
    transport.stderr?.on('data', (d: Buffer) => (said += d.toString()));
    await client.connect(transport);
    return client;
  }

  it('lists seven tools (no control_run unless allowed) and answers with the token it was given', async () => {
    const client = await stdioClient({ ANALYST_TOKEN: TOKEN });
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).not.toContain('control_run');
      expect(tools).toHaveLength(7);
      // The start-up line is written before the handshake is answered, so it is here by now.
      expect(JSON.parse(said.trim().split('\n')[0])).toEqual({ server: server.url, tools: tools.map((t) => t.name) });
      const status = parsed(await client.callTool({ name: 'run_status', arguments: { run: ids['digits-s1-lr-too-high'] } }));
      expect(status.findings.map((f: { kind: string }) => f.kind)).toContain('divergence');
      const unknown = (await client.callTool({ name: 'findings', arguments: { run: 'no-such-run' } })) as ToolResult;
      expect(unknown.isError).toBe(true);
      expect(unknown.content[0].text).toMatch(/\(HTTP 404\)/);
    } finally {
      await client.close();
    }
  });

  it('a wrong token: every tool answers the service refusal (401)', async () => {
    const client = await stdioClient({ ANALYST_TOKEN: 'wrong-token-0123456789' });
    try {
      const r = (await client.callTool({ name: 'list_runs', arguments: {} })) as ToolResult;
      expect(r.isError).toBe(true);
      expect(r.content[0].text).toMatch(/\(HTTP 401\)/);
    } finally {
      await client.close();
    }
  });
});
