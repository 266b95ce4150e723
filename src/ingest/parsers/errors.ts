// Failure lines: a Python exception's last line (`RuntimeError: CUDA out of memory...`) becomes an error event.
import { MAX_NAME_LENGTH } from '../../domain/events.ts';
import type { LineParser } from './state.ts';

const EXCEPTION = /^\s*((?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception)|KeyboardInterrupt)(?::\s*(.*))?$/;

export const parseError: LineParser = (line) => {
  const m = EXCEPTION.exec(line);
  if (!m || m[1].length > MAX_NAME_LENGTH) return undefined;
  return [{ type: 'error', message: m[2] ? `${m[1]}: ${m[2]}` : m[1] }];
};
