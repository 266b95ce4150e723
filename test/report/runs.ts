// Training runs made up in the tests, sent to a server as a trainer would send them.
import { api } from '../helpers/server.ts';

export const EPOCHS = 40;
const STEPS_PER_EPOCH = 10;

/**
 * Per step: training loss, learning rate (cosine), gradient norms global and per layer; per
 * epoch: validation loss and accuracy, epoch time. With `overfit`, validation loss turns up
 * after epoch 12 while training loss keeps falling; `nanAt` makes one global gradient norm NaN.
 */
export function trainingEvents(opts: { overfit: boolean; nanAt?: number; seed?: number }): Array<Record<string, unknown>> {
  const events: Array<Record<string, unknown>> = [];
  const wobble = (i: number) => 0.03 * Math.sin(i * (opts.seed ?? 1.7));
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    for (let k = 1; k <= STEPS_PER_EPOCH; k++) {
      const step = (epoch - 1) * STEPS_PER_EPOCH + k;
      const grad = 1.5 * Math.exp(-step / 150) + 0.05;
      events.push({
        type: 'metrics',
        step,
        epoch,
        values: {
          train_loss: 2.2 * Math.exp(-step / 80) + 0.04 + wobble(step),
          lr: 0.05 * 0.5 * (1 + Math.cos((Math.PI * step) / (EPOCHS * STEPS_PER_EPOCH))),
          grad_norm: step === opts.nanAt ? 'NaN' : grad,
          'grad_norm/layer1': grad * 0.2,
          'grad_norm/layer2': grad * 0.5,
          'grad_norm/layer3': grad * 0.9,
        },
      });
    }
    const step = epoch * STEPS_PER_EPOCH;
    const val = opts.overfit ? 0.6 + 1.4 * Math.exp(-epoch / 3) + (epoch > 12 ? 0.04 * (epoch - 12) : 0) : 0.3 + 1.6 * Math.exp(-epoch / 4);
    events.push({ type: 'metrics', step, epoch, values: { val_loss: val, val_acc: Math.min(0.98, 1 - val / 2.2), epoch_time: 12 + (epoch % 3) * 0.4 } });
  }
  return events;
}

export async function sendRun(base: string, name: string, events: Array<Record<string, unknown>>): Promise<string> {
  const { body } = await api(base, '/runs', { method: 'POST', json: { name, project: 'reports' } });
  for (let i = 0; i < events.length; i += 200) {
    const r = await api(base, `/runs/${body.id}/events`, { method: 'POST', json: events.slice(i, i + 200) });
    if (r.status !== 200) throw new Error(`events refused: ${JSON.stringify(r.body)}`);
  }
  await api(base, `/runs/${body.id}/events`, { method: 'POST', json: [{ type: 'run_finished', status: 'completed' }] });
  return body.id;
}
