// The Ollama adapter: /api/chat (NDJSON streaming, `format` = JSON schema) and /api/tags.
import { Ollama } from 'ollama';
import type { z } from 'zod';
import { toProviderError } from './errors.ts';
import { ProviderError, tokenStream, type Completion, type CompletionRequest, type Provider, type Structured, type TokenStream } from './provider.ts';
import { structuredVia } from './structured.ts';

export const DEFAULT_OLLAMA_HOST = 'http://127.0.0.1:11434';

/**
 * The client passes no abort signal on non-streamed calls, so each call gets a client whose
 * fetch carries the call's signal: a hung server is then cut by the gateway's deadline.
 */
function client(host: string, signal?: AbortSignal): Ollama {
  const fetchWithSignal: typeof fetch = (input, init) =>
    fetch(input, { ...init, signal: signal && init?.signal ? AbortSignal.any([signal, init.signal]) : (signal ?? init?.signal) });
  return new Ollama({ host, fetch: fetchWithSignal });
}

/** Models the server has (`/api/tags`); throws when it does not answer within `timeoutMs`. */
export async function ollamaModels(host: string, timeoutMs: number): Promise<string[]> {
  const res = await client(host, AbortSignal.timeout(timeoutMs)).list();
  return res.models.map((m) => m.name);
}

export class OllamaProvider implements Provider {
  readonly name = 'ollama' as const;

  constructor(
    readonly host: string,
    readonly model: string,
  ) {}

  private body(req: CompletionRequest) {
    return {
      model: this.model,
      messages: req.messages,
      options: { temperature: 0.2, num_predict: req.maxTokens },
      ...(req.json ? { format: req.json.schema } : {}),
    };
  }

  async complete(req: CompletionRequest): Promise<Completion> {
    try {
      const res = await client(this.host, req.signal).chat({ ...this.body(req), stream: false });
      if (typeof res?.message?.content !== 'string') throw new ProviderError('ollama: answer without message content');
      return {
        text: res.message.content,
        model: res.model ?? this.model,
        usage: { prompt_tokens: res.prompt_eval_count ?? 0, completion_tokens: res.eval_count ?? 0 },
      };
    } catch (error) {
      throw toProviderError(error, 'ollama');
    }
  }

  stream(req: CompletionRequest): TokenStream {
    const c = client(this.host, req.signal);
    const body = this.body(req);
    return tokenStream(async function* (setUsage) {
      let done = false;
      try {
        const parts = await c.chat({ ...body, stream: true });
        for await (const part of parts) {
          if (part.message?.content) yield part.message.content;
          if (part.done) {
            done = true;
            setUsage({ prompt_tokens: part.prompt_eval_count ?? 0, completion_tokens: part.eval_count ?? 0 });
          }
        }
      } catch (error) {
        throw toProviderError(error, 'ollama');
      }
      // NDJSON that stops before the `done: true` line is a cut connection, not an answer.
      if (!done) throw new ProviderError('ollama: stream ended before the answer was finished');
    });
  }

  structured<S extends z.ZodType>(req: CompletionRequest, schema: S, name: string): Promise<Structured<z.output<S>>> {
    return structuredVia(this, req, schema, name);
  }
}
