// Learning-rate changes that schedulers announce in words rather than as a logged metric:
// Keras' ReduceLROnPlateau (`Epoch 00022: ReduceLROnPlateau reducing learning rate to 5e-05.`) and
// PyTorch's verbose schedulers (`Epoch 00022: reducing learning rate of group 0 to 1.0000e-04.`,
// `Adjusting learning rate of group 0 to 1.0000e-03.`). The rules read the lr to tell a schedule's
// effect on the loss from a problem, so these lines are read as the lr from that point on.
import { metricsHere, type LineParser } from './state.ts';
import { NUM, readNumber } from './numbers.ts';

const CHANGE = new RegExp(
  String.raw`^\s*(?:Epoch\s+(\d+)\s*:\s*)?(?:ReduceLROnPlateau\s+)?(?:reducing|adjusting)\s+learning\s+rate(?:\s+of\s+group\s+(\d+))?\s+to\s+(${NUM})\.?\s*$`,
  'i',
);

export const parseLrChange: LineParser = (line, state) => {
  const m = CHANGE.exec(line);
  if (!m) return undefined;
  // One lr per run: the first parameter group stands for the rest (as the lr metric of most loggers).
  if (m[2] !== undefined && m[2] !== '0') return [];
  const lr = readNumber(m[3]);
  if (lr === undefined) return [];
  // The epoch it names places this value only: schedulers count epochs their own way, which must
  // not renumber the trainer's lines around it.
  return [metricsHere(state, { lr }, m[1] !== undefined ? { epoch: Number(m[1]) } : {})];
};
