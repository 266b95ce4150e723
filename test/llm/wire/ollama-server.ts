// An Ollama server on 127.0.0.1: /api/tags, /api/chat with NDJSON streaming and `format` schemas, failures.
import type { ServerResponse } from 'node:http';
import { json, pieces, promptTokens, startWire, type Logged, type Mode, type WireServer } from './common.ts';

export const OLLAMA_MODELS = ['llama3.2:1b', 'qwen2.5:0.5b'];

function content(req: Logged, mode: Mode, srv: WireServer): string {
  if (!req.body.format) return srv.reply;
  if (mode === 'invalid') return JSON.stringify({ text: 42 });
  if (mode === 'notjson') return 'Here is the analysis you asked for.';
  return JSON.stringify(srv.structured);
}

function line(model: string, text: string, done: boolean, counts?: { prompt: number; completion: number }) {
  return {
    model,
    created_at: new Date().toISOString(),
    message: { role: 'assistant', content: text },
    done,
    ...(done && counts
      ? { done_reason: 'stop', total_duration: 1_000_000, load_duration: 1000, prompt_eval_count: counts.prompt, prompt_eval_duration: 1000, eval_count: counts.completion, eval_duration: 1000 }
      : {}),
  };
}

function stream(res: ServerResponse, req: Logged, text: string, half: boolean): void {
  const model = String(req.body.model);
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  const parts = pieces(text);
  for (const [i, p] of parts.entries()) {
    if (half && i >= 2) {
      res.end(); // cut before the `done: true` line
      return;
    }
    res.write(`${JSON.stringify(line(model, p, false))}\n`);
  }
  res.write(`${JSON.stringify(line(model, '', true, { prompt: promptTokens(req.body), completion: parts.length }))}\n`);
  res.end();
}

export function startOllamaServer(): Promise<WireServer> {
  return startWire((req, mode, res, srv) => {
    if (req.method === 'GET' && req.path === '/api/tags') {
      return json(res, 200, {
        models: OLLAMA_MODELS.map((name) => ({ name, model: name, modified_at: new Date().toISOString(), size: 1, digest: 'sha256:0', details: { format: 'gguf', family: 'llama' } })),
      });
    }
    if (req.path !== '/api/chat') return json(res, 404, { error: 'not found' });
    if (mode === '429') return json(res, 429, { error: 'too many requests' });
    if (mode === '500') return json(res, 500, { error: 'model runner has unexpectedly stopped' });
    if (mode === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"model": "x", "message": {"content": "cut');
      return;
    }
    const text = content(req, mode, srv);
    if (req.body.stream !== false) return stream(res, req, text, mode === 'half');
    const counts = { prompt: promptTokens(req.body), completion: Math.ceil(text.length / 4) };
    json(res, 200, line(String(req.body.model), text, true, counts));
  });
}
