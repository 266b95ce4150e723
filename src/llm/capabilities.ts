// What each LLM server accepts, learned from its refusals and kept for the life of the process.

/** How structured output is asked for, best first; `prompt` puts the schema in the prompt only. */
export const STRUCTURED_LEVELS = ['json_schema', 'json_object', 'prompt'] as const;
export type StructuredLevel = (typeof STRUCTURED_LEVELS)[number];

/** Ollama's `format`: a JSON schema (Ollama >= 0.5) or plain `"json"` (older servers). */
export type OllamaFormat = 'schema' | 'json';

/**
 * The output cap's field: OpenAI's own API wants `max_completion_tokens` (reasoning models refuse
 * `max_tokens`); compatible servers mostly read `max_tokens` and ignore or refuse the newer one,
 * so they get both until one is refused.
 */
export type TokensField = 'both' | 'max_completion_tokens' | 'max_tokens';

export interface Accepted {
  structured: StructuredLevel;
  tokens: TokensField;
  ollamaFormat: OllamaFormat;
  /** The base URL calls go to (`/v1` added when the configured one answered "unexpected endpoint"). */
  baseURL?: string;
  /** What was learned, with the server's own words: for `analyst doctor` and `GET /llm`. */
  learned: string[];
}

const known = new Map<string, Accepted>();

/** The record of one server; `key` is the provider and the base URL it was configured with. */
export function acceptedBy(key: string, initial: () => Omit<Accepted, 'learned'>): Accepted {
  let a = known.get(key);
  if (!a) {
    a = { ...initial(), learned: [] };
    known.set(key, a);
  }
  return a;
}

/** Notes one adaptation; at most a handful per server, so the list stays short. */
export function learn(a: Accepted, note: string): void {
  if (a.learned.length < 10) a.learned.push(note);
}
