// Reads the Python literals trainers print: dict reprs ({'loss': nan}) and keyword lists (Namespace(lr=20, ...)).
import { parseMetricValue } from '../../domain/values.ts';

export type PyValue = number | string | boolean | null;

/** Index just past the bracket that closes the one at `start`, skipping quoted text; -1 if unclosed. */
function skipBalanced(text: string, start: number): number {
  const close: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
  const stack: string[] = [];
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (ch === "'" || ch === '"') {
      const end = text.indexOf(ch, i + 1);
      if (end < 0) return -1;
      i = end;
    } else if (close[ch]) stack.push(close[ch]);
    else if (ch === stack[stack.length - 1]) {
      stack.pop();
      if (stack.length === 0) return i + 1;
    }
  }
  return -1;
}

/** One value at `i`: its reading (undefined for containers and unknown forms) and where it ends. */
function readValue(text: string, i: number): { value: PyValue | undefined; end: number } {
  const ch = text[i];
  if (ch === "'" || ch === '"') {
    const end = text.indexOf(ch, i + 1);
    return end < 0 ? { value: undefined, end: text.length } : { value: text.slice(i + 1, end), end: end + 1 };
  }
  if (ch === '[' || ch === '{' || ch === '(') {
    const end = skipBalanced(text, i);
    return { value: undefined, end: end < 0 ? text.length : end };
  }
  // tensor(1.23, device='cuda:0') as printed by trainers that log tensors: the number is the value.
  const tensor = /^tensor\(\s*([^,)\s]+)/.exec(text.slice(i, i + 64));
  if (tensor) {
    const end = skipBalanced(text, i + 'tensor'.length);
    return { value: parseMetricValue(tensor[1]) ?? undefined, end: end < 0 ? text.length : end };
  }
  const token = /^[^,)}\]\s]*/.exec(text.slice(i))![0];
  const end = i + token.length;
  if (token === 'True' || token === 'False') return { value: token === 'True', end };
  if (token === 'None') return { value: null, end };
  return { value: parseMetricValue(token), end };
}

/**
 * The entries of a mapping body (the text between the braces or parentheses). Keys are quoted
 * (`'loss': 0.5`) or bare (`lr=20`); entries that cannot be read are skipped, not fatal.
 */
export function parsePythonEntries(body: string): Record<string, PyValue> {
  const out: Record<string, PyValue> = {};
  const key = /\s*(?:'([^']*)'|"([^"]*)"|([A-Za-z_][\w.]*))\s*[:=]\s*/y;
  let i = 0;
  while (i < body.length) {
    key.lastIndex = i;
    const m = key.exec(body);
    if (!m) {
      const comma = body.indexOf(',', i);
      if (comma < 0) break;
      i = comma + 1;
      continue;
    }
    const { value, end } = readValue(body, key.lastIndex);
    if (value !== undefined) out[m[1] ?? m[2] ?? m[3]] = value;
    const comma = body.indexOf(',', end);
    if (comma < 0) break;
    i = comma + 1;
  }
  return out;
}

/** The body of the first `{...}` (or other bracket) that opens at `start`, or undefined if it never closes. */
export function bracketBody(text: string, start: number): string | undefined {
  const end = skipBalanced(text, start);
  return end < 0 ? undefined : text.slice(start + 1, end - 1);
}
