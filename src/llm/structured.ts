// Structured output shared by the model adapters: JSON schema from zod, validation, one repair.
import { z } from 'zod';
import type { ChatMessage, CompletionRequest, JsonFormat, LlmUsage, Provider, Structured } from './provider.ts';

/**
 * Keywords OpenAI's strict mode rejects (and small local models ignore): the wire schema keeps
 * shape, types and descriptions only; zod still checks every bound on the answer.
 */
const UNSUPPORTED = new Set(['$schema', 'minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minItems', 'maxItems', 'pattern', 'format']);

function strictSubset(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strictSubset);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    // `properties` maps field names to schemas: a field may be called `format` or `pattern`.
    if (k === 'properties' && v && typeof v === 'object') out[k] = Object.fromEntries(Object.entries(v).map(([f, s]) => [f, strictSubset(s)]));
    else if (!UNSUPPORTED.has(k)) out[k] = strictSubset(v);
  }
  return out;
}

export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  return strictSubset(z.toJSONSchema(schema, { target: 'draft-7' })) as Record<string, unknown>;
}

function check<S extends z.ZodType>(schema: S, text: string): { value?: z.output<S>; error?: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(stripFence(text));
  } catch (error) {
    return { error: `not JSON: ${(error as Error).message}` };
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { value: parsed.data };
  return { error: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') };
}

/**
 * Some local models wrap JSON in a markdown fence, or in a sentence, even when asked for JSON
 * only: the object is taken from its first `{` to its last `}`.
 */
function stripFence(text: string): string {
  const m = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/.exec(text);
  if (m) return m[1];
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  return start >= 0 && end > start ? text.slice(start, end + 1) : text;
}

/** For servers that take no schema on the wire: the schema goes into the system prompt. */
export function withSchemaInPrompt(messages: ChatMessage[], json: JsonFormat): ChatMessage[] {
  const ask = `Answer with only a JSON object (no prose, no code fence) matching this JSON schema:\n${JSON.stringify(json.schema)}`;
  const [first, ...rest] = messages;
  if (first?.role === 'system') return [{ role: 'system', content: `${first.content}\n\n${ask}` }, ...rest];
  return [{ role: 'system', content: ask }, ...messages];
}

function add(a: LlmUsage, b: LlmUsage): LlmUsage {
  return { prompt_tokens: a.prompt_tokens + b.prompt_tokens, completion_tokens: a.completion_tokens + b.completion_tokens };
}

/**
 * Asks for JSON matching `schema`; an invalid answer is sent back once with the validation
 * errors, and a second invalid answer leaves the caller with the raw text only.
 */
export async function structuredVia<S extends z.ZodType>(
  provider: Provider,
  req: CompletionRequest,
  schema: S,
  name: string,
): Promise<Structured<z.output<S>>> {
  const json = { name, schema: jsonSchemaOf(schema) };
  const first = await provider.complete({ ...req, json });
  const firstCheck = check(schema, first.text);
  if (firstCheck.value !== undefined) return { value: firstCheck.value, text: first.text, usage: first.usage, model: first.model, repaired: false };
  const repair = await provider.complete({
    ...req,
    json,
    messages: [
      ...req.messages,
      { role: 'assistant', content: first.text.slice(0, 8000) },
      {
        role: 'user',
        content: `That answer does not match the required JSON schema (${firstCheck.error}). Answer again with only a JSON object matching the schema.`,
      },
    ],
  });
  const secondCheck = check(schema, repair.text);
  const usage = add(first.usage, repair.usage);
  if (secondCheck.value !== undefined) return { value: secondCheck.value, text: repair.text, usage, model: repair.model, repaired: true };
  return { value: undefined, text: textOf(repair.text) || textOf(first.text), usage, model: repair.model, repaired: true, error: secondCheck.error };
}

/** The readable part of an invalid answer: its `text` field when it has one, else the raw text. */
function textOf(raw: string): string {
  try {
    const obj = JSON.parse(stripFence(raw)) as unknown;
    if (obj && typeof obj === 'object' && typeof (obj as { text?: unknown }).text === 'string') return (obj as { text: string }).text;
  } catch {
    // not JSON at all: the raw text is all there is
  }
  return raw.trim();
}
