// Training control: pause / resume / stop / checkpoint requests, which the trainer picks up and acknowledges.
import { postJson, unavailable } from './api.js';
import { h, fill } from './dom.js';
import { clock } from './format.js';

const ACTIONS = [
  { action: 'pause', label: 'Pause' },
  { action: 'resume', label: 'Resume' },
  { action: 'checkpoint', label: 'Checkpoint' },
  { action: 'stop', label: 'Stop', confirm: 'Stop this run? The trainer will end it.' },
];

export function controlButtons(runId, body) {
  const result = h('p', { class: 'muted result' }, 'The trainer receives these over its WebSocket or by polling, and answers in the log.');
  const send = async (a) => {
    if (a.confirm && !confirm(a.confirm)) return;
    try {
      const c = await postJson(`/runs/${encodeURIComponent(runId)}/control`, { action: a.action });
      fill(result, `${a.action} requested at ${clock(c.requested_at)}; waiting for the trainer to acknowledge.`);
    } catch (error) {
      fill(result, unavailable('Training control', error));
    }
  };
  body.append(
    h('div', { class: 'buttons' }, ACTIONS.map((a) => h('button', { type: 'button', class: a.action === 'stop' ? 'danger' : '', 'data-action': a.action, onclick: () => send(a) }, a.label))),
    result,
  );
}
