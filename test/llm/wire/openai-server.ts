// An OpenAI chat-completions server on 127.0.0.1: JSON answers, SSE chunk streams, json_schema output, failures.
import type { ServerResponse } from 'node:http';
import { json, pieces, promptTokens, startWire, type Logged, type Mode, type WireServer } from './common.ts';

/** Whether the schema came in the system prompt, as it does for servers that take none on the wire. */
function schemaInPrompt(body: Record<string, unknown>): boolean {
  const first = (body.messages as Array<{ role: string; content: string }> | undefined)?.[0];
  return first?.role === 'system' && first.content.includes('matching this JSON schema');
}

function content(req: Logged, mode: Mode, srv: WireServer): string {
  const format = (req.body.response_format as { type?: string } | undefined)?.type;
  if (format !== 'json_schema' && format !== 'json_object' && !schemaInPrompt(req.body)) return srv.reply;
  if (mode === 'invalid') return JSON.stringify({ text: 42, suggestions: 'none' });
  if (mode === 'notjson') return 'Sure! Here is my analysis: the run overfits.';
  // Asked in the prompt only, small models like to fence their JSON.
  return format ? JSON.stringify(srv.structured) : `Here it is:\n\`\`\`json\n${JSON.stringify(srv.structured)}\n\`\`\``;
}

function chunk(model: string, delta: Record<string, unknown>, finish: string | null, usage?: Record<string, number>) {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: usage ? [] : [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    ...(usage ? { usage } : {}),
  };
}

function stream(res: ServerResponse, req: Logged, text: string, half: boolean, trickle: boolean): void {
  const model = String(req.body.model);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (obj: unknown) => res.write(`data: ${JSON.stringify(obj)}\n\n`);
  if (trickle) {
    // A token every 20 ms, for ever: each one in time, the whole answer never.
    const timer = setInterval(() => send(chunk(model, { content: 'and ' }, null)), 20);
    res.on('close', () => clearInterval(timer));
    return;
  }
  const parts = pieces(text);
  send(chunk(model, { role: 'assistant', content: '' }, null));
  for (const [i, p] of parts.entries()) {
    if (half && i >= 2) {
      res.end(); // the connection closes mid-answer: no finish_reason, no [DONE]
      return;
    }
    send(chunk(model, { content: p }, null));
  }
  send(chunk(model, {}, 'stop'));
  const prompt = promptTokens(req.body);
  send(chunk(model, {}, null, { prompt_tokens: prompt, completion_tokens: parts.length, total_tokens: prompt + parts.length }));
  res.write('data: [DONE]\n\n');
  res.end();
}

export function startOpenAIServer(): Promise<WireServer> {
  return startWire((req, mode, res, srv) => {
    if (req.path !== '/v1/chat/completions' && req.path !== '/chat/completions') return json(res, 404, { error: { message: 'no route' } });
    answerChat(req, mode, res, srv);
  });
}

/** A chat completion as OpenAI sends it, for servers that differ from OpenAI before this point only. */
export function answerChat(req: Logged, mode: Mode, res: ServerResponse, srv: WireServer): void {
  if (mode === '429') return json(res, 429, { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }, { 'retry-after': '0' });
  if (mode === '500') return json(res, 500, { error: { message: 'The server had an error', type: 'server_error' } });
  if (mode === 'malformed') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"id": "chatcmpl-x", "choices": [{"message": {"content": "trunc');
    return;
  }
  const text = content(req, mode, srv);
  if (req.body.stream) return stream(res, req, text, mode === 'half', mode === 'trickle');
  const prompt = promptTokens(req.body);
  const completion = Math.ceil(text.length / 4);
  json(res, 200, {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: String(req.body.model),
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, finish_reason: 'stop', logprobs: null }],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  });
}
