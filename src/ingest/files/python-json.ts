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

/** JSON.parse, retried with bare NaN / Infinity quoted so parseMetricValue can read them. */
export function parsePythonJson(text: string): unknown {
  const deep = tooDeepAt(text);
  if (deep >= 0) throw new SyntaxError(`nested deeper than ${MAX_JSON_DEPTH} levels (at offset ${deep})`);
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) throw error;
    return JSON.parse(text.replace(BARE_NON_FINITE, (match, quoted: string | undefined) => (quoted ? match : `"${match}"`)));
  }
}
