// The OpenAI adapter (and any OpenAI-compatible server: vLLM, llama.cpp server, LM Studio, Ollama's /v1).
import OpenAI from 'openai';
import type { z } from 'zod';
import { acceptedBy, learn, STRUCTURED_LEVELS, type Accepted } from './capabilities.ts';
import { FORMAT_WORDS, isCapabilityRefusal, toProviderError } from './errors.ts';
import { ProviderError, tokenStream, type Completion, type CompletionRequest, type Provider, type Structured, type TokenStream } from './provider.ts';
import { serverErrorFetch } from './server-errors.ts';
import { structuredVia, withSchemaInPrompt } from './structured.ts';

export interface OpenAIOptions {
  apiKey?: string;
  baseURL?: string;
  model: string;
}

const REASONING = /^(o\d|gpt-5)/i;

/** OpenAI's own API (no base URL, or api.openai.com): the one server known to want `max_completion_tokens`. */
function isOfficial(baseURL?: string): boolean {
  if (baseURL === undefined) return true;
  try {
    return new URL(baseURL).hostname === 'api.openai.com';
  } catch {
    return false;
  }
}

/** Whether a base URL ends in `/v1`, where OpenAI-compatible servers serve their API. */
export function hasV1(baseURL: string): boolean {
  try {
    return /\/v1\/?$/.test(new URL(baseURL).pathname);
  } catch {
    return false;
  }
}

function makeClient(apiKey: string | undefined, baseURL: string | undefined): OpenAI {
  // Retries and timeouts are the gateway's, uniform across providers; the client makes one try.
  // A local OpenAI-compatible server needs no key, but the client insists on one.
  return new OpenAI({ apiKey: apiKey ?? 'not-needed', baseURL, maxRetries: 0, timeout: 10 * 60_000, fetch: serverErrorFetch });
}

/** Models an OpenAI-compatible server serves (`/models`), trying `/v1` when the base URL lacks it. */
export async function openaiModels(apiKey: string | undefined, baseURL: string, timeoutMs: number): Promise<string[]> {
  const list = async (url: string) => (await makeClient(apiKey, url).models.list({ signal: AbortSignal.timeout(timeoutMs) })).data.map((m) => m.id);
  try {
    return await list(baseURL);
  } catch (error) {
    if (hasV1(baseURL)) throw toProviderError(error, 'openai');
    return list(`${baseURL.replace(/\/+$/, '')}/v1`).catch((e: unknown) => {
      throw toProviderError(e, 'openai');
    });
  }
}

export class OpenAIProvider implements Provider {
  readonly name = 'openai' as const;
  readonly model: string;
  /** What this server accepts, shared by every adapter of the same base URL in this process. */
  readonly accepted: Accepted;
  private client: OpenAI;
  private clientURL: string | undefined;

  constructor(private readonly opts: OpenAIOptions) {
    this.model = opts.model;
    this.accepted = acceptedBy(`openai ${opts.baseURL ?? 'https://api.openai.com/v1'}`, () => ({
      structured: 'json_schema',
      tokens: isOfficial(opts.baseURL) ? 'max_completion_tokens' : 'both',
      ollamaFormat: 'schema',
      baseURL: opts.baseURL,
    }));
    this.clientURL = this.accepted.baseURL;
    this.client = makeClient(opts.apiKey, this.clientURL);
  }

  get endpoint(): string {
    return this.accepted.baseURL ?? 'https://api.openai.com/v1';
  }

  private current(): OpenAI {
    if (this.clientURL !== this.accepted.baseURL) {
      this.clientURL = this.accepted.baseURL;
      this.client = makeClient(this.opts.apiKey, this.clientURL);
    }
    return this.client;
  }

  private body(req: CompletionRequest) {
    const a = this.accepted;
    const cap = req.maxTokens;
    const json = req.json && a.structured !== 'json_schema' ? req.json : undefined;
    return {
      model: this.model,
      messages: json ? withSchemaInPrompt(req.messages, json) : req.messages,
      ...(a.tokens !== 'max_tokens' ? { max_completion_tokens: cap } : {}),
      ...(a.tokens !== 'max_completion_tokens' ? { max_tokens: cap } : {}),
      // Reasoning models (o1, o3, gpt-5...) refuse any temperature but their default.
      ...(REASONING.test(this.model) ? {} : { temperature: 0.2 }),
      ...(req.json && a.structured === 'json_schema'
        ? { response_format: { type: 'json_schema' as const, json_schema: { name: req.json.name, schema: req.json.schema, strict: true } } }
        : {}),
      ...(req.json && a.structured === 'json_object' ? { response_format: { type: 'json_object' as const } } : {}),
    };
  }

  /**
   * Changes what is sent after a refusal, when the refusal names something that can go; returns
   * false when nothing is left to change (the error is then the caller's).
   */
  private adapt(req: CompletionRequest, error: ProviderError): boolean {
    const a = this.accepted;
    const said = error.message;
    // A path the server does not know (not a model it lacks): the base URL probably misses /v1.
    if ((error.status === 404 || error.status === 405) && !/model/i.test(said) && a.baseURL !== undefined && !hasV1(a.baseURL)) {
      a.baseURL = `${a.baseURL.replace(/\/+$/, '')}/v1`;
      learn(a, `base URL: the server answered "${said}"; calls go to ${a.baseURL}`);
      return true;
    }
    if (!isCapabilityRefusal(error)) return false;
    if (/max_completion_tokens/i.test(said) && a.tokens !== 'max_tokens') {
      a.tokens = 'max_tokens';
      learn(a, `output cap sent as max_tokens: the server refused max_completion_tokens ("${said}")`);
      return true;
    }
    if (/\bmax_tokens\b/i.test(said) && a.tokens !== 'max_completion_tokens') {
      a.tokens = 'max_completion_tokens';
      learn(a, `output cap sent as max_completion_tokens: the server refused max_tokens ("${said}")`);
      return true;
    }
    const level = STRUCTURED_LEVELS.indexOf(a.structured);
    // Only a refusal that speaks of the output format: a too-long prompt is no reason to ask for less.
    if (req.json && level < STRUCTURED_LEVELS.length - 1 && FORMAT_WORDS.test(said)) {
      const was = a.structured;
      a.structured = STRUCTURED_LEVELS[level + 1];
      learn(a, `structured output as ${a.structured === 'prompt' ? 'the schema in the prompt' : a.structured}: the server refused ${was} ("${said}")`);
      return true;
    }
    return false;
  }

  /** Sends, adapting to each refusal it can; every adaptation removes an option, so this ends. */
  private async send<T>(req: CompletionRequest, call: (client: OpenAI, body: ReturnType<OpenAIProvider['body']>) => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await call(this.current(), this.body(req));
      } catch (error) {
        const e = toProviderError(error, 'openai');
        if (req.signal?.aborted || !this.adapt(req, e)) throw e;
      }
    }
  }

  async complete(req: CompletionRequest): Promise<Completion> {
    const res = await this.send(req, (client, body) => client.chat.completions.create({ ...body, stream: false }, { signal: req.signal }));
    const choice = res?.choices?.[0];
    if (!choice || typeof choice.message?.content !== 'string') throw new ProviderError('openai: answer without message content');
    if (choice.message.refusal) throw new ProviderError(`openai: refused: ${choice.message.refusal.slice(0, 200)}`);
    return {
      text: choice.message.content,
      model: res.model ?? this.model,
      usage: { prompt_tokens: res.usage?.prompt_tokens ?? 0, completion_tokens: res.usage?.completion_tokens ?? 0 },
    };
  }

  stream(req: CompletionRequest): TokenStream {
    const provider = this;
    return tokenStream(async function* (setUsage) {
      let finished = false;
      try {
        const chunks = await provider.send(req, (client, body) =>
          client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } }, { signal: req.signal }),
        );
        for await (const chunk of chunks) {
          if (chunk.usage) setUsage({ prompt_tokens: chunk.usage.prompt_tokens, completion_tokens: chunk.usage.completion_tokens });
          const choice = chunk.choices?.[0];
          if (choice?.delta?.content) yield choice.delta.content;
          if (choice?.finish_reason) finished = true;
        }
      } catch (error) {
        throw toProviderError(error, 'openai');
      }
      // A stream cut before any finish_reason is a half answer, not a short one.
      if (!finished) throw new ProviderError('openai: stream ended before the answer was finished');
    });
  }

  structured<S extends z.ZodType>(req: CompletionRequest, schema: S, name: string): Promise<Structured<z.output<S>>> {
    return structuredVia(this, req, schema, name);
  }
}
