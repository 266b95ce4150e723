// The Ollama adapter: /api/chat (NDJSON streaming, `format` = JSON schema) and /api/tags.
import { Ollama } from 'ollama';
import type { z } from 'zod';
import { acceptedBy, learn, type Accepted } from './capabilities.ts';
import { FORMAT_WORDS, isCapabilityRefusal, toProviderError } from './errors.ts';
import { ProviderError, tokenStream, type Completion, type CompletionRequest, type Provider, type Structured, type TokenStream } from './provider.ts';
import { structuredVia, withSchemaInPrompt } from './structured.ts';

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
  /** What this server accepts, shared by every adapter of the same host in this process. */
  readonly accepted: Accepted;
  readonly endpoint: string;

  constructor(
    readonly host: string,
    readonly model: string,
  ) {
    this.endpoint = host;
    this.accepted = acceptedBy(`ollama ${host}`, () => ({ structured: 'json_schema', tokens: 'max_tokens', ollamaFormat: 'schema' }));
  }

  private body(req: CompletionRequest) {
    // Ollama before 0.5 takes `format: "json"` only: the schema then goes into the prompt.
    const inPrompt = req.json && this.accepted.ollamaFormat === 'json';
    return {
      model: this.model,
      messages: inPrompt && req.json ? withSchemaInPrompt(req.messages, req.json) : req.messages,
      options: { temperature: 0.2, num_predict: req.maxTokens },
      ...(req.json ? { format: inPrompt ? 'json' : req.json.schema } : {}),
    };
  }

  /** Sends; a refused schema in `format` is sent again as `"json"`, once for the process. */
  private async send<T>(req: CompletionRequest, call: (body: ReturnType<OllamaProvider['body']>) => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await call(this.body(req));
      } catch (error) {
        const e = toProviderError(error, 'ollama');
        if (req.signal?.aborted || !req.json || this.accepted.ollamaFormat === 'json' || !isCapabilityRefusal(e) || !FORMAT_WORDS.test(e.message)) throw e;
        this.accepted.ollamaFormat = 'json';
        learn(this.accepted, `format "json" with the schema in the prompt: the server refused a schema in format ("${e.message}")`);
      }
    }
  }

  async complete(req: CompletionRequest): Promise<Completion> {
    try {
      const c = client(this.host, req.signal);
      const res = await this.send(req, (body) => c.chat({ ...body, stream: false }));
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
    const provider = this;
    return tokenStream(async function* (setUsage) {
      let done = false;
      try {
        const parts = await provider.send(req, (body) => c.chat({ ...body, stream: true }));
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
