// The OpenAI adapter (and any OpenAI-compatible server: vLLM, llama.cpp server, LM Studio).
import OpenAI from 'openai';
import type { z } from 'zod';
import { toProviderError } from './errors.ts';
import { ProviderError, tokenStream, type Completion, type CompletionRequest, type Provider, type Structured, type TokenStream } from './provider.ts';
import { structuredVia } from './structured.ts';

export interface OpenAIOptions {
  apiKey?: string;
  baseURL?: string;
  model: string;
}

const REASONING = /^(o\d|gpt-5)/i;

export class OpenAIProvider implements Provider {
  readonly name = 'openai' as const;
  readonly model: string;
  private readonly client: OpenAI;

  constructor(opts: OpenAIOptions) {
    this.model = opts.model;
    // Retries and timeouts are the gateway's, uniform across providers; the client makes one try.
    // A local OpenAI-compatible server needs no key, but the client insists on one.
    this.client = new OpenAI({ apiKey: opts.apiKey ?? 'not-needed', baseURL: opts.baseURL, maxRetries: 0, timeout: 10 * 60_000 });
  }

  private body(req: CompletionRequest) {
    return {
      model: this.model,
      messages: req.messages,
      max_completion_tokens: req.maxTokens,
      // Reasoning models (o1, o3, gpt-5...) refuse any temperature but their default.
      ...(REASONING.test(this.model) ? {} : { temperature: 0.2 }),
      ...(req.json
        ? { response_format: { type: 'json_schema' as const, json_schema: { name: req.json.name, schema: req.json.schema, strict: true } } }
        : {}),
    };
  }

  async complete(req: CompletionRequest): Promise<Completion> {
    let res: OpenAI.Chat.Completions.ChatCompletion;
    try {
      res = await this.client.chat.completions.create({ ...this.body(req), stream: false }, { signal: req.signal });
    } catch (error) {
      throw toProviderError(error, 'openai');
    }
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
    const { client } = this;
    const body = this.body(req);
    return tokenStream(async function* (setUsage) {
      let finished = false;
      try {
        const chunks = await client.chat.completions.create(
          { ...body, stream: true, stream_options: { include_usage: true } },
          { signal: req.signal },
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
