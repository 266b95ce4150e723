// Chat about the run: free questions and seed 5's quick actions, the answer streamed token by token.
import { getJson, request, unavailable } from './api.js';
import { h, fill } from './dom.js';
import { eventData, readSse } from './sse.js';

export class ChatPanel {
  constructor(runId, body, note) {
    this.runId = runId;
    this.note = note;
    this.conversation = undefined;
    this.busy = false;
    this.transcript = h('div', { class: 'transcript' });
    this.quick = h('div', { class: 'buttons quick' });
    this.input = h('textarea', { rows: 2, placeholder: 'Ask about this run…' });
    this.send = h('button', { type: 'submit' }, 'Send');
    const form = h('form', { class: 'ask', onsubmit: (ev) => (ev.preventDefault(), this.ask({ message: this.input.value.trim() })) }, this.input, this.send);
    this.input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey) form.requestSubmit();
    });
    body.append(this.quick, this.transcript, form);
    this.loadActions();
  }

  async loadActions() {
    try {
      const { actions } = await getJson('/chat/actions');
      fill(this.quick, actions.map((a) => h('button', { type: 'button', class: 'ghost', 'data-quick': a.action, onclick: () => this.ask({ action: a.action }, a.label) }, a.label)));
    } catch (error) {
      this.say('system', unavailable('The analyst', error));
    }
  }

  say(role, text) {
    const el = h('div', { class: `msg ${role}` }, text);
    this.transcript.append(el);
    this.transcript.scrollTop = this.transcript.scrollHeight;
    return el;
  }

  /** `what`: {message} or {action}; the answer is written into one element as tokens come. */
  async ask(what, label) {
    if (this.busy || (!what.message && !what.action)) return;
    this.busy = true;
    this.send.disabled = true;
    this.say('user', label ?? what.message);
    this.input.value = '';
    const answer = this.say('assistant', '');
    answer.classList.add('streaming');
    try {
      const res = await request('/chat', { method: 'POST', headers: { accept: 'text/event-stream' }, json: { run: this.runId, conversation: this.conversation, ...what } });
      await readSse(res, (e) => {
        const data = eventData(e);
        if (e.event === 'token') answer.append(data.text);
        else if (e.event === 'error') answer.append(h('span', { class: 'error' }, `\n[${data.message}]`));
        else if (e.event === 'done') {
          this.conversation = data.conversation;
          if (!answer.textContent) answer.textContent = data.message;
          this.note.textContent = `${data.provider}${data.model ? ` · ${data.model}` : ''}${data.cached ? ' · cached' : ''}${data.degraded ? ` · degraded: ${data.reason ?? 'fallback'}` : ''}`;
        }
      });
    } catch (error) {
      answer.textContent = unavailable('The analyst', error);
      answer.classList.add('system');
    } finally {
      answer.classList.remove('streaming');
      this.busy = false;
      this.send.disabled = false;
    }
  }
}
