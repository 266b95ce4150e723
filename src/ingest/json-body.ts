import { AnalystError } from '../domain/errors.ts';

/**
 * JSON as trainers really send it. Python's `json.dumps` writes bare `NaN`, `Infinity` and
 * `-Infinity` for non-finite floats, which JSON.parse rejects; since a NaN loss is the most
 * important value a trainer can send, those tokens are read as the strings the schemas accept.
 */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (first) {
    const fixed = quoteNonFinite(text);
    if (fixed !== text) {
      try {
        return JSON.parse(fixed);
      } catch {
        // Report the original error: it points into what the client sent.
      }
    }
    throw new AnalystError('invalid_body', `body is not valid JSON: ${(first as Error).message}`);
  }
}

const NON_FINITE_TOKEN = /^-?(?:NaN|Infinity)/;

/** Quotes bare NaN / Infinity / -Infinity tokens that stand outside strings; O(n), one pass. */
function quoteNonFinite(text: string): string {
  let out = '';
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      continue;
    }
    if (c === 'N' || c === 'I' || c === '-') {
      const m = NON_FINITE_TOKEN.exec(text.slice(i, i + 9));
      if (m) {
        out += `${text.slice(last, i)}"${m[0]}"`;
        i += m[0].length - 1;
        last = i + 1;
      }
    }
  }
  return last === 0 ? text : out + text.slice(last);
}
