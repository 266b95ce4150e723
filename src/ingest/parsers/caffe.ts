// Caffe solver logs: `Iteration 20 (...), loss = 6.905`, `Train net output #0: loss = 6.907 (* 1 = ...)`, `Iteration 20, lr = 0.01`.
import { NUM, readNumber } from './numbers.ts';
import { metricsHere, type LineParser } from './state.ts';

const ITERATION = new RegExp(String.raw`\bIteration (\d+)\b.*?,\s*(loss|lr)\s*=\s*(${NUM})`, 'i');
const NET_OUTPUT = new RegExp(String.raw`\b(Train|Test) net output #\d+:\s*([\w/]+)\s*=\s*(${NUM})`, 'i');

export const parseCaffe: LineParser = (line, state) => {
  const iteration = ITERATION.exec(line);
  if (iteration) {
    const value = readNumber(iteration[3]);
    if (value === undefined) return [];
    state.step = Number(iteration[1]);
    return [metricsHere(state, { [iteration[2]]: value }, { step: state.step })];
  }
  const output = NET_OUTPUT.exec(line);
  if (output) {
    const value = readNumber(output[3]);
    if (value === undefined) return [];
    // A net output is one head's value at the last iteration printed; prefixed so that a train
    // net's `loss` output does not read as a second smoothed loss.
    const name = `${output[1].toLowerCase()}_net/${output[2]}`;
    return [metricsHere(state, { [name]: value }, { step: state.step })];
  }
  return undefined;
};
