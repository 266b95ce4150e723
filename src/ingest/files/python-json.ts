// JSON as Python writes it: json.dumps emits bare NaN / Infinity / -Infinity, which JSON.parse rejects.
import { MAX_JSON_DEPTH } from '../../domain/json-value.ts';

// Bare non-finite tokens in value position (after ':', '[' or ','), never inside a string literal:
// the string alternative consumes quoted text first so its content is left alone.
const BARE_NON_FINITE = /("(?:[^"\\]|\\.)*")|(-?Infinity|NaN)/g;

/**
 * The offset where the text opens its object or array past `limit` levels, or -1. Checked on the
 * text before parsing: JSON.parse of `[` four million times holds hundreds of megabytes before it
 * fails, and a parsed value nested thousands deep overflows the stack of whatever walks it.
 */
export function tooDeepAt(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: the next character is escaped
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > limit) return i;
    } else if (c === 125 || c === 93) depth--;
  }
  return -1;
}

/** Segments of a too-deep path shown in an error: enough to find the place, not 64 zeros. */
const SHOWN_SEGMENTS = 8;

/**
 * The path (`config.layers.0.0…`) of the container opened at `offset`, read from the text up to
 * it; only called once a text was found too deep, so the common case pays nothing for it.
 */
export function pathAt(text: string, offset: number): string {
  const stack: Array<{ array: boolean; key: string | number }> = [];
  let expectKey = false;
  for (let i = 0; i < offset; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 34) j += text.charCodeAt(j) === 92 ? 2 : 1;
      if (expectKey && stack.length) {
        try {
          stack[stack.length - 1].key = JSON.parse(text.slice(i, j + 1)) as string;
        } catch {
          stack[stack.length - 1].key = text.slice(i + 1, j);
        }
        expectKey = false;
      }
      i = j;
    } else if (c === 123 || c === 91) {
      stack.push({ array: c === 91, key: 0 });
      expectKey = c === 123;
    } else if (c === 125 || c === 93) stack.pop();
    else if (c === 44 && stack.length) {
      const top = stack[stack.length - 1];
      if (top.array) top.key = (top.key as number) + 1;
      else expectKey = true;
    }
  }
  const segments = stack.map((s) => String(s.key));
  return segments.length > SHOWN_SEGMENTS ? `${segments.slice(0, SHOWN_SEGMENTS).join('.')}…` : segments.join('.') || '(root)';
}

/** Thrown for text nested past the limit, with where: doors turn it into a 400 with that path. */
export class TooDeepError extends SyntaxError {
  constructor(readonly path: string) {
    super(`nested deeper than ${MAX_JSON_DEPTH} levels at ${path}`);
  }
}

/** JSON.parse, retried with bare NaN / Infinity quoted so parseMetricValue can read them. */
export function parsePythonJson(text: string): unknown {
  const deep = tooDeepAt(text);
  if (deep >= 0) throw new TooDeepError(pathAt(text, deep));
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) throw error;
    return JSON.parse(text.replace(BARE_NON_FINITE, (match, quoted: string | undefined) => (quoted ? match : `"${match}"`)));
  }
}
