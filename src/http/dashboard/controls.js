// Training control: pause / resume / stop / checkpoint requests, which the trainer picks up and acknowledges.
// Only the requests that apply to the run as it is are offered: nothing once it has finished.
import { postJson, unavailable } from './api.js';
import { h, fill } from './dom.js';
import { clock } from './format.js';

const ACTIONS = [
  { action: 'pause', label: 'Pause', when: ['running', 'stalled'] },
  { action: 'resume', label: 'Resume', when: ['paused'] },
  { action: 'checkpoint', label: 'Checkpoint', when: ['running', 'stalled', 'paused'] },
  { action: 'stop', label: 'Stop', when: ['running', 'stalled', 'paused'], confirm: 'Stop this run? The trainer will end it.' },
];
const HINT = 'The trainer receives these over its WebSocket or by polling, and answers in the log.';

export class ControlButtons {
  constructor(runId, body) {
    this.runId = runId;
    this.buttons = h('div', { class: 'buttons' });
    this.result = h('p', { class: 'muted result' }, HINT);
    this.status = null;
    body.append(this.buttons, this.result);
  }

  async send(a) {
    if (a.confirm && !confirm(a.confirm)) return;
    try {
      const c = await postJson(`/runs/${encodeURIComponent(this.runId)}/control`, { action: a.action });
      fill(this.result, `${a.action} requested at ${clock(c.requested_at)}; waiting for the trainer to acknowledge.`);
    } catch (error) {
      fill(this.result, unavailable('Training control', error));
    }
  }

  /** Shows the buttons for the run's status (redrawn only when it changes, so focus stays put). */
  update(status) {
    if (status === this.status) return;
    const finished = this.status !== null && !ACTIONS.some((a) => a.when.includes(status));
    this.status = status;
    const offered = ACTIONS.filter((a) => a.when.includes(status));
    fill(
      this.buttons,
      offered.length
        ? offered.map((a) => h('button', { type: 'button', class: a.action === 'stop' ? 'danger' : '', 'data-action': a.action, onclick: () => this.send(a) }, a.label))
        : h('p', { class: 'muted', 'data-controls': 'none' }, `This run is ${status}: there is nothing to control.`),
    );
    if (finished || !offered.length) fill(this.result);
  }
}
