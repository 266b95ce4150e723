// The live log: the trainer's log lines and errors, and what happened to the run (epochs, checkpoints, findings,
// control), with a level filter and a search over the lines.
import { h } from './dom.js';
import { clock, num } from './format.js';

const MAX_LINES = 1000;
/** Levels by weight: a filter keeps a level and those above it. Unknown levels weigh as info. */
const WEIGHT = { debug: 0, info: 1, warning: 2, error: 3, critical: 4 };
const FILTERS = [
  { value: '', label: 'all lines' },
  { value: 'info', label: 'info and above' },
  { value: 'warning', label: 'warnings and errors' },
  { value: 'error', label: 'errors only' },
  { value: 'event', label: 'run events only' },
];

/** One line per event, or null for events that are not worth a line (metrics). */
function describe(type, e) {
  switch (type) {
    case 'log':
      return { level: e.level ?? 'info', text: e.message };
    case 'error':
      return { level: 'error', text: e.message, detail: e.traceback };
    case 'run_started':
      return { level: 'event', text: `run started${e.total_epochs ? ` (${e.total_epochs} epochs)` : ''}` };
    case 'run_finished':
      return { level: e.status === 'failed' ? 'error' : 'event', text: `run finished: ${e.status}` };
    case 'epoch_started':
    case 'epoch_ended':
      return { level: 'event', text: `epoch ${num(e.epoch)}${e.total_epochs ? `/${e.total_epochs}` : ''} ${type === 'epoch_started' ? 'started' : 'ended'}` };
    case 'checkpoint_saved':
    case 'checkpoint_loaded':
      return { level: 'event', text: `checkpoint ${type === 'checkpoint_saved' ? 'saved' : 'loaded'}: ${e.path}${e.metric ? ` (${e.metric} ${num(e.value)})` : ''}` };
    // Updates (growing evidence) are many; the findings panel shows their current state.
    case 'finding_raised':
    case 'finding_resolved':
      return { level: type === 'finding_resolved' ? 'event' : e.finding.severity, text: `${type.replace('finding_', 'finding ')}: ${e.finding.kind} — ${e.finding.message}` };
    case 'control':
      return { level: 'event', text: `control requested: ${e.control.action}${e.control.reason ? ` (${e.control.reason})` : ''}` };
    case 'control_ack':
      return { level: 'event', text: `trainer answered ${e.control.action}: ${e.control.outcome ?? ''}${e.control.message ? ` — ${e.control.message}` : ''}` };
    default:
      return null;
  }
}

export class LogView {
  constructor(body, note) {
    this.list = h('ol', { class: 'log' }, h('li', { class: 'empty muted' }, 'No log lines yet: trainers send them as log events or to POST /runs/:id/logs.'));
    this.note = note;
    this.count = 0;
    this.level = h('select', { name: 'log-level', 'aria-label': 'log level', onchange: () => this.refilter() }, FILTERS.map((f) => h('option', { value: f.value }, f.label)));
    this.search = h('input', { type: 'search', name: 'log-search', placeholder: 'search the log', 'aria-label': 'search the log', oninput: () => this.refilter() });
    body.append(h('div', { class: 'log-tools' }, this.level, this.search), this.list);
  }

  /** Whether a line passes the level filter and the search. */
  shows(li) {
    const level = this.level.value;
    const lineLevel = li.dataset.level;
    if (level === 'event' && lineLevel !== 'event') return false;
    if (level && level !== 'event' && (lineLevel === 'event' || (WEIGHT[lineLevel] ?? WEIGHT.info) < WEIGHT[level])) return false;
    const words = this.search.value.trim().toLowerCase();
    return !words || li.textContent.toLowerCase().includes(words);
  }

  refilter() {
    let shown = 0;
    for (const li of this.list.children) {
      if (li.classList.contains('empty')) continue;
      li.hidden = !this.shows(li);
      if (!li.hidden) shown++;
    }
    this.showCount(shown);
  }

  showCount(shown) {
    const filtered = this.level.value || this.search.value.trim();
    this.note.textContent = filtered ? `${shown} of ${this.count} lines` : `${this.count} lines`;
  }

  add(type, e) {
    const line = describe(type, e);
    if (!line) return;
    if (this.count === 0) this.list.replaceChildren();
    // Follow the tail only when the reader is already there, not while they scroll back.
    const atBottom = this.list.scrollTop + this.list.clientHeight >= this.list.scrollHeight - 4;
    const li = h(
      'li',
      { class: `lvl-${line.level}`, 'data-type': type, 'data-level': line.level },
      h('time', {}, clock(e.ts)),
      h('span', { class: 'lvl' }, line.level),
      h('span', { class: 'text' }, line.text),
      line.detail ? h('pre', {}, line.detail) : null,
    );
    li.hidden = !this.shows(li);
    this.list.append(li);
    if (this.list.childElementCount > MAX_LINES) this.list.firstElementChild.remove();
    this.count++;
    if (this.level.value || this.search.value.trim()) this.refilter();
    else this.showCount(this.count);
    if (atBottom) this.list.scrollTop = this.list.scrollHeight;
  }
}
