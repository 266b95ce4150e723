// Turns what providers' client libraries throw into ProviderError, and tells a refusal from an outage.
import { ProviderError } from './provider.ts';

function retryAfterMs(headers: unknown): number | undefined {
  const get = (headers as { get?: (k: string) => string | null } | undefined)?.get;
  const raw = typeof get === 'function' ? get.call(headers, 'retry-after') : undefined;
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export function toProviderError(error: unknown, provider: string): ProviderError {
  if (error instanceof ProviderError) return error;
  const e = error as { status?: unknown; status_code?: unknown; headers?: unknown; message?: string; name?: string };
  const status = typeof e?.status === 'number' ? e.status : typeof e?.status_code === 'number' ? e.status_code : undefined;
  const message = (e?.message ?? String(error)).replace(/\s+/g, ' ').slice(0, 300);
  return new ProviderError(`${provider}: ${status ? `HTTP ${status}: ` : ''}${message}`, status, retryAfterMs(e?.headers));
}

/**
 * Words servers use when a 5xx is a refusal of a parameter, not a failure: older llama.cpp answers
 * an unknown `response_format` type with 500 "response_format type must be one of ...".
 */
const REFUSAL_WORDS = /unsupported|not supported|must be one of|extra inputs|extra_forbidden|unknown (field|param)|unrecognized (field|param|argument)|cannot unmarshal|response_format|json_schema|max_completion_tokens|\bmax_tokens\b/i;

/** What a refusal of structured output mentions, in vLLM's, llama.cpp's, LM Studio's, Ollama's and gateways' words. */
export const FORMAT_WORDS = /response_format|json_schema|json_object|schema|format|grammar|guided/i;

/** The server understood the request and refuses something in it: retrying the same call cannot help. */
export function isCapabilityRefusal(error: unknown): boolean {
  if (!(error instanceof ProviderError) || error.status === undefined) return false;
  if (error.status === 400 || error.status === 422) return true;
  return error.status >= 500 && REFUSAL_WORDS.test(error.message);
}

/** Only an unreachable, hung or failing server counts toward the circuit breaker. */
export function isOutage(error: unknown): boolean {
  if (!(error instanceof ProviderError)) return true;
  if (error.status === undefined) return true;
  return error.status >= 500 && !isCapabilityRefusal(error);
}
