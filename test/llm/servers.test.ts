// The LLM servers people run, as they answer (statuses and bodies from their issue trackers): each ends
// in a structured analysis, with no blind retry and the circuit breaker closed.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemorySource } from '../../src/analyst/memory-source.ts';
import { loadLlmConfig } from '../../src/llm/config.ts';
import { selectDefault } from '../../src/llm/select.ts';
import { loadGenerated, makeAnalyst } from '../analyst/fixture.ts';
import { json, startWire, type Handler, type Logged, type WireServer } from './wire/common.ts';
import { startOllamaServer } from './wire/ollama-server.ts';
import { answerChat } from './wire/openai-server.ts';
import { TIMEOUT } from './wire/suite.ts';

const RUN = 'digits-s1-overfit';
const source = new MemorySource();
const servers: WireServer[] = [];

beforeAll(async () => {
  await loadGenerated(source, RUN);
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** An OpenAI-compatible server at /v1 that refuses what `refuse` says, as that server does. */
async function compatible(refuse: (req: Logged) => [number, unknown] | undefined, models = ['served-model']): Promise<WireServer> {
  const handle: Handler = (req, mode, res, srv) => {
    if (req.method === 'GET' && req.path === '/v1/models') return json(res, 200, { object: 'list', data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'me' })) });
    if (req.path !== '/v1/chat/completions') return json(res, 404, { detail: 'Not Found' });
    const refused = refuse(req);
    if (refused) return json(res, refused[0], refused[1]);
    answerChat(req, mode, res, srv);
  };
  const s = await startWire(handle);
  servers.push(s);
  return s;
}

// Any counted failure would open the breaker at once; retries stay on, so a blind one would show.
const env = (url: string, extra: Record<string, string> = {}) => ({
  ANALYST_LLM: 'openai',
  OPENAI_BASE_URL: url,
  OPENAI_MODEL: 'served-model',
  ANALYST_LLM_TIMEOUT_MS: String(TIMEOUT * 2),
  ANALYST_LLM_BREAKER_FAILURES: '1',
  ANALYST_LLM_RETRIES: '2',
  ...extra,
});

const formatOf = (r: Logged) => (r.body.response_format as { type?: string } | undefined)?.type ?? 'none';

async function structuredAnalysis(e: Record<string, string>, provider: 'openai' | 'ollama' = 'openai') {
  const made = await makeAnalyst(e, source);
  const r = await made.analyst.analyze({ run: RUN, kind: 'tuning', question: `${Math.random()}` });
  expect(r).toMatchObject({ provider, degraded: false });
  expect(r.suggestions).toHaveLength(1);
  expect(r.suggestions[0]).toMatchObject({ parameter: 'weight_decay', proposed: 0.0001 });
  expect(made.analyst.parts.gateway.breaker(provider).state).toBe('closed');
  return { r, ...made };
}

const VLLM_JSON_SCHEMA = {
  object: 'error',
  message:
    "[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema', 'ctx': {'expected': \"'text' or 'json_object'\"}}]",
  type: 'BadRequestError',
  param: null,
  code: 400,
};

describe('OpenAI-compatible servers', () => {
  it('vLLM refusing json_schema with 400 and its own error body: json_object next, remembered for the process', async () => {
    const srv = await compatible((req) => (formatOf(req) === 'json_schema' ? [400, VLLM_JSON_SCHEMA] : undefined));
    const { r, analyst } = await structuredAnalysis(env(`${srv.url}/v1`));
    expect(srv.requests.map(formatOf)).toEqual(['json_schema', 'json_object']);
    // json_object carries no schema: the schema goes into the prompt.
    expect((srv.requests[1].body.messages as Array<{ content: string }>)[0].content).toContain('matching this JSON schema');
    expect(r.text).toMatch(/overfits/);
    const provider = analyst.parts.gateway.defaultProvider as { accepted?: { structured: string; learned: string[] } };
    expect(provider.accepted?.structured).toBe('json_object');
    // The server's own message, not "400 status code (no body)".
    expect(provider.accepted?.learned.join('\n')).toContain("Input should be 'text' or 'json_object'");
    // A second analyst of the same server asks for json_object straight away.
    srv.requests.length = 0;
    await structuredAnalysis(env(`${srv.url}/v1`));
    expect(srv.requests.map(formatOf)).toEqual(['json_object']);
  });

  it('older llama.cpp refusing json_schema with 500: not retried, not counted, json_object next', async () => {
    const srv = await compatible((req) =>
      formatOf(req) === 'json_schema'
        ? [500, { error: { code: 500, message: 'response_format type must be one of "text" or "json_object", but got: json_schema', type: 'server_error' } }]
        : undefined,
    );
    await structuredAnalysis(env(`${srv.url}/v1`));
    expect(srv.requests.map(formatOf)).toEqual(['json_schema', 'json_object']);
  });

  it('a server taking no response_format at all: the schema in the prompt, a fenced answer parsed', async () => {
    const srv = await compatible((req) => (formatOf(req) !== 'none' ? [422, { detail: [{ type: 'extra_forbidden', loc: ['body', 'response_format'], msg: 'Extra inputs are not permitted' }] }] : undefined));
    const { analyst } = await structuredAnalysis(env(`${srv.url}/v1`));
    expect(srv.requests.map(formatOf)).toEqual(['json_schema', 'json_object', 'none']);
    const provider = analyst.parts.gateway.defaultProvider as { accepted?: { learned: string[] } };
    expect(provider.accepted?.learned.join('\n')).toContain('body.response_format: Extra inputs are not permitted');
  });

  it('vLLM 0.5 refusing max_completion_tokens: the cap goes as max_tokens, for analyses and chat', async () => {
    const srv = await compatible((req) =>
      'max_completion_tokens' in req.body
        ? [400, { object: 'error', message: "[{'type': 'extra_forbidden', 'loc': ('body', 'max_completion_tokens'), 'msg': 'Extra inputs are not permitted', 'input': 1200}]", type: 'BadRequestError', param: null, code: 400 }]
        : undefined,
    );
    const { analyst } = await structuredAnalysis(env(`${srv.url}/v1`));
    expect(srv.requests).toHaveLength(2);
    expect(srv.requests[1].body).toMatchObject({ max_tokens: 1200 });
    const session = await analyst.chat({ run: RUN, message: 'is it overfitting?' });
    let text = '';
    for await (const t of session.tokens) text += t;
    const done = await session.done;
    expect(done).toMatchObject({ provider: 'openai', degraded: false });
    expect(text).toBe(srv.reply);
    expect(srv.requests.at(-1)?.body).not.toHaveProperty('max_completion_tokens');
  });

  it("Ollama's OpenAI-compatible endpoint, which reads max_tokens only, gets the output cap there", async () => {
    const srv = await compatible(() => undefined);
    await structuredAnalysis(env(`${srv.url}/v1`, { ANALYST_LLM_MAX_COMPLETION_TOKENS: '700' }));
    expect(srv.requests[0].body).toMatchObject({ max_tokens: 700 });
  });

  it('LM Studio at a base URL without /v1 (200 with an error field): said at start-up, then /v1 is used', async () => {
    const srv = await startWire((req, mode, res, s) => {
      if (!req.path.startsWith('/v1/')) return json(res, 200, { error: `Unexpected endpoint or method. (${req.method} ${req.path})` });
      answerChat(req, mode, res, s);
    });
    servers.push(srv);
    const sel = await selectDefault(loadLlmConfig(env(srv.url)));
    expect(sel.warnings.join('\n')).toMatch(/does not end in \/v1/);
    const { analyst } = await structuredAnalysis(env(srv.url));
    expect(srv.requests.map((q) => q.path)).toEqual(['/chat/completions', '/v1/chat/completions']);
    const provider = analyst.parts.gateway.defaultProvider as { accepted?: { learned: string[] } };
    expect(provider.accepted?.learned.join('\n')).toContain('Unexpected endpoint or method. (POST /chat/completions)');
  });

  it("an error the analyst cannot adapt to is shown in the server's words and does not count toward the breaker", async () => {
    const srv = await compatible(() => [404, { object: 'error', message: 'The model `served-model` does not exist.', type: 'NotFoundError', param: null, code: 404 }]);
    const { analyst } = await makeAnalyst(env(`${srv.url}/v1`), source);
    const r = await analyst.analyze({ run: RUN, kind: 'analysis', question: 'missing model' });
    expect(r.degraded).toBe(true);
    expect(r.reason).toContain('The model `served-model` does not exist.');
    expect(srv.requests).toHaveLength(1);
    expect(analyst.parts.gateway.breaker('openai').state).toBe('closed');
  });

  it('a refusal that is not about the output format (a prompt too long) changes nothing that is sent', async () => {
    const message = "This model's maximum context length is 4096 tokens. However, you requested 5296 tokens (4096 in the messages, 1200 in the completion). Please reduce the length of the messages or completion.";
    const srv = await compatible(() => [400, { object: 'error', message, type: 'BadRequestError', param: null, code: 400 }]);
    const { analyst } = await makeAnalyst(env(`${srv.url}/v1`), source);
    const r = await analyst.analyze({ run: RUN, kind: 'tuning', question: 'too long' });
    expect(r.degraded).toBe(true);
    expect(r.reason).toContain(message);
    expect(srv.requests.map(formatOf)).toEqual(['json_schema']);
    const provider = analyst.parts.gateway.defaultProvider as { accepted?: { structured: string; learned: string[] } };
    expect(provider.accepted).toMatchObject({ structured: 'json_schema', learned: [] });
    expect(analyst.parts.gateway.breaker('openai').state).toBe('closed');
  });

  it('a base URL and no model: the first model the server lists, said so; tokens counted, no price guessed', async () => {
    const srv = await compatible(() => undefined, ['qwen2.5-7b-instruct', 'llama-3.1-8b']);
    const e: Record<string, string> = env(`${srv.url}/v1`);
    delete e.OPENAI_MODEL;
    const { r, selection, analyst } = await structuredAnalysis(e);
    expect(selection.provider.model).toBe('qwen2.5-7b-instruct');
    expect(selection.because).toMatch(/model qwen2\.5-7b-instruct, the first of 2 the server .* lists \(OPENAI_MODEL unset\)/);
    expect(srv.requests[0]).toMatchObject({ method: 'GET', path: '/v1/models' });
    expect(srv.requests[1].body.model).toBe('qwen2.5-7b-instruct');
    expect(r.usage.prompt_tokens).toBeGreaterThan(100);
    expect(r.usage.cost_usd).toBeUndefined();
    expect((await analyst.usage()).today.by_model.find((m) => m.model === 'qwen2.5-7b-instruct')?.unpriced_calls).toBe(1);
  });
});

describe('Ollama before 0.5', () => {
  it('refusing a JSON schema in format: format "json" with the schema in the prompt', async () => {
    const base = await startOllamaServer();
    servers.push(base);
    const srv = await startWire((req, mode, res, s) => {
      if (req.path === '/api/chat' && req.body.format && typeof req.body.format !== 'string') {
        return json(res, 400, { error: 'json: cannot unmarshal object into Go struct field ChatRequest.format of type string' });
      }
      return forward(base, req, mode, res, s);
    });
    servers.push(srv);
    const e = { ANALYST_LLM: 'ollama', OLLAMA_HOST: srv.url, OLLAMA_MODEL: 'llama3.2:1b', ANALYST_LLM_TIMEOUT_MS: String(TIMEOUT * 2), ANALYST_LLM_BREAKER_FAILURES: '1' };
    await structuredAnalysis(e, 'ollama');
    expect(srv.requests.map((q) => (typeof q.body.format === 'string' ? q.body.format : 'schema'))).toEqual(['schema', 'json']);
    expect((srv.requests[1].body.messages as Array<{ content: string }>)[0].content).toContain('matching this JSON schema');
  });
});

/** Hands a request to another wire server's handler by replaying it there. */
async function forward(to: WireServer, req: Logged, _mode: unknown, res: import('node:http').ServerResponse, _s: WireServer): Promise<void> {
  const r = await fetch(`${to.url}${req.path}`, { method: req.method, headers: { 'content-type': 'application/json' }, body: req.method === 'GET' ? undefined : JSON.stringify(req.body) });
  res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
  res.end(Buffer.from(await r.arrayBuffer()));
}
