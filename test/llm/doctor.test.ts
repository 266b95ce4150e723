// `analyst doctor` and GET /llm: provider, model, what the server accepted, a round trip, against a real server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorCommand } from '../../src/cli/doctor.ts';
import { CliError } from '../../src/cli/client.ts';
import { LlmCheck } from '../../src/domain/llm-check.ts';
import { api, testServer, type TestServer } from '../helpers/server.ts';
import { json, startWire, type Logged, type WireServer } from './wire/common.ts';
import { answerChat } from './wire/openai-server.ts';

/** A vLLM without json_schema support, as it answers. */
async function oldVllm(): Promise<WireServer> {
  return startWire((req: Logged, mode, res, srv) => {
    if (req.path !== '/v1/chat/completions') return json(res, 404, { detail: 'Not Found' });
    if ((req.body.response_format as { type?: string } | undefined)?.type === 'json_schema') {
      return json(res, 400, { object: 'error', message: "Input should be 'text' or 'json_object'", type: 'BadRequestError', param: null, code: 400 });
    }
    if (req.body.model !== 'served-model') return json(res, 404, { object: 'error', message: `The model \`${String(req.body.model)}\` does not exist.`, type: 'NotFoundError', param: null, code: 404 });
    srv.structured = { ok: true };
    answerChat(req, mode, res, srv);
  });
}

async function runDoctor(args: string[]): Promise<{ text: string; error?: unknown }> {
  let text = '';
  const cmd = doctorCommand({ write: (s: string) => (text += s) }).exitOverride();
  try {
    await cmd.parseAsync(args, { from: 'user' });
    return { text };
  } catch (error) {
    return { text, error };
  }
}

let wire: WireServer;
let server: TestServer;
const llmEnv = () => ({ ANALYST_LLM: 'openai', OPENAI_BASE_URL: `${wire.url}/v1`, OPENAI_MODEL: 'served-model', ANALYST_LLM_TIMEOUT_MS: '5000' });

beforeAll(async () => {
  wire = await oldVllm();
  server = await testServer(llmEnv());
});
afterAll(async () => {
  await server.stop();
  await wire.close();
});

describe('GET /llm', () => {
  it('reports the provider, the model, what the server accepted and a round trip; reuses a recent check', async () => {
    wire.requests.length = 0;
    const { status, body } = await api(server.url, '/llm');
    expect(status).toBe(200);
    const r = LlmCheck.parse(body);
    expect(r).toMatchObject({ provider: 'openai', model: 'served-model', endpoint: `${wire.url}/v1`, circuit: 'closed' });
    expect(r.because).toMatch(/ANALYST_LLM=openai; model served-model \(OPENAI_MODEL\)/);
    expect(r.accepted?.structured_output).toBe('json_object');
    expect(r.accepted?.learned.join('\n')).toContain("Input should be 'text' or 'json_object'");
    expect(r.check.ok).toBe(true);
    expect(r.check.round_trip_ms).toBeGreaterThanOrEqual(0);
    expect(wire.requests).toHaveLength(2);
    const again = await api(server.url, '/llm');
    expect(again.body.check.at).toBe(r.check.at);
    expect(wire.requests).toHaveLength(2);
    const fresh = await api(server.url, '/llm?fresh=true');
    expect(fresh.body.check.ok).toBe(true);
    // The server's json_schema refusal was learned once: the fresh check asks for json_object only.
    expect(wire.requests).toHaveLength(3);
  });

  it('refuses a bad query with 400 and its path', async () => {
    const { status, body } = await api(server.url, '/llm?fresh=maybe');
    expect(status).toBe(400);
    expect(JSON.stringify(body)).toContain('fresh');
  });
});

describe('analyst doctor', () => {
  it('--server prints what a running service uses, with the round trip', async () => {
    const { text, error } = await runDoctor(['--server', server.url]);
    expect(error).toBeUndefined();
    expect(text).toMatch(/^provider {4}openai$/m);
    expect(text).toMatch(/^model {7}served-model$/m);
    expect(text).toMatch(/^accepts {5}structured output: json_object; output cap: max_completion_tokens and max_tokens$/m);
    expect(text).toMatch(/^check {7}answered in \d+ ms$/m);
  });

  it("checks this environment's settings without a service: a wrong model fails in the server's words", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, llmEnv(), { OPENAI_BASE_URL: wire.url, OPENAI_MODEL: 'no-such-model' });
    try {
      const { text, error } = await runDoctor(['--json']);
      const r = LlmCheck.parse(JSON.parse(text));
      expect(r.warnings.join('\n')).toMatch(/does not end in \/v1/);
      expect(r.check.ok).toBe(false);
      expect(r.check.error).toContain('The model `no-such-model` does not exist.');
      expect(error).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode).toBe(1);
    } finally {
      process.env = saved;
    }
  });
});
