// The connection check behind `analyst doctor` and GET /llm: one short structured call to the chosen model.
import { z } from 'zod';
import type { LlmCheck } from '../domain/llm-check.ts';
import type { CircuitBreaker } from './breaker.ts';
import { toProviderError } from './errors.ts';
import type { Provider } from './provider.ts';

const Pong = z.object({ ok: z.boolean() });

export interface CheckInputs {
  provider: Provider;
  because: string;
  warnings: string[];
  timeoutMs: number;
  breaker: CircuitBreaker;
}

/**
 * Asks for `{"ok": true}` as structured output, so the check walks the same ladder an analysis
 * does and leaves behind what the server accepts. It bypasses the gateway: a check reports the
 * server's own error, never the offline narrator's answer, and does not move the circuit breaker.
 */
export async function checkLlm(inputs: CheckInputs): Promise<LlmCheck> {
  const { provider } = inputs;
  const at = new Date().toISOString();
  let check: LlmCheck['check'];
  if (provider.name === 'offline') {
    check = { ok: true, round_trip_ms: null, error: null, at };
  } else {
    const started = performance.now();
    try {
      const r = await provider.structured(
        {
          messages: [
            { role: 'system', content: 'You are checking a connection. Answer with JSON only.' },
            { role: 'user', content: 'Reply with {"ok": true}.' },
          ],
          maxTokens: 200,
          signal: AbortSignal.timeout(inputs.timeoutMs),
        },
        Pong,
        'connection_check',
      );
      const ms = Math.round(performance.now() - started);
      check = r.value ? { ok: true, round_trip_ms: ms, error: null, at } : { ok: false, round_trip_ms: ms, error: `the answer did not match {"ok": boolean}: ${r.error}`, at };
    } catch (error) {
      check = { ok: false, round_trip_ms: null, error: toProviderError(error, provider.name).message, at };
    }
  }
  const a = provider.accepted;
  return {
    provider: provider.name,
    model: provider.model,
    because: inputs.because,
    endpoint: provider.endpoint ?? null,
    warnings: inputs.warnings,
    accepted: a
      ? {
          structured_output: provider.name === 'ollama' ? (a.ollamaFormat === 'schema' ? 'format: JSON schema' : 'format: "json", schema in the prompt') : a.structured === 'prompt' ? 'schema in the prompt' : a.structured,
          output_cap: provider.name === 'ollama' ? 'options.num_predict' : a.tokens === 'both' ? 'max_completion_tokens and max_tokens' : a.tokens,
          learned: [...a.learned],
        }
      : null,
    circuit: inputs.breaker.state,
    check,
  };
}
