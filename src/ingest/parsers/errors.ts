// Failure lines: a Python exception's last line (`RuntimeError: CUDA out of memory...`), or the
// shell's word for a killed process (`Killed`, `Segmentation fault (core dumped)`), becomes an error event.
import { MAX_NAME_LENGTH } from '../../domain/events.ts';
import type { LineParser } from './state.ts';

const EXCEPTION = /^\s*((?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception)|KeyboardInterrupt)(?::\s*(.*))?$/;

/**
 * What a shell prints when the trainer is killed (the kernel's out-of-memory killer) or crashes
 * in native code: the word alone, or after `script.sh: line 3: 4242 ` and before the command,
 * which the shell pads with several spaces. "Killed 3 workers" is a sentence, not this.
 */
const KILLED = /^\s*(?:\S.*:\s+line\s+\d+:\s+\d+\s+)?(Killed|Segmentation fault|Aborted|Bus error)(?: \(core dumped\))?(?:\s{2,}\S.*)?\s*$/;

export const parseError: LineParser = (line) => {
  const m = EXCEPTION.exec(line);
  if (m && m[1].length <= MAX_NAME_LENGTH) return [{ type: 'error', message: m[2] ? `${m[1]}: ${m[2]}` : m[1] }];
  const k = KILLED.exec(line);
  if (k) return [{ type: 'error', message: `the process was ${k[1] === 'Killed' ? 'killed (often the out-of-memory killer)' : `ended by the system: ${line.trim().slice(0, 200)}`}` }];
  return undefined;
};
