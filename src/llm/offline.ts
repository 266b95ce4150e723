// The offline provider: no model, the deterministic narrator; the default and the fallback.
import type { z } from 'zod';
import type { StructuredAnswer } from '../domain/analysis-request.ts';
import { narrate } from './narrator/narrate.ts';
import { ProviderError, tokenStream, type Completion, type CompletionRequest, type LlmUsage, type Provider, type Structured, type TokenStream } from './provider.ts';
import { estimateTokens } from './tokens.ts';

export const OFFLINE_MODEL = 'narrator-1';

function usageOf(req: CompletionRequest, text: string): LlmUsage {
  return { prompt_tokens: req.messages.reduce((n, m) => n + estimateTokens(m.content), 0), completion_tokens: estimateTokens(text) };
}

/** Words with their trailing whitespace: what a model's stream looks like to a client. */
export function splitTokens(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

export class OfflineProvider implements Provider {
  readonly name = 'offline' as const;
  readonly model = OFFLINE_MODEL;

  answer(req: CompletionRequest): StructuredAnswer {
    if (!req.task) throw new ProviderError('offline: the narrator answers about a run, and none was given');
    return narrate(req.task);
  }

  async complete(req: CompletionRequest): Promise<Completion> {
    const answer = this.answer(req);
    const text = req.json ? JSON.stringify(answer) : answer.text;
    return { text, usage: usageOf(req, text), model: this.model };
  }

  stream(req: CompletionRequest): TokenStream {
    const { text } = this.answer(req);
    const usage = usageOf(req, text);
    return tokenStream(async function* (setUsage) {
      yield* splitTokens(text);
      setUsage(usage);
    });
  }

  /** The narrator builds the object itself: nothing to validate or repair. */
  async structured<S extends z.ZodType>(req: CompletionRequest, schema: S): Promise<Structured<z.output<S>>> {
    const answer = this.answer(req);
    const value = schema.parse(answer) as z.output<S>;
    return { value, text: answer.text, usage: usageOf(req, answer.text), model: this.model, repaired: false };
  }
}
