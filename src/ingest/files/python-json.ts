// JSON as Python writes it: json.dumps emits bare NaN / Infinity / -Infinity, which JSON.parse rejects.

// Bare non-finite tokens in value position (after ':', '[' or ','), never inside a string literal:
// the string alternative consumes quoted text first so its content is left alone.
const BARE_NON_FINITE = /("(?:[^"\\]|\\.)*")|(-?Infinity|NaN)/g;

/** JSON.parse, retried with bare NaN / Infinity quoted so parseMetricValue can read them. */
export function parsePythonJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) throw error;
    return JSON.parse(text.replace(BARE_NON_FINITE, (match, quoted: string | undefined) => (quoted ? match : `"${match}"`)));
  }
}
