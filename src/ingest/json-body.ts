import { AnalystError } from '../domain/errors.ts';
import { parsePythonJson, TooDeepError } from './files/python-json.ts';

/**
 * A request body as trainers really send it: Python's `json.dumps` writes bare `NaN` and
 * `Infinity`, and a NaN loss is the most important value a trainer can send, so those are read.
 */
export function parseJsonBody(text: string): unknown {
  try {
    return parsePythonJson(text);
  } catch (err) {
    if (err instanceof TooDeepError) throw new AnalystError('invalid_body', `invalid body: ${err.message}`, [{ path: err.path, message: err.message }]);
    throw new AnalystError('invalid_body', `body is not valid JSON: ${(err as Error).message}`);
  }
}
