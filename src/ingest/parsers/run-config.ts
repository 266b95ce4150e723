// Lines that state the run's configuration: argparse's `Namespace(lr=20, epochs=12, ...)`.
import type { EventInput } from '../../domain/events.ts';
import { positiveTotal } from '../files/document-fields.ts';
import { bracketBody, parsePythonEntries } from './python-literal.ts';
import type { LineParser } from './state.ts';

const NAMESPACE = /^\s*Namespace\(/;

export const parseRunConfig: LineParser = (line, state) => {
  const m = NAMESPACE.exec(line);
  if (!m) return undefined;
  const body = bracketBody(line, m[0].length - 1);
  if (body === undefined) return undefined;
  const config = parsePythonEntries(body);
  const event: EventInput = { type: 'run_started', config };
  const totalEpochs = positiveTotal(config.epochs ?? config.num_epochs ?? config.max_epochs);
  if (totalEpochs !== undefined) {
    event.total_epochs = totalEpochs;
    state.totalEpochs = totalEpochs;
  }
  return [event];
};
