// The one interface every LLM adapter implements: complete, stream, structured output.
import type { z } from 'zod';
import type { ProviderName } from '../domain/analysis-request.ts';
import type { Accepted } from './capabilities.ts';
import type { NarratorTask } from './facts.ts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface LlmUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

export interface JsonFormat {
  name: string;
  schema: Record<string, unknown>;
}

export interface CompletionRequest {
  messages: ChatMessage[];
  /** What the offline narrator answers from; model adapters send `messages` only. A connection check has none. */
  task?: NarratorTask;
  maxTokens: number;
  signal?: AbortSignal;
  /** Ask for JSON matching this schema (OpenAI `response_format`, Ollama `format`). */
  json?: JsonFormat;
}

export interface Completion {
  text: string;
  usage: LlmUsage;
  model: string;
}

/** Tokens as they arrive; `usage` is known once the iteration has finished. */
export interface TokenStream extends AsyncIterable<string> {
  usage(): LlmUsage | null;
}

export interface Structured<T> {
  /** The validated value, or undefined when even the repaired answer was invalid. */
  value: T | undefined;
  /** The raw text of the last answer (the text-only fallback). */
  text: string;
  usage: LlmUsage;
  model: string;
  repaired: boolean;
  error?: string;
}

export interface Provider {
  readonly name: ProviderName;
  readonly model: string;
  /** Where calls go (a model server's base URL or host); none for the offline narrator. */
  readonly endpoint?: string;
  /** What the server was found to accept, for `analyst doctor` and GET /llm. */
  readonly accepted?: Accepted;
  complete(req: CompletionRequest): Promise<Completion>;
  stream(req: CompletionRequest): TokenStream;
  structured<S extends z.ZodType>(req: CompletionRequest, schema: S, name: string): Promise<Structured<z.output<S>>>;
}

/** An error from a provider's server, with the HTTP status when there was one. */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** Adds a token stream's usage bookkeeping to an async generator. */
export function tokenStream(gen: (setUsage: (u: LlmUsage) => void) => AsyncGenerator<string>): TokenStream {
  let usage: LlmUsage | null = null;
  const it = gen((u) => {
    usage = u;
  });
  return {
    [Symbol.asyncIterator]: () => it,
    usage: () => usage,
  };
}
